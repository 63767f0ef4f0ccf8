using Baton.Core.Tasks;

namespace Baton.Core.Scheduling;

/// <summary>
/// A task as the scheduler sees it: the normalized record plus the tracker adapter's explicit
/// <c>dispatchable</c> flag (Symphony §11.3: "dispatchable is explicit"). The scheduler never looks at blockers,
/// assignees or boards itself (§11.2); the adapter folds those into <see cref="Dispatchable"/>.
/// </summary>
public sealed record TrackedTask(TaskRecord Task, bool Dispatchable)
{
    public string Id => Task.Id;

    public string Identifier => Task.Identifier;

    public string State => Task.State;

    /// <summary>A local-tracker task with its <see cref="Dispatchability.ForLocalTask"/> flag.</summary>
    public static TrackedTask Local(TaskRecord task, TaskStates states) => new(task, Dispatchability.ForLocalTask(task, states));
}

/// <summary>How a tracker adapter computes <c>dispatchable</c> for Baton's own tracker.</summary>
public static class Dispatchability
{
    /// <summary>
    /// The "Todo blocker rule" (old Symphony §8.2, now the adapter's job per §11.1 / the Linear profile): a task in
    /// its first active state ("Todo"-like) is not dispatchable while any blocker is not terminal, and a blocker whose
    /// state is unknown (it vanished) counts as not terminal. Tasks in later active states ("In Progress") were
    /// already started, so a blocker added later does not stop them.
    /// </summary>
    public static bool ForLocalTask(TaskRecord task, TaskStates states)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(states);
        if (states.Active.Count == 0 || TaskStates.Normalize(task.State) != TaskStates.Normalize(states.Active[0]))
        {
            return true;
        }

        return task.BlockedBy.All(b => b.State is not null && states.IsTerminal(b.State));
    }
}

/// <summary>The answer to "fetch this task by id" (§11.1 <c>fetch_issues_by_ids</c> for one id).</summary>
public abstract record TaskLookup
{
    private TaskLookup()
    {
    }

    public static TaskLookup Of(TrackedTask task) => new Found(task);

    public static TaskLookup Missing { get; } = new NotFound();

    public static TaskLookup Failure(string error) => new Failed(error);

    /// <summary>The tracker returned the task.</summary>
    public sealed record Found(TrackedTask Task) : TaskLookup;

    /// <summary>The tracker answered and the task is not visible any more (omission means "not visible", §11.1).</summary>
    public sealed record NotFound : TaskLookup;

    /// <summary>The tracker could not be asked (transport, status, paging).</summary>
    public sealed record Failed(string Error) : TaskLookup;
}

/// <summary>
/// The result of refreshing a set of ids in one request (§8.5 Part B). <see cref="RequestedIds"/> matters: only
/// entries that were asked about may be judged "missing", so a task dispatched after the request was built is
/// never stopped for being absent from it.
/// </summary>
public abstract record TaskRefresh
{
    private TaskRefresh()
    {
    }

    public static TaskRefresh Of(IReadOnlyCollection<string> requestedIds, IReadOnlyList<TrackedTask> found) => new Succeeded(requestedIds, found);

    public static TaskRefresh Failure(string error) => new Failed(error);

    public sealed record Succeeded(IReadOnlyCollection<string> RequestedIds, IReadOnlyList<TrackedTask> Found) : TaskRefresh;

    public sealed record Failed(string Error) : TaskRefresh;
}
