using System.Text.Json;
using Baton.Tests.TestSupport;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// Symphony conformance of runs and turns, black-box: <c>baton run</c> with the spec's default agent
/// (<c>codex app-server</c> through <c>codex.command</c>) played by the scripted stand-in, the local tracker, real tmux
/// sessions and workers; checked through the HTTP API, the stand-in's record, processes and hooks' marker files.
/// Section numbers are the spec's (reference/symphony-checklist.md).
/// </summary>
public sealed class ConformanceTurnTests
{
    /// <summary>
    /// §7.1, §10.3, §1.12: continuation turns go to the same live app-server on the same thread, with continuation
    /// guidance instead of the prompt, until the task leaves the active states. §13.5: token totals are absolute
    /// thread totals counted once, and the latest rate limits are shown. §9.4: after_create, before_run and after_run
    /// run once each for one run.
    /// </summary>
    [Fact]
    public async Task Run_TaskNeedsThreeTurns_ContinuesOnTheSameProcessCountsTokensOnceAndShowsRateLimits()
    {
        await using var w = await SessionWorld.CreateAsync();
        var hooks = Path.Combine(w.World.Root, "hooks.log");
        // The agent moves its own task (Symphony's model); reconciliation may stop it before its turn ends, so it reports first.
        var update = JsonSerializer.Serialize($"{BatonCli} task update \"$BATON_TASK\" --state 'Human Review'");
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), $$$"""
            {"turns": [
              {"steps": [{"message": "Reading the task."}, {"usage": {"input": 1000, "cached": 200, "output": 50}},
                         {"rateLimits": {"limitId": "codex", "limitName": null, "primary": {"usedPercent": 42.5, "windowDurationMins": 300, "resetsAt": 1795230000}, "secondary": null, "credits": null}}]},
              {"steps": [{"message": "Still working."}, {"usage": {"input": 2500, "cached": 400, "output": 120}}, {"usage": {"input": 2500, "cached": 400, "output": 120}}]},
              {"steps": [{"usage": {"input": 4000, "cached": 600, "output": 200}}, {"message": "Moving the task."}, {"shell": {{{update}}} }]}
            ]}
            """);
        ConformanceWorkflows.WriteLocal(w, agent, agentKeys: "max_turns: 5", extra: $"""
            hooks:
              after_create: echo after_create >> {hooks}
              before_run: echo before_run >> {hooks}
              after_run: echo after_run >> {hooks}
            """);
        var task = await w.AddTaskAsync("Three turns");
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitForTaskStateAsync(w, task, "Human Review", 60);
        var state = await daemon.WaitForStateAsync(s => !Rows(s, "running").Any() && !Rows(s, "retrying").Any(), "the task being released", 60);

        // One process, one thread, three turns: the prompt first, then continuation guidance (§7.1).
        agent.Pids.Count.ShouldBe(1);
        var turns = agent.Turns;
        turns.Count.ShouldBe(3);
        turns.ShouldAllBe(t => t.Pid == agent.Pids[0]);
        turns[0].Text.ShouldBe($"Work on {task}: Three turns");
        turns[1].Text.ShouldStartWith("Continuation guidance:");
        turns[1].Text.ShouldContain("continuation turn #2 of 5");
        turns[2].Text.ShouldContain("continuation turn #3 of 5");
        turns[1].Text.ShouldNotContain("Three turns");
        agent.Received("turn/start").Select(p => p.GetProperty("threadId").GetString()).Distinct().ShouldBe([$"thread-standin-{agent.Pids[0]}"]);
        agent.Received("initialize").Count.ShouldBe(1);
        agent.Received("thread/start").Single().GetProperty("approvalPolicy").GetString().ShouldBe("never");

        // §13.5: the last absolute report is the total (1000 and 2500 are not added, nor the repeated report).
        var totals = state.GetProperty("codex_totals");
        totals.GetProperty("input_tokens").GetInt64().ShouldBe(4000);
        totals.GetProperty("output_tokens").GetInt64().ShouldBe(200);
        totals.GetProperty("total_tokens").GetInt64().ShouldBe(4200);
        var limits = state.GetProperty("rate_limits");
        limits.GetProperty("limitId").GetString().ShouldBe("codex");
        limits.GetProperty("primary").GetProperty("usedPercent").GetDouble().ShouldBe(42.5);

        // The run ended: the stand-in saw its input closed and is gone; the hooks ran once each, in order.
        await agent.WaitForAsync(a => a.Events("stdin_closed").Count == 1 && !StandIn.IsAlive(a.Pids[0]), "the stand-in ending", 30);
        await SessionWorld.WaitUntilAsync(() => File.Exists(hooks) && File.ReadAllLines(hooks).Length == 3, "the after_run hook", 30);
        File.ReadAllLines(hooks).ShouldBe(["after_create", "before_run", "after_run"]);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    /// <summary>§1.12: a run takes at most <c>agent.max_turns</c> turns; a task still active then gets a new run (a new process) after the 1 s continuation retry.</summary>
    [Fact]
    public async Task Run_TaskStaysActive_EndsTheRunAtMaxTurnsAndStartsANewProcessWithTheFullPrompt()
    {
        await using var w = await SessionWorld.CreateAsync();
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """{"turns": [{"steps": [{"message": "Not done yet."}]}]}""");
        ConformanceWorkflows.WriteLocal(w, agent, agentKeys: "max_turns: 2");
        var task = await w.AddTaskAsync("Endless");
        await using var daemon = await RunDaemon.StartAsync(w);

        await agent.WaitForAsync(a => a.Pids.Count >= 2 && a.Turns.Count(t => t.Pid == a.Pids[1]) >= 1, "a second run", 60);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);

        var first = agent.Turns.Where(t => t.Pid == agent.Pids[0]).Select(t => t.Text).ToList();
        first.Count.ShouldBe(2);
        first[0].ShouldBe($"Work on {task}: Endless");
        first[1].ShouldContain("continuation turn #2 of 2");
        agent.Turns.First(t => t.Pid == agent.Pids[1]).Text.ShouldBe($"Work on {task}: Endless");
        agent.Events("stdin_closed").ShouldContain(r => r.GetProperty("pid").GetInt32() == agent.Pids[0]);
    }

    /// <summary>
    /// §10.6 <c>turn_timeout_ms</c> (a silence timeout, enforced by the worker): a turn that never ends is interrupted,
    /// the run fails and §8.4's failure retry (backoff, attempt 1) shows in the API, then dispatches a new process.
    /// </summary>
    [Fact]
    public async Task Run_AgentHangsInATurn_TimesOutAndIsRetriedWithBackoffVisibleInTheApi()
    {
        await using var w = await SessionWorld.CreateAsync();
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """{"turns": [{"steps": [{"message": "Thinking..."}], "end": "hang"}]}""");
        ConformanceWorkflows.WriteLocal(w, agent, agentKeys: "max_retry_backoff_ms: 4000", codex: "turn_timeout_ms: 1500");
        var task = await w.AddTaskAsync("Hangs");
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(), "a retry after the timeout", 60);

        var retry = Rows(state, "retrying").Single();
        retry.GetProperty("issue_identifier").GetString().ShouldBe(task);
        retry.GetProperty("attempt").GetInt32().ShouldBe(1);
        retry.GetProperty("error").GetString()!.ShouldContain("turn_timeout");
        var due = retry.GetProperty("due_at").GetDateTimeOffset();
        (due - state.GetProperty("generated_at").GetDateTimeOffset()).ShouldBeGreaterThan(TimeSpan.FromSeconds(2)); // min(10 s, 4 s), not the 1 s continuation
        agent.Received("turn/interrupt").ShouldNotBeEmpty();
        agent.Events("turn_end").First().GetProperty("status").GetString().ShouldBe("interrupted");

        // The timed-out agent is gone; the retry starts a new one.
        await agent.WaitForAsync(a => a.Pids.Count >= 2, "the retry's agent", 30);
        await agent.WaitForAsync(a => !StandIn.IsAlive(a.Pids[0]), "the first agent ending", 30);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    /// <summary>§10.3 (<c>port_exit</c>): the agent exiting in the middle of a turn fails the run; it is retried (§8.4) in the same workspace, with before_run and after_run around each run.</summary>
    [Fact]
    public async Task Run_AgentExitsMidTurn_FailsAndIsRetriedInTheSameWorkspace()
    {
        await using var w = await SessionWorld.CreateAsync();
        var hooks = Path.Combine(w.World.Root, "hooks.log");
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """{"turns": [{"steps": [{"message": "About to crash."}, {"marker": "crashed-here.txt"}, {"exit": 7}]}]}""");
        ConformanceWorkflows.WriteLocal(w, agent, agentKeys: "max_retry_backoff_ms: 3000", extra: $"""
            hooks:
              after_create: echo after_create >> {hooks}
              before_run: echo before_run >> {hooks}
              after_run: echo after_run >> {hooks}
            """);
        var task = await w.AddTaskAsync("Crashes");
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(), "a retry after the exit", 60);
        var retry = Rows(state, "retrying").Single();
        retry.GetProperty("attempt").GetInt32().ShouldBe(1);
        retry.GetProperty("error").GetString()!.ShouldContain("7");

        await agent.WaitForAsync(a => a.Events("exit").Count >= 2, "the retried run crashing too", 60);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);

        var workspace = (await SessionsAsync(w)).Select(s => s.GetProperty("workspace").GetString()).Distinct().Single()!;
        File.Exists(Path.Combine(workspace, "crashed-here.txt")).ShouldBeTrue();
        var lines = File.ReadAllLines(hooks);
        lines.Count(l => l == "after_create").ShouldBe(1);
        lines.Count(l => l == "before_run").ShouldBeGreaterThanOrEqualTo(2);
        lines.Take(4).ShouldBe(["after_create", "before_run", "after_run", "before_run"]);
    }
}
