namespace Baton.Core.Tasks;

/// <summary>
/// A task in the local tracker, with the fields of Symphony's normalized issue (§4.1.1) plus comments.
/// <see cref="Project"/> is the project's instance id (<c>{hash}-{projectId}</c>).
/// </summary>
public sealed record TaskRecord
{
    public required string Id { get; init; }

    public required string Identifier { get; init; }

    public required string Project { get; init; }

    public required string Title { get; init; }

    public string? Description { get; init; }

    public int? Priority { get; init; }

    public required string State { get; init; }

    public string? BranchName { get; init; }

    public string? Url { get; init; }

    public string? Assignee { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    public IReadOnlyList<TaskBlocker> BlockedBy { get; init; } = [];

    /// <summary>
    /// Symphony §4.1.1/§11.3: the adapter's explicit verdict that the task may be dispatched (Linear: assignee routing
    /// and the Todo-blocker rule). The scheduler filters on it; trackers without such rules leave it true.
    /// </summary>
    public bool Dispatchable { get; init; } = true;

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public IReadOnlyList<TaskComment> Comments { get; init; } = [];
}

/// <summary>A task that blocks another, with its current state (null when it no longer exists).</summary>
public sealed record TaskBlocker(string Id, string Identifier, string? State);

public sealed record TaskComment(string Id, string Author, string Body, DateTimeOffset CreatedAt);
