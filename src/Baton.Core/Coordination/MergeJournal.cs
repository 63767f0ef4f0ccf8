namespace Baton.Core.Coordination;

/// <summary>
/// What the merge queue is doing to one task, written to the project's instance directory (atomically) before each
/// step that changes anything, so a run killed at any point can be finished or cleanly restarted by the next.
/// </summary>
public sealed record MergeJournal
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public required string TaskId { get; init; }

    public required string Identifier { get; init; }

    /// <summary>The task's branch (<c>baton/&lt;TASK-ID&gt;</c> or the tracker's).</summary>
    public required string Branch { get; init; }

    /// <summary>The branch's commit when the merge started: what is rebased, and what the branch must still be at to land.</summary>
    public required string BranchTip { get; init; }

    public required string DefaultBranch { get; init; }

    /// <summary>The default branch's commit the branch is rebased on: the fast-forward's expected old value.</summary>
    public required string Base { get; init; }

    /// <summary>The rebased commit, once the rebase succeeded: what the default branch is fast-forwarded to.</summary>
    public string? Rebased { get; init; }

    /// <summary>One of <see cref="MergePhases"/>.</summary>
    public required string Phase { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The process that wrote it (for people and <c>baton doctor</c>; the lock, not this, says whether it runs).</summary>
    public int Pid { get; init; }
}

/// <summary>The steps of one merge, in order, as the journal records them.</summary>
public static class MergePhases
{
    /// <summary>The branch is being rebased in the merge worktree; nothing outside it has changed.</summary>
    public const string Rebasing = "rebasing";

    /// <summary>Rebased; the validation commands run in the merge worktree.</summary>
    public const string Validating = "validating";

    /// <summary>Validated; the default branch is being fast-forwarded (it may or may not have moved).</summary>
    public const string Landing = "landing";

    /// <summary>The default branch holds the work; what is left is the push, the workspace, the branch and the task.</summary>
    public const string Landed = "landed";
}

/// <summary>What a re-run does with a journal a killed merge left.</summary>
public enum MergeRecovery
{
    /// <summary>The work is in the default branch: finish the clean-up steps (each is idempotent), never merge again.</summary>
    Finish,

    /// <summary>Nothing outside the merge worktree changed: reset the worktree, forget the journal, merge the task anew.</summary>
    Restart,
}

public static class MergeRecoveryRules
{
    /// <summary>
    /// The default branch decides, not the phase written last: a kill between the fast-forward and the journal's next
    /// write leaves "landing" on disk with the work already landed.
    /// </summary>
    public static MergeRecovery Decide(MergeJournal journal, bool rebasedIsInDefaultBranch)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return journal.Rebased is not null && rebasedIsInDefaultBranch ? MergeRecovery.Finish : MergeRecovery.Restart;
    }
}
