using System.Text.Json;
using Baton.Core.Replay;
using Baton.Processes;
using Baton.Replay;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Replay;

/// <summary>The real Claude Code (<c>-p --output-format stream-json</c>) against the Anthropic messages dialect.</summary>
public class ClaudeReplayTests
{
    [Fact]
    public async Task ClaudePrint_WriteCommitScript_WritesAndCommitsFile()
    {
        var claude = AgentBinary("claude");
        using var temp = new TempDirectory("baton-claude-");
        var workspace = temp.Combine("workspace");
        var home = temp.Combine("home");
        Directory.CreateDirectory(home);
        await InitRepositoryAsync(workspace, home);

        // Claude Code's tools: Write{file_path (absolute), content}, Bash{command, description}.
        var script = ReplayScript.Parse(
            """
            [
              {"text": "Creating the file.",
               "tool_calls": [{"name": "Write", "arguments": {"file_path": HELLO_PATH, "content": "Hello from the replay model\n"}}],
               "usage": {"input": 1000, "output": 40}},
              {"tool_calls": [{"name": "Bash", "arguments": {"command": "git add -A && git commit -q -m 'Add hello.txt' && git log --oneline -1", "description": "Commit"}}],
               "usage": {"input": 1100, "output": 30}},
              {"text": "Created hello.txt and committed it.", "usage": {"input": 1200, "output": 12}}
            ]
            """.Replace("HELLO_PATH", JsonSerializer.Serialize(Path.Combine(workspace, "hello.txt")), StringComparison.Ordinal),
            "claude-write-commit");
        var log = temp.Combine("requests.jsonl");
        await using var server = await ReplayServer.StartAsync(script, new ReplayOptions { LogPath = log, Lifetime = TimeSpan.FromMinutes(5) }).WaitAsync(TestTimeout);

        var environment = IsolatedEnvironment(home);
        environment["CLAUDE_CONFIG_DIR"] = temp.Combine("claude-config");
        environment["ANTHROPIC_BASE_URL"] = server.BaseUrl; // no /v1: the client posts to /v1/messages?beta=true
        environment["ANTHROPIC_API_KEY"] = "sk-ant-fake";
        environment["ANTHROPIC_MODEL"] = "fake-model";
        environment["ANTHROPIC_SMALL_FAST_MODEL"] = "fake-model";
        environment["ANTHROPIC_DEFAULT_HAIKU_MODEL"] = "fake-model";
        environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        environment["DISABLE_TELEMETRY"] = "1";
        environment["DISABLE_ERROR_REPORTING"] = "1";
        environment["DISABLE_AUTOUPDATER"] = "1";
        // --dangerously-skip-permissions refuses to run as root unless told it is in a sandbox (reference/agents.md §3).
        environment["IS_SANDBOX"] = "1";
        var result = await ProcessRunner.RunAsync(new ProcessSpec(
            claude,
            ["-p", "Create hello.txt and commit it.", "--output-format", "stream-json", "--verbose",
             "--model", "fake-model", "--max-turns", "10", "--dangerously-skip-permissions"])
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
        var final = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .Last(e => e.GetProperty("type").GetString() == "result");
        final.GetProperty("is_error").GetBoolean().ShouldBeFalse(details);
        final.GetProperty("result").GetString().ShouldBe("Created hello.txt and committed it.");
        File.ReadAllText(Path.Combine(workspace, "hello.txt")).ShouldBe("Hello from the replay model\n");
        (await GitAsync(workspace, home, "log", "--format=%s")).ShouldStartWith("Add hello.txt");
        var turns = ReadLog(log).Where(r => r.TryGetProperty("turn", out var turn) && turn.GetInt32() >= 0).ToList();
        turns.Select(r => r.GetProperty("turn").GetInt32()).ShouldBe([0, 1, 2], File.ReadAllText(log));
        turns.ShouldAllBe(r => r.GetProperty("dialect").GetString() == "anthropic");
    }
}
