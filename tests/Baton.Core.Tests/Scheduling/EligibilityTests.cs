using Baton.Core.Scheduling;
using Baton.Core.Tasks;
using Baton.Core.Workflows;
using static Baton.Core.Tests.Scheduling.TaskKit;

namespace Baton.Core.Tests.Scheduling;

/// <summary>§8.2 candidate selection, the Todo blocker rule, dispatch revalidation and §8.3 concurrency.</summary>
public class EligibilityTests
{
    private static SchedulerConfig Config(int max = 10, Dictionary<string, int>? byState = null, string[]? labels = null) => SchedulerConfig.Default with
    {
        MaxConcurrentAgents = max,
        MaxConcurrentAgentsByState = byState ?? [],
        RequiredLabels = labels ?? [],
    };

    private static IEnumerable<string> Picked(IReadOnlyList<SchedulerAction> actions) =>
        actions.OfType<Revalidate>().Select(a => a.TaskId).Concat(actions.OfType<Dispatch>().Select(d => d.Task.Id));

    [Fact]
    public void Spec_8_2_Eligibility_ActiveDispatchableTask_IsRevalidatedThenDispatchedAsFirstRun()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");

        var revalidate = h.Tick(task).ShouldHaveSingleItem().ShouldBeOfType<Revalidate>();
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Revalidating);
        h.State.Claimed.ShouldContain(task.Id);

        var dispatch = h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Of(task))).ShouldHaveSingleItem().ShouldBeOfType<Dispatch>();

        dispatch.Task.ShouldBe(task);
        dispatch.Attempt.ShouldBeNull();
        dispatch.Kind.ShouldBeNull();
        h.State.Running[task.Id].Phase.ShouldBe(RunPhase.Launching);
    }

    [Theory]
    [InlineData("Done")]
    [InlineData("cancelled")]
    public void Spec_8_2_Eligibility_TaskInTerminalState_IsNotDispatched(string state)
    {
        var h = new SchedulerHarness();

        h.Tick(T("INT-1", state)).ShouldBeEmpty();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_2_Eligibility_StateBothActiveAndTerminal_CountsAsTerminal()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { ActiveStates = ["Todo", "Done"] });

        h.Tick(T("INT-1", "Done")).ShouldBeEmpty();
        Eligibility.Check(h.State, T("INT-1", "Done")).ShouldBe(Ineligibility.Terminal);
    }

    [Fact]
    public void Spec_8_2_Eligibility_TaskInNonActiveState_IsNotDispatched()
    {
        var h = new SchedulerHarness();

        h.Tick(T("INT-1", "Human Review")).ShouldBeEmpty();
        Eligibility.Check(h.State, T("INT-1", "Human Review")).ShouldBe(Ineligibility.NotActive);
    }

    [Fact]
    public void Spec_4_2_StateComparison_TrimmedAndLowerCased_IsActive()
    {
        var h = new SchedulerHarness();

        Picked(h.Tick(T("INT-1", "  IN progress "))).ShouldBe(["id-INT-1"]);
    }

    [Theory]
    [InlineData("", "title", "Todo")]
    [InlineData("INT-1", " ", "Todo")]
    [InlineData("INT-1", "title", "")]
    public void Spec_8_2_Eligibility_MissingIdentifierTitleOrState_IsNotDispatched(string identifier, string title, string state)
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { ActiveStates = ["Todo", ""] });
        var task = new TrackedTask(Record("X-1", title: title) with { Identifier = identifier, State = state }, true);

        h.Tick(task).ShouldBeEmpty();
        Eligibility.Check(h.State, task).ShouldBe(Ineligibility.MissingFields);
    }

    [Fact]
    public void Spec_8_2_Eligibility_NotDispatchable_IsNotDispatched()
    {
        var h = new SchedulerHarness();

        h.Tick(T("INT-1", dispatchable: false)).ShouldBeEmpty();
        Eligibility.Check(h.State, T("INT-1", dispatchable: false)).ShouldBe(Ineligibility.NotDispatchable);
    }

    [Fact]
    public void Spec_5_3_1_RequiredLabels_MatchIgnoringCaseAndSpace_IsDispatched()
    {
        var h = new SchedulerHarness(Config(labels: [" Baton ", "backend"]));

        Picked(h.Tick(T("INT-1", labels: ["BATON", "Backend ", "ui"]))).ShouldBe(["id-INT-1"]);
    }

    [Fact]
    public void Spec_5_3_1_RequiredLabels_OneMissing_IsNotDispatched()
    {
        var h = new SchedulerHarness(Config(labels: ["baton", "backend"]));

        h.Tick(T("INT-1", labels: ["baton"])).ShouldBeEmpty();
        Eligibility.Check(h.State, T("INT-1", labels: ["baton"])).ShouldBe(Ineligibility.MissingLabels);
    }

    [Fact]
    public void Spec_5_3_1_RequiredLabels_BlankLabelMatchesNothing()
    {
        var h = new SchedulerHarness(Config(labels: ["  "]));

        h.Tick(T("INT-1", labels: ["", "  ", "baton"])).ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_2_Routable_IsDispatchableAndLabelled()
    {
        var config = Config(labels: ["baton"]);

        Eligibility.IsRoutable(T("INT-1", labels: ["baton"]), config).ShouldBeTrue();
        Eligibility.IsRoutable(T("INT-1", labels: ["baton"], dispatchable: false), config).ShouldBeFalse();
        Eligibility.IsRoutable(T("INT-1"), config).ShouldBeFalse();
    }

    [Fact]
    public void Spec_8_2_Eligibility_AlreadyRunning_IsNotDispatchedAgain()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.Start(task);

        h.Tick(task).ShouldBeEmpty();
        Eligibility.Check(h.State, task).ShouldBe(Ineligibility.Running);
    }

    [Fact]
    public void Spec_8_2_Eligibility_ClaimedByARetry_IsNotDispatchedByThePoll()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        h.StartAndFail(task);

        h.Tick(task).ShouldBeEmpty();
        Eligibility.Check(h.State, task).ShouldBe(Ineligibility.Claimed);
    }

    [Fact]
    public void Spec_8_2_Eligibility_ClaimedAsBlocked_IsNotDispatchedByThePoll()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var run = h.Start(task);
        h.Exit(task, run, "input_required", "which database?");

        h.Tick(task).ShouldBeEmpty();
        h.State.Blocked.ShouldContainKey(task.Id);
    }

    [Fact]
    public void Spec_8_2_Sort_ScarceSlotsGoByPriorityThenAgeThenIdentifier()
    {
        var h = new SchedulerHarness(Config(max: 3));

        var picked = Picked(h.Tick(
            T("INT-5", priority: null, minutes: -100),
            T("INT-4", priority: 3, minutes: 1),
            T("INT-3", priority: 1, minutes: 9),
            T("INT-2", priority: 3, minutes: 0),
            T("INT-1", priority: 0, minutes: -50)));

        picked.ShouldBe(["id-INT-3", "id-INT-2", "id-INT-4"]);
    }

    [Fact]
    public void Spec_11_1_DuplicateCandidates_AreClaimedOnce()
    {
        var h = new SchedulerHarness();

        Picked(h.Tick(T("INT-1"), T("INT-1"))).ShouldBe(["id-INT-1"]);
    }

    // ---- The Todo blocker rule, computed by the local tracker's adapter ----

    [Fact]
    public void Spec_8_2_TodoBlockerRule_TodoWithOpenBlocker_IsNotDispatchable() =>
        Dispatchability.ForLocalTask(Record("INT-1", "Todo", blockers: new TaskBlocker("b", "INT-2", "In Progress")), TaskStates.Default).ShouldBeFalse();

    [Fact]
    public void Spec_8_2_TodoBlockerRule_TodoWithVanishedBlocker_IsNotDispatchable() =>
        Dispatchability.ForLocalTask(Record("INT-1", " todo ", blockers: new TaskBlocker("b", "INT-2", null)), TaskStates.Default).ShouldBeFalse();

    [Fact]
    public void Spec_8_2_TodoBlockerRule_TodoWithOnlyTerminalBlockers_IsDispatchable() =>
        Dispatchability.ForLocalTask(Record("INT-1", "Todo", blockers: [new("b", "INT-2", "Done"), new("c", "INT-3", "cancelled")]), TaskStates.Default).ShouldBeTrue();

    [Fact]
    public void Spec_8_2_TodoBlockerRule_LaterActiveStateWithOpenBlocker_IsDispatchable() =>
        Dispatchability.ForLocalTask(Record("INT-1", "In Progress", blockers: new TaskBlocker("b", "INT-2", "Todo")), TaskStates.Default).ShouldBeTrue();

    [Fact]
    public void Spec_8_2_TodoBlockerRule_ThroughTheScheduler_BlockedTodoWaitsUntilItsBlockerIsDone()
    {
        var h = new SchedulerHarness();
        var open = TrackedTask.Local(Record("INT-1", blockers: new TaskBlocker("b", "INT-2", "In Progress")), TaskStates.Default);
        var done = TrackedTask.Local(Record("INT-1", blockers: new TaskBlocker("b", "INT-2", "Done")), TaskStates.Default);

        h.Tick(open).ShouldBeEmpty();
        Picked(h.Tick(done)).ShouldBe(["id-INT-1"]);
    }

    // ---- Dispatch revalidation (the daemon re-fetches by id before dispatch) ----

    [Fact]
    public void Spec_8_2_Revalidation_FreshCopyIsTerminal_ReleasesWithoutDispatch()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var revalidate = h.Tick(task).OfType<Revalidate>().Single();

        var actions = h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Of(task.In("Done"))));

        actions.ShouldHaveSingleItem().ShouldBeOfType<Release>();
        h.State.Claimed.ShouldBeEmpty();
        h.State.Running.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_2_Revalidation_TaskVanished_Releases()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var revalidate = h.Tick(task).OfType<Revalidate>().Single();

        h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Missing)).ShouldHaveSingleItem().ShouldBeOfType<Release>();
        h.State.Claimed.ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_2_Revalidation_FetchFailed_ReleasesAndTheNextTickTriesAgain()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var revalidate = h.Tick(task).OfType<Revalidate>().Single();

        h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Failure("timeout"))).ShouldHaveSingleItem().ShouldBeOfType<Release>();

        Picked(h.Tick(task)).ShouldBe([task.Id]);
    }

    [Fact]
    public void Spec_8_2_Revalidation_DispatchesTheFreshCopy()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var revalidate = h.Tick(task).OfType<Revalidate>().Single();
        var fresh = task.In("In Progress");

        h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId, TaskLookup.Of(fresh))).OfType<Dispatch>().Single().Task.ShouldBe(fresh);
        h.State.Running[task.Id].Task.ShouldBe(fresh);
    }

    [Fact]
    public void Spec_8_2_Revalidation_HoldsTheSlot_NoOtherTaskTakesIt()
    {
        var h = new SchedulerHarness(Config(max: 1));
        h.Tick(T("INT-1"));

        h.Tick(T("INT-2")).ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_2_Revalidation_AnswerForAnOldRun_IsIgnored()
    {
        var h = new SchedulerHarness();
        var task = T("INT-1");
        var revalidate = h.Tick(task).OfType<Revalidate>().Single();
        var before = h.State;

        h.Feed(new Revalidated(h.Now, task.Id, revalidate.RunId + 99, TaskLookup.Of(task))).ShouldBeEmpty();
        h.State.ShouldBeSameAs(before);
    }

    [Fact]
    public void Spec_8_2_Revalidation_Disabled_DispatchesStraightFromThePoll()
    {
        var h = new SchedulerHarness(SchedulerConfig.Default with { RevalidateBeforeDispatch = false });

        h.Tick(T("INT-1")).ShouldHaveSingleItem().ShouldBeOfType<Dispatch>().Attempt.ShouldBeNull();
        h.State.Running["id-INT-1"].Phase.ShouldBe(RunPhase.Launching);
    }

    [Fact]
    public void Spec_7_4_Revalidation_NeverAnswered_GivesTheSlotBackAfterTheStallTimeout()
    {
        var h = new SchedulerHarness(Config(max: 1));
        h.Tick(T("INT-1"));
        h.Clock.AdvanceMs(300_001);

        h.Feed(new StallCheck(h.Now)).ShouldHaveSingleItem().ShouldBeOfType<Release>();
        Picked(h.Tick(T("INT-2"))).ShouldBe(["id-INT-2"]);
    }

    // ---- §8.3 concurrency ----

    [Fact]
    public void Spec_8_3_GlobalLimit_ClaimsAtMostMaxConcurrentAgents()
    {
        var h = new SchedulerHarness(Config(max: 2));

        Picked(h.Tick(T("INT-1"), T("INT-2"), T("INT-3"))).Count().ShouldBe(2);
        h.Tick(T("INT-3")).ShouldBeEmpty();
        Eligibility.Check(h.State, T("INT-3")).ShouldBe(Ineligibility.NoGlobalSlot);
    }

    [Fact]
    public void Spec_8_3_GlobalLimit_FreeSlotsNeverNegativeAfterTheLimitIsLowered()
    {
        var h = new SchedulerHarness(Config(max: 3));
        h.Start(T("INT-1"));
        h.Start(T("INT-2"));
        h.Start(T("INT-3"));

        h.Feed(new ConfigChanged(h.Now, Config(max: 1)));

        Eligibility.FreeGlobalSlots(h.State).ShouldBe(0);
        h.Tick(T("INT-4")).ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_3_PerStateLimit_CapsTasksInThatState()
    {
        var h = new SchedulerHarness(Config(max: 10, byState: new() { ["todo"] = 1 }));

        Picked(h.Tick(T("INT-1", "Todo"), T("INT-2", "Todo"), T("INT-3", "In Progress"))).ShouldBe(["id-INT-1", "id-INT-3"]);
        Eligibility.Check(h.State, T("INT-2", "Todo")).ShouldBe(Ineligibility.NoStateSlot);
    }

    [Fact]
    public void Spec_8_3_PerStateLimit_CountsRunningTasksByTheirCurrentTrackedState()
    {
        var h = new SchedulerHarness(Config(byState: new() { ["in progress"] = 1 }));
        var first = T("INT-1", "Todo");
        h.Start(first);
        h.Tick(T("INT-2", "In Progress")).OfType<Revalidate>().ShouldHaveSingleItem();
        h.Feed(new Revalidated(h.Now, "id-INT-2", h.State.Running["id-INT-2"].RunId, TaskLookup.Of(T("INT-2", "In Progress"))));

        // The agent moved INT-1 to In Progress: the refresh updates the tracked state, and the state is full.
        h.Reconcile([first.In("In Progress"), T("INT-2", "In Progress")]);

        Eligibility.FreeStateSlots(h.State, "In Progress").ShouldBe(0);
        h.Tick(T("INT-3", "In Progress")).ShouldBeEmpty();
    }

    [Fact]
    public void Spec_8_3_PerStateLimit_KeysAreNormalized()
    {
        var config = Config(byState: new() { ["  In Progress "] = 2 });

        config.StateLimit("in progress").ShouldBe(2);
        config.StateLimit("IN PROGRESS").ShouldBe(2);
    }

    [Fact]
    public void Spec_8_3_PerStateLimit_Absent_DefaultsToTheGlobalLimit() =>
        Config(max: 7, byState: new() { ["todo"] = 1 }).StateLimit("In Progress").ShouldBe(7);

    [Fact]
    public void Spec_8_3_PerStateLimit_InvalidEntriesIgnored_FromTheWorkflow()
    {
        var settings = WorkflowSettings.From(
            WorkflowDocument.Parse("---\nagent:\n  max_concurrent_agents: 4\n  max_concurrent_agents_by_state:\n    Todo: 0\n    In Progress: -2\n    Rework: many\n    Merging: 1\n---\nx", "/r/WORKFLOW.md"),
            _ => null,
            "/home/u",
            "/tmp");
        var config = SchedulerConfig.From(settings, TaskStates.Default);

        config.StateLimit("todo").ShouldBe(4);
        config.StateLimit("in progress").ShouldBe(4);
        config.StateLimit("rework").ShouldBe(4);
        config.StateLimit("merging").ShouldBe(1);
    }

    [Fact]
    public void Spec_8_3_PerStateLimit_InvalidEntriesIgnored_InAHandBuiltConfig()
    {
        var h = new SchedulerHarness(Config(max: 2, byState: new() { ["todo"] = 0, ["in progress"] = -1 }));

        Picked(h.Tick(T("INT-1"), T("INT-2"))).Count().ShouldBe(2);
    }

    [Fact]
    public void Spec_5_3_SchedulerConfig_FromWorkflow_CarriesEveryDefault()
    {
        var settings = WorkflowSettings.From(WorkflowDocument.Parse("Prompt only", "/r/WORKFLOW.md"), _ => null, "/home/u", "/tmp");

        var config = SchedulerConfig.From(settings, TaskStates.Default);

        config.PollIntervalMs.ShouldBe(30_000);
        config.MaxConcurrentAgents.ShouldBe(10);
        config.MaxTurns.ShouldBe(20);
        config.MaxRetryBackoffMs.ShouldBe(300_000);
        config.StallTimeoutMs.ShouldBe(300_000);
        config.ActiveStates.ShouldBe(TaskStates.Default.Active);
        config.TerminalStates.ShouldBe(TaskStates.Default.Terminal);
        config.RequiredLabels.ShouldBeEmpty();
    }
}
