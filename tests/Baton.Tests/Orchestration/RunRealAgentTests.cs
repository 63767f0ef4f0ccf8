using System.Text.Json;
using Baton.Tests.TestSupport;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// <c>baton run</c> end to end with the real agent programs from npm, driven by <c>baton replay-model</c>: Codex
/// through its app-server (Symphony's default agent, selected by a WORKFLOW.md that names no Baton extension) and pi.
/// Each agent commits in its worktree and moves its task to the hand-off state with the baton CLI, as a Symphony agent
/// moves its ticket with its tracker tool.
/// </summary>
public sealed class RunRealAgentTests
{
    [Fact]
    public async Task Run_SymphonyWorkflowWithRealCodexAppServer_CommitsAndHandsOff()
    {
        await using var w = await SessionWorld.CreateAsync();
        UseInstalledAgents(w);
        var task = await w.AddTaskAsync("Let codex write a file");
        var script = WriteScript(w, task, new object[]
        {
            new { text = "Writing the file.", tool_calls = new[] { new { name = "exec_command", arguments = new { cmd = "printf 'from codex\\n' > agent.txt && git add -A && git commit -q -m 'Add agent.txt'" } } }, usage = new { input = 1000, output = 20 } },
            new { text = "Handing it off.", tool_calls = new[] { new { name = "exec_command", arguments = new { cmd = $"{BatonCli} task update {task} --state 'Human Review'" } } }, usage = new { input = 1100, output = 8 } },
            new { text = "Committed agent.txt and handed it off.", usage = new { input = 1200, output = 5 } },
        });

        // A plain Symphony workflow: codex.command is the spec's default app-server; only the model is Baton's
        // (replay), because this machine has no network.
        File.WriteAllText(Path.Combine(w.World.Repo, "WORKFLOW.md"), $"""
            ---
            tracker:
              kind: local
            polling:
              interval_ms: 1000
            agent:
              model: "replay:{script}"
            codex:
              command: codex app-server
              approval_policy: never
              thread_sandbox: danger-full-access
            ---
            Work on {"{{ issue.identifier }}"}: {"{{ issue.title }}"}
            """);
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitOrExplainAsync(w, task);
        var session = await FinishedSessionAsync(w, daemon);

        session.GetProperty("agent").GetString().ShouldBe("codex");
        var workspace = session.GetProperty("workspace").GetString()!;
        (await File.ReadAllTextAsync(Path.Combine(workspace, "agent.txt"))).ShouldBe("from codex\n");
        (await TestRepository.GitInAsync(workspace, "log", "-1", "--format=%s")).ShouldBe("Add agent.txt");
        // Moving the task ends the run by reconciliation, possibly before codex reports the last response's usage:
        // the totals hold at least the first response, and never any response twice (exact totals: ConformanceTurnTests).
        var state = await daemon.WaitForStateAsync(s => s.GetProperty("codex_totals").GetProperty("output_tokens").GetInt64() >= 20, "the token totals", 30);
        state.GetProperty("codex_totals").GetProperty("input_tokens").GetInt64().ShouldBeInRange(1000, 3300);
        state.GetProperty("codex_totals").GetProperty("output_tokens").GetInt64().ShouldBeInRange(20, 33);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    [Fact]
    public async Task Run_PiWorkflow_CommitsAndHandsOff()
    {
        await using var w = await SessionWorld.CreateAsync();
        UseInstalledAgents(w);
        var task = await w.AddTaskAsync("Let pi write a file");
        var script = WriteScript(w, task, new object[]
        {
            new { text = "Writing the file.", tool_calls = new[] { new { name = "write", arguments = new { path = "agent.txt", content = "from pi\n" } } }, usage = new { input = 1000, output = 20 } },
            new { tool_calls = new[] { new { name = "bash", arguments = new { command = $"git add -A && git commit -q -m 'Add agent.txt' && {BatonCli} task update {task} --state 'Human Review'" } } }, usage = new { input = 1050, output = 10 } },
            new { text = "Committed agent.txt and handed it off.", usage = new { input = 1100, output = 5 } },
        });
        File.WriteAllText(Path.Combine(w.World.Repo, "WORKFLOW.md"), $"""
            ---
            polling:
              interval_ms: 1000
            agent:
              kind: pi
              model: "replay:{script}"
            ---
            Work on {"{{ issue.identifier }}"}: {"{{ issue.title }}"}
            """);
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitOrExplainAsync(w, task);
        var session = await FinishedSessionAsync(w, daemon);

        session.GetProperty("agent").GetString().ShouldBe("pi");
        var workspace = session.GetProperty("workspace").GetString()!;
        (await File.ReadAllTextAsync(Path.Combine(workspace, "agent.txt"))).ShouldBe("from pi\n");
        (await TestRepository.GitInAsync(workspace, "status", "--porcelain")).ShouldBeEmpty();
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    /// <summary>Waits for the hand-off; on failure the message carries the orchestrator log and the sessions' events.</summary>
    private static async Task WaitOrExplainAsync(SessionWorld w, string task)
    {
        try
        {
            await WaitForTaskStateAsync(w, task, "Human Review", 120);
        }
        catch (ShouldAssertException failure)
        {
            var log = Path.Combine(w.World.Home, "logs", "baton-run.log");
            var events = Directory.GetFiles(w.World.Home, "events.jsonl", SearchOption.AllDirectories).Select(f => $"{f}:\n{File.ReadAllText(f)}");
            var panes = Directory.GetFiles(w.World.Home, "pane.log", SearchOption.AllDirectories).Select(f => $"{f}:\n{File.ReadAllText(f)}");
            throw new ShouldAssertException($"{failure.Message}\nlog:\n{(File.Exists(log) ? File.ReadAllText(log) : "(none)")}\n{string.Join("\n", events)}\n{string.Join("\n", panes)}", failure);
        }
    }

    private static void UseInstalledAgents(SessionWorld w)
    {
        var bin = Path.GetDirectoryName(Replay.ReplayTestSupport.AgentBinary("pi"))!;
        w.World.Environment["PATH"] = $"{bin}:{w.World.Environment["PATH"]}";
    }

    private static string WriteScript(SessionWorld w, string task, object turns)
    {
        var path = Path.Combine(w.World.Root, $"{task}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(turns));
        return path;
    }

    /// <summary>The one session of the test, once the orchestrator released its task (no second dispatch).</summary>
    private static async Task<JsonElement> FinishedSessionAsync(SessionWorld w, RunDaemon daemon)
    {
        await daemon.WaitForStateAsync(s => !Rows(s, "running").Any() && !Rows(s, "retrying").Any(), "the task being released", 90);
        var sessions = await SessionsAsync(w);
        sessions.Count.ShouldBe(1, string.Join("\n", sessions));
        return sessions[0];
    }
}
