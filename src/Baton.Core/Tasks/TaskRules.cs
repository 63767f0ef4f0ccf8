using Baton.Core.Errors;

namespace Baton.Core.Tasks;

/// <summary>The local tracker's decisions: validation, readiness and blocker cycles.</summary>
public static class TaskRules
{
    public const int MinPriority = 1;
    public const int MaxPriority = 4;

    public static int? ValidatePriority(int? priority)
    {
        if (priority is null or (>= MinPriority and <= MaxPriority))
        {
            return priority;
        }

        throw BatonException.Usage(
            ErrorCodes.InvalidPriority,
            $"priority {priority} is outside 1–4",
            "Use --priority 1 (urgent), 2 (high), 3 (normal) or 4 (low); leave it out for no priority.");
    }

    /// <summary>Labels are trimmed and lower-cased; blanks are dropped; duplicates are removed (Symphony §11.3).</summary>
    public static IReadOnlyList<string> NormalizeLabels(IEnumerable<string> labels) =>
        labels.Select(l => l.Trim().ToLowerInvariant()).Where(l => l.Length > 0).Distinct().ToList();

    /// <summary>Ready = in an active state and not blocked by any task that is not terminal (a vanished blocker blocks).</summary>
    public static bool IsReady(TaskRecord task, TaskStates states) =>
        states.IsActive(task.State) && task.BlockedBy.All(b => b.State is not null && states.IsTerminal(b.State));

    /// <summary>
    /// Returns a cycle (as identifiers, first repeated at the end) that the edges <c>task → blocker</c> would form
    /// once <paramref name="taskId"/> is blocked by <paramref name="newBlockers"/>, or null when there is none.
    /// </summary>
    public static IReadOnlyList<string>? FindCycle(
        string taskId,
        IEnumerable<string> newBlockers,
        IReadOnlyDictionary<string, IReadOnlyList<string>> blockedBy)
    {
        ArgumentNullException.ThrowIfNull(blockedBy);
        var edges = blockedBy.ToDictionary(kv => kv.Key, kv => kv.Value.ToList());
        edges[taskId] = [.. newBlockers];

        var path = new List<string>();
        var onPath = new HashSet<string>();
        var done = new HashSet<string>();

        List<string>? Visit(string node)
        {
            if (onPath.Contains(node))
            {
                var start = path.IndexOf(node);
                return [.. path[start..], node];
            }

            if (!done.Add(node))
            {
                return null;
            }

            path.Add(node);
            onPath.Add(node);
            foreach (var next in edges.GetValueOrDefault(node) ?? [])
            {
                var cycle = Visit(next);
                if (cycle is not null)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            onPath.Remove(node);
            return null;
        }

        return Visit(taskId);
    }
}
