using System.Globalization;
using Baton.Core.Configuration;
using Baton.Core.Coordination;
using Baton.Core.Errors;
using Baton.Core.Proofs;
using Baton.Core.Tasks;
using Baton.Core.Workspaces;
using Baton.Processes;
using Baton.Proofs;
using Baton.Sessions;
using Baton.Storage;
using Baton.Tracking.Local;
using Baton.Workspaces;

namespace Baton.Coordination;

/// <summary>What one merge-queue run needs: the project (inspected: path and default branch), its tracker and layout.</summary>
public sealed record MergeQueueOptions
{
    public required Project Project { get; init; }

    public required WorkspaceLayout Layout { get; init; }

    public required LocalTracker Tracker { get; init; }

    public required StateStore Store { get; init; }

    public required string BatonHome { get; init; }

    /// <summary>The caller's environment: validation commands get its PATH; the test hooks are read from it.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public MergeSettings Settings { get; init; } = MergeSettings.None;

    /// <summary>The workflow's validation commands (<c>proof.validate</c>), run on the rebased work before it lands.</summary>
    public IReadOnlyList<ValidationCommand> Validation { get; init; } = [];

    /// <summary>Reads sessions' status files, to leave a task alone while an agent still works on it; null: not checked.</summary>
    public SessionService? Sessions { get; init; }

    /// <summary>Merge only the first task of the queue.</summary>
    public bool Once { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public MergeHooks Hooks { get; init; } = MergeHooks.None;

    /// <summary>One line per step, for people (stderr of <c>baton merge</c>, the log of <c>baton run</c>).</summary>
    public Action<string>? Progress { get; init; }
}

/// <summary>What became of one task.</summary>
public static class MergeOutcomes
{
    public const string Merged = "merged";
    public const string Rework = "rework";

    /// <summary>Left in the merge state for a later run (an agent still works on it, the default branch kept moving, a git failure).</summary>
    public const string Skipped = "skipped";

    /// <summary><c>--dry-run</c>: what a run would try.</summary>
    public const string Planned = "planned";
}

/// <param name="Reason">Why it was sent back or skipped (one line), or for a merge the workspace and branch notes.</param>
/// <param name="Prediction"><c>--dry-run</c>: clean, conflict, merged_already, branch_missing or unknown.</param>
/// <param name="Resumed">Finished from the journal of a merge a killed run left.</param>
/// <param name="Message">Sent back: the session the reason was sent to, and what became of the message.</param>
public sealed record MergeItem(
    string Task,
    string Title,
    int? Priority,
    string Branch,
    string Outcome,
    string? Commit = null,
    string? Reason = null,
    IReadOnlyList<string>? Files = null,
    string? Command = null,
    string? Excerpt = null,
    string? Log = null,
    string? Workspace = null,
    string? PushedTo = null,
    string? PushError = null,
    string? Prediction = null,
    bool Resumed = false,
    string? Message = null);

/// <param name="Recovery">What was done with a journal a killed run left: finished, restarted, or null (there was none).</param>
public sealed record MergeRunResult(string Project, string DefaultBranch, bool DryRun, IReadOnlyList<MergeItem> Tasks, string? Recovery, string? Note);

/// <summary>
/// The merge queue (the Refinery role): takes a project's tasks in its merge state one at a time in dispatch order,
/// rebases each task's branch on the current default branch in a dedicated merge worktree, runs the validation
/// commands there, fast-forwards the default branch, moves the task to Done and removes its workspace through the
/// safety rules. A conflict or a red validation is aborted cleanly and the task goes to its rework state with a
/// comment saying why. A journal makes a run killed at any step finish or cleanly restart on the next run; a lock
/// keeps two runs off one project.
/// </summary>
public sealed class MergeQueue
{
    public const string Unsupported = "merge_unsupported";
    private const string Author = "baton merge";

    /// <summary>How often a task is rebased again because the default branch moved while it was validated.</summary>
    private const int MaxAttempts = 3;

    private readonly MergeQueueOptions _options;
    private readonly MergePaths _paths;
    private readonly MergeGit _git;
    private readonly string _defaultBranch;

    private MergeQueue(MergeQueueOptions options, MergePaths paths, MergeGit git, string defaultBranch)
    {
        _options = options;
        _paths = paths;
        _git = git;
        _defaultBranch = defaultBranch;
    }

    /// <summary>Checks the project can have a merge queue (worktree strategy, a default branch, sound states).</summary>
    public static async Task<MergeQueue> CreateAsync(MergeQueueOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var project = options.Project;
        if (options.Layout.Strategy != WorkspaceLayout.Worktree || options.Layout.RepositoryPath is null)
        {
            throw new BatonException(
                Unsupported,
                $"project '{project.Id}' uses the '{options.Layout.Strategy}' workspace strategy; the merge queue lands task branches of git worktrees",
                "Remove workspace.strategy: directory from its WORKFLOW.md (worktree is the default for baton.yaml projects).");
        }

        if (project.States.QueueStatesProblem() is { } problem)
        {
            throw new BatonException(ErrorCodes.ConfigInvalid, $"project '{project.Id}': {problem}", "Fix 'states:' of the project in baton.yaml.");
        }

        var defaultBranch = options.Layout.DefaultBranch ?? project.DefaultBranch ?? throw new BatonException(
            ErrorCodes.BranchNotFound,
            $"project '{project.Id}' has no default branch to merge into",
            "Set 'defaultBranch:' for the project in baton.yaml.");
        var paths = MergePaths.For(project);
        var environment = await GitEnvironmentAsync(options, cancellationToken).ConfigureAwait(false);
        return new MergeQueue(options, paths, new MergeGit(options.Layout.RepositoryPath, paths, environment), defaultBranch);
    }

    public MergePaths Paths => _paths;

    private Project Project => _options.Project;

    private TaskStates States => Project.States;

    private DateTimeOffset Now => _options.Time.GetUtcNow();

    /// <summary>The tasks in the merge state, in Symphony's dispatch order (priority, oldest, identifier).</summary>
    public IReadOnlyList<TaskRecord> Queue() =>
        [.. _options.Tracker.List(new TaskQuery { States = [States.Merge] }).Order(TaskOrdering.Instance)];

    public async Task<MergeRunResult> RunAsync(CancellationToken cancellationToken)
    {
        using var gate = MergeLock.Acquire(_paths, Project.Id, _options.Time);
        var results = new List<MergeItem>();
        var (recovery, finished) = await RecoverJournalAsync(cancellationToken).ConfigureAwait(false);
        if (finished is not null)
        {
            results.Add(finished);
        }

        var attempted = new HashSet<string>(StringComparer.Ordinal);
        var checkedCheckout = false;
        while (true)
        {
            var next = Queue().FirstOrDefault(t => !attempted.Contains(t.Id));
            if (next is null)
            {
                break;
            }

            if (!checkedCheckout)
            {
                // Refused before anything is created or changed (exit 3): the landing would have to touch that checkout.
                await _git.EnsureDefaultCheckoutCleanAsync(_defaultBranch, cancellationToken).ConfigureAwait(false);
                checkedCheckout = true;
            }

            attempted.Add(next.Id);
            results.Add(await MergeAsync(next, cancellationToken).ConfigureAwait(false));
            if (_options.Once)
            {
                break;
            }
        }

        var note = results.Count == 0 ? $"nothing to merge: no task of {Project.Id} is in {States.Merge}" : null;
        return new MergeRunResult(Project.Id, _defaultBranch, false, results, recovery, note);
    }

    /// <summary>
    /// Only what a killed run left (for <c>baton doctor --fix</c>): finishes a merge that landed, or resets the merge
    /// worktree (a rebase in progress, a stale index lock) and forgets the journal; merges nothing new.
    /// </summary>
    public async Task<MergeRunResult> RecoverAsync(CancellationToken cancellationToken)
    {
        using var gate = MergeLock.Acquire(_paths, Project.Id, _options.Time);
        var (recovery, finished) = await RecoverJournalAsync(cancellationToken).ConfigureAwait(false);
        if (recovery is null)
        {
            KillLeftovers();
            await _git.ResetAsync(cancellationToken).ConfigureAwait(false);
            recovery = "reset the merge worktree";
        }

        return new MergeRunResult(Project.Id, _defaultBranch, false, finished is null ? [] : [finished], recovery, null);
    }

    /// <summary><c>--dry-run</c>: what a run would do, changing nothing (no lock, no worktree, no journal).</summary>
    public async Task<MergeRunResult> PlanAsync(CancellationToken cancellationToken)
    {
        var items = new List<MergeItem>();
        var @base = await _git.CommitOfAsync($"refs/heads/{_defaultBranch}", cancellationToken).ConfigureAwait(false)
            ?? throw DefaultBranchMissing();
        foreach (var task in Queue())
        {
            var branch = WorkspaceManager.BranchFor(ToWorkspaceTask(task));
            var tip = await _git.CommitOfAsync($"refs/heads/{branch}", cancellationToken).ConfigureAwait(false);
            if (tip is null)
            {
                items.Add(Item(task, branch, MergeOutcomes.Planned) with { Prediction = "branch_missing", Reason = $"the branch {branch} does not exist: it would go to {States.Rework}" });
                continue;
            }

            if (await _git.IsAncestorAsync(tip, @base, cancellationToken).ConfigureAwait(false))
            {
                items.Add(Item(task, branch, MergeOutcomes.Planned) with { Prediction = "merged_already", Commit = tip, Reason = $"{branch} is already in {_defaultBranch}: it would be closed" });
                continue;
            }

            var conflicts = await _git.PredictConflictsAsync(@base, tip, cancellationToken).ConfigureAwait(false);
            var commits = await _git.CountAsync(@base, tip, cancellationToken).ConfigureAwait(false);
            items.Add(conflicts switch
            {
                null => Item(task, branch, MergeOutcomes.Planned) with { Prediction = "unknown", Commit = tip, Reason = $"{commits} commit(s) to rebase; this git cannot predict conflicts" },
                { Count: 0 } => Item(task, branch, MergeOutcomes.Planned) with { Prediction = "clean", Commit = tip, Reason = $"{commits} commit(s) to rebase and validate" },
                _ => Item(task, branch, MergeOutcomes.Planned) with { Prediction = "conflict", Commit = tip, Files = conflicts, Reason = $"{commits} commit(s); a merge with {_defaultBranch} conflicts in {string.Join(", ", conflicts.Take(5))}: it would likely go to {States.Rework}" },
            });
        }

        var notes = new List<string>();
        if (MergeJournalFile.Read(_paths, out _) is { } journal)
        {
            notes.Add($"a merge of {journal.Identifier} was left at '{journal.Phase}' by a run that ended; the next run finishes it or starts it again");
        }

        if (items.Count > 0 && await _git.HolderOfAsync(_defaultBranch, cancellationToken).ConfigureAwait(false) is { } holder
            && await _git.DirtyReasonAsync(holder.Path, cancellationToken).ConfigureAwait(false) is { } dirty)
        {
            notes.Add($"a run would be refused now: {dirty}");
        }

        if (items.Count == 0)
        {
            notes.Add($"nothing to merge: no task of {Project.Id} is in {States.Merge}");
        }

        return new MergeRunResult(Project.Id, _defaultBranch, true, items, null, notes.Count == 0 ? null : string.Join("; ", notes));
    }

    // ---- One task ------------------------------------------------------------------------------------------------

    private async Task<MergeItem> MergeAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        var branch = WorkspaceManager.BranchFor(ToWorkspaceTask(task));
        for (var attempt = 1; ; attempt++)
        {
            var tip = await _git.CommitOfAsync($"refs/heads/{branch}", cancellationToken).ConfigureAwait(false);
            if (tip is null)
            {
                return await SendBackAsync(task, branch, new MergeRejection { Kind = MergeRejection.BranchMissing, Branch = branch, DefaultBranch = _defaultBranch }, cancellationToken);
            }

            var @base = await _git.CommitOfAsync($"refs/heads/{_defaultBranch}", cancellationToken).ConfigureAwait(false) ?? throw DefaultBranchMissing();
            if (LiveSession(task) is { } live)
            {
                Progress($"{task.Identifier}: skipped, session {live} is still running");
                return Item(task, branch, MergeOutcomes.Skipped) with { Reason = $"session {live} is still running on it; the queue merges finished work (stop it with 'baton kill {live}')" };
            }

            var journal = new MergeJournal
            {
                TaskId = task.Id,
                Identifier = task.Identifier,
                Branch = branch,
                BranchTip = tip,
                DefaultBranch = _defaultBranch,
                Base = @base,
                Phase = MergePhases.Rebasing,
                StartedAt = Now,
                UpdatedAt = Now,
                Pid = System.Environment.ProcessId,
            };

            if (await _git.IsAncestorAsync(tip, @base, cancellationToken).ConfigureAwait(false))
            {
                var workspacePath = WorkspaceManager.PathFor(_options.Layout, ToWorkspaceTask(task));
                if (await _git.HasUncommittedAsync(workspacePath, cancellationToken).ConfigureAwait(false))
                {
                    // The agent never committed: closing the task would leave its work behind in the workspace.
                    return await SendBackAsync(task, branch, new MergeRejection { Kind = MergeRejection.NothingCommitted, Branch = branch, DefaultBranch = _defaultBranch }, cancellationToken);
                }

                // Already in the default branch (merged by hand, or an empty branch): nothing to land, only to finish.
                journal = journal with { Rebased = @base, Phase = MergePhases.Landed };
                Write(journal);
                Progress($"{task.Identifier}: {branch} is already in {_defaultBranch}");
                return await FinishAsync(journal, resumed: false, cancellationToken).ConfigureAwait(false);
            }

            Write(journal);
            await Hook(MergeHooks.Started, cancellationToken).ConfigureAwait(false);
            Progress($"{task.Identifier}: rebasing {branch} ({MergeNotes.Short(tip)}) on {_defaultBranch} ({MergeNotes.Short(@base)})");
            await _git.PrepareAsync(tip, cancellationToken).ConfigureAwait(false);
            var rebase = await _git.RebaseAsync(@base, cancellationToken).ConfigureAwait(false);
            if (rebase.Commit is null)
            {
                await Hook(MergeHooks.Conflicted, cancellationToken).ConfigureAwait(false);
                await _git.AbortRebaseAsync(cancellationToken).ConfigureAwait(false);
                if (rebase.ConflictFiles.Count == 0)
                {
                    Forget();
                    Progress($"{task.Identifier}: skipped, the rebase failed: {rebase.Error}");
                    return Item(task, branch, MergeOutcomes.Skipped) with { Reason = $"git rebase failed: {rebase.Error}" };
                }

                var rejected = await SendBackAsync(task, branch, new MergeRejection { Kind = MergeRejection.Conflict, Branch = branch, DefaultBranch = _defaultBranch, Base = @base, Files = rebase.ConflictFiles }, cancellationToken);
                Forget();
                return rejected;
            }

            journal = journal with { Rebased = rebase.Commit, Phase = MergePhases.Validating, UpdatedAt = Now };
            Write(journal);
            await Hook(MergeHooks.Rebased, cancellationToken).ConfigureAwait(false);

            if (await ValidateAsync(task, journal, cancellationToken).ConfigureAwait(false) is { } failure)
            {
                var rejected = await SendBackAsync(task, branch, failure, cancellationToken);
                Forget();
                return rejected;
            }

            await Hook(MergeHooks.Validated, cancellationToken).ConfigureAwait(false);

            // The world may have moved while validation ran: land only what is still asked for, as it was validated.
            var current = (await _options.Tracker.FetchByIdsAsync([task.Id], cancellationToken).ConfigureAwait(false)).FirstOrDefault();
            if (current is null || !States.IsMerge(current.State))
            {
                Forget();
                Progress($"{task.Identifier}: skipped, it left {States.Merge} during the merge");
                return Item(task, branch, MergeOutcomes.Skipped) with { Reason = $"the task left {States.Merge} while it was being merged; nothing was landed" };
            }

            var tipNow = await _git.CommitOfAsync($"refs/heads/{branch}", cancellationToken).ConfigureAwait(false);
            if (tipNow is null)
            {
                var rejected = await SendBackAsync(task, branch, new MergeRejection { Kind = MergeRejection.BranchMissing, Branch = branch, DefaultBranch = _defaultBranch, Excerpt = "It was deleted while the merge queue validated it; nothing was landed." }, cancellationToken);
                Forget();
                return rejected;
            }

            if (tipNow != tip)
            {
                Forget();
                if (attempt < MaxAttempts)
                {
                    Progress($"{task.Identifier}: {branch} moved during the merge; starting again");
                    continue;
                }

                return Item(task, branch, MergeOutcomes.Skipped) with { Reason = $"{branch} kept moving while it was merged ({MaxAttempts} attempts); nothing was landed" };
            }

            journal = journal with { Phase = MergePhases.Landing, UpdatedAt = Now };
            Write(journal);
            LandOutcome landed;
            try
            {
                landed = await _git.FastForwardAsync(_defaultBranch, @base, rebase.Commit, $"baton merge: {task.Identifier}", cancellationToken).ConfigureAwait(false);
            }
            catch (BatonException)
            {
                // Refused before anything moved (a checkout got dirty during validation): the task waits in the queue.
                Forget();
                throw;
            }

            if (landed == LandOutcome.BaseMoved)
            {
                Forget();
                if (attempt < MaxAttempts)
                {
                    Progress($"{task.Identifier}: {_defaultBranch} moved during the merge; rebasing again");
                    continue;
                }

                return Item(task, branch, MergeOutcomes.Skipped) with { Reason = $"{_defaultBranch} kept moving while {task.Identifier} was validated ({MaxAttempts} attempts); nothing was landed" };
            }

            await Hook(MergeHooks.Landed, cancellationToken).ConfigureAwait(false);
            journal = journal with { Phase = MergePhases.Landed, UpdatedAt = Now };
            Write(journal);
            Progress($"{task.Identifier}: {_defaultBranch} fast-forwarded to {MergeNotes.Short(rebase.Commit)}");
            return await FinishAsync(journal, resumed: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The steps after the default branch holds the work, each safe to repeat: push, remove the workspace (safety
    /// rules), delete the task branch, move the task to Done with a comment. Then the journal goes.
    /// </summary>
    private async Task<MergeItem> FinishAsync(MergeJournal journal, bool resumed, CancellationToken cancellationToken)
    {
        var rebased = journal.Rebased!;
        string? pushedTo = null, pushError = null;
        if (_options.Settings.Push)
        {
            if (await _git.RemoteAsync(cancellationToken).ConfigureAwait(false) is { } remote)
            {
                pushError = await _git.PushAsync(remote, rebased, _defaultBranch, cancellationToken).ConfigureAwait(false);
                pushedTo = pushError is null ? $"{remote}/{_defaultBranch}" : null;
                Progress(pushError is null ? $"{journal.Identifier}: pushed to {remote}" : $"{journal.Identifier}: the push to {remote} failed: {pushError}");
            }
            else
            {
                pushError = "merge.push is on, but the project has no remote";
            }
        }

        await Hook(MergeHooks.Pushed, cancellationToken).ConfigureAwait(false);
        var task = (await _options.Tracker.FetchByIdsAsync([journal.TaskId], cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        var workspace = task is null ? "The task no longer exists; its workspace was left alone." : await RemoveWorkspaceAsync(task, cancellationToken).ConfigureAwait(false);
        await Hook(MergeHooks.WorkspaceRemoved, cancellationToken).ConfigureAwait(false);
        var branchNote = await _git.DeleteBranchAsync(journal.Branch, journal.BranchTip, cancellationToken).ConfigureAwait(false);
        var commits = await _git.CountAsync(journal.Base, rebased, cancellationToken).ConfigureAwait(false);
        var note = $"{workspace} {char.ToUpperInvariant(branchNote[0])}{branchNote[1..]}.";
        var comment = MergeNotes.MergedComment(_defaultBranch, rebased, journal.Base, commits, pushedTo, note);
        if (pushError is not null)
        {
            comment += $" The push failed: {pushError}";
        }

        var moved = task is null ? null : _options.Tracker.Transition(journal.TaskId, [States.Merge], States.Closed, Author, comment);
        var outcomeNote = moved is not null || task is null || States.IsTerminal(task.State)
            ? note
            : $"{note} The task was left in {task.State}: it was no longer in {States.Merge}.";
        await Hook(MergeHooks.Finished, cancellationToken).ConfigureAwait(false);
        Forget();
        Progress($"{journal.Identifier}: merged as {MergeNotes.Short(rebased)}; {outcomeNote}");
        return new MergeItem(
            journal.Identifier,
            task?.Title ?? journal.Identifier,
            task?.Priority,
            journal.Branch,
            MergeOutcomes.Merged,
            Commit: rebased,
            Reason: outcomeNote,
            Workspace: workspace,
            PushedTo: pushedTo,
            PushError: pushError,
            Resumed: resumed);
    }

    /// <summary>Through the safety rules: a workspace holding anything not saved elsewhere is kept, and the comment says so.</summary>
    private async Task<string> RemoveWorkspaceAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        var remover = new WorkspaceRemover(new GitSafetyAnalyzer(), _options.Time);
        try
        {
            await remover.RemoveAsync(new RemovalRequest { Layout = _options.Layout, Task = ToWorkspaceTask(task), BatonHome = _options.BatonHome, User = Author }, cancellationToken).ConfigureAwait(false);
            return "The workspace was removed.";
        }
        catch (SafetyCheckException kept)
        {
            return $"The workspace was kept: {kept.Message}.";
        }
        catch (BatonException error) when (error.Code == WorkspaceRemover.NotFound)
        {
            return "There was no workspace to remove.";
        }
        catch (BatonException error)
        {
            return $"The workspace was kept: {error.Message}.";
        }
    }

    /// <summary>
    /// Moves the task to its rework state with a comment saying why (only while it is still in the merge state), and sends
    /// the same text to the task's latest session: delivered into its agent if it runs, else in its task's next run's
    /// prompt. The message goes only after the move, so a step repeated after a crash never sends it twice.
    /// </summary>
    private async Task<MergeItem> SendBackAsync(TaskRecord task, string branch, MergeRejection rejection, CancellationToken cancellationToken)
    {
        var reason = MergeNotes.Reason(rejection);
        var comment = MergeNotes.ReworkComment(rejection, States.Merge);
        TaskRecord? moved;
        try
        {
            moved = _options.Tracker.Transition(task.Id, [States.Merge], States.Rework, Author, comment);
        }
        catch (BatonException error) when (error.Code == ErrorCodes.TaskNotFound)
        {
            moved = null; // deleted while it was merged: there is nothing to move or tell
        }

        var messaged = moved is null ? null : await MessageSessionAsync(task, reason, comment, cancellationToken).ConfigureAwait(false);
        Progress($"{task.Identifier}: sent back to {States.Rework}: {reason}");
        return Item(task, branch, moved is null ? MergeOutcomes.Skipped : MergeOutcomes.Rework) with
        {
            Reason = moved is null ? $"{reason}; the task had already left {States.Merge}, so it was not moved" : reason,
            Files = rejection.Files.Count == 0 ? null : rejection.Files,
            Command = rejection.Command,
            Excerpt = string.IsNullOrEmpty(rejection.Excerpt) ? null : MergeNotes.Excerpt(rejection.Excerpt),
            Log = rejection.LogPath,
            Message = messaged,
        };
    }

    /// <summary>The message to the task's newest session; what became of it in words, or null when the task never had one.</summary>
    private async Task<string?> MessageSessionAsync(TaskRecord task, string reason, string body, CancellationToken cancellationToken)
    {
        if (_options.Sessions is not { } sessions)
        {
            return null;
        }

        var session = _options.Store.Read(db => SessionRows.ForTask(db, task.Id)).Where(s => s.Project == Project.InstanceId).MaxBy(s => s.Number);
        if (session is null)
        {
            return null;
        }

        try
        {
            var sent = await new MailService(_options.Store, sessions, _options.BatonHome, _options.Time).SendAsync(
                new MailDraft
                {
                    // As the orchestrator: the agent answers by moving its task back to the merge state, not by reply.
                    Sender = MailAddress.OrchestratorName,
                    SenderProject = Project.InstanceId,
                    To = new MailAddress(MailAddressKind.Session, session.Name),
                    Subject = $"{task.Identifier} sent back by the merge queue: {reason}",
                    Body = body,
                },
                cancellationToken).ConfigureAwait(false);
            return sent.Count == 0 ? null : $"{session.Name}: {sent[0].Note}";
        }
        catch (Exception error) when (error is BatonException or IOException)
        {
            // The comment on the task says the same; a message that cannot be sent never fails the merge.
            Progress($"{task.Identifier}: the message to {session.Name} failed: {error.Message}");
            return null;
        }
    }

    /// <summary>
    /// Runs the workflow's validation commands (<c>proof.validate</c>) in the merge worktree, one after another, with the
    /// proof's runner (each its own process group, killed at its timeout; output to a capped log). The first failure
    /// stops the rest: one reason is enough to send the work back, and it is the one the comment names.
    /// </summary>
    private async Task<MergeRejection?> ValidateAsync(TaskRecord task, MergeJournal journal, CancellationToken cancellationToken)
    {
        if (_options.Validation.Count == 0)
        {
            return null;
        }

        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in _options.Environment)
        {
            environment[name] = value;
        }

        foreach (var (name, value) in _options.Layout.Environment)
        {
            environment[name] = value;
        }

        environment["BATON_TASK"] = task.Identifier;
        environment["BATON_TASK_ID"] = task.Id;
        environment["BATON_TASK_IDENTIFIER"] = task.Identifier;
        environment["BATON_TASK_BRANCH"] = journal.Branch;
        environment["BATON_WORKSPACE"] = _paths.Worktree;
        environment["BATON_MERGE"] = "1";
        environment[MergePaths.MarkerVariable] = Project.InstanceId;
        foreach (var secret in SecretVariables.WellKnown)
        {
            environment[secret] = null;
        }

        var logs = Path.Combine(_paths.Logs, WorkspaceKey.From(task.Identifier));
        var context = new ValidationContext { Workspace = _paths.Worktree, LogDirectory = logs, Environment = environment, Commit = journal.Rebased, Time = _options.Time };
        for (var i = 0; i < _options.Validation.Count; i++)
        {
            var command = _options.Validation[i];
            Progress($"{task.Identifier}: validating: {command.Command}");
            var logPath = Path.Combine(logs, string.Create(CultureInfo.InvariantCulture, $"{i + 1}.log"));
            var result = await ValidationRunner.RunAsync(command, logPath, context, cancellationToken).ConfigureAwait(false);
            if (result.Passed)
            {
                continue;
            }

            return new MergeRejection
            {
                Kind = result.TimedOut ? MergeRejection.ValidationTimedOut : MergeRejection.ValidationFailed,
                Branch = journal.Branch,
                DefaultBranch = _defaultBranch,
                Base = journal.Base,
                Command = command.Command,
                ExitCode = result.ExitCode,
                TimeoutMs = command.TimeoutMs,
                Excerpt = result.Error ?? result.Excerpt,
                LogPath = result.Log is null ? null : logPath,
            };
        }

        return null;
    }

    // ---- Recovery ------------------------------------------------------------------------------------------------

    /// <summary>
    /// A journal on disk means a run was killed mid-merge (this run holds the lock, so no other is running). What it left
    /// running is killed; then the default branch says whether the work landed: if so the merge is finished, otherwise
    /// the merge worktree is reset and the task merged again from the start by the loop (it is still queued).
    /// </summary>
    private async Task<(string? Recovery, MergeItem? Finished)> RecoverJournalAsync(CancellationToken cancellationToken)
    {
        var journal = MergeJournalFile.Read(_paths, out var problem);
        if (journal is null && problem is null)
        {
            return (null, null);
        }

        KillLeftovers();
        await _git.ResetAsync(cancellationToken).ConfigureAwait(false);
        if (journal is null || problem is not null)
        {
            Forget();
            return ($"restarted: {problem}", null);
        }

        var landed = journal.Rebased is not null
            && await _git.IsAncestorAsync(journal.Rebased, $"refs/heads/{journal.DefaultBranch}", cancellationToken).ConfigureAwait(false);
        if (MergeRecoveryRules.Decide(journal, landed) == MergeRecovery.Finish)
        {
            Progress($"{journal.Identifier}: a killed run had landed it; finishing");
            var finished = await FinishAsync(journal with { Phase = MergePhases.Landed }, resumed: true, cancellationToken).ConfigureAwait(false);
            return ($"finished the merge of {journal.Identifier} a killed run had landed", finished);
        }

        Forget();
        Progress($"{journal.Identifier}: a killed run left it at '{journal.Phase}' before landing; merging it again");
        return ($"restarted the merge of {journal.Identifier} a killed run left at '{journal.Phase}' (nothing had landed)", null);
    }

    /// <summary>Git and validation processes a killed run started keep running as orphans: stop them before the worktree is reset under them.</summary>
    private void KillLeftovers()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var pids = ProcessTable.WithEnvironment(MergePaths.MarkerVariable, Project.InstanceId).Where(p => p != System.Environment.ProcessId).ToList();
            if (pids.Count == 0)
            {
                return;
            }

            foreach (var pid in pids)
            {
                Posix.Signal(pid, Posix.SigKill);
            }

            Thread.Sleep(20);
        }
    }

    // ---- Helpers -------------------------------------------------------------------------------------------------

    private string? LiveSession(TaskRecord task)
    {
        if (_options.Sessions is not { } sessions)
        {
            return null;
        }

        var rows = _options.Store.Read(db => SessionRows.ForTask(db, task.Id));
        return rows.Where(r => r.ArchivedAt is null).FirstOrDefault(r => Core.Sessions.SessionStatus.IsLive(sessions.Observe(r).Status))?.Name;
    }

    private void Write(MergeJournal journal) => MergeJournalFile.Write(_paths, journal);

    private void Forget() => MergeJournalFile.Delete(_paths);

    private Task Hook(string step, CancellationToken cancellationToken) => _options.Hooks.AtAsync(step, _paths, cancellationToken);

    private void Progress(string line) => _options.Progress?.Invoke(line);

    private static WorkspaceTask ToWorkspaceTask(TaskRecord task) => new(task.Id, task.Identifier, task.BranchName);

    private static MergeItem Item(TaskRecord task, string branch, string outcome) => new(task.Identifier, task.Title, task.Priority, branch, outcome);

    private BatonException DefaultBranchMissing() => new(
        ErrorCodes.BranchNotFound,
        $"the default branch '{_defaultBranch}' does not exist in {Project.Path}",
        "Set the right branch with 'defaultBranch:' in baton.yaml (see 'git branch -a').");

    /// <summary>
    /// Every git process of the queue carries the project's marker (so a re-run finds what a killed run left), and a
    /// committer: rebasing makes new commits, and a machine with no git identity must still be able to (authors are kept).
    /// </summary>
    private static async Task<Dictionary<string, string?>> GitEnvironmentAsync(MergeQueueOptions options, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [MergePaths.MarkerVariable] = options.Project.InstanceId,
            ["GIT_EDITOR"] = "true",
            ["GIT_SEQUENCE_EDITOR"] = "true",
            ["GIT_MERGE_AUTOEDIT"] = "no",
        };
        foreach (var name in new[] { "HOME", "PATH", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL" })
        {
            if (options.Environment.GetValueOrDefault(name) is { Length: > 0 } value)
            {
                environment[name] = value;
            }
        }

        foreach (var (key, variable, fallback) in new[] { ("user.name", "GIT_COMMITTER_NAME", "Baton merge queue"), ("user.email", "GIT_COMMITTER_EMAIL", "baton-merge@localhost") })
        {
            if (environment.ContainsKey(variable))
            {
                continue;
            }

            var configured = await Git.GitCli.RunAsync(options.Layout.RepositoryPath!, ["config", key], environment, cancellationToken).ConfigureAwait(false);
            if (!configured.Succeeded || configured.StandardOutput.Trim().Length == 0)
            {
                environment[variable] = fallback;
            }
        }

        return environment;
    }
}
