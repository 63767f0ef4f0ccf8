using Baton.Core.Proofs;
using Baton.Core.Workspaces;
using Baton.Git;
using Baton.Workspaces;

namespace Baton.Proofs;

/// <summary>The git facts of a workspace, or why there are none.</summary>
public sealed record GitReading(GitFacts? Facts, string? Problem);

/// <summary>
/// Reads a workspace's git facts for a proof: branch, base (merge-base with the default branch), head, the commits and
/// the per-file diff stat between them, and what is not committed. For a worktree of the project's repository the
/// uncommitted work comes from the git safety analysis (which also sees changes hidden by assume-unchanged or
/// skip-worktree, and operations in progress); for any other checkout, from <c>git status</c>.
/// </summary>
public static class GitFactsReader
{
    /// <summary>Finding kinds that mean the branch does not hold all the work.</summary>
    private static readonly HashSet<string> s_notCommitted = new(StringComparer.Ordinal)
    {
        SafetyFindingKinds.StagedChanges,
        SafetyFindingKinds.UnstagedChanges,
        SafetyFindingKinds.UntrackedFiles,
        SafetyFindingKinds.ConflictedFiles,
        SafetyFindingKinds.HiddenChanges,
        SafetyFindingKinds.DirtySubmodules,
        SafetyFindingKinds.UnverifiableDirectory,
        SafetyFindingKinds.OperationInProgress,
        SafetyFindingKinds.DetachedHeadUnreachableCommits,
        SafetyFindingKinds.HeadOnOtherBranch,
    };

    /// <param name="repositoryPath">The project's repository when the workspace is one of its worktrees, else null.</param>
    /// <param name="branch">The task branch the workspace should be on, when known.</param>
    public static async Task<GitReading> ReadAsync(string workspace, string? repositoryPath, string? branch, string? defaultBranch, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        if (!Directory.Exists(workspace))
        {
            return new GitReading(null, $"the workspace {workspace} no longer exists");
        }

        var inside = await GitCli.RunAsync(workspace, ["rev-parse", "--is-inside-work-tree"], cancellationToken).ConfigureAwait(false);
        if (!inside.Succeeded || inside.StandardOutput.Trim() != "true")
        {
            return new GitReading(null, $"the workspace {workspace} is not a git repository");
        }

        var head = await GitCli.TryReadAsync(workspace, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], cancellationToken).ConfigureAwait(false);
        var current = await GitCli.TryReadAsync(workspace, ["symbolic-ref", "--short", "-q", "HEAD"], cancellationToken).ConfigureAwait(false);
        var (baseRef, baseCommit) = head is null ? (null, null) : await BaseAsync(workspace, defaultBranch, cancellationToken).ConfigureAwait(false);

        IReadOnlyList<ProofCommit> commits = [];
        IReadOnlyList<ProofFileChange> files = [];
        if (head is not null)
        {
            var range = baseCommit is null ? head : $"{baseCommit}..{head}";
            var log = await GitCli.RunAsync(workspace, ["log", GitFactsParser.LogFormat, range], cancellationToken).ConfigureAwait(false);
            commits = log.Succeeded ? GitFactsParser.ParseLog(log.StandardOutput) : [];

            // Against the empty tree when there is no base: the whole history is the task's.
            var from = baseCommit ?? await GitCli.TryReadAsync(workspace, ["hash-object", "-t", "tree", "/dev/null"], cancellationToken).ConfigureAwait(false) ?? "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
            var diff = await GitCli.RunAsync(workspace, ["diff", "--numstat", "-z", "--no-renames", "--no-ext-diff", from, head], cancellationToken).ConfigureAwait(false);
            files = diff.Succeeded ? GitFactsParser.ParseNumstat(diff.StandardOutput) : [];
        }

        var uncommitted = repositoryPath is not null && defaultBranch is not null
            ? await FromSafetyAnalysisAsync(repositoryPath, workspace, branch ?? current, defaultBranch, cancellationToken).ConfigureAwait(false)
            : null;
        uncommitted ??= await FromStatusAsync(workspace, cancellationToken).ConfigureAwait(false);

        return new GitReading(
            new GitFacts
            {
                Branch = current,
                BaseRef = baseRef,
                BaseCommit = baseCommit,
                HeadCommit = head,
                Commits = commits,
                Files = files,
                Uncommitted = uncommitted,
            },
            null);
    }

    /// <summary>The merge-base with the default branch; then origin/HEAD, main and master, for checkouts Baton did not make.</summary>
    private static async Task<(string? Ref, string? Commit)> BaseAsync(string workspace, string? defaultBranch, CancellationToken cancellationToken)
    {
        foreach (var candidate in new[] { defaultBranch, "origin/HEAD", "main", "master" }.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var merge = await GitCli.TryReadAsync(workspace, ["merge-base", "HEAD", candidate], cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(merge))
            {
                return (candidate, merge);
            }
        }

        return (null, null);
    }

    private static async Task<IReadOnlyList<UncommittedWork>?> FromSafetyAnalysisAsync(string repositoryPath, string workspace, string? branch, string defaultBranch, CancellationToken cancellationToken)
    {
        try
        {
            var report = await new GitSafetyAnalyzer().AnalyzeAsync(repositoryPath, workspace, branch, defaultBranch, cancellationToken).ConfigureAwait(false);
            return [.. report.Findings
                .Where(f => s_notCommitted.Contains(f.Kind))
                .Select(f => new UncommittedWork(f.Kind, f.Message, f.Count, f.Items))];
        }
        catch (Core.Errors.BatonException)
        {
            // Not a worktree of that repository after all (a directory workspace): git status decides.
            return null;
        }
    }

    private static async Task<IReadOnlyList<UncommittedWork>> FromStatusAsync(string workspace, CancellationToken cancellationToken)
    {
        var status = await GitCli.RunAsync(
            workspace,
            ["-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignore-submodules=none", "--no-renames"],
            cancellationToken).ConfigureAwait(false);
        if (!status.Succeeded)
        {
            return [new UncommittedWork(SafetyFindingKinds.UnverifiableDirectory, $"git status failed: {status.StandardError.Trim()}", 1, [workspace])];
        }

        var summary = GitPorcelain.ParseStatus(status.StandardOutput);
        var work = new List<UncommittedWork>();
        void Add(string kind, string message, IReadOnlyList<string> items)
        {
            if (items.Count > 0)
            {
                work.Add(new UncommittedWork(kind, message, items.Count, [.. items.Take(SafetyFinding.MaxItems)]));
            }
        }

        Add(SafetyFindingKinds.StagedChanges, "staged changes not committed", summary.Staged);
        Add(SafetyFindingKinds.UnstagedChanges, "modified files not committed", summary.Unstaged);
        Add(SafetyFindingKinds.UntrackedFiles, "untracked files", summary.Untracked);
        Add(SafetyFindingKinds.ConflictedFiles, "files with merge conflicts", summary.Conflicted);
        Add(SafetyFindingKinds.DirtySubmodules, "submodules with changes", summary.DirtySubmodules);
        return work;
    }
}
