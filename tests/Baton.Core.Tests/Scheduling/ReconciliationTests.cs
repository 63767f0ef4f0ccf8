using Baton.Core.Events;
using Baton.Core.Scheduling;
using static Baton.Core.Tests.Scheduling.TaskKit;

namespace Baton.Core.Tests.Scheduling;

/// <summary>§8.5 reconciliation: Part A stall detection, Part B tracker refresh, and what a stop leaves behind.</summary>
public class ReconciliationTests
{
    // ---- Part A ----

    [Fact]
    public void Spec_8_5_PartA_StalledRun_StopsTheWorkerThenRetriesAsAFailure()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Clock.AdvanceMs(300_001);

        var stop = h.Feed(new StallCheck(h.Now)).ShouldHaveSingleItem().ShouldBeOfType<Stop>();
        stop.ShouldBe(new Stop(task.Id, run, "stalled for 300001ms without agent activity", CleanWorkspace: false));
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Stopping);

        var retry = h.Exit(task, run, Outcomes.Stopped).ShouldHaveSingleItem().ShouldBeOfType<ScheduleRetry>();
        retry.Error.ShouldBe("stalled for 300001ms without agent activity");
        retry.Attempt.ShouldBe(1);
        retry.DueAt.ShouldBe(h.Now.AddSeconds(10));
    }

    [Fact]
    public void Spec_8_5_PartA_ElapsedCountsFromTheLastAgentEvent()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Clock.AdvanceMs(200_000);
        h.Event(task, run, WorkerEventTypes.AgentMessage, text: "working");
        h.Clock.AdvanceMs(200_000);

        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty();
        h.Clock.AdvanceMs(100_001);
        h.Feed(new StallCheck(h.Now)).OfType<Stop>().Single().Reason.ShouldBe("stalled for 300001ms without agent activity");
    }

    [Fact]
    public void Spec_8_5_PartA_ExactlyTheTimeout_IsNotAStall()
    {
        var h = new SchedulerHarness();
        h.Start(T("INT-1"));
        h.Clock.AdvanceMs(300_000);

        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Spec_8_5_PartA_StallTimeoutZeroOrLess_SkipsDetection(int timeout)
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { StallTimeoutMs = timeout });
        h.Start(T("INT-1"));
        h.Clock.Advance(TimeSpan.FromDays(2));

        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty();
        h.Tick().ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_5_PartA_WorkerHeartbeats_AreNotAgentActivity()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        for (var i = 0; i < 10; i++)
        {
            h.Clock.AdvanceMs(31_000);
            h.Event(task, run, WorkerEventTypes.Heartbeat);
        }

        h.Feed(new StallCheck(h.Now)).OfType<Stop>().ShouldHaveSingleItem();
    }

    [Fact]
    public void Spec_8_5_PartA_RunsOnEveryTick_BeforeDispatch()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        h.Start(T("INT-1"));
        h.Clock.AdvanceMs(300_001);

        var actions = h.Tick(T("INT-2"));

        // The stalled run is being stopped but still holds its slot until its process has exited.
        actions.ShouldHaveSingleItem().ShouldBeOfType<Stop>();
    }

    [Fact]
    public void Spec_10_6_TurnTimeout_IsAFailureRetry()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        var stop = h.Turn(task, run, Outcomes.TimedOut, TaskLookup.Missing).ShouldHaveSingleItem().ShouldBeOfType<Stop>();
        var retry = h.Exit(task, run, Outcomes.TimedOut).OfType<ScheduleRetry>().Single();

        stop.Reason.ShouldBe("turn timed out");
        retry.Error.ShouldBe("turn timed out");
        retry.Kind.ShouldBe(RetryKind.Failure);
        retry.DueAt.ShouldBe(h.Now.AddSeconds(10));
    }

    [Fact]
    public void Spec_10_6_RunThatEndsTimedOut_IsAFailureRetry()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Exit(task, run, Outcomes.TimedOut, "no output for 3600000ms").OfType<ScheduleRetry>().Single()
            .Error.ShouldBe("turn timed out: no output for 3600000ms");
    }

    [Fact]
    public void Spec_10_3_TurnFailed_StopsAndRetriesWithBackoff()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Failed, TaskLookup.Missing, "model returned 500").OfType<Stop>().Single().Reason.ShouldBe("turn failed: model returned 500");
        h.Exit(task, run, Outcomes.Succeeded).OfType<ScheduleRetry>().Single().Kind.ShouldBe(RetryKind.Failure);
    }

    [Fact]
    public void Spec_8_5_UnconfirmedStop_IsAskedAgainAfterTheStallTimeout()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Reconcile([]);
        h.Clock.AdvanceMs(300_001);

        h.Feed(new StallCheck(h.Now)).ShouldHaveSingleItem().ShouldBe(new Stop(task.Id, run, "stop not confirmed; stopping again", false));
        h.State.Running.ShouldContainKey(task.Id);
    }

    // ---- Part B ----

    [Fact]
    public void Spec_8_5_PartB_TerminalTask_StopsAndCleansTheWorkspace()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Reconcile([task.In("Done")]).ShouldHaveSingleItem().ShouldBe(new Stop(task.Id, run, "task reached terminal state Done", CleanWorkspace: true));
        h.Exit(task, run, Outcomes.Stopped).ShouldHaveSingleItem().ShouldBeOfType<Release>();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_5_PartB_ActiveAndRoutable_UpdatesTheTrackedTask()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Start(task);
        var fresh = task.In("In Progress") with { Task = task.In("In Progress").Task with { Title = "Renamed" } };

        h.Reconcile([fresh]).ShouldBeEmpty();
        h.State.Running[task.Id].Task.ShouldBe(fresh);
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Running);
    }

    [Fact]
    public void Spec_8_5_PartB_ActiveButNotRoutable_StopsAndKeepsTheWorkspace()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { RequiredLabels = ["baton"] });
        var task = T("INT-1", labels: ["baton"]);
        var run = h.Start(task);

        var stop = h.Reconcile([task.WithLabels("other")]).ShouldHaveSingleItem().ShouldBeOfType<Stop>();

        stop.CleanWorkspace.ShouldBeFalse();
        stop.RunId.ShouldBe(run);
    }

    [Fact]
    public void Spec_8_5_PartB_NoLongerDispatchable_StopsAndKeepsTheWorkspace()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Start(task);

        h.Reconcile([task with { Dispatchable = false }]).ShouldHaveSingleItem().ShouldBeOfType<Stop>().CleanWorkspace.ShouldBeFalse();
    }

    [Fact]
    public void Spec_8_5_PartB_NeitherActiveNorTerminal_StopsAndKeepsTheWorkspace()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Reconcile([task.In("Human Review")]).ShouldHaveSingleItem().ShouldBe(new Stop(task.Id, run, "task state Human Review is not active", CleanWorkspace: false));
    }

    [Fact]
    public void Spec_8_5_PartB_TaskMissingFromRefresh_StopsAndKeepsWorkspace()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Reconcile([]).ShouldHaveSingleItem().ShouldBe(new Stop(task.Id, run, "task is no longer visible in the tracker", CleanWorkspace: false));
    }

    [Fact]
    public void Spec_8_5_PartB_RefreshFailure_KeepsTheWorkers()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Start(task);
        var before = h.State;

        h.Feed(new Tick(h.Now, TaskRefresh.Failure("tracker_request timeout"), null)).ShouldBeEmpty();
        h.State.ShouldBeSameAs(before);
    }

    [Fact]
    public void Spec_8_5_PartB_ATaskNotInTheRequest_IsNeverJudgedMissing()
    {
        var h = new SchedulerHarness();
        var early = T("INT-1");
        h.Start(early);
        var requested = h.State.ReconcileIds;
        var late = T("INT-2");
        h.Start(late);

        h.Feed(new Tick(h.Now, TaskRefresh.Of(requested, [early]), null)).ShouldBeEmpty();
        h.State.Running.Keys.ShouldBe(["id-INT-1", "id-INT-2"], ignoreOrder: true);
    }

    [Fact]
    public void Spec_8_5_ReconciliationStop_ReleasesTheClaimAndSchedulesNoRetry_WhateverTheExitOutcome()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Reconcile([task.In("Human Review")]);

        var actions = h.Exit(task, run, Outcomes.Failed, "killed");

        actions.ShouldHaveSingleItem().ShouldBeOfType<Release>();
        h.State.Retrying.ShouldBeEmpty();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_7_4_AStoppingRun_HoldsItsClaimAndSlotUntilItsProcessExits()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        var task = T("INT-1");
        var run = h.Start(task);
        h.Reconcile([task.In("Human Review")]);

        // Moved back to an active state before the old agent is gone: no second agent.
        h.Tick(task, T("INT-2")).ShouldBeEmpty();

        h.Exit(task, run, Outcomes.Stopped);
        h.Tick(task).OfType<Revalidate>().ShouldHaveSingleItem();
    }

    [Fact]
    public void Spec_8_5_PartB_TerminalWhileAlreadyStopping_AsksForTheWorkspaceToBeCleanedAndDropsTheRetry()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Clock.AdvanceMs(300_001);
        h.Feed(new StallCheck(h.Now));

        h.Reconcile([task.In("Done")]).ShouldHaveSingleItem().ShouldBe(new Stop(task.Id, run, "task reached terminal state Done", CleanWorkspace: true));
        h.Reconcile([task.In("Done")]).ShouldBeEmpty();
        h.Exit(task, run, Outcomes.Stopped).ShouldHaveSingleItem().ShouldBeOfType<Release>();
    }

    [Fact]
    public void Spec_8_5_PartB_InactiveWhileStoppingForAStall_ReleasesInsteadOfRetrying()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Clock.AdvanceMs(300_001);
        h.Feed(new StallCheck(h.Now));

        h.Reconcile([]).ShouldBeEmpty();
        h.Exit(task, run, Outcomes.Stopped).ShouldHaveSingleItem().ShouldBeOfType<Release>();
    }

    [Fact]
    public void Spec_8_1_Tick_WithoutCandidates_ReconcilesButDoesNotDispatch()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Start(task);

        var actions = h.Feed(new Tick(h.Now, TaskRefresh.Of(h.State.ReconcileIds, [task.In("Done")]), Candidates: null));

        actions.ShouldHaveSingleItem().ShouldBeOfType<Stop>();
    }

    [Fact]
    public void Spec_8_1_Tick_ReconcilesBeforeItDispatches()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 2 });
        var task = T("INT-1");
        h.Start(task);

        var actions = h.Reconcile([task.In("Done")], [T("INT-2")]);

        actions.Select(a => a.GetType().Name).ShouldBe(["Stop", "Revalidate"]);
    }

    // ---- Blocked entries ----

    private static (SchedulerHarness H, TrackedTask Task) Blocked()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Exit(task, run, Outcomes.InputRequired, "May I drop the table?");
        h.State.Blocked.ShouldContainKey(task.Id);
        return (h, task);
    }

    [Fact]
    public void Spec_8_5_Blocked_TerminalTask_CleansTheWorkspaceAndReleases()
    {
        var (h, task) = Blocked();

        var actions = h.Reconcile([task.In("Cancelled")]);

        actions.Count.ShouldBe(2);
        actions[0].ShouldBe(new CleanWorkspace(task.Id, task.Identifier));
        actions[1].ShouldBeOfType<Release>();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_5_Blocked_InactiveTask_ReleasesAndKeepsTheWorkspace()
    {
        var (h, task) = Blocked();

        h.Reconcile([task.In("Human Review")]).ShouldHaveSingleItem().ShouldBeOfType<Release>();
        h.State.Blocked.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_5_Blocked_UnroutableTask_Releases()
    {
        var (h, task) = Blocked();

        h.Reconcile([task with { Dispatchable = false }]).ShouldHaveSingleItem().ShouldBeOfType<Release>();
    }

    [Fact]
    public void Spec_8_5_Blocked_MissingTask_Releases()
    {
        var (h, _) = Blocked();

        h.Reconcile([]).ShouldHaveSingleItem().ShouldBeOfType<Release>();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_5_Blocked_ActiveTask_StaysBlockedWithTheFreshCopy()
    {
        var (h, task) = Blocked();
        var fresh = task.In("In Progress");

        h.Reconcile([fresh]).ShouldBeEmpty();
        h.State.Blocked[task.Id].Task.ShouldBe(fresh);
    }

    [Fact]
    public void Spec_8_5_Blocked_IsNeverStalled()
    {
        var (h, _) = Blocked();
        h.Clock.Advance(TimeSpan.FromDays(3));

        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty();
    }
}
