using System.Security.Cryptography;
using System.Text;
using Baton.Core.Errors;
using Baton.Core.Workspaces;
using Baton.Git;
using Baton.Processes;

namespace Baton.Workspaces;

/// <summary>One workspace to check: its worktree path and the branch a removal may delete (null: the checked-out one).</summary>
public sealed record WorkspaceTarget(string WorkspacePath, string? Branch);

/// <summary>The outcome for one workspace of a batch: a report, or the expected failure that prevented one.</summary>
public sealed record WorkspaceSafetyResult(string WorkspacePath, SafetyReport? Report, BatonException? Error);

public interface IGitSafetyAnalyzer
{
    Task<SafetyReport> AnalyzeAsync(string repositoryPath, string workspacePath, string? branch, string defaultBranch, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<WorkspaceSafetyResult>> AnalyzeManyAsync(string repositoryPath, IReadOnlyList<WorkspaceTarget> workspaces, string defaultBranch, CancellationToken cancellationToken = default);
}

/// <summary>
/// Runs git to find what removing a workspace (a linked worktree), and optionally its branch, would lose.
/// Nothing here writes to the repository. Anything it cannot establish becomes a blocking finding or a
/// <see cref="BatonException"/>, never a clean report.
/// </summary>
public sealed class GitSafetyAnalyzer : IGitSafetyAnalyzer
{
    public async Task<SafetyReport> AnalyzeAsync(string repositoryPath, string workspacePath, string? branch, string defaultBranch, CancellationToken cancellationToken = default)
    {
        var repository = await LoadRepositoryAsync(repositoryPath, cancellationToken).ConfigureAwait(false);
        return await AnalyzeWorkspaceAsync(repository, new WorkspaceTarget(workspacePath, branch), defaultBranch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks many workspaces of one repository, sharing the repository-wide reads; one failure does not sink the rest.</summary>
    public async Task<IReadOnlyList<WorkspaceSafetyResult>> AnalyzeManyAsync(string repositoryPath, IReadOnlyList<WorkspaceTarget> workspaces, string defaultBranch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspaces);
        var repository = await LoadRepositoryAsync(repositoryPath, cancellationToken).ConfigureAwait(false);

        // Each workspace runs up to four git processes at once; a bound keeps hundreds of workspaces
        // from starting thousands of processes while still keeping every core busy.
        using var gate = new SemaphoreSlim(Math.Max(4, Environment.ProcessorCount * 4));
        var results = await Task.WhenAll(workspaces.Select(async target =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var report = await AnalyzeWorkspaceAsync(repository, target, defaultBranch, cancellationToken).ConfigureAwait(false);
                return new WorkspaceSafetyResult(target.WorkspacePath, report, null);
            }
            catch (BatonException ex)
            {
                return new WorkspaceSafetyResult(target.WorkspacePath, null, ex);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        return results;
    }

    private static async Task<RepositoryState> LoadRepositoryAsync(string repositoryPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(repositoryPath);
        var repo = Path.GetFullPath(repositoryPath);
        if (!Directory.Exists(repo))
        {
            throw new BatonException(ErrorCodes.ProjectPathNotFound, $"The repository {repo} does not exist.", "Check the project's path in baton.yaml.");
        }

        var worktrees = GitCli.RunAsync(repo, ["worktree", "list", "--porcelain", "-z"], cancellationToken);
        var branches = GitCli.RunAsync(repo, ["for-each-ref", "--format=%(refname)%1f%(objectname)%1f%(upstream)%1f%(upstream:track)%1f%(upstream:remotename)", "refs/heads/"], cancellationToken);
        var stashes = GitCli.RunAsync(repo, ["stash", "list", "--format=%gd%x1f%gs"], cancellationToken);
        var remotes = GitCli.RunAsync(repo, ["remote"], cancellationToken);
        await Task.WhenAll(worktrees, branches, stashes, remotes).ConfigureAwait(false);

        var list = await worktrees.ConfigureAwait(false);
        if (!list.Succeeded)
        {
            if (list.StandardError.Contains("not a git repository", StringComparison.Ordinal))
            {
                throw new BatonException(ErrorCodes.ProjectNotGitRepository, $"{repo} is not a git repository.", "Point the project at the repository's top directory.");
            }

            throw GitFailure(repo, "worktree list", list);
        }

        var branchList = Require(await branches.ConfigureAwait(false), repo, "for-each-ref");
        var stashList = Require(await stashes.ConfigureAwait(false), repo, "stash list");
        var remoteList = Require(await remotes.ConfigureAwait(false), repo, "remote");

        var entries = GitPorcelain.ParseWorktreeList(list.StandardOutput);
        var branchInfo = GitPorcelain.ParseBranches(branchList);
        if (branchInfo.Count == 0 && entries.All(e => e.Head is null || IsNullId(e.Head)))
        {
            throw new BatonException(
                ErrorCodes.RepositoryHasNoCommits,
                $"The repository {repo} has no commits yet, so it has no workspaces.",
                $"Make a first commit: git -C {ShellQuote.Quote(repo)} commit --allow-empty -m 'Initial commit'");
        }

        return new RepositoryState(
            repo,
            entries,
            branchInfo,
            GitPorcelain.ParseStashList(stashList),
            [.. remoteList.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
    }

    private static async Task<SafetyReport> AnalyzeWorkspaceAsync(RepositoryState repository, WorkspaceTarget target, string defaultBranch, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(target.WorkspacePath);
        var workspacePath = Path.GetFullPath(target.WorkspacePath);
        var entry = FindWorktree(repository, workspacePath);
        var directoryExists = Directory.Exists(workspacePath);
        var branch = NormalizeBranch(target.Branch) ?? entry.Branch;
        var branchInfo = branch is not null && repository.Branches.TryGetValue(branch, out var info) ? info : null;

        // Refs that survive removing this worktree: every ref except the stash (entries expire with the
        // reflog, and a branch's commits hidden in a stash are not found by anyone), plus the HEAD of
        // every other worktree. Run from the repository, the glob sees no ref private to this worktree.
        var otherHeads = repository.Worktrees
            .Where(w => !ReferenceEquals(w, entry) && w.Head is not null && !IsNullId(w.Head) && !w.IsBare)
            .Select(w => w.Head!)
            .Distinct(StringComparer.Ordinal)
            .ToArray();

        var live = !entry.IsPrunable && directoryExists;
        var gitDir = live ? ReadGitDir(workspacePath) : null;
        var operations = gitDir is null ? [] : OperationsInProgress(gitDir);

        var status = live ? RunStatusAsync(workspacePath, cancellationToken) : Task.FromResult<GitStatusSummary?>(null);
        var hidden = live ? FindHiddenChangesAsync(workspacePath, cancellationToken) : Task.FromResult<IReadOnlyList<string>>([]);
        var branchOnly = branchInfo is null
            ? Task.FromResult<IReadOnlyList<CommitSummary>>([])
            : CommitsNotReachableAsync(repository.Path, [branchInfo.Commit], ["refs/stash", "refs/heads/" + branchInfo.Name], otherHeads, cancellationToken);
        var workspaceOnly = WorkspaceOnlyCommitsAsync(repository.Path, workspacePath, entry, gitDir, otherHeads, cancellationToken);
        await Task.WhenAll(status, hidden, branchOnly, workspaceOnly).ConfigureAwait(false);

        var facts = new WorkspaceGitFacts
        {
            RepositoryPath = repository.Path,
            WorkspacePath = workspacePath,
            DefaultBranch = defaultBranch,
            Worktree = entry,
            Branch = branch,
            BranchInfo = branchInfo,
            DirectoryExists = directoryExists,
            Status = await status.ConfigureAwait(false),
            HiddenChanges = await hidden.ConfigureAwait(false),
            OperationsInProgress = operations,
            WorkspaceOnlyCommits = await workspaceOnly.ConfigureAwait(false),
            BranchOnlyCommits = await branchOnly.ConfigureAwait(false),
            Stashes = repository.Stashes,
            Remotes = repository.Remotes,
        };
        return SafetyReportBuilder.Build(facts);
    }

    private static WorktreeEntry FindWorktree(RepositoryState repository, string workspacePath)
    {
        var wanted = Normalize(workspacePath);
        var realWanted = RealPath(wanted);
        var entry = repository.Worktrees.FirstOrDefault(w => Normalize(w.Path) == wanted)
            ?? repository.Worktrees.FirstOrDefault(w => RealPath(Normalize(w.Path)) == realWanted);
        if (entry is null)
        {
            if (!Directory.Exists(workspacePath))
            {
                throw new BatonException(
                    ErrorCodes.WorkspaceNotFound,
                    $"{workspacePath} does not exist and is not a worktree of {repository.Path}.",
                    $"List the repository's worktrees: git -C {ShellQuote.Quote(repository.Path)} worktree list");
            }

            throw new BatonException(
                ErrorCodes.WorkspaceNotAWorktree,
                $"{workspacePath} is not a worktree of {repository.Path}.",
                $"List the repository's worktrees: git -C {ShellQuote.Quote(repository.Path)} worktree list");
        }

        if (ReferenceEquals(entry, repository.Worktrees[0]) || entry.IsBare)
        {
            throw new BatonException(
                ErrorCodes.WorkspaceIsMainWorktree,
                $"{workspacePath} is the repository's main worktree, not a workspace.",
                "Baton only removes the linked worktrees it created for tasks.");
        }

        return entry;
    }

    private static async Task<GitStatusSummary?> RunStatusAsync(string workspacePath, CancellationToken cancellationToken)
    {
        // The fsmonitor and the untracked cache may answer from stale data; a safety check walks the tree itself.
        var result = await GitCli.RunAsync(
            workspacePath,
            ["-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignore-submodules=none", "--no-renames"],
            cancellationToken).ConfigureAwait(false);
        return GitPorcelain.ParseStatus(Require(result, workspacePath, "status"));
    }

    /// <summary>
    /// git status trusts index entries marked assume-unchanged and skips skip-worktree ones, so work
    /// in those files is invisible to it; compare them with the index by hashing the files here.
    /// </summary>
    private static async Task<IReadOnlyList<string>> FindHiddenChangesAsync(string workspacePath, CancellationToken cancellationToken)
    {
        var result = await GitCli.RunAsync(workspacePath, ["ls-files", "-v", "-s", "-z"], cancellationToken).ConfigureAwait(false);
        var flagged = GitPorcelain.ParseFlaggedIndexEntries(Require(result, workspacePath, "ls-files"));
        var hidden = new List<string>();
        foreach (var entry in flagged)
        {
            var file = Path.Combine(workspacePath, entry.Path);
            var info = new FileInfo(file);
            var exists = info.Exists || info.LinkTarget is not null;
            if (!exists)
            {
                // A missing skip-worktree file is what sparse checkout means; a missing assume-unchanged one is a hidden deletion.
                if (entry.AssumeUnchanged)
                {
                    hidden.Add(entry.Path);
                }

                continue;
            }

            if (!string.Equals(BlobId(info, entry.ObjectId.Length), entry.ObjectId, StringComparison.Ordinal))
            {
                hidden.Add(entry.Path);
            }
        }

        return hidden;
    }

    private static async Task<IReadOnlyList<CommitSummary>> WorkspaceOnlyCommitsAsync(
        string repositoryPath, string workspacePath, WorktreeEntry entry, string? gitDir, string[] otherHeads, CancellationToken cancellationToken)
    {
        var tips = new List<string>();
        if (entry.IsDetached && entry.Head is not null && !IsNullId(entry.Head))
        {
            tips.Add(entry.Head);
        }

        // Per-worktree refs (bisect, rebase -r's refs/rewritten, refs/worktree/*) live in the worktree's
        // own git directory and go with it. The files backend writes them as loose files, so no refs
        // directory there means there are none and the extra git call is skipped.
        if (gitDir is not null && Directory.Exists(Path.Combine(gitDir, "refs")))
        {
            var refs = await GitCli.RunAsync(
                workspacePath,
                ["for-each-ref", "--format=%(objectname)", "refs/bisect/", "refs/worktree/", "refs/rewritten/"],
                cancellationToken).ConfigureAwait(false);
            tips.AddRange(Require(refs, workspacePath, "for-each-ref").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        if (tips.Count == 0)
        {
            return [];
        }

        return await CommitsNotReachableAsync(repositoryPath, [.. tips.Distinct(StringComparer.Ordinal)], ["refs/stash"], otherHeads, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<CommitSummary>> CommitsNotReachableAsync(
        string repositoryPath, IReadOnlyList<string> tips, IReadOnlyList<string> excludedRefs, string[] otherHeads, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "rev-list", "--no-commit-header", "--format=%H%x1f%s" };
        arguments.AddRange(tips);
        arguments.Add("--not");
        arguments.AddRange(excludedRefs.Select(r => "--exclude=" + r));
        arguments.Add("--glob=refs/*");
        arguments.AddRange(otherHeads);
        var result = await GitCli.RunAsync(repositoryPath, arguments, cancellationToken).ConfigureAwait(false);
        return GitPorcelain.ParseCommits(Require(result, repositoryPath, "rev-list"));
    }

    private static string? ReadGitDir(string workspacePath)
    {
        var dotGit = Path.Combine(workspacePath, ".git");
        if (!File.Exists(dotGit))
        {
            return null;
        }

        var text = File.ReadAllText(dotGit).Trim();
        const string Prefix = "gitdir:";
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var path = text[Prefix.Length..].Trim();
        return Path.GetFullPath(path, workspacePath);
    }

    private static string[] OperationsInProgress(string gitDir)
    {
        var operations = new List<string>();
        bool Has(string name) => File.Exists(Path.Combine(gitDir, name)) || Directory.Exists(Path.Combine(gitDir, name));
        if (Has("MERGE_HEAD"))
        {
            operations.Add("merge");
        }

        if (Has("rebase-merge"))
        {
            operations.Add("rebase");
        }

        if (Has("rebase-apply"))
        {
            operations.Add(Has(Path.Combine("rebase-apply", "applying")) ? "am" : "rebase");
        }

        if (Has("CHERRY_PICK_HEAD"))
        {
            operations.Add("cherry-pick");
        }

        if (Has("REVERT_HEAD"))
        {
            operations.Add("revert");
        }

        if (Has("sequencer") && !operations.Contains("cherry-pick") && !operations.Contains("revert"))
        {
            operations.Add("sequencer");
        }

        if (Has("BISECT_LOG"))
        {
            operations.Add("bisect");
        }

        return [.. operations];
    }

    private static string BlobId(FileInfo file, int idLength)
    {
        byte[] content;
        if (file.LinkTarget is { } target)
        {
            content = Encoding.UTF8.GetBytes(target);
        }
        else if (Directory.Exists(file.FullName))
        {
            // A directory where the index has a file: different by definition.
            return string.Empty;
        }
        else
        {
            content = File.ReadAllBytes(file.FullName);
        }

        var header = Encoding.ASCII.GetBytes($"blob {content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}\0");
        var data = new byte[header.Length + content.Length];
        header.CopyTo(data, 0);
        content.CopyTo(data, header.Length);
        var digest = idLength == 64 ? SHA256.HashData(data) : SHA1.HashData(data);
        return Convert.ToHexStringLower(digest);
    }

    private static string? NormalizeBranch(string? branch)
    {
        if (string.IsNullOrWhiteSpace(branch))
        {
            return null;
        }

        return branch.StartsWith("refs/heads/", StringComparison.Ordinal) ? branch["refs/heads/".Length..] : branch;
    }

    private static bool IsNullId(string id) => id.All(c => c == '0');

    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>Resolves symbolic links component by component (git records worktree paths resolved).</summary>
    private static string RealPath(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = "/";
        foreach (var part in parts)
        {
            var next = Path.Combine(current, part);
            for (var hops = 0; hops < 40; hops++)
            {
                FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
                if (info.LinkTarget is not { } target)
                {
                    break;
                }

                next = Path.GetFullPath(target, current);
            }

            current = next;
        }

        return current;
    }

    private static string Require(ProcessResult result, string where, string command) =>
        result.Succeeded ? result.StandardOutput : throw GitFailure(where, command, result);

    private static BatonException GitFailure(string where, string command, ProcessResult result)
    {
        var detail = result.TimedOut ? "timed out" : result.StandardError.Trim();
        return new BatonException(
            ErrorCodes.GitFailed,
            $"git {command} failed in {where}: {detail}",
            $"Run git -C {ShellQuote.Quote(where)} {command} to see the problem; nothing was removed.");
    }

    private sealed record RepositoryState(
        string Path,
        IReadOnlyList<WorktreeEntry> Worktrees,
        IReadOnlyDictionary<string, BranchInfo> Branches,
        IReadOnlyList<StashEntry> Stashes,
        IReadOnlyList<string> Remotes);
}
