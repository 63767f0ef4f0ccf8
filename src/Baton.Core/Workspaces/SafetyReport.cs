namespace Baton.Core.Workspaces;

/// <summary>Whether a finding stops removal or is only worth telling.</summary>
public enum FindingSeverity
{
    Info,
    Blocking,
}

/// <summary>
/// Which removal a finding is about. Removal is <c>git worktree remove</c> (the directory and the
/// worktree's private state go); deleting the workspace branch is a separate, explicit step.
/// </summary>
public enum FindingScope
{
    /// <summary>Lost (or broken) as soon as the workspace directory is removed, branch kept or not.</summary>
    Workspace,

    /// <summary>Lost only when the workspace branch is deleted too.</summary>
    Branch,
}

/// <summary>The lower_snake_case codes of every finding kind (stable: they appear in JSON).</summary>
public static class SafetyFindingKinds
{
    // Lost with the directory: uncommitted work.
    public const string StagedChanges = "staged_changes";
    public const string UnstagedChanges = "unstaged_changes";
    public const string UntrackedFiles = "untracked_files";
    public const string ConflictedFiles = "conflicted_files";
    public const string HiddenChanges = "hidden_changes";
    public const string DirtySubmodules = "dirty_submodules";
    public const string UnverifiableDirectory = "unverifiable_directory";

    // Lost with the directory: commits only the worktree's HEAD (or its per-worktree refs) hold.
    public const string DetachedHeadUnreachableCommits = "detached_head_unreachable_commits";

    // Lost with the branch.
    public const string UnpushedCommits = "unpushed_commits";

    // Policy: nothing is destroyed, but removal would break something a person relies on.
    public const string OperationInProgress = "operation_in_progress";
    public const string LockedWorktree = "locked_worktree";
    public const string Stashes = "stashes";
    public const string DefaultBranch = "default_branch";

    // Information.
    public const string OtherStashes = "other_stashes";
    public const string Prunable = "prunable";
    public const string HeadOnOtherBranch = "head_on_other_branch";
    public const string BranchMissing = "branch_missing";

    /// <summary>
    /// Kinds that mean content or commits become unreachable. The rest block by policy (a lock, a
    /// half-done merge, a stash that would lose its branch) or only inform.
    /// </summary>
    public static readonly IReadOnlySet<string> WorkLoss = new HashSet<string>(StringComparer.Ordinal)
    {
        StagedChanges,
        UnstagedChanges,
        UntrackedFiles,
        ConflictedFiles,
        HiddenChanges,
        DirtySubmodules,
        UnverifiableDirectory,
        DetachedHeadUnreachableCommits,
        UnpushedCommits,
    };
}

/// <summary>One reason (or one piece of information) about removing a workspace.</summary>
/// <param name="Kind">A code from <see cref="SafetyFindingKinds"/>.</param>
/// <param name="Count">How many files, commits, stash entries… there are in total.</param>
/// <param name="Items">At most <see cref="SafetyFinding.MaxItems"/> of them, in git's order.</param>
/// <param name="Resolution">A shell command a person can run to inspect or keep the work.</param>
public sealed record SafetyFinding(
    string Kind,
    FindingSeverity Severity,
    FindingScope Scope,
    int Count,
    IReadOnlyList<string> Items,
    string Message,
    string Resolution)
{
    public const int MaxItems = 20;

    public bool ItemsTruncated => Items.Count < Count;

    public bool IsWorkLoss => SafetyFindingKinds.WorkLoss.Contains(Kind);

    /// <summary>True when this finding stops a removal that deletes the branch (or not).</summary>
    public bool Blocks(bool deleteBranch) =>
        Severity == FindingSeverity.Blocking && (Scope == FindingScope.Workspace || deleteBranch);

    public static SafetyFinding Create(
        string kind,
        FindingSeverity severity,
        FindingScope scope,
        IReadOnlyCollection<string> items,
        string message,
        string resolution)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new SafetyFinding(kind, severity, scope, items.Count, [.. items.Take(MaxItems)], message, resolution);
    }
}

/// <summary>What removing one workspace (and optionally its branch) would lose or break.</summary>
public sealed record SafetyReport(
    string RepositoryPath,
    string WorkspacePath,
    string? Branch,
    string? HeadCommit,
    bool IsDetached,
    IReadOnlyList<SafetyFinding> Findings)
{
    public const int Version = 1;

    /// <summary>
    /// The decision: nothing blocking applies to this kind of removal. Keeping the branch keeps its
    /// commits and its stashes meaningful; a detached HEAD's commits go with the directory either way.
    /// </summary>
    public bool IsSafeToRemove(bool deleteBranch) => !Findings.Any(f => f.Blocks(deleteBranch));

    public IReadOnlyList<SafetyFinding> BlockingFindings(bool deleteBranch) =>
        [.. Findings.Where(f => f.Blocks(deleteBranch))];

    /// <summary>True when removal would make content or commits unreachable (policy blockers aside).</summary>
    public bool LosesWork(bool deleteBranch) => Findings.Any(f => f.IsWorkLoss && f.Blocks(deleteBranch));

    public SafetyFinding? Find(string kind) => Findings.FirstOrDefault(f => f.Kind == kind);
}
