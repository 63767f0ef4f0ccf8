using Baton.Core.Events;
using Baton.Core.Scheduling;
using static Baton.Core.Tests.Scheduling.TaskKit;

namespace Baton.Core.Tests.Scheduling;

/// <summary>§7.1 / §10.3 continuation turns on the same agent, and runs blocked on a person (§10.5).</summary>
public class ContinuationAndBlockedTests
{
    [Fact]
    public void Spec_7_1_Continuation_TaskStillActiveAndRoutable_ContinuesOnTheSameAgent()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        var fresh = task.In("In Progress");

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(fresh)).ShouldHaveSingleItem().ShouldBe(new Continue(task.Id, run, 2));

        var entry = h.State.Running[task.Id];
        entry.TurnCount.ShouldBe(2);
        entry.RunId.ShouldBe(run);
        entry.Task.ShouldBe(fresh);
    }

    [Fact]
    public void Spec_7_1_Continuation_MaxTurnsReached_EndsTheRunThenAContinuationRetry()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxTurns = 3 });
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task)).ShouldBe([new Continue(task.Id, run, 3)]);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task)).ShouldHaveSingleItem().ShouldBe(new Stop(task.Id, run, "reached max_turns (3)", false));
        var retry = h.Exit(task, run, Outcomes.Succeeded).ShouldHaveSingleItem().ShouldBeOfType<ScheduleRetry>();

        retry.Kind.ShouldBe(RetryKind.Continuation);
        retry.DueAt.ShouldBe(h.Now.AddSeconds(1));
    }

    [Fact]
    public void Spec_7_1_Continuation_MaxTurnsOne_NeverContinues()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxTurns = 1 });
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task)).ShouldHaveSingleItem().ShouldBeOfType<Stop>();
    }

    [Fact]
    public void Spec_7_1_Continuation_MaxTurnsBoundsARunNotTheTask_TheContinuationRetryStartsAFreshRun()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxTurns = 1 });
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task));
        var retry = h.Exit(task, run).OfType<ScheduleRetry>().Single();

        var dispatch = h.Fire(retry, TaskLookup.Of(task)).OfType<Dispatch>().Single();

        h.State.Running[task.Id].TurnCount.ShouldBe(1);
        dispatch.Attempt.ShouldBe(1);
    }

    [Fact]
    public void Spec_7_1_Continuation_TaskMovedToHandOff_EndsTheRunNormally()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task.In("Human Review"))).ShouldHaveSingleItem()
            .ShouldBe(new Stop(task.Id, run, "task state Human Review is not active", false));
        h.Exit(task, run).OfType<ScheduleRetry>().Single().Kind.ShouldBe(RetryKind.Continuation);
    }

    [Fact]
    public void Spec_7_1_Continuation_TaskVanished_EndsTheRunNormally()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Missing).ShouldHaveSingleItem().ShouldBeOfType<Stop>().Reason.ShouldBe("task is no longer visible in the tracker");
    }

    [Fact]
    public void Spec_5_3_1_Continuation_RequiredLabelRemoved_EndsTheRun()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { RequiredLabels = ["baton"] });
        var task = T("INT-1", labels: ["baton"]);
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task.WithLabels())).ShouldHaveSingleItem().ShouldBeOfType<Stop>().Reason.ShouldBe("task is no longer routable");
    }

    [Fact]
    public void Spec_7_1_Continuation_RefreshFailed_FailsTheRunWithBackoff()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Failure("tracker_status 503")).ShouldHaveSingleItem().ShouldBeOfType<Stop>();
        var retry = h.Exit(task, run).OfType<ScheduleRetry>().Single();

        retry.Kind.ShouldBe(RetryKind.Failure);
        retry.Error.ShouldBe("task refresh after a turn failed: tracker_status 503");
        retry.DueAt.ShouldBe(h.Now.AddSeconds(10));
    }

    [Fact]
    public void Spec_7_1_TurnFinishedForAnOldRun_IsIgnored()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Turn(task, run - 1, Outcomes.Succeeded, TaskLookup.Of(task)).ShouldBeEmpty();
    }

    // ---- Blocked ----

    [Fact]
    public void Spec_10_5_RunEndedInputRequired_BecomesBlockedAndIsNotRetried()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        var mark = h.Exit(task, run, Outcomes.InputRequired, "Which region?").ShouldHaveSingleItem().ShouldBeOfType<MarkBlocked>();

        mark.ShouldBe(new MarkBlocked(task.Id, "s-INT-1", "Which region?"));
        h.State.Blocked[task.Id].Question.ShouldBe("Which region?");
        h.State.Retrying.ShouldBeEmpty();
        h.State.Running.ShouldBeEmpty();
        h.State.Claimed.ShouldContain(task.Id);
    }

    [Fact]
    public void Spec_10_5_TurnInputRequired_StopsTheRunAndBlocksWithTheAgentsQuestion()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Event(task, run, WorkerEventTypes.InputRequested, text: "Approve rm -rf build/?");

        h.Turn(task, run, Outcomes.InputRequired, TaskLookup.Missing).ShouldHaveSingleItem().ShouldBeOfType<Stop>().CleanWorkspace.ShouldBeFalse();
        h.Exit(task, run, Outcomes.Stopped).ShouldHaveSingleItem().ShouldBe(new MarkBlocked(task.Id, "s-INT-1", "Approve rm -rf build/?"));
    }

    [Fact]
    public void Spec_10_5_Blocked_DoesNotHoldAnAgentSlot()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        var task = T("INT-1");
        h.Exit(task, h.Start(task), Outcomes.InputRequired);

        h.Tick(T("INT-2")).OfType<Revalidate>().ShouldHaveSingleItem();
    }

    [Fact]
    public void Spec_10_5_Answered_DispatchesANewRunWithTheAnswerAsAFollowUp()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Exit(task, h.Start(task), Outcomes.InputRequired, "Which region?");

        var revalidate = h.Feed(new InputAnswered(h.Now, task.Id, "eu-west-1")).ShouldHaveSingleItem().ShouldBeOfType<Revalidate>();
        var dispatch = h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Of(task))).ShouldHaveSingleItem().ShouldBeOfType<Dispatch>();

        dispatch.Kind.ShouldBe(RetryKind.Answer);
        dispatch.FollowUp.ShouldBe("eu-west-1");
        dispatch.Attempt.ShouldBe(1);
        h.State.Blocked.ShouldBeEmpty();
        h.State.Running[task.Id].SessionId.ShouldBe("s-INT-1");
    }

    [Fact]
    public void Spec_10_5_AnsweredWithoutAFreeSlot_WaitsAndGoesFirstOnTheNextTick()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        var blocked = T("INT-9", priority: 4);
        h.Exit(blocked, h.Start(blocked), Outcomes.InputRequired);
        var busy = T("INT-1", priority: 1);
        var run = h.Start(busy);

        h.Feed(new InputAnswered(h.Now, blocked.Id, "yes")).ShouldBeEmpty();
        h.State.Blocked[blocked.Id].PendingAnswer.ShouldBe("yes");

        h.Exit(busy, run, Outcomes.Failed);
        var picked = h.Tick(T("INT-2", priority: 1)).OfType<Revalidate>().ShouldHaveSingleItem();
        picked.TaskId.ShouldBe(blocked.Id);
        h.Feed(new Revalidated(h.Now, blocked.Id, picked.RunId, TaskLookup.Of(blocked))).OfType<Dispatch>().Single().FollowUp.ShouldBe("yes");
    }

    [Fact]
    public void Spec_10_5_AnswerRevalidationFailed_KeepsTheAnswerForTheNextTick()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Exit(task, h.Start(task), Outcomes.InputRequired);
        var revalidate = h.Feed(new InputAnswered(h.Now, task.Id, "yes")).OfType<Revalidate>().Single();

        h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Failure("timeout"))).ShouldBeEmpty();

        h.State.Blocked[task.Id].PendingAnswer.ShouldBe("yes");
        h.Tick().OfType<Revalidate>().Single().TaskId.ShouldBe(task.Id);
    }

    [Fact]
    public void Spec_10_5_AnsweredButTheTaskIsNowTerminal_CleansAndReleases()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Exit(task, h.Start(task), Outcomes.InputRequired);
        var revalidate = h.Feed(new InputAnswered(h.Now, task.Id, "yes")).OfType<Revalidate>().Single();

        var actions = h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Of(task.In("Done"))));

        actions.Select(a => a.GetType().Name).ShouldBe(["CleanWorkspace", "Release"]);
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_10_5_AnswerForATaskThatIsNotBlocked_IsIgnored()
    {
        var h = new SchedulerHarness();
        h.Start(T("INT-1"));
        var before = h.State;

        h.Feed(new InputAnswered(h.Now, "id-INT-1", "hello")).ShouldBeEmpty();
        h.State.ShouldBeSameAs(before);
    }

    [Fact]
    public void Spec_14_3_RestartWithABlockedSession_BlocksItAgainInsteadOfDispatching()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");

        h.Feed(new AdoptSessions(h.Now, [], [new BlockedSession(task, "app-1", h.Now, "Which region?")])).ShouldBeEmpty();

        h.State.Blocked[task.Id].Question.ShouldBe("Which region?");
        h.State.Claimed.ShouldContain(task.Id);
        h.Tick(task).ShouldBeEmpty();
    }

    [Fact]
    public void Spec_14_3_RestartWithAnAnsweredBlockedSession_DispatchesTheAnswerOnTheFirstTick()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Feed(new AdoptSessions(h.Now, [], [new BlockedSession(task, "app-1", h.Now, "Which region?", "eu-west-1")]));

        var revalidate = h.Tick(task).OfType<Revalidate>().ShouldHaveSingleItem();
        var dispatch = h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Of(task))).OfType<Dispatch>().Single();

        dispatch.FollowUp.ShouldBe("eu-west-1");
        dispatch.Kind.ShouldBe(RetryKind.Answer);
    }

    [Fact]
    public void Spec_14_3_RestartWithALiveSessionAndABlockedOneForTheSameTask_KeepsOnlyTheLiveRun()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");

        h.Feed(new AdoptSessions(h.Now, [new LiveSession(task, "app-2", h.Now)], [new BlockedSession(task, "app-1", h.Now, "?")]));

        h.State.Running.ShouldContainKey(task.Id);
        h.State.Blocked.ShouldBeEmpty();
    }
}

/// <summary>Hand-off (context cycling): a run that ends with a hand-off is followed by a fresh run, not treated as a failure.</summary>
public class HandoffSchedulingTests
{
    [Fact]
    public void RunExited_HandedOff_SchedulesTheContinuationRetryNotABackoff()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        var retry = h.Exit(task, run, Outcomes.HandedOff).OfType<ScheduleRetry>().Single();

        retry.Kind.ShouldBe(RetryKind.Continuation);
        retry.DueAt.ShouldBe(h.Now.AddSeconds(1));
        retry.Error.ShouldBeNull();
    }

    [Fact]
    public void RunExited_HandedOff_TheRetryDispatchesTheTaskAgain()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        var retry = h.Exit(task, run, Outcomes.HandedOff).OfType<ScheduleRetry>().Single();

        h.Fire(retry, TaskLookup.Of(task)).OfType<Dispatch>().Single().TaskId.ShouldBe(task.Id);
    }
}
