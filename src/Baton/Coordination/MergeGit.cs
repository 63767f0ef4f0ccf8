using System.Globalization;
using Baton.Core.Errors;
using Baton.Core.Workspaces;
using Baton.Git;
using Baton.Processes;
using Baton.Workspaces;

namespace Baton.Coordination;

/// <summary>What a rebase in the merge worktree came to.</summary>
public sealed record RebaseOutcome(string? Commit, IReadOnlyList<string> ConflictFiles, string? Error)
{
    public bool Conflicted => ConflictFiles.Count > 0 || (Commit is null && Error is null);
}

/// <summary>What a fast-forward of the default branch came to.</summary>
public enum LandOutcome
{
    Landed,

    /// <summary>The default branch is no longer at the commit the branch was rebased on: rebase again.</summary>
    BaseMoved,
}

/// <summary>
/// The git the merge queue runs. Everything that rebases or resets happens in the merge worktree, always on a
/// detached HEAD (a task's branch stays checked out in its own workspace); the project's checkouts are only ever
/// fast-forwarded, and only when clean.
/// </summary>
public sealed class MergeGit(string repository, MergePaths paths, IReadOnlyDictionary<string, string?> environment)
{
    public const string CheckoutDirty = "main_checkout_dirty";
    public const string MergeWorktreeFailed = "merge_worktree_failed";

    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(10);

    /// <summary>Config that makes a person's git settings unable to change what a rebase here does.</summary>
    private static readonly string[] s_rebaseConfig =
    [
        "-c", "rebase.autoStash=false", "-c", "rebase.updateRefs=false", "-c", "rebase.autoSquash=false",
        "-c", "rebase.abbreviateCommands=false", "-c", "core.editor=true", "-c", "sequence.editor=true",
    ];

    public string Repository => repository;

    public async Task<string?> CommitOfAsync(string reference, CancellationToken cancellationToken)
    {
        var result = await RunAsync(repository, ["rev-parse", "--verify", "--quiet", reference + "^{commit}"], cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput.Trim() : null;
    }

    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken)
    {
        var result = await RunAsync(repository, ["merge-base", "--is-ancestor", ancestor, descendant], cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 && !result.TimedOut;
    }

    public async Task<int> CountAsync(string from, string to, CancellationToken cancellationToken)
    {
        var result = await RunAsync(repository, ["rev-list", "--count", $"{from}..{to}"], cancellationToken).ConfigureAwait(false);
        return result.Succeeded && int.TryParse(result.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;
    }

    /// <summary>
    /// The merge worktree, created when missing and otherwise reused, reset to a detached <paramref name="commit"/>:
    /// a rebase a killed run left is aborted, a stale index lock removed (the caller holds the merge lock and has
    /// killed what a killed run left running), tracked changes reset and untracked files removed. Ignored files
    /// (build caches) are kept, so validation gets faster from merge to merge.
    /// </summary>
    public async Task PrepareAsync(string commit, CancellationToken cancellationToken)
    {
        var path = paths.Worktree;
        var registered = (await WorktreeList.ReadAsync(repository, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(w => SamePath(w.Path, path));
        if (registered is not null && Directory.Exists(path))
        {
            await ResetAsync(cancellationToken).ConfigureAwait(false);
            await MustAsync(path, ["checkout", "--quiet", "--force", "--detach", commit], "check out the branch in the merge worktree", cancellationToken).ConfigureAwait(false);
            await MustAsync(path, ["clean", "-ffdq"], "clean the merge worktree", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (registered is not null)
        {
            // Registered, but the directory was deleted: clear git's record so the path can be added again.
            await RunAsync(repository, ["worktree", "prune"], cancellationToken).ConfigureAwait(false);
        }

        if (Directory.Exists(path))
        {
            // The merge worktree is Baton's own scratch checkout (never a person's): an unregistered leftover goes.
            Directory.Delete(path, recursive: true);
        }

        Directory.CreateDirectory(paths.Directory);
        await MustAsync(repository, ["worktree", "add", "--quiet", "--detach", path, commit], "create the merge worktree", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Leaves no operation in progress in the merge worktree (a kill can land in the middle of a rebase).</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        var path = paths.Worktree;
        if (!Directory.Exists(path))
        {
            return;
        }

        var markers = await GitPathsAsync(path, ["index.lock", "rebase-merge", "rebase-apply"], cancellationToken).ConfigureAwait(false);
        if (markers?[0] is { } lockFile && File.Exists(lockFile))
        {
            File.Delete(lockFile);
        }

        if (markers is not null && markers.Skip(1).Any(Directory.Exists))
        {
            var aborted = await RunAsync(path, ["rebase", "--abort"], cancellationToken).ConfigureAwait(false);
            if (!aborted.Succeeded)
            {
                // --quit forgets the rebase without touching the files; the checkout below resets them.
                await RunAsync(path, ["rebase", "--quit"], cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Rebases the merge worktree's detached HEAD on <paramref name="onto"/>; on a conflict the rebase is left in progress for the caller to abort.</summary>
    public async Task<RebaseOutcome> RebaseAsync(string onto, CancellationToken cancellationToken)
    {
        var path = paths.Worktree;
        var result = await RunAsync(path, [.. s_rebaseConfig, "rebase", "--quiet", onto], cancellationToken, s_long).ConfigureAwait(false);
        if (result.Succeeded)
        {
            var head = await RunAsync(path, ["rev-parse", "HEAD"], cancellationToken).ConfigureAwait(false);
            return new RebaseOutcome(head.StandardOutput.Trim(), [], null);
        }

        if (await RebaseInProgressAsync(path, cancellationToken).ConfigureAwait(false))
        {
            var conflicted = await RunAsync(path, ["diff", "--name-only", "--diff-filter=U", "-z"], cancellationToken).ConfigureAwait(false);
            var files = conflicted.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
            return new RebaseOutcome(null, files, files.Count > 0 ? null : Describe(result));
        }

        return new RebaseOutcome(null, [], Describe(result));
    }

    public async Task AbortRebaseAsync(CancellationToken cancellationToken) => await ResetAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The worktree (the main checkout or a linked one) that has <paramref name="branch"/> checked out, or null.</summary>
    public async Task<WorktreeEntry?> HolderOfAsync(string branch, CancellationToken cancellationToken) =>
        (await WorktreeList.ReadAsync(repository, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(w => !w.IsBare && !w.IsDetached && string.Equals(w.Branch, branch, StringComparison.Ordinal));

    /// <summary>Why a fast-forward must not touch <paramref name="checkout"/> (changes to tracked files, an operation in progress), or null when it is clean.</summary>
    public async Task<string?> DirtyReasonAsync(string checkout, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(checkout))
        {
            return $"{checkout} does not exist";
        }

        (string File, string What)[] operations = [("MERGE_HEAD", "a merge"), ("rebase-merge", "a rebase"), ("rebase-apply", "a rebase or am"), ("CHERRY_PICK_HEAD", "a cherry-pick"), ("REVERT_HEAD", "a revert"), ("BISECT_LOG", "a bisect")];
        var markers = await GitPathsAsync(checkout, [.. operations.Select(o => o.File)], cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < operations.Length && markers is not null; i++)
        {
            if (File.Exists(markers[i]) || Directory.Exists(markers[i]))
            {
                return $"{operations[i].What} is in progress in {checkout}";
            }
        }

        var status = await RunAsync(checkout, ["status", "--porcelain=v1", "-z", "--untracked-files=no", "--ignore-submodules=none"], cancellationToken).ConfigureAwait(false);
        if (!status.Succeeded)
        {
            return $"git status failed in {checkout}: {Describe(status)}";
        }

        var changed = status.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(e => e.Length > 3).Select(e => e[3..]).ToList();
        return changed.Count == 0
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"{checkout} has uncommitted changes to {changed.Count} tracked file(s): {string.Join(", ", changed.Take(5))}{(changed.Count > 5 ? ", …" : string.Empty)}");
    }

    /// <summary>True when <paramref name="workspace"/> exists and holds changes or untracked files git would show.</summary>
    public async Task<bool> HasUncommittedAsync(string workspace, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(workspace))
        {
            return false;
        }

        var status = await RunAsync(workspace, ["status", "--porcelain=v1", "-z"], cancellationToken).ConfigureAwait(false);
        return status.Succeeded && status.StandardOutput.Length > 0;
    }

    /// <summary>
    /// Refuses (exit 3, nothing touched) when the checkout that holds <paramref name="defaultBranch"/> is dirty: its
    /// fast-forward would have to change its files under someone's uncommitted work.
    /// </summary>
    public async Task EnsureDefaultCheckoutCleanAsync(string defaultBranch, CancellationToken cancellationToken)
    {
        if (await HolderOfAsync(defaultBranch, cancellationToken).ConfigureAwait(false) is { } holder
            && await DirtyReasonAsync(holder.Path, cancellationToken).ConfigureAwait(false) is { } reason)
        {
            throw DirtyCheckout(defaultBranch, holder.Path, reason);
        }
    }

    public static BatonException DirtyCheckout(string defaultBranch, string checkout, string reason) => new(
        CheckoutDirty,
        $"the merge queue would have to fast-forward {defaultBranch} in {checkout}, but {reason}; nothing was merged or changed",
        $"Commit or stash the changes there (git -C {ShellQuote.Quote(checkout)} stash), or switch that checkout to another branch, then run 'baton merge' again.",
        Core.Errors.ExitCodes.BlockedBySafetyCheck);

    /// <summary>
    /// Moves <paramref name="defaultBranch"/> from <paramref name="expected"/> to <paramref name="rebased"/>, which
    /// descends from it. A checkout that has the branch checked out is fast-forwarded with <c>git merge --ff-only</c>
    /// (its files follow) only when it is clean; with no such checkout, the ref is moved by compare-and-set, so a
    /// branch someone moved meanwhile is never overwritten.
    /// </summary>
    public async Task<LandOutcome> FastForwardAsync(string defaultBranch, string expected, string rebased, string reason, CancellationToken cancellationToken)
    {
        var holder = await HolderOfAsync(defaultBranch, cancellationToken).ConfigureAwait(false);
        if (holder is null)
        {
            var moved = await RunAsync(repository, ["update-ref", "-m", reason, $"refs/heads/{defaultBranch}", rebased, expected], cancellationToken).ConfigureAwait(false);
            if (moved.Succeeded)
            {
                return LandOutcome.Landed;
            }

            return await CommitOfAsync($"refs/heads/{defaultBranch}", cancellationToken).ConfigureAwait(false) != expected
                ? LandOutcome.BaseMoved
                : throw new BatonException(ErrorCodes.GitFailed, $"git update-ref of {defaultBranch} failed: {Describe(moved)}", $"Check the repository with 'git -C {repository} status'; nothing was merged.");
        }

        if (await DirtyReasonAsync(holder.Path, cancellationToken).ConfigureAwait(false) is { } dirty)
        {
            throw DirtyCheckout(defaultBranch, holder.Path, dirty);
        }

        if (await CommitOfAsync($"refs/heads/{defaultBranch}", cancellationToken).ConfigureAwait(false) != expected)
        {
            return LandOutcome.BaseMoved;
        }

        var merged = await RunAsync(holder.Path, ["-c", "merge.ff=true", "merge", "--ff-only", "--quiet", "--no-stat", rebased], cancellationToken, s_long).ConfigureAwait(false);
        if (merged.Succeeded)
        {
            return LandOutcome.Landed;
        }

        var why = Describe(merged);
        if (why.Contains("would be overwritten", StringComparison.Ordinal) || why.Contains("local changes", StringComparison.Ordinal))
        {
            throw DirtyCheckout(defaultBranch, holder.Path, $"git refused: {why}");
        }

        return await CommitOfAsync($"refs/heads/{defaultBranch}", cancellationToken).ConfigureAwait(false) != expected
            ? LandOutcome.BaseMoved
            : throw new BatonException(ErrorCodes.GitFailed, $"git merge --ff-only in {holder.Path} failed: {why}", $"Check it with 'git -C {holder.Path} status'; nothing was merged.");
    }

    /// <summary>The remote to push to: <c>origin</c>, else the only remote, else null.</summary>
    public async Task<string?> RemoteAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(repository, ["remote"], cancellationToken).ConfigureAwait(false);
        var remotes = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return remotes.Contains("origin") ? "origin" : remotes.Length == 1 ? remotes[0] : null;
    }

    /// <summary>Pushes <paramref name="commit"/> to the remote's <paramref name="defaultBranch"/> (never forced); the error, or null.</summary>
    public async Task<string?> PushAsync(string remote, string commit, string defaultBranch, CancellationToken cancellationToken)
    {
        var result = await RunAsync(repository, ["push", "--quiet", remote, $"{commit}:refs/heads/{defaultBranch}"], cancellationToken, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        return result.Succeeded ? null : Describe(result);
    }

    /// <summary>Deletes a task branch that is still at <paramref name="expectedTip"/> and checked out nowhere; says what it did.</summary>
    public async Task<string> DeleteBranchAsync(string branch, string expectedTip, CancellationToken cancellationToken)
    {
        var tip = await CommitOfAsync($"refs/heads/{branch}", cancellationToken).ConfigureAwait(false);
        if (tip is null)
        {
            return $"the branch {branch} is gone";
        }

        if (tip != expectedTip)
        {
            return $"the branch {branch} was kept: it moved to {MergeNotesShort(tip)} after the merge started";
        }

        if (await HolderOfAsync(branch, cancellationToken).ConfigureAwait(false) is { } holder)
        {
            return $"the branch {branch} was kept: it is checked out at {holder.Path}";
        }

        var deleted = await RunAsync(repository, ["branch", "--quiet", "-D", branch], cancellationToken).ConfigureAwait(false);
        return deleted.Succeeded ? $"the branch {branch} was deleted" : $"the branch {branch} was kept: {Describe(deleted)}";
    }

    /// <summary>Files a 3-way merge of <paramref name="branch"/> into <paramref name="onto"/> would conflict in (git ≥ 2.38; null when git cannot tell).</summary>
    public async Task<IReadOnlyList<string>?> PredictConflictsAsync(string onto, string branch, CancellationToken cancellationToken)
    {
        var result = await RunAsync(repository, ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", onto, branch], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == 0)
        {
            return [];
        }

        if (result.ExitCode != 1)
        {
            return null;
        }

        // Output: the tree id, NUL, then the conflicted paths each ending in NUL, then an empty entry.
        return result.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries).Skip(1).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>True when a rebase is in progress in <paramref name="worktree"/> (the merge worktree, after a kill).</summary>
    public async Task<bool> RebaseInProgressAsync(string worktree, CancellationToken cancellationToken) =>
        (await GitPathsAsync(worktree, ["rebase-merge", "rebase-apply"], cancellationToken).ConfigureAwait(false))?.Any(Directory.Exists) == true;

    /// <summary>Where git keeps each of <paramref name="names"/> for <paramref name="worktree"/> (one process for all), or null.</summary>
    private async Task<string[]?> GitPathsAsync(string worktree, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var result = await RunAsync(worktree, ["rev-parse", .. names.SelectMany(n => new[] { "--git-path", n })], cancellationToken).ConfigureAwait(false);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return result.Succeeded && lines.Length == names.Count ? [.. lines.Select(l => Path.GetFullPath(l, worktree))] : null;
    }

    private async Task MustAsync(string directory, IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken)
    {
        var result = await RunAsync(directory, arguments, cancellationToken, s_long).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new BatonException(MergeWorktreeFailed, $"could not {what} ({paths.Worktree}): {Describe(result)}", $"Look at it with 'git -C {repository} worktree list'; 'baton doctor --fix' resets the merge worktree.");
        }
    }

    private Task<ProcessResult> RunAsync(string directory, IReadOnlyList<string> arguments, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        GitCli.RunAsync(directory, arguments, environment, cancellationToken, timeout);

    private static string Describe(ProcessResult result)
    {
        if (result.TimedOut)
        {
            return "git timed out";
        }

        var text = (result.StandardError.Trim().Length > 0 ? result.StandardError : result.StandardOutput).Trim();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith("hint:", StringComparison.Ordinal)).Take(4);
        return string.Join(" ", lines) is { Length: > 0 } joined ? joined : string.Create(CultureInfo.InvariantCulture, $"exit code {result.ExitCode}");
    }

    private static string MergeNotesShort(string commit) => Core.Coordination.MergeNotes.Short(commit);

    private static bool SamePath(string a, string b) =>
        string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.Ordinal)
        || string.Equals(PathSafety.Canonicalize(a), PathSafety.Canonicalize(b), StringComparison.Ordinal);
}
