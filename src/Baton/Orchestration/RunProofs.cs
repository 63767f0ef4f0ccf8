using System.Collections.Concurrent;
using Baton.Core.Configuration;
using Baton.Core.Events;
using Baton.Core.Proofs;
using Baton.Core.Scheduling;
using Baton.Core.Tasks;
using Baton.Core.Workflows;
using Baton.Proofs;
using Baton.Sessions;
using Baton.Tracking;
using Baton.Workspaces;

namespace Baton.Orchestration;

/// <summary>
/// The orchestrator's proof and hand-off side, called at two points of a run's life: <see cref="CheckAsync"/> when the
/// scheduler asks whether a run's work is review-ready (<see cref="CheckWork"/>), and <see cref="RunEndedAsync"/> when
/// the run's process is gone, before its workspace may be cleaned: the proof bundle is written for every run, however
/// it ended, and a run the scheduler ended with <see cref="ExitPlan.HandOff"/> is handed off (optional pull request,
/// task moved to the hand-off state, the proof summary as a comment). The decisions are pure
/// (<see cref="HandoffRules"/>, <see cref="ProofBuilder"/>); this class gathers facts and carries out effects.
/// Nothing here throws into the orchestrator's loop: a failure is logged and becomes a verdict or an outcome.
/// </summary>
public sealed class RunProofs(OrchestratorOptions options, Func<WorkspaceLayout?> layout, Func<Project?> inspected)
{
    /// <summary>Tracker secrets that validation commands (which run the agent's code) never see, beside the workflow's own.</summary>
    private static readonly string[] s_secrets = ["LINEAR_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "BATON_API_TOKEN"];

    private readonly ConcurrentDictionary<long, CheckRecord> _checks = new();
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _locks = new();
    private long _logDirectories;

    private RunLog Log => options.Log;

    private Project Project => inspected() ?? options.Project;

    /// <summary>Checks the run's work (validation, then git) and answers the scheduler; never throws but on shutdown.</summary>
    public async Task<WorkChecked> CheckAsync(CheckWork check, SessionRecord? session, SchedulerState state, WorkflowSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        var task = state.Running.TryGetValue(check.TaskId, out var entry) && entry.RunId == check.RunId ? entry.Task.Task : null;
        if (session is null || task is null)
        {
            return new WorkChecked(options.Time.GetUtcNow(), check.TaskId, check.RunId, new WorkVerdict.Failed("the run's session is not known to this orchestrator"));
        }

        var gate = _locks.GetOrAdd(check.RunId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = await GatherAsync(session, task, settings, cancellationToken).ConfigureAwait(false);
            _checks[check.RunId] = record;
            var verdict = HandoffRules.Judge(record.Facts);
            Log.Info(
                "hand-off check",
                ("project", options.Project.Id),
                ("task_id", task.Id),
                ("identifier", task.Identifier),
                ("session", session.Name),
                ("turn", check.Turn),
                ("verdict", verdict.GetType().Name.ToLowerInvariant()),
                ("detail", verdict switch { WorkVerdict.NeedsFix f => f.Problems, WorkVerdict.Failed f => f.Reason, WorkVerdict.Ready r => r.Reason, _ => null }));
            return new WorkChecked(options.Time.GetUtcNow(), check.TaskId, check.RunId, verdict);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.Error("hand-off check failed", ("project", options.Project.Id), ("task_id", task.Id), ("session", session.Name), ("error", ex.Message));
            return new WorkChecked(options.Time.GetUtcNow(), check.TaskId, check.RunId, new WorkVerdict.Failed(ex.Message));
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Writes the run's proof and, for a run ended by a review-ready check, hands the task off. Returns the outcome and
    /// reason to report to the scheduler: the worker's, or a failure when the hand-off failed.
    /// </summary>
    /// <param name="state">The scheduler's current state, read once a check of the same run (if any) is over.</param>
    public async Task<(string Outcome, string? Reason)> RunEndedAsync(RunHandle handle, SessionRecord session, string outcome, string? reason, Func<SchedulerState> state, WorkflowSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        var gate = _locks.GetOrAdd(handle.RunId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        RunningEntry? entry = null;
        try
        {
            var current = state();
            entry = current.Running.TryGetValue(handle.TaskId, out var found) && found.RunId == handle.RunId ? found : null;
            return await FinishAsync(handle, session, entry, outcome, reason, current.Config, settings, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.Error("proof failed", ("project", options.Project.Id), ("task_id", handle.TaskId), ("session", session.Name), ("error", ex.ToString()));
            return entry?.OnExit is ExitPlan.HandOff ? (Outcomes.Failed, $"hand-off failed: {ex.Message}") : (outcome, reason);
        }
        finally
        {
            gate.Release();
            _locks.TryRemove(handle.RunId, out _);
            _checks.TryRemove(handle.RunId, out _);
        }
    }

    private async Task<(string Outcome, string? Reason)> FinishAsync(
        RunHandle handle, SessionRecord session, RunningEntry? entry, string outcome, string? reason, SchedulerConfig config, WorkflowSettings settings, CancellationToken cancellationToken)
    {
        var plan = entry?.OnExit;
        var task = entry?.Task.Task;
        if (plan is ExitPlan.RetryAfterFailure failed)
        {
            // The scheduler failed the run (a stall, a failed turn, work that never became review-ready): say so.
            (outcome, reason) = (Outcomes.Failed, failed.Error);
        }
        else if (plan is ExitPlan.Release release && outcome == Outcomes.Stopped)
        {
            reason = $"stopped by the orchestrator: {release.Reason}";
        }

        // Validate the work unless the run failed. A run stopped by reconciliation because the agent moved its own task
        // (Symphony's hand-off), or because a person closed it meanwhile, ended normally: its work is still proven
        // before a terminal task's workspace is cleaned.
        var endedNormally = plan is not (ExitPlan.RetryAfterFailure or ExitPlan.Block)
            && (plan is not null || outcome == Outcomes.Succeeded) && outcome is Outcomes.Succeeded or Outcomes.Stopped;
        var check = _checks.GetValueOrDefault(handle.RunId);

        // The git facts as the run left them; validation from this run's last check, or now when the run ended normally.
        var git = await ReadGitAsync(session, cancellationToken).ConfigureAwait(false);
        ProofValidation validation;
        IReadOnlyList<ValidationResult> results;
        string? logDirectory;
        if (check is not null)
        {
            (results, logDirectory) = (check.Facts.Validation, check.LogDirectory);
            validation = ProofValidation.Of(results);
        }
        else if (settings.Proof.Validate.Count == 0)
        {
            (results, logDirectory, validation) = ([], null, ProofValidation.NotConfigured);
        }
        else if (endedNormally && git.Facts is not null && task is not null)
        {
            logDirectory = NextLogDirectory(session);
            results = await ValidateAsync(session, task, settings, git.Facts.HeadCommit, logDirectory, cancellationToken).ConfigureAwait(false);
            validation = ProofValidation.Of(results);
        }
        else
        {
            (results, logDirectory) = ([], null);
            validation = new ProofValidation(ValidationStatuses.NotRun, git.Facts is null ? $"not validated: {git.Problem}" : $"not validated: the run did not end normally ({outcome}{(reason is null ? string.Empty : $": {reason}")})", []);
        }

        var handoffState = settings.Handoff.State ?? Project.States.Handoff.FirstOrDefault() ?? HandoffSettings.DefaultState;
        var handoff = new ProofHandoff { Enabled = settings.Handoff.Enabled, Status = HandoffStatuses.NotEnabled, State = handoffState };
        var taskState = task?.State;
        if (settings.Handoff.Enabled)
        {
            handoff = plan switch
            {
                ExitPlan.HandOff => handoff, // below
                ExitPlan.RetryAfterFailure failure => handoff with { Status = HandoffStatuses.NotReady, Reason = failure.Error },
                _ when task is not null && !config.IsActive(task.State) => handoff with { Status = HandoffStatuses.NotNeeded, Reason = $"the task was moved to {task.State} during the run" },
                _ => handoff with { Status = HandoffStatuses.NotReady, Reason = reason ?? $"the run ended {outcome}" },
            };
        }

        var proofDirectory = ProofBundle.PathFor(session.Directory);
        if (plan is ExitPlan.HandOff && task is not null)
        {
            (handoff, taskState, outcome, reason) = await HandOffAsync(session, task, check, git, handoff, settings, outcome, reason, proofDirectory, cancellationToken).ConfigureAwait(false);
        }

        var events = session.Files.ReadEvents().ToList();
        var manifest = TryManifest(session);
        var lastRun = events.Count == 0 ? 0 : events.Max(e => e.Run);
        var export = Path.Combine(session.Files.Transcripts, $"run-{lastRun}.html");
        var hasExport = lastRun > 0 && File.Exists(export);
        var logs = new Dictionary<string, string>(StringComparer.Ordinal);
        var bundled = results.Select(r =>
        {
            if (r.Log is null || logDirectory is null || !File.Exists(Path.Combine(logDirectory, r.Log)))
            {
                return r with { Log = null };
            }

            var name = $"{ProofDocument.ValidationDirectory}/{r.Log}";
            logs[name] = Path.Combine(logDirectory, r.Log);
            return r with { Log = name };
        }).ToList();
        validation = validation with { Results = bundled };

        ProofDocument Build(ProofHandoff h) => ProofBuilder.Build(new ProofInput
        {
            Now = options.Time.GetUtcNow(),
            Task = new ProofTask(task?.Id ?? session.TaskId, task?.Identifier ?? session.TaskIdentifier, task?.Title ?? manifest?.TaskTitle, taskState, task?.Url),
            Session = new ProofSession(session.Name, session.Directory, session.Workspace, session.Branch, session.CreatedAt),
            Events = events,
            Outcome = outcome,
            Reason = reason,
            Agent = session.Agent,
            Model = session.Model,
            Git = git.Facts,
            GitProblem = git.Problem,
            Validation = validation,
            Handoff = h,
            Transcript = new ProofTranscript(ProofDocument.TranscriptFile, hasExport ? TranscriptSources.AgentExport : TranscriptSources.Events),
        });

        var proof = Build(handoff);
        if (handoff.Status == HandoffStatuses.HandedOff && options.Tracker is ITaskWriter writer && task is not null)
        {
            try
            {
                var id = await writer.CommentAsync(task.Id, ProofRenderer.Summary(proof), cancellationToken).ConfigureAwait(false);
                proof = Build(handoff with { CommentId = id });
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The task is in review already; a missing comment is reported, not retried (the proof has it all).
                Log.Warn("hand-off comment failed", ("project", options.Project.Id), ("task_id", task.Id), ("error", ex.Message));
                proof = Build(handoff with { Reason = $"the comment could not be added: {ex.Message}" });
            }
        }

        try
        {
            ProofBundle.Write(session.Directory, new ProofBundle.Contents(
                proof,
                ProofRenderer.Summary(proof),
                hasExport ? null : ProofRenderer.TranscriptHtml(proof, events),
                hasExport ? export : null,
                logs));
            Log.Info("proof written", ("project", options.Project.Id), ("task_id", handle.TaskId), ("identifier", proof.Task.Identifier), ("session", session.Name), ("outcome", outcome), ("validation", validation.Status), ("handoff", proof.Handoff.Status), ("path", proofDirectory));
            TryDelete(Path.Combine(session.Directory, ValidationStaging));
        }
        catch (Core.Errors.BatonException error)
        {
            // A proof that cannot be written never stops the task: the hand-off stands and the log says why.
            Log.Error("proof not written", ("project", options.Project.Id), ("task_id", handle.TaskId), ("session", session.Name), ("code", error.Code), ("error", error.Message));
        }

        return (outcome, reason);
    }

    private async Task<(ProofHandoff Handoff, string? TaskState, string Outcome, string? Reason)> HandOffAsync(
        SessionRecord session, TaskRecord task, CheckRecord? check, GitReading git, ProofHandoff handoff, WorkflowSettings settings, string outcome, string? reason, string proofDirectory, CancellationToken cancellationToken)
    {
        // The scheduler decided on facts from the check; the branch must still be what was checked.
        string? problem = outcome != Outcomes.Succeeded ? $"the agent did not stop cleanly ({outcome}{(reason is null ? string.Empty : $": {reason}")})"
            : check is null ? "no check of this run is known (the orchestrator restarted)"
            : git.Facts is null ? git.Problem
            : git.Facts.HeadCommit != check.Facts.Git?.HeadCommit ? $"the branch moved after the check ({Short(check.Facts.Git?.HeadCommit)} → {Short(git.Facts.HeadCommit)})"
            : options.Tracker is not ITaskWriter ? "this tracker cannot be written by Baton"
            : null;
        if (problem is not null)
        {
            Log.Warn("hand-off not done", ("project", options.Project.Id), ("task_id", task.Id), ("identifier", task.Identifier), ("reason", problem));
            return (handoff with { Status = HandoffStatuses.Failed, Reason = problem }, task.State, Outcomes.Failed, $"hand-off failed: {problem}");
        }

        if (settings.Handoff.PullRequest)
        {
            handoff = handoff with { PullRequest = await PullRequestAsync(session, task, git.Facts!, proofDirectory, cancellationToken).ConfigureAwait(false) };
        }

        try
        {
            var moved = await ((ITaskWriter)options.Tracker).MoveToStateAsync(task.Id, handoff.State!, cancellationToken).ConfigureAwait(false);
            Log.Info("task handed off", ("project", options.Project.Id), ("task_id", task.Id), ("identifier", task.Identifier), ("state", moved), ("pull_request", handoff.PullRequest?.Url ?? handoff.PullRequest?.Status));
            return (handoff with { Status = HandoffStatuses.HandedOff, State = moved, Reason = check!.Verdict }, moved, outcome, reason);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Error("hand-off failed", ("project", options.Project.Id), ("task_id", task.Id), ("identifier", task.Identifier), ("error", ex.Message));
            return (handoff with { Status = HandoffStatuses.Failed, Reason = $"moving the task to {handoff.State} failed: {ex.Message}" }, task.State, Outcomes.Failed, $"hand-off failed: moving the task to {handoff.State} failed: {ex.Message}");
        }
    }

    private async Task<ProofPullRequest> PullRequestAsync(SessionRecord session, TaskRecord task, GitFacts git, string proofDirectory, CancellationToken cancellationToken)
    {
        var project = Project;
        if (string.IsNullOrWhiteSpace(project.Repo))
        {
            return new ProofPullRequest { Status = PullRequestStatuses.NoRepository, Error = $"project {project.Id} has no GitHub repo (set repo: owner/name in baton.yaml, or a github.com remote)" };
        }

        var request = new PullRequestRequest
        {
            Repo = project.Repo,
            Head = git.Branch ?? session.Branch ?? $"baton/{task.Identifier}",
            Base = project.DefaultBranch ?? layout()?.DefaultBranch ?? git.BaseRef ?? "main",
            Title = $"{task.Identifier}: {task.Title}",
            Body = $"Opened by Baton for {task.Identifier}{(task.Url is null ? string.Empty : $" ({task.Url})")}.\n\nThe proof of work is in `{proofDirectory}` on the machine that ran it.\n",
            Workspace = session.Workspace,
            SummaryPath = Path.Combine(proofDirectory, ProofDocument.SummaryFile),
        };
        var result = await new GitHubPullRequests(options.Environment).OpenAsync(request, cancellationToken).ConfigureAwait(false);
        if (result.Status is PullRequestStatuses.Failed)
        {
            Log.Warn("pull request not opened", ("project", options.Project.Id), ("task_id", task.Id), ("error", result.Error));
        }

        return result;
    }

    private async Task<CheckRecord> GatherAsync(SessionRecord session, TaskRecord task, WorkflowSettings settings, CancellationToken cancellationToken)
    {
        // Cleanliness is judged on the agent's work as it left it, before validation can add build output.
        var git = await ReadGitAsync(session, cancellationToken).ConfigureAwait(false);
        if (git.Facts is null)
        {
            return new CheckRecord(new WorkFacts { TaskIdentifier = task.Identifier, GitProblem = git.Problem }, null, "not checked");
        }

        var logDirectory = NextLogDirectory(session);
        var results = await ValidateAsync(session, task, settings, git.Facts.HeadCommit, logDirectory, cancellationToken).ConfigureAwait(false);
        var facts = new WorkFacts { TaskIdentifier = task.Identifier, Git = git.Facts, Validation = results };
        return new CheckRecord(facts, logDirectory, HandoffRules.Judge(facts) is WorkVerdict.Ready ready ? ready.Reason : "checked");
    }

    private Task<GitReading> ReadGitAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        var current = layout();
        var repository = current?.Strategy == WorkspaceLayout.Worktree ? current.RepositoryPath : null;
        return GitFactsReader.ReadAsync(session.Workspace, repository, session.Branch, current?.DefaultBranch ?? Project.DefaultBranch, cancellationToken);
    }

    private async Task<IReadOnlyList<ValidationResult>> ValidateAsync(SessionRecord session, TaskRecord task, WorkflowSettings settings, string? commit, string logDirectory, CancellationToken cancellationToken)
    {
        if (settings.Proof.Validate.Count == 0)
        {
            return [];
        }

        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in options.Environment)
        {
            environment[name] = value;
        }

        foreach (var (name, value) in layout()?.Environment ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        environment["BATON_SESSION"] = session.Name;
        environment["BATON_TASK"] = task.Identifier;
        environment["BATON_TASK_ID"] = task.Id;
        environment["BATON_TASK_IDENTIFIER"] = task.Identifier;
        environment["BATON_TASK_BRANCH"] = session.Branch ?? string.Empty;
        environment["BATON_WORKSPACE"] = session.Workspace;
        foreach (var secret in s_secrets.Concat(options.SecretEnvironmentNames))
        {
            environment[secret] = null;
        }

        var results = await ValidationRunner.RunAllAsync(
            settings.Proof.Validate,
            new ValidationContext { Workspace = session.Workspace, LogDirectory = logDirectory, Environment = environment, Commit = commit, Time = options.Time },
            cancellationToken).ConfigureAwait(false);
        foreach (var result in results)
        {
            Log.Info("validation", ("project", options.Project.Id), ("task_id", task.Id), ("identifier", task.Identifier), ("command", result.Command), ("result", result.Describe()), ("duration_ms", result.DurationMs), ("output_bytes", result.OutputBytes));
        }

        return results;
    }

    private const string ValidationStaging = ".validation";

    /// <summary>Validation logs wait here until a proof bundle copies them in.</summary>
    private string NextLogDirectory(SessionRecord session) =>
        Path.Combine(session.Directory, ValidationStaging, Interlocked.Increment(ref _logDirectories).ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static SessionManifest? TryManifest(SessionRecord session)
    {
        try
        {
            return session.Files.ReadManifest();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            return null;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string Short(string? commit) => commit is null ? "none" : commit.Length > 12 ? commit[..12] : commit;

    /// <summary>What the last check of a run found, kept for the proof and the hand-off at the run's end.</summary>
    private sealed record CheckRecord(WorkFacts Facts, string? LogDirectory, string Verdict);
}
