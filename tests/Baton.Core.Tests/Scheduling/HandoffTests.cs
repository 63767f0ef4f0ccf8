using Baton.Core.Events;
using Baton.Core.Proofs;
using Baton.Core.Scheduling;
using static Baton.Core.Tests.Scheduling.TaskKit;

namespace Baton.Core.Tests.Scheduling;

/// <summary>Baton's opt-in hand-off: a turn that leaves the task active is checked instead of continued.</summary>
public class HandoffTests
{
    private static readonly SchedulerConfig s_handoff = SchedulerConfig.Default with { Handoff = true };

    [Fact]
    public void TurnFinished_HandoffOnAndTaskStillActive_ChecksTheWorkInsteadOfContinuing()
    {
        var h = new SchedulerHarness(s_handoff);
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task)).ShouldBe([new CheckWork(task.Id, run, 1)]);

        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Checking);
        SchedulerView.Project(h.State, h.Now).Running.Single().Phase.ShouldBe("checking");
    }

    [Fact]
    public void TurnFinished_HandoffOffAndTaskStillActive_ContinuesAsSymphonySays()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task)).ShouldBe([new Continue(task.Id, run, 2)]);
    }

    [Fact]
    public void TurnFinished_HandoffOnButTheAgentMovedItsTask_EndsNormallyWithoutACheck()
    {
        var h = new SchedulerHarness(s_handoff);
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task.In("Human Review"))).ShouldBe([new Stop(task.Id, run, "task state Human Review is not active", false)]);
        h.State.Running[task.Id].OnExit.ShouldBeOfType<ExitPlan.ContinueLater>();
    }

    [Fact]
    public void WorkChecked_Ready_StopsTheRunWithAHandOffThenAContinuationRecheck()
    {
        var h = new SchedulerHarness(s_handoff);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));

        h.Feed(new WorkChecked(h.Now, task.Id, run, new WorkVerdict.Ready("review-ready"))).ShouldBe([new Stop(task.Id, run, "review-ready", false)]);
        h.State.Running[task.Id].OnExit.ShouldBe(new ExitPlan.HandOff("review-ready"));

        var retry = h.Exit(task, run, Outcomes.Succeeded).OfType<ScheduleRetry>().Single();
        retry.Kind.ShouldBe(RetryKind.Continuation);
        h.State.Completed.ShouldContain(task.Id);

        // The task is in review now: the continuation check releases it.
        h.Fire(retry, TaskLookup.Of(task.In("Human Review"))).ShouldBe([new Release(task.Id, "task is no longer active or routable")]);
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void RunExited_HandOffFailed_IsAFailureRetryWithTheReason()
    {
        var h = new SchedulerHarness(s_handoff);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));
        h.Feed(new WorkChecked(h.Now, task.Id, run, new WorkVerdict.Ready("review-ready")));

        var retry = h.Exit(task, run, Outcomes.Failed, "hand-off failed: tracker down").OfType<ScheduleRetry>().Single();

        retry.Kind.ShouldBe(RetryKind.Failure);
        retry.Error.ShouldBe("hand-off failed: tracker down");
        retry.DueAt.ShouldBe(h.Now.AddSeconds(10));
    }

    [Fact]
    public void WorkChecked_NeedsFix_SendsTheFixAsTheNextTurnOnceThenFailsTheRun()
    {
        var h = new SchedulerHarness(s_handoff);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));
        h.Clock.AdvanceMs(400_000); // a long validation: longer than the stall timeout

        h.Feed(new WorkChecked(h.Now, task.Id, run, new WorkVerdict.NeedsFix("uncommitted changes", "commit notes.txt"))).ShouldBe([new Continue(task.Id, run, 2, "commit notes.txt")]);
        var entry = h.State.Running[task.Id];
        entry.Phase.ShouldBe(RunPhase.Running);
        entry.FixRequests.ShouldBe(1);
        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty(); // the check's silence is no stall

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task)).ShouldBe([new CheckWork(task.Id, run, 2)]);
        h.Feed(new WorkChecked(h.Now, task.Id, run, new WorkVerdict.NeedsFix("uncommitted changes", "commit notes.txt")))
            .ShouldBe([new Stop(task.Id, run, "not review-ready after 2 turn(s): uncommitted changes", false)]);
        var retry = h.Exit(task, run, Outcomes.Succeeded).OfType<ScheduleRetry>().Single();
        retry.Kind.ShouldBe(RetryKind.Failure);
        retry.Error.ShouldBe("not review-ready after 2 turn(s): uncommitted changes");
    }

    [Fact]
    public void WorkChecked_NeedsFixAtMaxTurns_FailsWithoutAFollowUp()
    {
        var h = new SchedulerHarness(s_handoff with { MaxTurns = 1 });
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));

        var stop = h.Feed(new WorkChecked(h.Now, task.Id, run, new WorkVerdict.NeedsFix("validation `make` exit code 2", "fix it"))).Single().ShouldBeOfType<Stop>();

        stop.Reason.ShouldBe("not review-ready after 1 turn(s): validation `make` exit code 2");
        h.State.Running[task.Id].OnExit.ShouldBeOfType<ExitPlan.RetryAfterFailure>();
    }

    [Fact]
    public void WorkChecked_Failed_FailsTheRun()
    {
        var h = new SchedulerHarness(s_handoff);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));

        h.Feed(new WorkChecked(h.Now, task.Id, run, new WorkVerdict.Failed("not a git repository")))
            .ShouldBe([new Stop(task.Id, run, "hand-off check failed: not a git repository", false)]);
    }

    [Fact]
    public void WorkChecked_StaleOrAfterReconciliation_IsIgnored()
    {
        var h = new SchedulerHarness(s_handoff);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));

        // A person closes the task while the check runs: reconciliation wins, the late verdict changes nothing.
        h.Reconcile([task.In("Done")]).ShouldBe([new Stop(task.Id, run, "task reached terminal state Done", true)]);
        h.Feed(new WorkChecked(h.Now, task.Id, run, new WorkVerdict.Ready("review-ready"))).ShouldBeEmpty();
        h.Feed(new WorkChecked(h.Now, task.Id, run + 99, new WorkVerdict.Ready("review-ready"))).ShouldBeEmpty();
        h.State.Running[task.Id].OnExit.ShouldBeOfType<ExitPlan.Release>();
    }

    [Fact]
    public void StallCheck_WhileChecking_DoesNotStopTheRun()
    {
        var h = new SchedulerHarness(s_handoff);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));
        h.Clock.AdvanceMs(SchedulerConfig.Default.StallTimeoutMs + 1000);

        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty();
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Checking);
    }
}
