using System.Text.Json;
using Baton.Tests.TestSupport;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// Baton's supervisor under a real <c>baton run</c>: the nudge of a stalling agent before the spec's abort and retry,
/// the workspace check before a finished run is stopped, and the escalation after repeated failures. Every action is a
/// <c>supervisor</c> event in the session's log.
/// </summary>
public sealed class SupervisorRunTests
{
    [Fact]
    public async Task Stall_NudgesFirstThenAbortsAndRetries()
    {
        await using var w = await SessionWorld.CreateAsync();
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """{"turns": [{"steps": [{"message": "Thinking hard."}], "end": "hang"}]}""");
        ConformanceWorkflows.WriteLocal(w, agent, codex: "stall_timeout_ms: 6000", agentKeys: "max_retry_backoff_ms: 60000", extra: """
            supervisor:
              nudge_after_ms: 1500
              nudge_message: "Supervisor here: report progress."
            """);
        await w.AddTaskAsync("Stalls");
        await using var daemon = await RunDaemon.StartAsync(w);

        var steered = await agent.WaitForAsync(a => a.Received("turn/steer").Count > 0, "the nudge reaching the agent", 60);
        agent.Received("turn/steer")[0].GetRawText().ShouldContain("Supervisor here: report progress.");
        var state = await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(), "the stalled run being retried", 60);
        Rows(state, "retrying").Single().GetProperty("error").GetString()!.ShouldContain("stall");

        var session = (await SessionsAsync(w)).Single().GetProperty("name").GetString()!;
        var supervisor = SupervisorEvents(w, session);
        supervisor.ShouldContain(e => e.Reason == "nudge" && e.Text.Contains("report progress", StringComparison.Ordinal), File.ReadAllText(Path.Combine(w.SessionDirectory(session), "events.jsonl")) + File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log")));
        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task FinishedRunWithUncommittedWork_GetsOneMessageAndCommitsBeforeItIsStopped()
    {
        await using var w = await SessionWorld.CreateAsync();
        var prompts = Path.Combine(w.World.Root, "prompts.log");
        // First turn: leave a file uncommitted and hand the task off. The supervisor's message asks to commit: do it.
        Write(w, $"""
            printf '%s\n---\n' "$BATON_PROMPT" >> {prompts}
            if printf '%s' "$BATON_PROMPT" | grep -q '^Supervisor:'; then
              git add -A && git commit -qm "Commit what the supervisor found"
            else
              echo draft > notes.txt
              {BatonCli} task update "$BATON_TASK" --state "Human Review"
            fi
            """, extra: """
            supervisor:
              check_workspace: true
            """);
        var task = await w.AddTaskAsync("Leaves a mess");
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitForTaskStateAsync(w, task, "Human Review");
        await daemon.WaitForStateAsync(s => !Rows(s, "running").Any() && !Rows(s, "retrying").Any(), "the run ending", 90);

        var session = (await SessionsAsync(w)).Single();
        var workspace = session.GetProperty("workspace").GetString()!;
        (await TestRepository.GitInAsync(workspace, "status", "--porcelain")).ShouldBeEmpty();
        (await TestRepository.GitInAsync(workspace, "log", "-1", "--format=%s")).ShouldBe("Commit what the supervisor found");
        File.ReadAllText(prompts).ShouldContain("notes.txt");
        var checks = SupervisorEvents(w, session.GetProperty("name").GetString()!).Where(e => e.Reason == "workspace_check").ToList();
        checks.Count.ShouldBe(1);
        checks[0].Text.ShouldContain("notes.txt");
        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task RepeatedFailures_AreEscalatedOnceWithACommentAndAFlag()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, "echo 'cannot build' >&2; exit 3", maxAgents: 1, extra: """
            supervisor:
              escalate_after: 2
            """);
        var task = await w.AddTaskAsync("Always fails");
        File.AppendAllText(Path.Combine(w.World.Repo, "WORKFLOW.md"), string.Empty);
        var workflow = File.ReadAllText(Path.Combine(w.World.Repo, "WORKFLOW.md")).Replace("  max_concurrent_agents: 1", "  max_concurrent_agents: 1\n  max_retry_backoff_ms: 1000", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(w.World.Repo, "WORKFLOW.md"), workflow);
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => s.TryGetProperty("escalated", out var e) && e.GetArrayLength() > 0, "the escalation", 90);
        var escalation = state.GetProperty("escalated")[0];
        escalation.GetProperty("issue_identifier").GetString().ShouldBe(task);
        escalation.GetProperty("attempts").GetInt32().ShouldBe(2);

        await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(r => r.GetProperty("attempt").GetInt32() >= 3), "a third failure", 60);
        var shown = await w.RunAsync("task", "show", task, "--json");
        var comments = shown.Data.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("body").GetString()!).ToList();
        comments.Count(c => c.Contains("failed 2 attempts", StringComparison.Ordinal)).ShouldBe(1);
        var inbox = await w.RunAsync("mail", "inbox", "human", "--json");
        inbox.ExitCode.ShouldBe(0, inbox.ToString());
        inbox.Stdout.ShouldContain($"{task} keeps failing (2 attempts)");
        var sessions = await SessionsAsync(w);
        sessions.SelectMany(s => SupervisorEvents(w, s.GetProperty("name").GetString()!)).Count(e => e.Reason == "escalation").ShouldBe(1);
        (await daemon.StopAsync()).ShouldBe(0);
    }

    private sealed record SupervisorEvent(string Reason, string Text);

    private static List<SupervisorEvent> SupervisorEvents(SessionWorld w, string session)
    {
        var path = Path.Combine(w.SessionDirectory(session), "events.jsonl");
        var events = new List<SupervisorEvent>();
        foreach (var line in File.Exists(path) ? File.ReadAllLines(path) : [])
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.GetProperty("type").GetString() == "supervisor")
            {
                events.Add(new SupervisorEvent(root.GetProperty("reason").GetString()!, root.GetProperty("text").GetString()!));
            }
        }

        return events;
    }
}
