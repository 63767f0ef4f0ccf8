using System.Text.Json;
using Baton.Core.Replay;
using Baton.Processes;
using Baton.Replay;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Replay;

/// <summary>The real Codex CLI (<c>codex exec --json</c>) against the OpenAI responses dialect.</summary>
public class CodexReplayTests
{
    // Codex 0.169 offers exec_command{cmd, …} for an unknown model and no apply_patch, so files are written by shell.
    private const string Script =
        """
        [
          {"text": "Creating the file.",
           "tool_calls": [{"name": "exec_command", "arguments": {"cmd": "printf 'Hello from the replay model\\n' > hello.txt && cat hello.txt"}}],
           "usage": {"input": 1000, "output": 40}},
          {"tool_calls": [{"name": "exec_command", "arguments": {"cmd": "git add -A && git commit -q -m 'Add hello.txt' && git log --oneline -1"}}],
           "usage": {"input": 1100, "output": 30}},
          {"text": "Created hello.txt and committed it.", "usage": {"input": 1200, "output": 12}}
        ]
        """;

    [Fact]
    public async Task CodexExec_WriteCommitScript_WritesAndCommitsFile()
    {
        var codex = AgentBinary("codex");
        using var temp = new TempDirectory("baton-codex-");
        var workspace = temp.Combine("workspace");
        var home = temp.Combine("home");
        var codexHome = temp.Combine("codex-home");
        // Codex will not create its helper binaries when CODEX_HOME is under TMPDIR (reference/agents.md §4).
        var tmp = temp.Combine("tmp");
        foreach (var directory in new[] { home, codexHome, tmp })
        {
            Directory.CreateDirectory(directory);
        }

        await InitRepositoryAsync(workspace, home);
        var log = temp.Combine("requests.jsonl");
        await using var server = await ReplayServer.StartAsync(ReplayScript.Parse(Script, "codex-write-commit"), new ReplayOptions { LogPath = log, Lifetime = TimeSpan.FromMinutes(5) }).WaitAsync(TestTimeout);
        File.WriteAllText(Path.Combine(codexHome, "config.toml"), $"""
            model = "fake-model"
            model_provider = "fake"
            approval_policy = "never"
            sandbox_mode = "danger-full-access"
            check_for_update_on_startup = false

            [analytics]
            enabled = false

            [otel]
            exporter = "none"

            [model_providers.fake]
            name = "Replay model"
            base_url = "{server.BaseUrl}/v1"
            wire_api = "responses"
            env_key = "FAKE_API_KEY"
            request_max_retries = 1
            stream_max_retries = 1
            stream_idle_timeout_ms = 60000
            """);

        var environment = IsolatedEnvironment(home);
        environment["CODEX_HOME"] = codexHome;
        environment["TMPDIR"] = tmp;
        environment["FAKE_API_KEY"] = "fake-key";
        var result = await ProcessRunner.RunAsync(new ProcessSpec(
            codex,
            ["exec", "--json", "--strict-config", "--skip-git-repo-check", "-C", workspace, "Create hello.txt and commit it."])
        {
            WorkingDirectory = workspace,
            Environment = environment,
            StandardInput = "",
            Timeout = TimeSpan.FromSeconds(120),
            NewProcessGroup = true,
        }).WaitAsync(TimeSpan.FromSeconds(150));

        var details = $"exit {result.ExitCode}\nstdout:\n{result.StandardOutput}\nstderr:\n{result.StandardError}";
        result.TimedOut.ShouldBeFalse(details);
        result.ExitCode.ShouldBe(0, details);
        var events = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var completed = events.Last(e => e.GetProperty("type").GetString() == "turn.completed");
        completed.GetProperty("usage").GetProperty("output_tokens").GetInt32().ShouldBe(40 + 30 + 12, details);
        File.ReadAllText(Path.Combine(workspace, "hello.txt")).ShouldBe("Hello from the replay model\n");
        (await GitAsync(workspace, home, "log", "--format=%s")).ShouldStartWith("Add hello.txt");
        var turns = ReadLog(log).Where(r => r.TryGetProperty("turn", out var turn) && turn.GetInt32() >= 0).ToList();
        turns.Select(r => r.GetProperty("turn").GetInt32()).ShouldBe([0, 1, 2]);
        turns.ShouldAllBe(r => r.GetProperty("dialect").GetString() == "responses");
    }
}
