using Baton.Core.Tasks;

namespace Baton.Tracking;

/// <summary>
/// What the orchestrator asks of a project's tracker (Symphony §11.1): candidates by state, and the current
/// version of tasks it already holds. The local tracker, Linear, GitHub Issues and beads implement it; writes
/// are specific to each tracker and live on the concrete classes.
/// </summary>
public interface ITracker
{
    /// <summary>The project's tasks in any of <paramref name="states"/> (compared case-insensitively).</summary>
    Task<IReadOnlyList<TaskRecord>> FetchByStatesAsync(IReadOnlyCollection<string> states, CancellationToken cancellationToken = default);

    /// <summary>The current version of the tasks with these ids; ids the tracker no longer knows are left out.</summary>
    Task<IReadOnlyList<TaskRecord>> FetchByIdsAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);
}
