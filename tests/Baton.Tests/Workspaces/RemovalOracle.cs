using System.Text;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Workspaces;

/// <summary>What actually happened when a workspace was removed (and then its branch deleted).</summary>
internal sealed record OracleVerdict(bool LostWithDirectory, bool LostWithBranch, bool RefusedBecauseLocked, string Detail);

/// <summary>
/// Decides "was work lost?" by doing the removal and looking, with none of the analyzer's reasoning:
/// (1) every commit reachable from any ref (stash excepted, as in the analyzer's contract) or any
/// worktree's HEAD before must still be reachable after; (2) the workspace's index and its non-ignored
/// files, snapshotted as trees through a scratch index, must equal the tree of its HEAD commit.
/// Removal is done on the state itself, not a copy: worktree links are absolute paths in git 2.39, so a
/// copied repository would still point at (and remove) the original's worktree. The two removals are
/// monotonic — removing the directory, then deleting the branch — so one pass observes both.
/// </summary>
internal static class RemovalOracle
{
    public static async Task<OracleVerdict> JudgeAsync(GitSandbox git, string workspace, string branch, string scratch)
    {
        var detail = new StringBuilder();
        var live = File.Exists(Path.Combine(workspace, ".git"));
        HashSet<string> before;
        var contentLost = false;
        if (live)
        {
            // From inside the workspace, --all also sees its HEAD and its per-worktree refs.
            before = Lines(await git.GitAsync(workspace, "rev-list", "--exclude=refs/stash", "--all"));
            var headTree = await git.GitAsync(workspace, "rev-parse", "HEAD^{tree}");
            var indexTree = await git.TryGitAsync(workspace, "write-tree");
            var worktreeTree = await SnapshotWorkingTreeAsync(git, workspace, scratch);
            contentLost = !indexTree.Succeeded || indexTree.StandardOutput.Trim() != headTree || worktreeTree != headTree;
            detail.Append($"head-tree={headTree[..8]} index-tree={(indexTree.Succeeded ? indexTree.StandardOutput.Trim()[..8] : "unmerged")} worktree-tree={worktreeTree[..8]}; ");
        }
        else
        {
            before = Lines(await git.GitAsync(git.Repo, "rev-list", "--exclude=refs/stash", "--all"));
            detail.Append("directory gone; ");
        }

        var removal = await git.TryGitAsync(git.Repo, "worktree", "remove", "--force", workspace);
        var refused = !removal.Succeeded;
        if (refused)
        {
            detail.Append($"remove refused: {removal.StandardError.Trim()}; ");
            await git.GitAsync(git.Repo, "worktree", "remove", "--force", "--force", workspace);
        }

        var afterDirectory = Lines(await git.GitAsync(git.Repo, "rev-list", "--exclude=refs/stash", "--all"));
        var lostCommitsDirectory = before.Except(afterDirectory).Count();

        var branchExists = (await git.TryGitAsync(git.Repo, "rev-parse", "--verify", "--quiet", "refs/heads/" + branch)).Succeeded;
        if (branchExists)
        {
            await git.GitAsync(git.Repo, "branch", "-D", branch);
        }

        var afterBranch = Lines(await git.GitAsync(git.Repo, "rev-list", "--exclude=refs/stash", "--all"));
        var lostCommitsBranch = before.Except(afterBranch).Count();
        detail.Append($"content-lost={contentLost} commits-lost(dir)={lostCommitsDirectory} commits-lost(branch)={lostCommitsBranch}");
        return new OracleVerdict(contentLost || lostCommitsDirectory > 0, contentLost || lostCommitsBranch > 0, refused, detail.ToString());
    }

    /// <summary>
    /// The tree the workspace's files would commit as: a scratch copy of the index with the
    /// assume-unchanged and skip-worktree marks cleared (so git looks at every file), then <c>add -A</c>.
    /// </summary>
    private static async Task<string> SnapshotWorkingTreeAsync(GitSandbox git, string workspace, string scratch)
    {
        var gitDir = await git.GitAsync(workspace, "rev-parse", "--absolute-git-dir");
        var index = Path.Combine(scratch, "oracle-index");
        File.Copy(Path.Combine(gitDir, "index"), index, overwrite: true);

        // git trusts an entry's stat data only when the entry is older than the index file itself (its
        // "racy git" rule). A fresh copy looks newer than every file and would hide a same-second,
        // same-size rewrite; an index dated 1970 makes git compare every file's content instead.
        File.SetLastWriteTimeUtc(index, DateTime.UnixEpoch.AddDays(1));
        var environment = new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = index };
        var staged = await Must(git.RunGitAsync(workspace, ["ls-files", "-s", "-z"], environment));

        // "<mode> <object> <stage>\t<path>"; unmerged entries (stage 1-3) cannot carry the marks.
        var paths = staged.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(r => r[..r.IndexOf('\t', StringComparison.Ordinal)].EndsWith(" 0", StringComparison.Ordinal))
            .Select(r => r[(r.IndexOf('\t', StringComparison.Ordinal) + 1)..] + "\0");
        await Must(git.RunGitAsync(workspace, ["update-index", "--no-assume-unchanged", "--no-skip-worktree", "-z", "--stdin"], environment, string.Concat(paths)));
        await Must(git.RunGitAsync(workspace, ["add", "-A"], environment));
        var tree = await Must(git.RunGitAsync(workspace, ["write-tree"], environment));
        return tree.StandardOutput.Trim();
    }

    private static async Task<Baton.Processes.ProcessResult> Must(Task<Baton.Processes.ProcessResult> run)
    {
        var result = await run;
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("oracle git call failed: " + result.StandardError);
        }

        return result;
    }

    private static HashSet<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
