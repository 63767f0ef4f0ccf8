namespace Baton.Tracking.Local;

/// <summary>A task to create. <see cref="BlockedBy"/> holds identifiers or ids as a person typed them.</summary>
public sealed record NewTask
{
    public required string Title { get; init; }

    public string? Description { get; init; }

    public int? Priority { get; init; }

    /// <summary>Null: the project's first active state.</summary>
    public string? State { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    public IReadOnlyList<string> BlockedBy { get; init; } = [];

    public string? BranchName { get; init; }

    public string? Url { get; init; }

    public string? Assignee { get; init; }
}

/// <summary>Changes to a task; null leaves a field as it is, an empty string clears a text field.</summary>
public sealed record TaskChanges
{
    public string? Title { get; init; }

    public string? Description { get; init; }

    public int? Priority { get; init; }

    public string? State { get; init; }

    public IReadOnlyList<string> AddLabels { get; init; } = [];

    public IReadOnlyList<string> RemoveLabels { get; init; } = [];

    public IReadOnlyList<string> AddBlockedBy { get; init; } = [];

    public IReadOnlyList<string> RemoveBlockedBy { get; init; } = [];

    public string? BranchName { get; init; }

    public string? Url { get; init; }

    public string? Assignee { get; init; }
}

/// <summary>Which tasks <c>task list</c> shows.</summary>
public sealed record TaskQuery
{
    /// <summary>Only these states (any case). Empty: every state except terminal ones, unless <see cref="IncludeTerminal"/>.</summary>
    public IReadOnlyList<string> States { get; init; } = [];

    public bool IncludeTerminal { get; init; }

    /// <summary>Tasks carrying all of these labels.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    public bool ReadyOnly { get; init; }
}

public sealed record ImportResult(int Added, int Updated, int Unchanged, int CommentsAdded);
