using Baton.Core.Events;
using Baton.Core.Scheduling;
using Baton.Core.Workflows;
using static Baton.Core.Tests.Scheduling.TaskKit;

namespace Baton.Core.Tests.Scheduling;

/// <summary>Baton's supervisor (the Witness): nudge before the stall abort, workspace check before a normal end, escalation.</summary>
public class SupervisorTests
{
    private static readonly SchedulerConfig s_supervised = SchedulerConfig.Default with
    {
        StallTimeoutMs = 60_000,
        NudgeAfterMs = 30_000,
        NudgeMessage = "are you there?",
        CheckWorkspaceBeforeStop = true,
        EscalateAfter = 3,
    };

    // ---- Nudge ----

    [Fact]
    public void Nudge_SilentPastNudgeAfter_SteersOnceAndStillAbortsAtTheStallTimeout()
    {
        var h = new SchedulerHarness(s_supervised);
        var task = T("INT-1");
        var run = h.Start(task);

        h.Clock.AdvanceMs(31_000);
        var nudge = h.Feed(new StallCheck(h.Now)).ShouldHaveSingleItem().ShouldBeOfType<Nudge>();
        nudge.Message.ShouldBe("are you there?");
        nudge.SessionId.ShouldBe("s-INT-1");
        nudge.RunId.ShouldBe(run);

        h.Clock.AdvanceMs(10_000);
        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty();

        // The worker logs the steering it delivered: that is not the agent's activity.
        h.Event(task, run, WorkerEventTypes.SteerReceived, text: "are you there?");
        h.Clock.AdvanceMs(20_000);
        h.Feed(new StallCheck(h.Now)).ShouldHaveSingleItem().ShouldBeOfType<Stop>();
    }

    [Fact]
    public void Nudge_AgentAnswers_TheNextSilenceGetsItsOwnNudge()
    {
        var h = new SchedulerHarness(s_supervised);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Clock.AdvanceMs(31_000);
        h.Feed(new StallCheck(h.Now)).OfType<Nudge>().ShouldHaveSingleItem();

        h.Event(task, run, WorkerEventTypes.AgentMessage, text: "still reading the tests");
        h.Clock.AdvanceMs(31_000);

        h.Feed(new StallCheck(h.Now)).OfType<Nudge>().ShouldHaveSingleItem();
    }

    [Fact]
    public void Nudge_OffByDefault_OnlyTheSpecsStallAbort()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { StallTimeoutMs = 60_000 });
        h.Start(T("INT-1"));

        h.Clock.AdvanceMs(59_000);
        h.Feed(new StallCheck(h.Now)).ShouldBeEmpty();
    }

    [Fact]
    public void SupervisorSettings_NudgeDefaultsToHalfTheStallTimeout_AndAbsentMapTurnsEverythingOff()
    {
        SupervisorSettings.None.EffectiveNudgeAfterMs(300_000).ShouldBe(0);
        new SupervisorSettings { Enabled = true }.EffectiveNudgeAfterMs(300_000).ShouldBe(150_000);
        new SupervisorSettings { Enabled = true, NudgeAfterMs = 0 }.EffectiveNudgeAfterMs(300_000).ShouldBe(0);
        new SupervisorSettings { Enabled = true }.EffectiveNudgeAfterMs(0).ShouldBe(0);
    }

    // ---- Workspace check before a normal end ----

    [Fact]
    public void CheckWorkspace_RunEndsBecauseTheAgentMovedItsTask_IsCheckedBeforeTheStop()
    {
        var h = new SchedulerHarness(s_supervised);
        var task = T("INT-1");
        var run = h.Start(task);

        var check = h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task.In("Human Review"))).ShouldHaveSingleItem().ShouldBeOfType<CheckWorkspace>();

        check.RunId.ShouldBe(run);
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Checking);
        var stop = h.Feed(new WorkspaceChecked(h.Now, task.Id, run, null)).ShouldHaveSingleItem().ShouldBeOfType<Stop>();
        stop.Reason.ShouldContain("not active");
    }

    [Fact]
    public void CheckWorkspace_Dirty_AsksOnceToCommitThenEndsWhateverTheWorkspaceHolds()
    {
        var h = new SchedulerHarness(s_supervised);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task.In("Human Review")));

        var ask = h.Feed(new WorkspaceChecked(h.Now, task.Id, run, "2 modified files: a.txt, b.txt")).ShouldHaveSingleItem().ShouldBeOfType<Continue>();

        ask.Message!.ShouldContain("a.txt, b.txt");
        ask.Message!.ShouldContain("Commit");
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Running);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task.In("Human Review"))).ShouldHaveSingleItem().ShouldBeOfType<Stop>();
    }

    [Fact]
    public void CheckWorkspace_AnswerForAnotherRun_IsIgnored()
    {
        var h = new SchedulerHarness(s_supervised);
        var task = T("INT-1");
        var run = h.Start(task);
        h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task.In("Human Review")));

        h.Feed(new WorkspaceChecked(h.Now, task.Id, run + 99, "dirty")).ShouldBeEmpty();
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Checking);
    }

    [Fact]
    public void CheckWorkspace_OffByDefault_TheRunEndsAtOnce() =>
        new SchedulerHarness().Let(h =>
        {
            var task = T("INT-1");
            var run = h.Start(task);
            h.Turn(task, run, Outcomes.Succeeded, TaskLookup.Of(task.In("Human Review"))).ShouldHaveSingleItem().ShouldBeOfType<Stop>();
        });

    // ---- Escalation ----

    [Fact]
    public void Escalate_ThirdFailedAttempt_TellsAPersonOnceAndFlagsTheTask()
    {
        var h = new SchedulerHarness(s_supervised);
        var task = T("INT-1");
        var retry = h.StartAndFail(task);
        retry.Attempt.ShouldBe(1);

        for (var attempt = 2; attempt <= 4; attempt++)
        {
            var dispatch = h.Fire(retry, TaskLookup.Of(task)).OfType<Dispatch>().Single();
            h.Feed(new RunStarted(h.Now, task.Id, dispatch.RunId, "s-" + task.Identifier));
            var actions = h.Exit(task, dispatch.RunId, Outcomes.Failed, $"boom {attempt}");
            retry = actions.OfType<ScheduleRetry>().Single();
            actions.OfType<Escalate>().Count().ShouldBe(attempt == 3 ? 1 : 0, $"attempt {attempt}");
        }

        h.State.Escalated[task.Id].Attempts.ShouldBe(3);
        h.State.Escalated[task.Id].Error.ShouldBe("agent run failed: boom 3");
    }

    [Fact]
    public void Escalate_TaskReleased_ClearsTheFlag()
    {
        var h = new SchedulerHarness(s_supervised with { EscalateAfter = 1 });
        var task = T("INT-1");
        var retry = h.StartAndFail(task);
        h.State.Escalated.ShouldContainKey(task.Id);

        h.Fire(retry, TaskLookup.Of(task.In("Done"))).OfType<Release>().ShouldHaveSingleItem();

        h.State.Escalated.ShouldBeEmpty();
    }

    [Fact]
    public void Escalate_OffByDefault_NoEscalationAfterManyFailures()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var retry = h.StartAndFail(task);
        for (var i = 0; i < 4; i++)
        {
            var dispatch = h.Fire(retry, TaskLookup.Of(task)).OfType<Dispatch>().Single();
            h.Feed(new RunStarted(h.Now, task.Id, dispatch.RunId, "s"));
            retry = h.Exit(task, dispatch.RunId, Outcomes.Failed, "boom").OfType<ScheduleRetry>().Single();
        }

        h.State.Escalated.ShouldBeEmpty();
    }

    [Fact]
    public void Messages_CommitOrExplainAndEscalation_NameWhatMatters()
    {
        SupervisorMessages.CommitOrExplain("modified: a.txt").ShouldContain("modified: a.txt");
        var text = SupervisorMessages.Escalation("INT-1", 3, "agent exited with 7", "int-4");
        text.ShouldContain("INT-1");
        text.ShouldContain("3 attempts");
        text.ShouldContain("agent exited with 7");
        text.ShouldContain("baton peek int-4");
    }
}

internal static class HarnessExtensions
{
    public static void Let(this SchedulerHarness harness, Action<SchedulerHarness> body) => body(harness);
}
