using System.Globalization;

namespace Baton.Core.Workspaces;

/// <summary>What git says about one workspace, gathered by the analyzer; the builder decides what it means.</summary>
public sealed record WorkspaceGitFacts
{
    public required string RepositoryPath { get; init; }

    public required string WorkspacePath { get; init; }

    public required string DefaultBranch { get; init; }

    public required WorktreeEntry Worktree { get; init; }

    /// <summary>The branch a removal with <c>deleteBranch</c> would delete (null: none known).</summary>
    public string? Branch { get; init; }

    /// <summary>Null when <see cref="Branch"/> does not exist.</summary>
    public BranchInfo? BranchInfo { get; init; }

    public bool DirectoryExists { get; init; }

    /// <summary>Null when the directory could not be looked at (it is gone, or no longer a worktree).</summary>
    public GitStatusSummary? Status { get; init; }

    public IReadOnlyList<string> HiddenChanges { get; init; } = [];

    public IReadOnlyList<string> OperationsInProgress { get; init; } = [];

    /// <summary>Commits only the worktree's HEAD or its per-worktree refs reach.</summary>
    public IReadOnlyList<CommitSummary> WorkspaceOnlyCommits { get; init; } = [];

    /// <summary>Commits only the workspace branch (or the worktree) reaches.</summary>
    public IReadOnlyList<CommitSummary> BranchOnlyCommits { get; init; } = [];

    public IReadOnlyList<StashEntry> Stashes { get; init; } = [];

    public IReadOnlyList<string> Remotes { get; init; } = [];
}

/// <summary>Turns <see cref="WorkspaceGitFacts"/> into a <see cref="SafetyReport"/>. Pure.</summary>
public static class SafetyReportBuilder
{
    public static SafetyReport Build(WorkspaceGitFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var ws = ShellQuote.Quote(facts.WorkspacePath);
        var repo = ShellQuote.Quote(facts.RepositoryPath);
        var findings = new List<SafetyFinding>();
        var worktree = facts.Worktree;

        if (worktree.IsLocked)
        {
            var reason = string.IsNullOrEmpty(worktree.LockReason) ? "no reason given" : worktree.LockReason;
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.LockedWorktree, FindingSeverity.Blocking, FindingScope.Workspace, [reason],
                $"The worktree is locked ({reason}); whoever locked it may still be using it.",
                $"git -C {repo} worktree unlock {ws}"));
        }

        if (!facts.DirectoryExists)
        {
            // git calls this "prunable" unless a lock protects the entry; either way nothing is left on disk.
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.Prunable, FindingSeverity.Info, FindingScope.Workspace,
                [worktree.PrunableReason ?? "directory is missing"],
                "The directory is already gone; removal only prunes git's record of it.",
                $"git -C {repo} worktree prune"));
        }
        else if (worktree.IsPrunable)
        {
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.UnverifiableDirectory, FindingSeverity.Blocking, FindingScope.Workspace,
                [worktree.PrunableReason ?? "gitdir file points to non-existent location"],
                "The directory exists but git no longer treats it as this worktree, so its files cannot be checked.",
                $"git -C {repo} worktree repair {ws}"));
        }
        else if (facts.Status is null)
        {
            // The analyzer always fills Status for a live worktree; a missing one must never read as clean.
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.UnverifiableDirectory, FindingSeverity.Blocking, FindingScope.Workspace, ["status unavailable"],
                "The working tree could not be inspected.",
                $"git -C {ws} status"));
        }

        if (facts.OperationsInProgress.Count > 0)
        {
            var first = facts.OperationsInProgress[0];
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.OperationInProgress, FindingSeverity.Blocking, FindingScope.Workspace, facts.OperationsInProgress,
                $"A {string.Join(", ", facts.OperationsInProgress)} is in progress; its state lives in the worktree.",
                ContinueOrAbort(ws, first)));
        }

        if (facts.Status is { } status)
        {
            AddFiles(findings, SafetyFindingKinds.ConflictedFiles, status.Conflicted, "file(s) with unresolved conflicts", $"git -C {ws} status");
            AddFiles(findings, SafetyFindingKinds.StagedChanges, status.Staged, "staged change(s) not committed", $"git -C {ws} commit -m 'Save work'");
            AddFiles(findings, SafetyFindingKinds.UnstagedChanges, status.Unstaged, "change(s) to tracked files not staged", $"git -C {ws} add -A && git -C {ws} commit -m 'Save work'");
            AddFiles(findings, SafetyFindingKinds.UntrackedFiles, status.Untracked, "untracked file(s) not ignored", $"git -C {ws} add -A && git -C {ws} commit -m 'Save work'");
            AddFiles(findings, SafetyFindingKinds.DirtySubmodules, status.DirtySubmodules, "submodule(s) with uncommitted or unrecorded work", $"git -C {ws} submodule foreach --recursive git status");
        }

        AddFiles(
            findings, SafetyFindingKinds.HiddenChanges, facts.HiddenChanges,
            "file(s) marked assume-unchanged or skip-worktree that differ from the index (git status does not show them)",
            $"git -C {ws} ls-files -v | grep -v '^H '");

        var head = worktree.Head;
        if (facts.WorkspaceOnlyCommits.Count > 0)
        {
            var where = worktree.IsDetached ? "the detached HEAD" : "this worktree's own refs";
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.DetachedHeadUnreachableCommits, FindingSeverity.Blocking, FindingScope.Workspace,
                Describe(facts.WorkspaceOnlyCommits),
                $"{Count(facts.WorkspaceOnlyCommits.Count)} commit(s) reachable only from {where}; they are lost with the directory even if the branch is kept.",
                $"git -C {ws} branch baton-saved/{Short(head)} {Short(head)}"));
        }

        AddBranchFindings(findings, facts, ws, repo);
        AddStashFindings(findings, facts, repo);

        return new SafetyReport(facts.RepositoryPath, facts.WorkspacePath, facts.Branch, head, worktree.IsDetached, findings);
    }

    private static void AddBranchFindings(List<SafetyFinding> findings, WorkspaceGitFacts facts, string ws, string repo)
    {
        var branch = facts.Branch;
        if (branch is null)
        {
            return;
        }

        var quotedBranch = ShellQuote.Quote(branch);
        if (facts.BranchInfo is null)
        {
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.BranchMissing, FindingSeverity.Info, FindingScope.Branch, [branch],
                $"The workspace branch {branch} does not exist; there is nothing to delete.",
                $"git -C {repo} branch --list {quotedBranch}"));
        }

        if (facts.Worktree.Branch is { } current && current != branch)
        {
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.HeadOnOtherBranch, FindingSeverity.Info, FindingScope.Workspace, [current],
                $"The worktree has {current} checked out, not the workspace branch {branch}; {current} is kept.",
                $"git -C {ws} status"));
        }

        if (string.Equals(branch, facts.DefaultBranch, StringComparison.Ordinal))
        {
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.DefaultBranch, FindingSeverity.Blocking, FindingScope.Branch, [branch],
                $"{branch} is the project's default branch; Baton never deletes it.",
                "Remove the workspace without deleting its branch."));
        }

        if (facts.BranchOnlyCommits.Count > 0)
        {
            var info = facts.BranchInfo;
            var remote = info?.UpstreamRemote ?? (facts.Remotes.Contains("origin") ? "origin" : facts.Remotes.FirstOrDefault());
            string why;
            if (info?.Upstream is null)
            {
                why = "the branch was never pushed";
            }
            else if (info.UpstreamGone)
            {
                why = $"its upstream {info.Upstream} no longer exists";
            }
            else
            {
                why = $"they are not on {info.Upstream} (not pushed yet, or rewritten after the push)";
            }

            var resolution = remote is null
                ? $"git -C {repo} merge {quotedBranch}"
                : $"git -C {ws} push -u {ShellQuote.Quote(remote)} {quotedBranch}";
            if (info?.Upstream is not null && !info.UpstreamGone && remote is not null)
            {
                // Pushed once and then amended or rebased: a plain push is refused, and forcing it is a person's call.
                resolution = $"git -C {ws} log --oneline {quotedBranch}@{{upstream}}...{quotedBranch}";
            }

            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.UnpushedCommits, FindingSeverity.Blocking, FindingScope.Branch,
                Describe(facts.BranchOnlyCommits),
                $"{Count(facts.BranchOnlyCommits.Count)} commit(s) on {branch} exist on no other branch, tag or remote-tracking ref; {why}.",
                resolution));
        }
    }

    private static void AddStashFindings(List<SafetyFinding> findings, WorkspaceGitFacts facts, string repo)
    {
        if (facts.Stashes.Count == 0)
        {
            return;
        }

        // The stash list belongs to the repository, not to a worktree: removal deletes no stash entry.
        // An entry made on the workspace branch loses its meaning once that branch is gone, so it
        // blocks deleting the branch; every other entry is reported for information only.
        var branch = facts.Branch ?? facts.Worktree.Branch;
        var ours = facts.Stashes.Where(s => branch is not null && s.Branch == branch).ToList();
        var others = facts.Stashes.Where(s => !ours.Contains(s)).ToList();
        if (ours.Count > 0)
        {
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.Stashes, FindingSeverity.Blocking, FindingScope.Branch,
                [.. ours.Select(s => $"{s.Selector}: {s.Subject}")],
                $"{Count(ours.Count)} stash entr(ies) were made on {branch}.",
                $"git -C {repo} stash show -p {ShellQuote.Quote(ours[0].Selector)}"));
        }

        if (others.Count > 0)
        {
            findings.Add(SafetyFinding.Create(
                SafetyFindingKinds.OtherStashes, FindingSeverity.Info, FindingScope.Workspace,
                [.. others.Select(s => $"{s.Selector}: {s.Subject}")],
                $"{Count(others.Count)} stash entr(ies) of other branches (or of a detached HEAD) exist in the repository; removal keeps them.",
                $"git -C {repo} stash list"));
        }
    }

    private static void AddFiles(List<SafetyFinding> findings, string kind, IReadOnlyList<string> paths, string what, string resolution)
    {
        if (paths.Count == 0)
        {
            return;
        }

        findings.Add(SafetyFinding.Create(
            kind, FindingSeverity.Blocking, FindingScope.Workspace, paths, $"{Count(paths.Count)} {what}.", resolution));
    }

    private static string ContinueOrAbort(string ws, string operation) => operation switch
    {
        "merge" => $"git -C {ws} merge --continue  # or: git -C {ws} merge --abort",
        "rebase" => $"git -C {ws} rebase --continue  # or: git -C {ws} rebase --abort",
        "am" => $"git -C {ws} am --continue  # or: git -C {ws} am --abort",
        "cherry-pick" => $"git -C {ws} cherry-pick --continue  # or: git -C {ws} cherry-pick --abort",
        "revert" => $"git -C {ws} revert --continue  # or: git -C {ws} revert --abort",
        "bisect" => $"git -C {ws} bisect reset",
        _ => $"git -C {ws} status",
    };

    private static string[] Describe(IReadOnlyList<CommitSummary> commits) => [.. commits.Select(c => c.ToString())];

    private static string Count(int count) => count.ToString(CultureInfo.InvariantCulture);

    private static string Short(string? id) => id is null ? "HEAD" : id.Length > 12 ? id[..12] : id;
}
