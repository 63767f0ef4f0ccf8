using Baton.Core.Workflows;

namespace Baton.Workspaces;

/// <summary>How workspaces are made for one project or workflow.</summary>
public sealed record WorkspaceLayout
{
    public const string Worktree = "worktree";
    public const string Directory = "directory";

    /// <summary><c>worktree</c> (a git worktree per task) or <c>directory</c> (an empty directory that hooks populate).</summary>
    public required string Strategy { get; init; }

    /// <summary>Absolute directory holding one workspace per task.</summary>
    public required string Root { get; init; }

    /// <summary>The repository worktrees are added to (worktree strategy only).</summary>
    public string? RepositoryPath { get; init; }

    /// <summary>The branch new task branches start from (worktree strategy only).</summary>
    public string? DefaultBranch { get; init; }

    public HookSettings Hooks { get; init; } = HookSettings.None;

    /// <summary>Extra environment for hooks (BATON_HOME, BATON_PROJECT, …).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
}

/// <summary>The task a workspace is for.</summary>
public sealed record WorkspaceTask(string Id, string Identifier, string? BranchName = null);

/// <summary>A workspace on disk. <see cref="CreatedNow"/> is true only when this call created it (Symphony §9.2).</summary>
public sealed record Workspace(string Path, string Key, string Strategy, string? Branch, bool CreatedNow);
