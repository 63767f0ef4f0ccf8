using System.Globalization;
using Baton.Coordination;
using Baton.Core.Configuration;
using Baton.Core.Doctor;
using Baton.Core.Errors;
using Baton.Core.Sessions;
using Baton.Core.Tasks;
using Baton.Core.Workspaces;
using Baton.Git;
using Baton.Processes;
using Baton.Runtimes;
using Baton.Sessions;
using Baton.Storage;
using Baton.Tracking.Local;
using Baton.Workspaces;

namespace Baton.Doctor;

/// <summary>What the crew checks need: the projects, the state store and the sessions' effects.</summary>
public sealed record CrewDoctorOptions
{
    public required IReadOnlyList<Project> Projects { get; init; }

    public required StateStore Store { get; init; }

    public required SessionService Sessions { get; init; }

    public required string BatonHome { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public required string HomeDirectory { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Repair what can be repaired without losing work.</summary>
    public bool Fix { get; init; }
}

/// <summary>
/// <c>baton doctor</c> for a running crew: sessions whose worker is dead while their status says they run, workspaces
/// without sessions and sessions without workspaces, stale locks, and merges a killed run left. With <c>--fix</c> it
/// repairs what loses no work — reaps a dead session's agent and marks it exited, removes the workspace of a finished
/// task through the safety rules, prunes git's record of a deleted worktree, clears a dead holder's lock, finishes or
/// resets a stuck merge — and lists the rest with the command that resolves it.
/// </summary>
public sealed class CrewDoctor(CrewDoctorOptions options)
{
    public async Task<IReadOnlyList<CrewFinding>> RunAsync(CancellationToken cancellationToken)
    {
        var findings = new List<CrewFinding>();
        var tmuxSessions = await ListTmuxAsync(cancellationToken).ConfigureAwait(false);
        foreach (var project in options.Projects)
        {
            var sessions = options.Store.Read(db => SessionRows.List(db, [project.InstanceId], includeArchived: false));
            var tasks = new LocalTracker(options.Store, project, options.Time).List(new TaskQuery { IncludeTerminal = true });
            findings.AddRange(await CheckSessionsAsync(project, sessions, tasks, tmuxSessions, cancellationToken).ConfigureAwait(false));

            WorkspaceLayout? layout = null;
            Project inspected = project;
            try
            {
                (inspected, layout) = await ProjectWorkspaces.LayoutAsync(project, options.BatonHome, options.Environment.GetValueOrDefault, options.HomeDirectory, cancellationToken).ConfigureAwait(false);
            }
            catch (BatonException error)
            {
                findings.Add(new CrewFinding("project_unreadable", CrewSeverity.Info, project.Id, project.Path, $"its workspaces and merges were not checked: {error.Message}", "baton project list", false));
            }

            if (layout is { Strategy: WorkspaceLayout.Worktree, RepositoryPath: { } repository })
            {
                findings.AddRange(await CheckWorkspacesAsync(project, layout, repository, sessions, tasks, cancellationToken).ConfigureAwait(false));
                findings.AddRange(await CheckGitLocksAsync(project, repository, cancellationToken).ConfigureAwait(false));
                findings.AddRange(await CheckMergeAsync(project, inspected, cancellationToken).ConfigureAwait(false));
            }
        }

        return findings;
    }

    // ---- Sessions ------------------------------------------------------------------------------------------------

    private async Task<IEnumerable<CrewFinding>> CheckSessionsAsync(
        Project project, IReadOnlyList<SessionRecord> sessions, IReadOnlyList<TaskRecord> tasks, IReadOnlySet<string>? tmuxSessions, CancellationToken cancellationToken)
    {
        var findings = new List<CrewFinding>();
        foreach (var session in sessions)
        {
            var state = options.Sessions.Observe(session);
            var reported = state.Reported;
            var tmuxGone = session.Runtime == SessionRuntimes.Tmux && tmuxSessions is not null && !tmuxSessions.Contains(session.RuntimeName);
            var claimsToRun = reported is { EndedAt: null } && SessionStatus.IsLive(reported.Status);
            if ((claimsToRun && !state.WorkerAlive) || state.Status == SessionStatus.Orphaned)
            {
                var what = new List<string> { $"its status says '{reported?.Status ?? "starting"}', but its worker{(reported is null ? string.Empty : $" (pid {reported.WorkerPid})")} is gone" };
                if (tmuxGone)
                {
                    what.Add("so is its tmux session");
                }

                if (state.Status == SessionStatus.Orphaned)
                {
                    what.Add("processes of its agent still run");
                }

                var finding = new CrewFinding(CrewFindingKinds.SessionDead, CrewSeverity.Problem, project.Id, session.Name, string.Join("; ", what), $"baton kill {session.Name}", true);
                findings.Add(options.Fix ? await FixAsync(finding, () => ReapAsync(session, tmuxGone, cancellationToken)).ConfigureAwait(false) : finding);
                continue;
            }

            if (session.TaskId is not null && !Directory.Exists(session.Workspace))
            {
                var task = tasks.FirstOrDefault(t => t.Id == session.TaskId);
                if (SessionStatus.IsLive(state.Status))
                {
                    findings.Add(new CrewFinding(CrewFindingKinds.SessionWithoutWorkspace, CrewSeverity.Problem, project.Id, session.Name,
                        $"it is {state.Status}, but its workspace {session.Workspace} does not exist", $"baton kill {session.Name}", false));
                }
                else if (task is null || !project.States.IsTerminal(task.State))
                {
                    // A finished task's sessions outlive its workspace by design (the merge queue and cleanup remove it).
                    findings.Add(new CrewFinding(CrewFindingKinds.SessionWithoutWorkspace, CrewSeverity.Info, project.Id, session.Name,
                        $"its workspace {session.Workspace} is gone{(task is null ? " and so is its task" : $"; its task {task.Identifier} is {task.State} and its next run makes a new one")}",
                        $"baton remove {session.Name} --keep-workspace", false));
                }
            }
        }

        return findings;
    }

    /// <summary>The agent's processes are killed and an end is recorded (the reaper the worker never ran); the workspace is not touched.</summary>
    private async Task<string> ReapAsync(SessionRecord session, bool tmuxGone, CancellationToken cancellationToken)
    {
        var reported = session.Files.ReadStatus();
        var before = reported?.AgentMarker is { } marker ? ProcessTable.WithEnvironment(ProcessTable.RunMarkerVariable, marker).Count : 0;
        Cli.Commands.WorkerCommand.Reap(session.Files, options.Time);
        if (!tmuxGone && session.Runtime == SessionRuntimes.Tmux)
        {
            await options.Sessions.Tmux.KillSessionAsync(session.RuntimeName, cancellationToken).ConfigureAwait(false);
        }

        return before > 0
            ? string.Create(CultureInfo.InvariantCulture, $"marked exited; {before} process(es) of its agent killed; its workspace is untouched")
            : "marked exited; its workspace is untouched";
    }

    // ---- Workspaces ----------------------------------------------------------------------------------------------

    private async Task<IEnumerable<CrewFinding>> CheckWorkspacesAsync(
        Project project, WorkspaceLayout layout, string repository, IReadOnlyList<SessionRecord> sessions, IReadOnlyList<TaskRecord> tasks, CancellationToken cancellationToken)
    {
        var findings = new List<CrewFinding>();
        var worktrees = await WorktreeList.ReadAsync(repository, cancellationToken).ConfigureAwait(false);
        var mergeDirectory = MergePaths.For(project).Directory;
        bool Ours(string path) => IsInside(layout.Root, path) || IsInside(mergeDirectory, path);

        var prunable = worktrees.Where(w => w.IsPrunable).ToList();
        var prunableOurs = prunable.Where(w => Ours(w.Path)).ToList();
        foreach (var entry in prunableOurs)
        {
            var finding = new CrewFinding(CrewFindingKinds.WorkspaceMissing, CrewSeverity.Problem, project.Id, entry.Path,
                "git still registers this worktree, but its directory was deleted (its branch and commits are kept)", $"git -C {ShellQuote.Quote(repository)} worktree prune", true);

            // 'git worktree prune' forgets every missing worktree; it runs only when all of them are Baton's.
            findings.Add(!options.Fix ? finding
                : prunable.Count != prunableOurs.Count ? finding with { Fixable = false, FixError = "other missing worktrees of the repository are not Baton's; prune by hand" }
                : await FixAsync(finding, async () =>
                {
                    var pruned = await GitCli.RunAsync(repository, ["worktree", "prune"], cancellationToken).ConfigureAwait(false);
                    return pruned.Succeeded ? "git's record was pruned" : throw new BatonException(ErrorCodes.GitFailed, pruned.StandardError.Trim(), "Run it by hand.");
                }).ConfigureAwait(false));
        }

        if (!Directory.Exists(layout.Root))
        {
            return findings;
        }

        var registered = worktrees.Where(w => !w.IsPrunable).Select(w => w.Path.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        var inUse = sessions.Select(s => s.Workspace.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        var byKey = tasks.GroupBy(t => WorkspaceKey.From(t.Identifier), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var directory in Directory.EnumerateDirectories(layout.Root).Order(StringComparer.Ordinal))
        {
            var key = Path.GetFileName(directory);
            if (key.StartsWith('.'))
            {
                continue;
            }

            if (!registered.Contains(directory) && !registered.Contains(PathSafety.Canonicalize(directory)))
            {
                findings.Add(new CrewFinding(CrewFindingKinds.WorkspaceUnregistered, CrewSeverity.Info, project.Id, directory,
                    "a directory in the workspace root that git does not know as a worktree; Baton never deletes what it cannot check", $"ls -la {ShellQuote.Quote(directory)}", false));
                continue;
            }

            if (inUse.Contains(directory))
            {
                continue;
            }

            var task = byKey.GetValueOrDefault(key);
            if (task is null)
            {
                findings.Add(new CrewFinding(CrewFindingKinds.WorkspaceWithoutSession, CrewSeverity.Info, project.Id, directory,
                    $"no session and no task {key}", $"baton workspace list {project.Id}", false));
            }
            else if (project.States.IsTerminal(task.State))
            {
                var finding = new CrewFinding(CrewFindingKinds.WorkspaceWithoutSession, CrewSeverity.Problem, project.Id, directory,
                    $"no session, and its task {task.Identifier} is {task.State}: nothing will remove it", $"baton workspace remove {task.Identifier}", true);
                findings.Add(options.Fix ? await FixAsync(finding, () => RemoveWorkspaceAsync(layout, task, cancellationToken)).ConfigureAwait(false) : finding);
            }
            else
            {
                var why = project.States.IsMerge(task.State) ? "it waits for the merge queue"
                    : project.States.IsActive(task.State) ? "its next run reuses it"
                    : "it waits for a person";
                findings.Add(new CrewFinding(CrewFindingKinds.WorkspaceWithoutSession, CrewSeverity.Info, project.Id, directory,
                    $"no session; its task {task.Identifier} is {task.State} ({why})", $"baton workspace status {task.Identifier}", false));
            }
        }

        return findings;
    }

    private async Task<string> RemoveWorkspaceAsync(WorkspaceLayout layout, TaskRecord task, CancellationToken cancellationToken)
    {
        await new WorkspaceRemover(new GitSafetyAnalyzer(), options.Time).RemoveAsync(
            new RemovalRequest { Layout = layout, Task = new WorkspaceTask(task.Id, task.Identifier, task.BranchName), BatonHome = options.BatonHome, User = "baton doctor" },
            cancellationToken).ConfigureAwait(false);
        return "removed (the safety analysis found nothing that would be lost; the branch is kept)";
    }

    // ---- Locks and merges ----------------------------------------------------------------------------------------

    /// <summary>
    /// git's own lock files (index.lock, HEAD.lock) in the repository and each worktree's git directory: one older than a
    /// minute that no git process works under is what a killed git leaves, and it makes every later git command fail.
    /// </summary>
    private async Task<IEnumerable<CrewFinding>> CheckGitLocksAsync(Project project, string repository, CancellationToken cancellationToken)
    {
        var findings = new List<CrewFinding>();
        var common = await GitCli.TryReadAsync(repository, ["rev-parse", "--path-format=absolute", "--git-common-dir"], cancellationToken).ConfigureAwait(false);
        if (common is null || !Directory.Exists(common))
        {
            return findings;
        }

        var directories = new List<string> { common };
        var admin = Path.Combine(common, "worktrees");
        if (Directory.Exists(admin))
        {
            directories.AddRange(Directory.EnumerateDirectories(admin));
        }

        // File times come from the kernel's clock, so a lock's age is measured against it, not Baton's time source.
        var now = DateTime.UtcNow;
        var busy = GitProcessDirectories();
        foreach (var directory in directories)
        {
            foreach (var name in new[] { "index.lock", "HEAD.lock" })
            {
                var file = Path.Combine(directory, name);
                if (!File.Exists(file) || now - File.GetLastWriteTimeUtc(file) < CrewRules.GitLockAge)
                {
                    continue;
                }

                var worktree = WorktreeOf(directory, common, repository);
                if (busy.Any(b => IsInside(worktree, b) || IsInside(directory, b)))
                {
                    continue;
                }

                var finding = new CrewFinding(CrewFindingKinds.StaleLock, CrewSeverity.Problem, project.Id, file,
                    string.Create(CultureInfo.InvariantCulture, $"a git lock {(int)(now - File.GetLastWriteTimeUtc(file)).TotalMinutes} min old that no git process holds: git commands in {worktree} fail until it goes"),
                    $"rm {ShellQuote.Quote(file)}", true);
                findings.Add(options.Fix ? await FixAsync(finding, () =>
                {
                    File.Delete(file);
                    return Task.FromResult("removed (the files it guarded are as the last finished git command left them)");
                }).ConfigureAwait(false) : finding);
            }
        }

        return findings;
    }

    private async Task<IEnumerable<CrewFinding>> CheckMergeAsync(Project project, Project inspected, CancellationToken cancellationToken)
    {
        var findings = new List<CrewFinding>();
        var paths = MergePaths.For(project);
        if (!Directory.Exists(paths.Directory))
        {
            return findings;
        }

        var holder = MergeLock.ReadHolder(paths);
        if (MergeLock.IsHeld(paths))
        {
            findings.Add(new CrewFinding(CrewFindingKinds.MergeRunning, CrewSeverity.Info, project.Id, paths.Lock,
                holder is null ? "a merge queue is running" : string.Create(CultureInfo.InvariantCulture, $"a merge queue is running (process {holder.Pid}, since {holder.Since:u})"), null, false));
            return findings;
        }

        if (holder is not null)
        {
            var finding = new CrewFinding(CrewFindingKinds.StaleLock, CrewSeverity.Problem, project.Id, paths.LockOwner,
                string.Create(CultureInfo.InvariantCulture, $"the merge lock names process {holder.Pid} (since {holder.Since:u}), which is gone; the lock itself was released with it"),
                $"rm {ShellQuote.Quote(paths.LockOwner)}", true);
            findings.Add(options.Fix ? await FixAsync(finding, () => Task.FromResult(MergeLock.ClearStale(paths) ? "cleared" : throw new BatonException(MergeLock.InProgress, "a merge queue started meanwhile", "Run baton doctor again later."))).ConfigureAwait(false) : finding);
        }

        var journal = MergeJournalFile.Read(paths, out var problem);
        var midRebase = Directory.Exists(paths.Worktree)
            && await GitCli.TryReadAsync(paths.Worktree, ["rev-parse", "--path-format=absolute", "--git-path", "rebase-merge"], cancellationToken).ConfigureAwait(false) is { } rebaseDirectory
            && Directory.Exists(rebaseDirectory);
        if (journal is null && problem is null && !midRebase)
        {
            return findings;
        }

        var message = journal is not null
            ? $"a merge of {journal.Identifier} was left at '{journal.Phase}' by a run that ended (pid {journal.Pid}, started {journal.StartedAt:u})"
            : problem ?? "the merge worktree is in the middle of a rebase no run is doing";
        var stuck = new CrewFinding(CrewFindingKinds.StuckMerge, CrewSeverity.Problem, project.Id, journal?.Identifier ?? paths.Worktree, message, $"baton merge {project.Id}", true);
        findings.Add(options.Fix ? await FixAsync(stuck, async () =>
        {
            var queue = await MergeSetup.ForProjectAsync(project, options.Store, options.Sessions, options.BatonHome, options.Environment, options.HomeDirectory, options.Time, once: true, progress: null, cancellationToken).ConfigureAwait(false);
            var result = await queue.RecoverAsync(cancellationToken).ConfigureAwait(false);
            return result.Recovery ?? "recovered";
        }).ConfigureAwait(false) : stuck);
        return findings;
    }

    // ---- Helpers -------------------------------------------------------------------------------------------------

    private static async Task<CrewFinding> FixAsync(CrewFinding finding, Func<Task<string>> repair)
    {
        try
        {
            return finding with { Fixed = await repair().ConfigureAwait(false) };
        }
        catch (Exception error) when (error is BatonException or IOException or UnauthorizedAccessException)
        {
            return finding with { FixError = error.Message };
        }
    }

    private async Task<IReadOnlySet<string>?> ListTmuxAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await options.Sessions.Tmux.ListSessionsAsync(cancellationToken).ConfigureAwait(false)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception error) when (error is TmuxException or ProcessStartException)
        {
            return null;
        }
    }

    /// <summary>The working directories of the git processes running now (a live git's lock is not stale).</summary>
    private static List<string> GitProcessDirectories()
    {
        var found = new List<string>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(entry);
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            try
            {
                var comm = File.ReadAllText(Path.Combine(entry, "comm")).Trim();
                if (comm.StartsWith("git", StringComparison.Ordinal) && new FileInfo(Path.Combine(entry, "cwd")).LinkTarget is { } cwd)
                {
                    found.Add(cwd);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>The checkout a git directory belongs to: the repository for the common one, else the path its gitdir file names.</summary>
    private static string WorktreeOf(string gitDirectory, string common, string repository)
    {
        if (string.Equals(gitDirectory, common, StringComparison.Ordinal))
        {
            return repository;
        }

        try
        {
            var pointer = File.ReadAllText(Path.Combine(gitDirectory, "gitdir")).Trim();
            return Path.GetDirectoryName(pointer) ?? gitDirectory;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return gitDirectory;
        }
    }

    private static bool IsInside(string root, string path)
    {
        var r = root.TrimEnd('/');
        var p = path.TrimEnd('/');
        return string.Equals(p, r, StringComparison.Ordinal) || p.StartsWith(r + "/", StringComparison.Ordinal);
    }
}
