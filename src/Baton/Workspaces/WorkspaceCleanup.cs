using Baton.Core.Errors;
using Baton.Core.Workspaces;

namespace Baton.Workspaces;

/// <summary>What cleanup did with one task's workspace.</summary>
public sealed record CleanupOutcome(string Task, string Outcome, string? Reason, SafetyReport? Report)
{
    public const string Removed = "removed";
    public const string Kept = "kept";
    public const string Absent = "absent";
    public const string Failed = "failed";
}

/// <summary>
/// Symphony §8.6 startup cleanup, made safe: the workspaces of terminal tasks are removed through the same safety
/// rules as a person's removal. A workspace that still holds work is kept and reported, never deleted.
/// </summary>
public static class WorkspaceCleanup
{
    public static async Task<IReadOnlyList<CleanupOutcome>> RemoveForTerminalTasksAsync(
        WorkspaceRemover remover, WorkspaceLayout layout, IEnumerable<WorkspaceTask> terminalTasks, string batonHome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remover);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(terminalTasks);
        var outcomes = new List<CleanupOutcome>();
        foreach (var task in terminalTasks)
        {
            try
            {
                await remover.RemoveAsync(new RemovalRequest { Layout = layout, Task = task, BatonHome = batonHome, User = "baton" }, cancellationToken).ConfigureAwait(false);
                outcomes.Add(new CleanupOutcome(task.Identifier, CleanupOutcome.Removed, null, null));
            }
            catch (SafetyCheckException kept)
            {
                outcomes.Add(new CleanupOutcome(task.Identifier, CleanupOutcome.Kept, kept.Message, kept.Report));
            }
            catch (BatonException error) when (error.Code == WorkspaceRemover.NotFound)
            {
                outcomes.Add(new CleanupOutcome(task.Identifier, CleanupOutcome.Absent, null, null));
            }
            catch (BatonException error)
            {
                outcomes.Add(new CleanupOutcome(task.Identifier, CleanupOutcome.Failed, $"{error.Code}: {error.Message}", null));
            }
        }

        return outcomes;
    }
}
