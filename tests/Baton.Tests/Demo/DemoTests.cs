using Baton.Cli;
using Baton.Git;
using Baton.Tests.Replay;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Demo;

/// <summary>
/// <c>baton demo</c> end to end (about 40 s on a busy machine): the real pi agent driven by the embedded replay scripts,
/// the orchestrator in-process, real tmux sessions and worktrees.
/// </summary>
public sealed class DemoTests
{
    private static readonly string[] s_tasks = ["CALC-1", "CALC-2", "CALC-3"];

    [Fact]
    public async Task Demo_RunsTheOrchestratorUntilEveryTaskIsHandedOff()
    {
        await using var w = await SessionWorld.CreateAsync();
        var pi = ReplayTestSupport.AgentBinary("pi");
        w.World.Environment["PATH"] = $"{Path.GetDirectoryName(pi)}{Path.PathSeparator}{w.World.Environment["PATH"]}";
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(TextWriter.Synchronized(output), TextWriter.Synchronized(error), TextReader.Null, w.World.Environment, w.World.Root, TimeProvider.System);

        var code = await BatonApp.RunAsync(["demo"], context, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(5));

        var stdout = output.ToString();
        code.ShouldBe(0, $"{stdout}\n{error}");
        stdout.ShouldContain("dashboard and API at http://127.0.0.1:");
        stdout.ShouldContain("GET /api/v1/state");
        stdout.ShouldContain("baton run stopped (exit 0)");
        var project = Directory.GetDirectories(Path.Combine(w.World.Home, "demo")).Select(d => Path.Combine(d, "calc")).Single();
        var environment = new Dictionary<string, string>(w.World.Environment);
        foreach (var task in s_tasks)
        {
            var commits = await GitCli.RunAsync(project, ["rev-list", "--count", $"main..baton/{task}"], CancellationToken.None);
            commits.Succeeded.ShouldBeTrue(commits.StandardError);
            commits.StandardOutput.Trim().ShouldBe("1", $"{task}: {stdout}");

            using var shown = new StringWriter();
            var probe = new CliContext(shown, TextWriter.Null, TextReader.Null, environment, project, TimeProvider.System);
            (await BatonApp.RunAsync(["task", "show", task, "--json"], probe, CancellationToken.None)).ShouldBe(0);
            using var document = System.Text.Json.JsonDocument.Parse(shown.ToString());
            document.RootElement.GetProperty("data").GetProperty("state").GetString().ShouldBeOneOf("Human Review", "Done");

            // Each task's proof: validation with ./check.sh, pi's own transcript, git facts that match git, tokens.
            using var proofOutput = new StringWriter();
            var proofProbe = new CliContext(proofOutput, TextWriter.Null, TextReader.Null, environment, project, TimeProvider.System);
            (await BatonApp.RunAsync(["proof", task, "--json"], proofProbe, CancellationToken.None)).ShouldBe(0, proofOutput.ToString());
            using var proofDocument = System.Text.Json.JsonDocument.Parse(proofOutput.ToString());
            var data = proofDocument.RootElement.GetProperty("data");
            var proof = data.GetProperty("proof");
            stdout.ShouldContain($"  {task}  {data.GetProperty("directory").GetString()}");
            proof.GetProperty("validation").GetProperty("status").GetString().ShouldBe("passed", $"{task}: {proof}");
            proof.GetProperty("validation").GetProperty("results")[0].GetProperty("command").GetString().ShouldBe("./check.sh");
            proof.GetProperty("transcript").GetProperty("source").GetString().ShouldBe("agent_export");
            File.Exists(Path.Combine(data.GetProperty("directory").GetString()!, "transcript.html")).ShouldBeTrue();
            var head = await GitCli.RunAsync(project, ["rev-parse", $"baton/{task}"], CancellationToken.None);
            proof.GetProperty("git").GetProperty("headCommit").GetString().ShouldBe(head.StandardOutput.Trim());
            proof.GetProperty("tokens").GetProperty("total").GetInt64().ShouldBeGreaterThan(0);
        }

        stdout.ShouldContain("Proof bundles (proof.json, summary.md, transcript.html, validation logs):");
    }
}
