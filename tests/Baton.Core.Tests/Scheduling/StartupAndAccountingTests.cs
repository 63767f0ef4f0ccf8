using System.Text.Json;
using Baton.Core.Events;
using Baton.Core.Scheduling;
using static Baton.Core.Tests.Scheduling.TaskKit;

namespace Baton.Core.Tests.Scheduling;

/// <summary>§8.6 startup cleanup, §14.3 restart adoption, §13.5 accounting, §6.2 live config, §13.7 views.</summary>
public class StartupAndAccountingTests
{
    // ---- Startup ----

    [Fact]
    public void Spec_8_6_StartupCleanup_CleansEveryTerminalTasksWorkspace()
    {
        var h = new SchedulerHarness();

        var actions = h.Feed(new StartupCleanup(h.Now, [Record("INT-1", "Done"), Record("INT-2", "Cancelled"), Record("INT-1", "Done")]));

        actions.ShouldBe([new CleanWorkspace("id-INT-1", "INT-1"), new CleanWorkspace("id-INT-2", "INT-2")]);
        h.State.Version.ShouldBe(0);
    }

    [Fact]
    public void Spec_8_6_StartupCleanup_ATaskWithALiveSessionIsStoppedFirstThenCleaned()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var adopted = h.Feed(new AdoptSessions(h.Now, [new LiveSession(task, "app-1", h.Now.AddMinutes(-5))])).OfType<Adopted>().Single();

        h.Feed(new StartupCleanup(h.Now, [task.In("Done").Task])).ShouldBeEmpty();

        h.Reconcile([task.In("Done")]).ShouldBe([new Stop(task.Id, adopted.RunId, "task reached terminal state Done", true)]);
    }

    [Fact]
    public void Spec_14_3_Adoption_LiveSessionsBecomeRunningWithoutADispatch()
    {
        var h = new SchedulerHarness();
        var started = h.Now.AddMinutes(-7);

        var actions = h.Feed(new AdoptSessions(h.Now, [new LiveSession(T("INT-1"), "app-1", started, Attempt: 2, TurnCount: 4)]));

        var adopted = actions.ShouldHaveSingleItem().ShouldBeOfType<Adopted>();
        adopted.SessionId.ShouldBe("app-1");
        var entry = h.State.Running["id-INT-1"];
        entry.Phase.ShouldBe(RunPhase.Running);
        entry.RunId.ShouldBe(adopted.RunId);
        entry.StartedAt.ShouldBe(started);
        entry.Attempt.ShouldBe(2);
        entry.TurnCount.ShouldBe(4);
    }

    [Fact]
    public void Spec_14_3_Adoption_AnAdoptedTaskIsNotDispatchedAgain()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Feed(new AdoptSessions(h.Now, [new LiveSession(task, "app-1", h.Now)]));

        h.Tick(task).ShouldBeEmpty();
    }

    [Fact]
    public void Spec_14_3_Adoption_ASecondLiveSessionForTheSameTask_IsStopped()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");

        var actions = h.Feed(new AdoptSessions(h.Now, [new LiveSession(task, "app-2", h.Now), new LiveSession(task, "app-1", h.Now.AddMinutes(-1))]));

        actions.OfType<Adopted>().Single().SessionId.ShouldBe("app-1");
        actions.OfType<StopSession>().Single().SessionId.ShouldBe("app-2");
        h.State.Running.Count.ShouldBe(1);
    }

    [Fact]
    public void Spec_14_3_Adoption_MoreSessionsThanTheLimit_AreAllKeptButNothingNewIsDispatched()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });

        h.Feed(new AdoptSessions(h.Now, [new LiveSession(T("INT-1"), "a", h.Now), new LiveSession(T("INT-2"), "b", h.Now)]));

        h.State.Running.Count.ShouldBe(2);
        h.Tick(T("INT-3")).ShouldBeEmpty();
    }

    [Fact]
    public void Spec_14_3_Adoption_AnOldSessionGetsAFullStallWindowFromAdoption()
    {
        var h = new SchedulerHarness();
        h.Feed(new AdoptSessions(h.Now, [new LiveSession(T("INT-1"), "app-1", h.Now.AddHours(-3))]));

        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty();
        h.Clock.AdvanceMs(300_001);
        h.Feed(new StallCheck(h.Now)).OfType<Stop>().ShouldHaveSingleItem();
    }

    [Fact]
    public void Spec_14_3_Adoption_ASessionSilentForTooLongAlready_IsStalled()
    {
        var h = new SchedulerHarness();
        h.Feed(new AdoptSessions(h.Now, [new LiveSession(T("INT-1"), "app-1", h.Now.AddHours(-3), LastEventAt: h.Now.AddMinutes(-6))]));

        h.Feed(new StallCheck(h.Now)).OfType<Stop>().Single().Reason.ShouldBe("stalled for 360000ms without agent activity");
    }

    [Fact]
    public void Spec_14_3_Adoption_AdoptedRunsEventsAndExitAreTracked()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var adopted = h.Feed(new AdoptSessions(h.Now, [new LiveSession(task, "app-1", h.Now)])).OfType<Adopted>().Single();

        h.Event(task, adopted.RunId, WorkerEventTypes.AgentMessage, text: "still here");
        h.State.Running[task.Id].LastMessage.ShouldBe("still here");
        h.Exit(task, adopted.RunId).OfType<ScheduleRetry>().Single().Kind.ShouldBe(RetryKind.Continuation);
    }

    // ---- Accounting (§13.5) ----

    private static TokenUsage U(long input, long output, long cacheRead = 0) => new(input, output, cacheRead, 0, 0m);

    [Fact]
    public void Spec_13_5_Tokens_AbsoluteReportsAddOnlyTheirGrowthToTheTotals()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Event(task, run, WorkerEventTypes.Usage, U(100, 10));
        h.Event(task, run, WorkerEventTypes.Usage, U(250, 40, 50));

        h.State.Running[task.Id].Tokens.ShouldBe(U(250, 40, 50));
        h.State.Totals.ShouldBe(U(250, 40, 50));
    }

    [Fact]
    public void Spec_13_5_Tokens_ARepeatedOrOlderReport_IsNeverCountedTwice()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Event(task, run, WorkerEventTypes.Usage, U(100, 10));
        h.Event(task, run, WorkerEventTypes.Usage, U(100, 10));
        h.Event(task, run, WorkerEventTypes.Usage, U(90, 5));

        h.State.Totals.ShouldBe(U(100, 10));
    }

    [Fact]
    public void Spec_13_5_Tokens_ANewRunStartsFromZeroAndTheTotalsKeepGrowing()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Event(task, run, WorkerEventTypes.Usage, U(100, 10));
        var retry = h.Exit(task, run).OfType<ScheduleRetry>().Single();
        var next = h.Fire(retry, TaskLookup.Of(task)).OfType<Dispatch>().Single();

        h.Event(task, next.RunId, WorkerEventTypes.Usage, U(30, 3));

        h.State.Running[task.Id].Tokens.ShouldBe(U(30, 3));
        h.State.Totals.ShouldBe(U(130, 13));
    }

    [Fact]
    public void Spec_13_5_Tokens_EventsOfAnOldRunAreNotCounted()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Event(task, run + 7, WorkerEventTypes.Usage, U(100, 10)).ShouldBeEmpty();
        h.State.Totals.ShouldBe(TokenUsage.Zero);
    }

    [Fact]
    public void Spec_13_5_Runtime_IncludesLiveRunsAtSnapshotTime()
    {
        var h = new SchedulerHarness();
        var a = T("INT-1");
        var run = h.Start(a);
        h.Clock.AdvanceMs(30_000);
        h.Exit(a, run, Outcomes.Failed);
        h.Start(T("INT-2"));
        h.Clock.AdvanceMs(12_000);

        SchedulerView.Project(h.State, h.Now).Totals.SecondsRunning.ShouldBe(42);
        h.State.EndedRuntime.ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Spec_13_5_RateLimits_TheLatestPayloadIsKept()
    {
        var h = new SchedulerHarness();
        using var first = JsonDocument.Parse("""{"limit_id":"codex","primary":{"used_percent":10}}""");
        using var second = JsonDocument.Parse("""{"limit_id":"codex","primary":{"used_percent":55}}""");

        h.Feed(new RateLimitsObserved(h.Now, first.RootElement));
        h.Feed(new RateLimitsObserved(h.Now, second.RootElement));

        h.State.RateLimits!.Value.GetProperty("primary").GetProperty("used_percent").GetInt32().ShouldBe(55);
    }

    [Fact]
    public void Spec_4_1_6_LiveFields_LastEventMessageAndTimeFollowTheAgent()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Clock.AdvanceMs(5_000);

        h.Event(task, run, WorkerEventTypes.AgentMessage, text: new string('x', 1000));

        var entry = h.State.Running[task.Id];
        entry.LastEvent.ShouldBe("agent_message");
        entry.LastEventAt.ShouldBe(h.Now);
        entry.LastMessage!.Length.ShouldBe(Scheduler.MaxMessageLength);
    }

    // ---- Live config (§6.2) ----

    [Fact]
    public void Spec_6_2_ConfigChange_ANewGlobalLimitAppliesToTheNextTick()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        h.Start(T("INT-1"));
        h.Tick(T("INT-2")).ShouldBeEmpty();

        h.Feed(new ConfigChanged(h.Now, SchedulerConfig.Default with { MaxConcurrentAgents = 2 }));

        h.Tick(T("INT-2")).OfType<Revalidate>().ShouldHaveSingleItem();
    }

    [Fact]
    public void Spec_6_2_ConfigChange_ALowerLimitStopsNothingInFlight()
    {
        var h = new SchedulerHarness();
        h.Start(T("INT-1"));
        h.Start(T("INT-2"));

        h.Feed(new ConfigChanged(h.Now, SchedulerConfig.Default with { MaxConcurrentAgents = 1 })).ShouldBeEmpty();
        h.Tick().ShouldBeEmpty();
        h.State.Running.Count.ShouldBe(2);
    }

    [Fact]
    public void Spec_6_2_ConfigChange_ANewBackoffCapAndStallTimeoutApplyToTheNextDecisions()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Feed(new ConfigChanged(h.Now, SchedulerConfig.Default with { MaxRetryBackoffMs = 5_000, StallTimeoutMs = 1_000, PollIntervalMs = 5_000 }));
        h.Clock.AdvanceMs(1_001);

        h.Feed(new StallCheck(h.Now)).OfType<Stop>().ShouldHaveSingleItem();
        h.Exit(task, run).OfType<ScheduleRetry>().Single().DueAt.ShouldBe(h.Now.AddSeconds(5));
        h.State.Config.PollIntervalMs.ShouldBe(5_000);
    }

    [Fact]
    public void Spec_6_2_ConfigChange_NewActiveStatesApplyToTheNextReconciliation()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1", "In Progress");
        h.Start(task);
        h.Feed(new ConfigChanged(h.Now, SchedulerConfig.Default with { ActiveStates = ["Todo"] }));

        h.Reconcile([task]).OfType<Stop>().Single().CleanWorkspace.ShouldBeFalse();
    }

    // ---- Versioned snapshot and views (§13.3, §13.7) ----

    [Fact]
    public void Spec_4_1_8_Version_BumpsOnEveryChangeAndNotOnAnIgnoredInput()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Tick(task);
        h.State.Version.ShouldBe(1);

        h.Feed(new RunExited(h.Now, "nobody", 1, Outcomes.Failed, null));
        h.State.Version.ShouldBe(1);

        h.Tick();
        h.State.Version.ShouldBe(1);
    }

    [Fact]
    public void Spec_13_7_StateView_HasRunningRetryingAndBlockedRowsCountsAndTotals()
    {
        var h = new SchedulerHarness();
        var running = T("INT-1");
        var run = h.Start(running);
        h.Event(running, run, WorkerEventTypes.Usage, new TokenUsage(100, 20, 30, 0, 0.5m));
        h.Event(running, run, WorkerEventTypes.AgentMessage, text: "Reading the code");
        h.StartAndFail(T("INT-2"));
        var blocked = T("INT-3");
        h.Exit(blocked, h.Start(blocked), Outcomes.InputRequired, "Which db?");
        h.Clock.AdvanceMs(10_000);

        var view = SchedulerView.Project(h.State, h.Now);

        view.Counts.ShouldBe(new CountsView(1, 1, 1));
        var row = view.Running.ShouldHaveSingleItem();
        row.IssueId.ShouldBe("id-INT-1");
        row.IssueIdentifier.ShouldBe("INT-1");
        row.IssueUrl.ShouldBe("https://tracker.test/INT-1");
        row.State.ShouldBe("Todo");
        row.SessionId.ShouldBe("s-INT-1");
        row.TurnCount.ShouldBe(1);
        row.LastEvent.ShouldBe("agent_message");
        row.LastMessage.ShouldBe("Reading the code");
        row.Tokens.ShouldBe(new TokensView(130, 20, 150, 30, 0, 0.5m));
        var retry = view.Retrying.ShouldHaveSingleItem();
        (retry.IssueIdentifier, retry.Attempt, retry.Kind, retry.Error).ShouldBe(("INT-2", 1, "failure", "agent run failed: boom"));
        view.Blocked.ShouldHaveSingleItem().Question.ShouldBe("Which db?");
        view.Totals.TotalTokens.ShouldBe(150);
        view.Totals.InputTokens.ShouldBe(130);
        view.Totals.SecondsRunning.ShouldBe(10);
    }

    [Fact]
    public void Spec_13_7_StateView_SerializesWithTheSpecFieldNames()
    {
        var h = new SchedulerHarness();
        h.Start(T("INT-1"));
        h.StartAndFail(T("INT-2"));

        var json = JsonSerializer.Serialize(SchedulerView.Project(h.State, h.Now));
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;

        root.GetProperty("counts").GetProperty("retrying").GetInt32().ShouldBe(1);
        root.GetProperty("codex_totals").GetProperty("seconds_running").ValueKind.ShouldBe(JsonValueKind.Number);
        var running = root.GetProperty("running")[0];
        foreach (var name in new[] { "issue_id", "issue_identifier", "state", "session_id", "turn_count", "last_event", "last_message", "started_at", "last_event_at", "tokens" })
        {
            running.TryGetProperty(name, out _).ShouldBeTrue(name);
        }

        running.GetProperty("tokens").GetProperty("total_tokens").GetInt64().ShouldBe(0);
        root.GetProperty("retrying")[0].GetProperty("due_at").GetString().ShouldNotBeNull();
        root.GetProperty("rate_limits").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public void Spec_13_7_TaskView_FindsByIdentifierAndReportsStatus()
    {
        var h = new SchedulerHarness();
        h.Start(T("INT-1"));
        var retry = h.StartAndFail(T("INT-2"));
        h.Fire(retry, TaskLookup.Failure("x"));

        SchedulerView.Find(h.State, "int-1")!.Status.ShouldBe("running");
        var retrying = SchedulerView.Find(h.State, "INT-2")!;
        retrying.Status.ShouldBe("retrying");
        retrying.Attempts.ShouldBe(new AttemptsView(1, 2));
        retrying.LastError.ShouldBe("retry refresh failed");
        SchedulerView.Find(h.State, "INT-404").ShouldBeNull();
    }
}
