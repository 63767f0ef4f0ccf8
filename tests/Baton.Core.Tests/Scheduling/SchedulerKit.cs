using Baton.Core.Events;
using Baton.Core.Scheduling;
using Baton.Core.Tasks;

namespace Baton.Core.Tests.Scheduling;

/// <summary>A clock that moves only when a test moves it.</summary>
internal sealed class TestClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;

    public void AdvanceMs(long ms) => Advance(TimeSpan.FromMilliseconds(ms));
}

/// <summary>
/// Plays the daemon's part around the pure scheduler: feeds observations stamped by a <see cref="TestClock"/>,
/// keeps the state, and remembers the last step's actions.
/// </summary>
internal sealed class SchedulerHarness
{
    public SchedulerHarness(SchedulerConfig? config = null) => State = SchedulerState.Initial(config ?? SchedulerConfig.Default);

    public TestClock Clock { get; } = new();

    public SchedulerState State { get; private set; }

    public IReadOnlyList<SchedulerAction> Last { get; private set; } = [];

    public DateTimeOffset Now => Clock.GetUtcNow();

    public IReadOnlyList<SchedulerAction> Feed(SchedulerInput input)
    {
        var decision = Scheduler.Apply(State, input);
        State = decision.State;
        Last = decision.Actions;
        return Last;
    }

    /// <summary>A poll tick with no refresh (nothing to reconcile against) and these candidates.</summary>
    public IReadOnlyList<SchedulerAction> Tick(params TrackedTask[] candidates) => Feed(new Tick(Now, null, candidates));

    /// <summary>A tick whose Part B refresh of the current reconcile ids found <paramref name="found"/>.</summary>
    public IReadOnlyList<SchedulerAction> Reconcile(IReadOnlyList<TrackedTask> found, IReadOnlyList<TrackedTask>? candidates = null) =>
        Feed(new Tick(Now, TaskRefresh.Of(State.ReconcileIds, found), candidates));

    /// <summary>Polls, revalidates and starts <paramref name="task"/>; returns its run id.</summary>
    public long Start(TrackedTask task)
    {
        var revalidate = Tick(task).OfType<Revalidate>().Single(a => a.TaskId == task.Id);
        Feed(new Revalidated(Now, task.Id, revalidate.RunId, TaskLookup.Of(task))).OfType<Dispatch>().Single().RunId.ShouldBe(revalidate.RunId);
        Feed(new RunStarted(Now, task.Id, revalidate.RunId, "s-" + task.Identifier));
        return revalidate.RunId;
    }

    public IReadOnlyList<SchedulerAction> Exit(TrackedTask task, long runId, string outcome = Outcomes.Succeeded, string? error = null) =>
        Feed(new RunExited(Now, task.Id, runId, outcome, error));

    public IReadOnlyList<SchedulerAction> Turn(TrackedTask task, long runId, string outcome, TaskLookup refresh, string? error = null) =>
        Feed(new TurnFinished(Now, task.Id, runId, outcome, error, refresh));

    public IReadOnlyList<SchedulerAction> Fire(ScheduleRetry retry, TaskLookup lookup) =>
        Feed(new RetryFired(Now, retry.TaskId, retry.Token, lookup));

    public IReadOnlyList<SchedulerAction> Event(TrackedTask task, long runId, string type, TokenUsage? usage = null, string? text = null) =>
        Feed(new WorkerObserved(Now, task.Id, runId, new WorkerEvent { Ts = Now, Session = "s-" + task.Identifier, Run = 1, Type = type, Usage = usage, Text = text }));

    /// <summary>Starts a run and fails it once, leaving the task in the retry queue.</summary>
    public ScheduleRetry StartAndFail(TrackedTask task)
    {
        var run = Start(task);
        return Exit(task, run, Outcomes.Failed, "boom").OfType<ScheduleRetry>().Single();
    }
}

internal static class TaskKit
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TrackedTask T(
        string identifier,
        string state = "Todo",
        int? priority = null,
        int minutes = 0,
        bool dispatchable = true,
        string[]? labels = null,
        string? title = null) =>
        new(Record(identifier, state, priority, minutes, labels, title), dispatchable);

    public static TaskRecord Record(string identifier, string state = "Todo", int? priority = null, int minutes = 0, string[]? labels = null, string? title = null, params TaskBlocker[] blockers) => new()
    {
        Id = "id-" + identifier,
        Identifier = identifier,
        Project = "h-app",
        Title = title ?? "Task " + identifier,
        Priority = priority,
        State = state,
        Labels = labels ?? [],
        BlockedBy = blockers,
        Url = "https://tracker.test/" + identifier,
        CreatedAt = T0.AddMinutes(minutes),
        UpdatedAt = T0.AddMinutes(minutes),
    };

    public static TrackedTask In(this TrackedTask task, string state) => task with { Task = task.Task with { State = state } };

    public static TrackedTask WithLabels(this TrackedTask task, params string[] labels) => task with { Task = task.Task with { Labels = labels } };
}
