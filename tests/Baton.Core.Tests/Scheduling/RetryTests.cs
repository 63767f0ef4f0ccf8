using Baton.Core.Events;
using Baton.Core.Scheduling;
using static Baton.Core.Tests.Scheduling.TaskKit;

namespace Baton.Core.Tests.Scheduling;

/// <summary>§8.4 retry and backoff, §16.6 the fired retry, §16.4 spawn failures.</summary>
public class RetryTests
{
    [Theory]
    [InlineData(1, 10_000)]
    [InlineData(2, 20_000)]
    [InlineData(3, 40_000)]
    [InlineData(4, 80_000)]
    [InlineData(5, 160_000)]
    [InlineData(6, 300_000)]
    [InlineData(7, 300_000)]
    public void Spec_8_4_FailureBackoff_DoublesFrom10SecondsUpToTheCap(int attempt, int expectedMs) =>
        RetryDelays.Failure(attempt, 300_000).TotalMilliseconds.ShouldBe(expectedMs);

    [Fact]
    public void Spec_8_4_FailureBackoff_ThirdAttempt_Waits40Seconds()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var retry1 = h.StartAndFail(task);
        h.Clock.Advance(retry1.DueAt - h.Now);
        var run2 = h.Fire(retry1, TaskLookup.Of(task)).OfType<Dispatch>().Single();
        h.Feed(new RunStarted(h.Now, task.Id, run2.RunId, "s"));
        var retry2 = h.Exit(task, run2.RunId, Outcomes.Failed).OfType<ScheduleRetry>().Single();
        h.Clock.Advance(retry2.DueAt - h.Now);
        var run3 = h.Fire(retry2, TaskLookup.Of(task)).OfType<Dispatch>().Single();

        var retry3 = h.Exit(task, run3.RunId, Outcomes.Failed).OfType<ScheduleRetry>().Single();

        (retry1.Attempt, retry2.Attempt, retry3.Attempt).ShouldBe((1, 2, 3));
        run3.Attempt.ShouldBe(2);
        (retry3.DueAt - h.Now).ShouldBe(TimeSpan.FromSeconds(40));
    }

    [Fact]
    public void Spec_8_4_FailureBackoff_ExponentIsCapped_AHugeAttemptDoesNotOverflow()
    {
        RetryDelays.Failure(10_000, int.MaxValue).ShouldBe(TimeSpan.FromMilliseconds(10_000L << RetryDelays.MaxExponent));
        RetryDelays.Failure(0, 300_000).ShouldBe(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Spec_8_4_FailureBackoff_UsesTheConfiguredMaxRetryBackoff()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxRetryBackoffMs = 15_000 });
        var task = T("INT-1");
        var retry = h.StartAndFail(task);
        var dispatch = h.Fire(retry, TaskLookup.Of(task)).OfType<Dispatch>().Single();

        var next = h.Exit(task, dispatch.RunId, Outcomes.Failed).OfType<ScheduleRetry>().Single();

        next.Attempt.ShouldBe(2);
        (next.DueAt - h.Now).ShouldBe(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void Spec_8_4_FailureBackoff_FirstFailure_IsAttempt1After10Seconds()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        var retry = h.Exit(task, run, Outcomes.Failed, "exit code 1").ShouldHaveSingleItem().ShouldBeOfType<ScheduleRetry>();

        retry.Attempt.ShouldBe(1);
        retry.Kind.ShouldBe(RetryKind.Failure);
        retry.DueAt.ShouldBe(h.Now.AddSeconds(10));
        retry.Error.ShouldBe("agent run failed: exit code 1");
        h.State.Running.ShouldBeEmpty();
        h.State.Retrying[task.Id].Token.ShouldBe(retry.Token);
    }

    [Fact]
    public void Spec_8_4_ContinuationRetry_CleanExit_Waits1SecondAsAttempt1()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        var retry = h.Exit(task, run).ShouldHaveSingleItem().ShouldBeOfType<ScheduleRetry>();

        retry.Attempt.ShouldBe(1);
        retry.Kind.ShouldBe(RetryKind.Continuation);
        retry.DueAt.ShouldBe(h.Now.AddSeconds(1));
        retry.Error.ShouldBeNull();
        h.State.Completed.ShouldContain(task.Id);
    }

    [Fact]
    public void Spec_8_4_ContinuationRetry_AfterARetriedRun_IsStillAttempt1()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var retry = h.StartAndFail(task);
        var dispatch = h.Fire(retry, TaskLookup.Of(task)).OfType<Dispatch>().Single();

        h.Exit(task, dispatch.RunId).OfType<ScheduleRetry>().Single().Attempt.ShouldBe(1);
    }

    [Fact]
    public void Spec_16_6_AttemptNumbering_FailedContinuationRun_IsAttempt2AndWaits20Seconds()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        var continuation = h.Exit(task, run).OfType<ScheduleRetry>().Single();
        var dispatch = h.Fire(continuation, TaskLookup.Of(task)).OfType<Dispatch>().Single();

        dispatch.Attempt.ShouldBe(1);
        dispatch.Kind.ShouldBe(RetryKind.Continuation);
        var failure = h.Exit(task, dispatch.RunId, Outcomes.Failed).OfType<ScheduleRetry>().Single();

        failure.Attempt.ShouldBe(2);
        failure.DueAt.ShouldBe(h.Now.AddSeconds(20));
    }

    [Fact]
    public void Spec_16_6_RetryFiredActiveAndRoutable_DispatchesWithTheRetryAttemptWithoutRevalidating()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var retry = h.StartAndFail(task);
        var fresh = task.In("In Progress");

        var dispatch = h.Fire(retry, TaskLookup.Of(fresh)).ShouldHaveSingleItem().ShouldBeOfType<Dispatch>();

        dispatch.Task.ShouldBe(fresh);
        dispatch.Attempt.ShouldBe(1);
        dispatch.Kind.ShouldBe(RetryKind.Failure);
        h.State.Retrying.ShouldBeEmpty();
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Launching);
    }

    [Fact]
    public void Spec_16_6_RetryFiredNotFound_ReleasesTheClaim()
    {
        var h = new SchedulerHarness();
        var retry = h.StartAndFail(T("INT-1"));

        h.Fire(retry, TaskLookup.Missing).ShouldHaveSingleItem().ShouldBeOfType<Release>();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_16_6_RetryFiredTerminal_CleansTheWorkspaceAndReleases()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var retry = h.StartAndFail(task);

        var actions = h.Fire(retry, TaskLookup.Of(task.In("Done")));

        actions.Count.ShouldBe(2);
        actions[0].ShouldBe(new CleanWorkspace(task.Id, "INT-1"));
        actions[1].ShouldBeOfType<Release>();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_16_6_RetryFiredInactive_ReleasesWithoutCleaning()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var retry = h.StartAndFail(task);

        h.Fire(retry, TaskLookup.Of(task.In("Human Review"))).ShouldHaveSingleItem().ShouldBeOfType<Release>();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_16_6_RetryFiredNoLongerRoutable_Releases()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { RequiredLabels = ["baton"] });
        var task = T("INT-1", labels: ["baton"]);
        var retry = h.StartAndFail(task);

        h.Fire(retry, TaskLookup.Of(task.WithLabels())).ShouldHaveSingleItem().ShouldBeOfType<Release>();
    }

    [Fact]
    public void Spec_16_6_RetryFiredNoSlot_RequeuesWithNoAvailableOrchestratorSlots()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        var task = T("INT-1");
        var retry = h.StartAndFail(task);
        h.Start(T("INT-2"));

        var requeued = h.Fire(retry, TaskLookup.Of(task)).ShouldHaveSingleItem().ShouldBeOfType<ScheduleRetry>();

        requeued.Error.ShouldBe("no available orchestrator slots");
        requeued.Attempt.ShouldBe(2);
        requeued.DueAt.ShouldBe(h.Now.AddSeconds(20));
        requeued.Token.ShouldNotBe(retry.Token);
        h.State.Retrying[task.Id].Error.ShouldBe(Scheduler.NoSlotsError);
    }

    [Fact]
    public void Spec_16_6_RetryFiredPerStateSlotFull_RequeuesWithNoAvailableOrchestratorSlots()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgentsByState = new Dictionary<string, int> { ["todo"] = 1 } });
        var task = T("INT-1");
        var retry = h.StartAndFail(task);
        h.Start(T("INT-2"));

        h.Fire(retry, TaskLookup.Of(task)).OfType<ScheduleRetry>().Single().Error.ShouldBe(Scheduler.NoSlotsError);
    }

    [Fact]
    public void Spec_16_6_RetryFiredNoSlot_KeepsTheKindOfRunItWillBe()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        var task = T("INT-1");
        var continuation = h.Exit(task, h.Start(task)).OfType<ScheduleRetry>().Single();
        h.Start(T("INT-2"));

        h.Fire(continuation, TaskLookup.Of(task)).OfType<ScheduleRetry>().Single().Kind.ShouldBe(RetryKind.Continuation);
    }

    [Fact]
    public void Spec_16_6_RetryRefreshFailed_RequeuesAttemptPlusOne()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var retry = h.StartAndFail(task);

        var requeued = h.Fire(retry, TaskLookup.Failure("tracker_status 502")).ShouldHaveSingleItem().ShouldBeOfType<ScheduleRetry>();

        requeued.Error.ShouldBe("retry refresh failed");
        requeued.Attempt.ShouldBe(2);
        h.State.Claimed.ShouldContain(task.Id);
    }

    [Fact]
    public void Spec_16_6_StaleRetryToken_IsIgnored()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        var task = T("INT-1");
        var first = h.StartAndFail(task);
        h.Start(T("INT-2"));
        h.Fire(first, TaskLookup.Of(task));
        var before = h.State;

        h.Fire(first, TaskLookup.Of(task)).ShouldBeEmpty();
        h.State.ShouldBeSameAs(before);
        h.State.IsCurrentRetry(task.Id, first.Token).ShouldBeFalse();
    }

    [Fact]
    public void Spec_8_4_NewRetry_ReplacesTheOldOne_OnlyTheNewestTimerCounts()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { MaxConcurrentAgents = 1 });
        var task = T("INT-1");
        var first = h.StartAndFail(task);
        h.Start(T("INT-2"));

        var second = h.Fire(first, TaskLookup.Of(task)).OfType<ScheduleRetry>().Single();

        h.State.Retrying.Count.ShouldBe(1);
        h.State.IsCurrentRetry(task.Id, second.Token).ShouldBeTrue();
        h.State.IsCurrentRetry(task.Id, first.Token).ShouldBeFalse();
    }

    [Fact]
    public void Spec_8_4_AdoptingALiveSessionForARetryingTask_CancelsItsTimer()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var retry = h.StartAndFail(task);

        var actions = h.Feed(new AdoptSessions(h.Now, [new LiveSession(task, "s-1", h.Now)]));

        actions.OfType<CancelRetry>().Single().Token.ShouldBe(retry.Token);
        h.State.Retrying.ShouldBeEmpty();
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Running);
    }

    [Fact]
    public void Spec_16_4_SpawnFailure_RetriesWithFailedToSpawnAgent()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var revalidate = h.Tick(task).OfType<Revalidate>().Single();
        h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Of(task)));

        var retry = h.Feed(new SpawnFailed(h.Now, task.Id, revalidate.RunId, "before_run hook exited 1")).ShouldHaveSingleItem().ShouldBeOfType<ScheduleRetry>();

        retry.Error.ShouldBe("failed to spawn agent");
        retry.Attempt.ShouldBe(1);
        retry.DueAt.ShouldBe(h.Now.AddSeconds(10));
        h.State.Running.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_12_4_TemplateOrHookFailureReportedAsAFailedRun_IsAFailureRetry()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Exit(task, run, Outcomes.Failed, "template_render_error: unknown variable issue.foo").OfType<ScheduleRetry>().Single()
            .Error.ShouldBe("agent run failed: template_render_error: unknown variable issue.foo");
    }

    [Fact]
    public void Spec_7_3_ExitOfAnOldRun_IsIgnored()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);

        h.Exit(task, run + 1000, Outcomes.Failed).ShouldBeEmpty();
        h.State.Running[task.Id].RunId.ShouldBe(run);
    }
}
