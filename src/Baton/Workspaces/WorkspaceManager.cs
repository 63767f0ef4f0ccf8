using System.Globalization;
using Baton.Core.Errors;
using Baton.Core.Workspaces;
using Baton.Git;

namespace Baton.Workspaces;

/// <summary>
/// Creates or reuses the one workspace of a task (Symphony §9.1–§9.3): a deterministic path under the root, reused
/// across retries and sessions and never reset; a new one is populated by <c>after_create</c>, and removed again
/// when that hook fails. Nothing that already exists is ever deleted here.
/// </summary>
public static class WorkspaceManager
{
    public const string PathNotDirectory = "workspace_path_not_directory";
    public const string PathOccupied = "workspace_path_occupied";
    public const string RepositoryEmpty = "repository_empty";
    public const string BranchCheckedOut = "branch_checked_out";
    public const string InvalidBranchName = "invalid_branch_name";
    public const string HookFailed = "hook_failed";

    public static string PathFor(WorkspaceLayout layout, WorkspaceTask task)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(task);
        return Path.Combine(layout.Root, WorkspaceKey.From(task.Identifier));
    }

    public static string BranchFor(WorkspaceTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return string.IsNullOrWhiteSpace(task.BranchName) ? $"baton/{task.Identifier}" : task.BranchName.Trim();
    }

    public static async Task<Workspace> CreateOrReuseAsync(WorkspaceLayout layout, WorkspaceTask task, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(task);
        EnsureRoot(layout.Root);
        var key = WorkspaceKey.From(task.Identifier);
        var path = PathSafety.EnsureInside(layout.Root, Path.Combine(layout.Root, key));

        // One creator at a time per workspace, across processes (FileShare.None is an flock on Unix). The lock file
        // stays: deleting it on close would let two later processes lock two different inodes of the same name.
        using var gate = await AcquireLockAsync(Path.Combine(layout.Root, $".{key}.lock"), cancellationToken).ConfigureAwait(false);
        var workspace = layout.Strategy == WorkspaceLayout.Worktree
            ? await CreateWorktreeAsync(layout, task, key, path, cancellationToken).ConfigureAwait(false)
            : CreateDirectory(key, path);

        if (workspace.CreatedNow && layout.Hooks.AfterCreate is { } script && script.Trim().Length > 0)
        {
            var result = await HookRunner.RunAsync(HookNames.AfterCreate, script, path, HookEnvironment(layout, task, workspace), TimeSpan.FromMilliseconds(layout.Hooks.TimeoutMs), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                await DiscardNewAsync(layout, workspace, cancellationToken).ConfigureAwait(false);
                throw new BatonException(
                    HookFailed,
                    $"{result.Describe()}; the new workspace was removed so the next attempt starts clean. Output: {result.Excerpt.Trim()}",
                    "Fix the after_create hook in WORKFLOW.md (hooks.after_create) and try again.");
            }
        }

        return workspace;
    }

    /// <summary>The environment every hook sees: the task and the workspace, on top of the layout's own.</summary>
    public static Dictionary<string, string?> HookEnvironment(WorkspaceLayout layout, WorkspaceTask task, Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(workspace);
        var environment = new Dictionary<string, string?>(layout.Environment)
        {
            ["BATON_TASK_ID"] = task.Id,
            ["BATON_TASK_IDENTIFIER"] = task.Identifier,
            ["BATON_TASK_BRANCH"] = workspace.Branch ?? string.Empty,
            ["BATON_WORKSPACE"] = workspace.Path,
        };
        return environment;
    }

    private static void EnsureRoot(string root)
    {
        if (File.Exists(root))
        {
            throw new BatonException(
                PathSafety.RootNotDirectory,
                $"the workspace root {root} is a file",
                "Move the file away or set workspace.root in WORKFLOW.md to a directory.");
        }

        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatonException(PathSafety.RootNotDirectory, $"cannot create the workspace root {root}: {ex.Message}", "Check the path and its permissions.");
        }
    }

    private static Workspace CreateDirectory(string key, string path)
    {
        if (File.Exists(path))
        {
            throw NotADirectory(path);
        }

        var created = !Directory.Exists(path);
        Directory.CreateDirectory(path);
        return new Workspace(path, key, WorkspaceLayout.Directory, null, created);
    }

    private static async Task<Workspace> CreateWorktreeAsync(WorkspaceLayout layout, WorkspaceTask task, string key, string path, CancellationToken cancellationToken)
    {
        var repository = layout.RepositoryPath ?? throw new InvalidOperationException("the worktree strategy needs a repository");
        var branch = BranchFor(task);
        var worktrees = await WorktreeList.ReadAsync(repository, cancellationToken).ConfigureAwait(false);
        var registered = worktrees.FirstOrDefault(w => SamePath(w.Path, path));

        if (registered is not null && Directory.Exists(path))
        {
            return new Workspace(path, key, WorkspaceLayout.Worktree, registered.Branch, CreatedNow: false);
        }

        if (File.Exists(path))
        {
            throw NotADirectory(path);
        }

        if (Directory.Exists(path))
        {
            if (Directory.EnumerateFileSystemEntries(path).Any())
            {
                throw new BatonException(
                    PathOccupied,
                    $"{path} exists, holds files, and is not a worktree of {repository}",
                    $"Look at what is in {path} and move it away; Baton does not delete what it did not create.");
            }

            Directory.Delete(path);
        }

        if (registered is not null)
        {
            // Registered, but the directory was deleted by hand: clear git's record so the path and branch can be used again.
            await GitCli.RunAsync(repository, ["worktree", "prune"], cancellationToken).ConfigureAwait(false);
        }

        // One git process answers every ref question (each process start costs more than the lookups themselves).
        var defaultBranch = layout.DefaultBranch;
        string[] wanted = defaultBranch is null
            ? [$"refs/heads/{branch}"]
            : [$"refs/heads/{branch}", $"refs/heads/{defaultBranch}", $"refs/remotes/origin/{defaultBranch}"];
        var listed = await GitCli.RunAsync(repository, ["for-each-ref", "--format=%(refname)", .. wanted], cancellationToken).ConfigureAwait(false);
        var refs = listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        List<string> arguments;
        if (refs.Contains($"refs/heads/{branch}"))
        {
            var holder = worktrees.FirstOrDefault(w => w.Branch == branch && !SamePath(w.Path, path));
            if (holder is not null)
            {
                throw new BatonException(
                    BranchCheckedOut,
                    $"the branch '{branch}' is already checked out at {holder.Path}",
                    $"Switch that checkout to another branch (git -C {holder.Path} switch -), or give the task another branch name.");
            }

            arguments = ["worktree", "add", path, branch];
        }
        else
        {
            var start = defaultBranch is null ? null
                : refs.Contains($"refs/heads/{defaultBranch}") ? $"refs/heads/{defaultBranch}"
                : refs.Contains($"refs/remotes/origin/{defaultBranch}") ? $"refs/remotes/origin/{defaultBranch}"
                : null;
            if (start is null)
            {
                if (await GitCli.TryReadAsync(repository, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cancellationToken).ConfigureAwait(false) is null)
                {
                    throw new BatonException(RepositoryEmpty, $"{repository} has no commits yet", $"Make a first commit in {repository} (git commit --allow-empty -m 'Initial commit').");
                }

                start = defaultBranch is null ? "HEAD" : throw new BatonException(
                    ErrorCodes.BranchNotFound,
                    $"the default branch '{defaultBranch}' does not exist in {repository}",
                    "Set the right branch with 'defaultBranch:' in baton.yaml (see 'git branch -a'), or create it.");
            }

            // --no-track: a task branch must never push to the default branch by accident.
            arguments = ["worktree", "add", "--no-track", "-b", branch, path, start];
        }

        var added = await GitCli.RunAsync(repository, arguments, cancellationToken).ConfigureAwait(false);
        if (!added.Succeeded)
        {
            var reason = added.StandardError.Trim();
            if (reason.Contains("not a valid branch name", StringComparison.Ordinal))
            {
                throw new BatonException(InvalidBranchName, $"'{branch}' is not a valid git branch name", "Change the task's branch name in the tracker.");
            }

            throw new BatonException(
                reason.Contains("already checked out", StringComparison.Ordinal) || reason.Contains("already used by worktree", StringComparison.Ordinal) ? BranchCheckedOut : "worktree_add_failed",
                $"git worktree add failed for {path}: {reason}",
                $"Run 'git -C {repository} worktree list' to see the worktrees, then retry.");
        }

        return new Workspace(path, key, WorkspaceLayout.Worktree, branch, CreatedNow: true);
    }

    private static async Task<string> BaseRefAsync(string repository, string? defaultBranch, CancellationToken cancellationToken)
    {
        if (defaultBranch is null)
        {
            return "HEAD";
        }

        foreach (var candidate in new[] { $"refs/heads/{defaultBranch}", $"refs/remotes/origin/{defaultBranch}" })
        {
            if (await GitCli.TryReadAsync(repository, ["rev-parse", "--verify", "--quiet", candidate + "^{commit}"], cancellationToken).ConfigureAwait(false) is not null)
            {
                return candidate;
            }
        }

        throw new BatonException(
            ErrorCodes.BranchNotFound,
            $"the default branch '{defaultBranch}' does not exist in {repository}",
            "Set the right branch with 'defaultBranch:' in baton.yaml (see 'git branch -a'), or create it.");
    }

    /// <summary>Undoes a creation whose after_create hook failed: the new worktree or directory, and a branch made for it that gained nothing.</summary>
    private static async Task DiscardNewAsync(WorkspaceLayout layout, Workspace workspace, CancellationToken cancellationToken)
    {
        if (workspace.Strategy == WorkspaceLayout.Directory)
        {
            Directory.Delete(workspace.Path, recursive: true);
            return;
        }

        var repository = layout.RepositoryPath!;
        await GitCli.RunAsync(repository, ["worktree", "remove", "--force", workspace.Path], cancellationToken).ConfigureAwait(false);
        if (workspace.Branch is { } branch)
        {
            var tip = await GitCli.TryReadAsync(repository, ["rev-parse", "--verify", "--quiet", $"refs/heads/{branch}"], cancellationToken).ConfigureAwait(false);
            var start = await GitCli.TryReadAsync(repository, ["rev-parse", "--verify", "--quiet", await BaseRefAsync(repository, layout.DefaultBranch, cancellationToken).ConfigureAwait(false)], cancellationToken).ConfigureAwait(false);
            if (tip is not null && tip == start)
            {
                await GitCli.RunAsync(repository, ["branch", "-D", branch], cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<FileStream> AcquireLockAsync(string lockPath, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new BatonException("workspace_busy", string.Create(CultureInfo.InvariantCulture, $"another Baton process has held {lockPath} for 60 s: {ex.Message}"), "Wait for the other process or check for a stuck one with 'ps'.");
            }
        }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.Ordinal)
        || string.Equals(PathSafety.Canonicalize(a), PathSafety.Canonicalize(b), StringComparison.Ordinal);

    private static BatonException NotADirectory(string path) => new(
        PathNotDirectory,
        $"{path} exists and is not a directory",
        $"Move {path} away; Baton does not delete what it did not create.");
}
