namespace Baton.Tracking;

/// <summary>
/// The two writes Baton's own hand-off makes on a tracker: a comment, and a move to another state. Symphony leaves
/// ticket writes to the agent; Baton makes these only when a workflow turns its <c>handoff</c> extension on.
/// </summary>
public interface ITaskWriter
{
    /// <summary>Adds a comment to the task and returns the comment's id.</summary>
    Task<string> CommentAsync(string taskId, string body, CancellationToken cancellationToken = default);

    /// <summary>Moves the task to <paramref name="state"/> and returns the state as the tracker spells it.</summary>
    Task<string> MoveToStateAsync(string taskId, string state, CancellationToken cancellationToken = default);
}
