using System.Text.Json;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Sessions;

/// <summary>
/// End to end through <c>baton spawn</c>: the real agent programs from npm in a tmux pane, driven by Baton's replay
/// model, each making a real commit in its worktree.
/// </summary>
public sealed class AgentSessionTests
{
    private static string Script(object turns) => JsonSerializer.Serialize(turns);

    private static async Task<string> WriteScriptAsync(SessionWorld w, string name, string json)
    {
        var path = Path.Combine(w.World.Root, name);
        await File.WriteAllTextAsync(path, json);
        return path;
    }

    private static void UseInstalledAgents(SessionWorld w)
    {
        var bin = Path.GetDirectoryName(Replay.ReplayTestSupport.AgentBinary("pi"))!;
        w.World.Environment["PATH"] = $"{bin}:{w.World.Environment["PATH"]}";
    }

    public static TheoryData<string, string> Agents => new()
    {
        { "claude", Script(new object[]
            {
                new { text = "Writing the file.", tool_calls = new[] { new { name = "Bash", arguments = new { command = "printf 'from claude\\n' > agent.txt && git add -A && git commit -q -m 'Add agent.txt' && git log --oneline -1", description = "commit" } } }, usage = new { input = 1000, output = 20 } },
                new { text = "Committed agent.txt.", usage = new { input = 1100, output = 5 } },
            }) },
        { "codex", Script(new object[]
            {
                new { text = "Writing the file.", tool_calls = new[] { new { name = "exec_command", arguments = new { cmd = "printf 'from codex\\n' > agent.txt && git add -A && git commit -q -m 'Add agent.txt' && git log --oneline -1" } } }, usage = new { input = 1000, output = 20 } },
                new { text = "Committed agent.txt.", usage = new { input = 1100, output = 5 } },
            }) },
        { "pi", Script(new object[]
            {
                new { text = "Writing the file.", tool_calls = new[] { new { name = "write", arguments = new { path = "agent.txt", content = "from pi\n" } } }, usage = new { input = 1000, output = 20 } },
                new { tool_calls = new[] { new { name = "bash", arguments = new { command = "git add -A && git commit -q -m 'Add agent.txt' && git log --oneline -1" } } }, usage = new { input = 1050, output = 10 } },
                new { text = "Committed agent.txt.", usage = new { input = 1100, output = 5 } },
            }) },
    };

    [Theory]
    [MemberData(nameof(Agents))]
    public async Task Spawn_RealAgentWithReplayModel_CommitsInItsWorktreeAndReportsTokens(string agent, string script)
    {
        await using var w = await SessionWorld.CreateAsync();
        UseInstalledAgents(w);
        var task = await w.AddTaskAsync($"Let {agent} write a file");
        var scriptPath = await WriteScriptAsync(w, $"{agent}.json", script);

        var spawned = await w.RunAsync("spawn", "app", task, "--agent", agent, "--model", $"replay:{scriptPath}", "--idle-timeout", "2", "--json");
        if (spawned.ExitCode != 0)
        {
            var pane = Directory.GetFiles(w.World.Home, "pane.log", SearchOption.AllDirectories).Select(File.ReadAllText).FirstOrDefault();
            var env = w.World.Environment["PATH"];
            spawned.ExitCode.ShouldBe(0, $"{spawned}\nPATH={env}\npane={pane}");
        }

        var name = spawned.Data.GetProperty("name").GetString()!;
        var finished = await w.WaitForStatusAsync(name, "finished", 90);

        var workspace = finished.GetProperty("workspace").GetString()!;
        (await File.ReadAllTextAsync(Path.Combine(workspace, "agent.txt"))).ShouldBe($"from {agent}\n");
        (await TestRepository.GitInAsync(workspace, "log", "-1", "--format=%s")).ShouldBe("Add agent.txt");
        (await TestRepository.GitInAsync(workspace, "status", "--porcelain")).ShouldBeEmpty();
        var usage = finished.GetProperty("usage");
        usage.GetProperty("output").GetInt64().ShouldBeGreaterThanOrEqualTo(25);
        usage.GetProperty("costUsd").GetDecimal().ShouldBeGreaterThan(0m);
        var listed = (await w.RunAsync("list", "--json")).Data.EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
        listed.GetProperty("status").GetString().ShouldBe("finished");
        listed.GetProperty("usage").GetProperty("input").GetInt64().ShouldBe(usage.GetProperty("input").GetInt64());
        var peek = (await w.RunAsync("peek", name)).Stdout;
        peek.ShouldContain("Committed agent.txt.");
        peek.ShouldContain("turn succeeded");
        (await w.Tmux.CapturePaneAsync(finished.GetProperty("runtimeName").GetString()!)).ShouldContain("Committed agent.txt.");
    }
}

/// <summary>Supervision through the session commands, with the real pi and the replay model.</summary>
public sealed class PiSessionSupervisionTests
{
    private static async Task<(SessionWorld World, string Script)> WorldAsync(string script)
    {
        var w = await SessionWorld.CreateAsync();
        var bin = Path.GetDirectoryName(Replay.ReplayTestSupport.AgentBinary("pi"))!;
        w.World.Environment["PATH"] = $"{bin}:{w.World.Environment["PATH"]}";
        var path = Path.Combine(w.World.Root, "script.json");
        await File.WriteAllTextAsync(path, script);
        return (w, path);
    }

    [Fact]
    public async Task Send_WhileTheAgentWorks_ReachesTheModelInTheNextRequest()
    {
        var (w, script) = await WorldAsync("""
            [{"text": "Running a slow step.", "tool_calls": [{"name": "bash", "arguments": {"command": "sleep 3; echo slow step done"}}]},
             {"text": "Noted the steering."}]
            """);
        await using (w)
        {
            var task = await w.AddTaskAsync("Slow");
            var spawned = await w.RunAsync("spawn", "app", task, "--model", $"replay:{script}", "--idle-timeout", "2", "--json");
            spawned.ExitCode.ShouldBe(0, spawned.ToString());
            var name = spawned.Data.GetProperty("name").GetString()!;
            await SessionWorld.WaitUntilAsync(() => File.Exists(Path.Combine(w.SessionDirectory(name), "events.jsonl")) && File.ReadAllText(Path.Combine(w.SessionDirectory(name), "events.jsonl")).Contains("\"tool_started\"", StringComparison.Ordinal), "the slow tool starting", 30);

            var sent = await w.RunAsync("send", name, "Please also mention the steering token ZEBRA-42.", "--json");
            await w.WaitForStatusAsync(name, "finished", 60);

            sent.ExitCode.ShouldBe(0, sent.ToString());
            sent.Data.GetProperty("delivered").GetString().ShouldBe("steer");
            var requests = await File.ReadAllLinesAsync(Path.Combine(w.SessionDirectory(name), "replay-requests.jsonl"));
            requests.Length.ShouldBeGreaterThanOrEqualTo(2);
            requests[0].ShouldNotContain("ZEBRA-42");
            requests[^1].ShouldContain("ZEBRA-42");
            (await w.RunAsync("peek", name)).Stdout.ShouldContain("steer: Please also mention");
        }
    }

    [Fact]
    public async Task SlowModel_SilenceTimeout_AbortsTheTurnAsTimedOut()
    {
        var (w, script) = await WorldAsync("""[{"text": "never arrives in time", "delay": 30}]""");
        await using (w)
        {
            var task = await w.AddTaskAsync("Slow model");
            var spawned = await w.RunAsync("spawn", "app", task, "--model", $"replay:{script}", "--silence-timeout", "2", "--idle-timeout", "1", "--json");
            spawned.ExitCode.ShouldBe(0, spawned.ToString());

            var failed = await w.WaitForStatusAsync(spawned.Data.GetProperty("name").GetString()!, "failed", 60);

            failed.GetProperty("outcome").GetString().ShouldBe("timed_out");
        }
    }

    [Fact]
    public async Task ModelError500_IsAFailedRunNotAHang()
    {
        var (w, script) = await WorldAsync("""[{"text": "x", "error": {"status": 500, "message": "upstream broke", "times": 10}}]""");
        await using (w)
        {
            var task = await w.AddTaskAsync("Broken model");
            var spawned = await w.RunAsync("spawn", "app", task, "--model", $"replay:{script}", "--idle-timeout", "1", "--json");
            spawned.ExitCode.ShouldBe(0, spawned.ToString());

            var failed = await w.WaitForStatusAsync(spawned.Data.GetProperty("name").GetString()!, "failed", 60);

            failed.GetProperty("outcome").GetString().ShouldBe("failed");
            failed.GetProperty("reason").GetString()!.ShouldContain("500");
        }
    }
}
