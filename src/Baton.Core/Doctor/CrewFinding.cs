namespace Baton.Core.Doctor;

/// <summary>The lower_snake_case kinds of what <c>baton doctor</c> finds in a running crew (stable: they appear in JSON).</summary>
public static class CrewFindingKinds
{
    /// <summary>status.json says the session runs, but its worker is dead (and its tmux session gone, or its agent orphaned).</summary>
    public const string SessionDead = "session_dead";

    /// <summary>A live session works in a directory that no longer exists.</summary>
    public const string SessionWithoutWorkspace = "session_without_workspace";

    /// <summary>A workspace (a registered worktree) no session has.</summary>
    public const string WorkspaceWithoutSession = "workspace_without_session";

    /// <summary>git still registers a worktree whose directory was deleted.</summary>
    public const string WorkspaceMissing = "workspace_missing";

    /// <summary>A directory in the workspace root that git does not know as a worktree.</summary>
    public const string WorkspaceUnregistered = "workspace_unregistered";

    /// <summary>A lock whose holder is dead: the merge lock's owner file, or a git lock file nothing holds.</summary>
    public const string StaleLock = "stale_lock";

    /// <summary>A merge a killed run left: its journal, or a rebase in progress in the merge worktree.</summary>
    public const string StuckMerge = "stuck_merge";

    /// <summary>A merge queue is running now (information).</summary>
    public const string MergeRunning = "merge_running";
}

/// <summary>Whether a finding needs a person (or <c>--fix</c>) or is only worth telling.</summary>
public static class CrewSeverity
{
    public const string Problem = "problem";
    public const string Info = "info";
}

/// <summary>
/// One thing <c>baton doctor</c> found in a project's crew. <see cref="Command"/> is what resolves it by hand;
/// <see cref="Fixable"/> says whether <c>--fix</c> may do it (only what loses no work), and <see cref="Fixed"/> what it did.
/// </summary>
public sealed record CrewFinding(
    string Kind,
    string Severity,
    string Project,
    string Subject,
    string Message,
    string? Command,
    bool Fixable,
    string? Fixed = null,
    string? FixError = null)
{
    /// <summary>Still a problem after <c>--fix</c> (if it ran): it decides the exit code.</summary>
    public bool Outstanding => Severity == CrewSeverity.Problem && Fixed is null;
}

public static class CrewRules
{
    /// <summary>How old a git lock file must be before nothing holding it makes it stale (git holds one for milliseconds).</summary>
    public static readonly TimeSpan GitLockAge = TimeSpan.FromSeconds(60);

    public static bool IsHealthy(IEnumerable<CrewFinding> findings) => !findings.Any(f => f.Outstanding);
}
