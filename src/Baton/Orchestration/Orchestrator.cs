using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Core.Scheduling;
using Baton.Core.Tasks;
using Baton.Core.Templates;
using Baton.Core.Web;
using Baton.Core.Workflows;
using Baton.Sessions;
using Baton.Storage;
using Baton.Tracking;
using Baton.Tracking.Local;
using Baton.Workers;
using Baton.Workspaces;

namespace Baton.Orchestration;

/// <summary>What one orchestrator needs from the outside: its project, its workflow file, and the effects it drives.</summary>
public sealed record OrchestratorOptions
{
    public required Project Project { get; init; }

    public required string WorkflowPath { get; init; }

    public required string BatonHome { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public required string HomeDirectory { get; init; }

    public required StateStore Store { get; init; }

    public required SessionService Sessions { get; init; }

    public required ITracker Tracker { get; init; }

    public required RunLog Log { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// The workspace layout to use instead of the project's own (a bare WORKFLOW.md with an external tracker has no
    /// baton.yaml project to derive one from); its hooks are replaced by the workflow's.
    /// </summary>
    public WorkspaceLayout? Layout { get; init; }

    /// <summary>Environment variable names the tracker declares secret (§1.18): removed from every agent's environment.</summary>
    public IReadOnlyList<string> SecretEnvironmentNames { get; init; } = [];

    /// <summary>Host-side tools offered to Codex runs (e.g. <c>linear_graphql</c>), served by the caller's broker; null = none.</summary>
    public HostToolAccess? HostTools { get; init; }

    /// <summary>How often a running session's status.json and events.jsonl are read.</summary>
    public TimeSpan WatchInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often WORKFLOW.md's stamp and the wake file are checked (§6.2 live reload).</summary>
    public TimeSpan ReloadInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a stop waits for the worker before killing it.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The daemon around the pure <see cref="Scheduler"/> (Symphony §7, §8): one authority loop per workflow that reads
/// one channel of signals (poll ticks, refresh requests, wake-ups, worker events, run exits, retry timers, reloads)
/// and feeds them to <see cref="Scheduler.Apply"/> one at a time, then carries out the actions in order. Slow effects
/// (spawning, stopping, cleaning) run beside the loop and report back through the same channel, so the loop never
/// blocks on an agent and the scheduler's state has exactly one writer.
/// </summary>
/// <remarks>
/// Sessions are watched by reading their <c>status.json</c> and tailing their <c>events.jsonl</c> every
/// <see cref="OrchestratorOptions.WatchInterval"/>: files survive an orchestrator restart, so a restarted daemon adopts
/// live sessions (§14.3) and follows them from where they are instead of starting duplicates.
/// </remarks>
public sealed class Orchestrator : IAsyncDisposable
{
    private readonly OrchestratorOptions _options;
    private readonly Channel<Signal> _signals = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<SchedulerInput> _inputs = new();
    private readonly ConcurrentDictionary<long, RunHandle> _runs = new();
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _retryTimers = new();
    private readonly ConcurrentDictionary<string, SessionRecord> _adoptable = new(StringComparer.Ordinal);
    private readonly Supervisor _supervisor;

    /// <summary>How long after its creation a session without a tmux session or a status may still be starting.</summary>
    private static readonly TimeSpan s_freshSessionWait = TimeSpan.FromSeconds(10);

    /// <summary>Answers on their way to a new run, by task id: the question is closed once that run has started.</summary>
    private readonly Dictionary<string, (SessionFiles Files, BlockedNote? Question, AnswerNote Answer)> _answering = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _background = [];
    private readonly CancellationTokenSource _life = new();
    private readonly RunProofs _proofs;
    private SchedulerState _state;
    private LoadedWorkflow _workflow;
    private WorkspaceLayout? _layout;
    private Project? _inspected;
    private WorkflowStamp? _badStamp;
    private string? _workflowError;
    private DateTime _wakeStamp;
    private int _pollPending;
    private Task? _loop;
    private FileSystemWatcher? _wakeWatcher;
    private Coordination.ContinuousMergeQueue? _mergeQueue;

    private Orchestrator(OrchestratorOptions options, LoadedWorkflow workflow)
    {
        _options = options;
        _workflow = workflow;
        _state = SchedulerState.Initial(workflow.Scheduler);
        _proofs = new RunProofs(options, () => _layout, () => _inspected);
        _supervisor = new Supervisor(options);
    }

    /// <summary>Raised (on the loop) whenever the scheduling state changed.</summary>
    public event Action<Orchestrator>? StateChanged;

    /// <summary>Raised (on a session's watcher) for each event read from a running session's events.jsonl.</summary>
    public event Action<WorkerEvent>? EventObserved;

    public Project Project => _options.Project;

    public SchedulerState State => Volatile.Read(ref _state);

    public LoadedWorkflow Workflow => Volatile.Read(ref _workflow);

    /// <summary>The last reload error, shown to operators until a valid edit replaces it (§6.2).</summary>
    public string? WorkflowError => Volatile.Read(ref _workflowError);

    /// <summary>Session names of the current runs, by task id (for views).</summary>
    public IReadOnlyDictionary<long, RunHandle> Runs => _runs;

    public string? AgentKind => Workflow.AgentKind;

    private DateTimeOffset Now => _options.Time.GetUtcNow();

    private RunLog Log => _options.Log;

    /// <summary>
    /// Validates the workflow (§6.3 startup validation: a failure is a clear error, never a half-started daemon), adopts
    /// live sessions, runs the startup terminal cleanup (§8.6) and queues the first tick at once (§8.1).
    /// </summary>
    public static async Task<Orchestrator> StartAsync(OrchestratorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var workflow = LoadedWorkflow.Load(options.WorkflowPath, options.Project.States, options.Environment.GetValueOrDefault, options.HomeDirectory);
        var orchestrator = new Orchestrator(options, workflow);
        await orchestrator.PrepareLayoutAsync(cancellationToken).ConfigureAwait(false);
        options.Log.Info("orchestrator starting", ("project", options.Project.Id), ("workflow", options.WorkflowPath), ("agent", workflow.AgentKind), ("poll_ms", workflow.Settings.PollIntervalMs), ("max_agents", workflow.Settings.Agent.MaxConcurrentAgents));
        await orchestrator.AdoptAsync(cancellationToken).ConfigureAwait(false);
        await orchestrator.StartupCleanupAsync(cancellationToken).ConfigureAwait(false);
        orchestrator.Start();
        orchestrator._mergeQueue = OrchestratorMergeQueue.Start(options, orchestrator._inspected!, orchestrator._layout!, () => orchestrator.Workflow.Settings, orchestrator._life.Token);
        return orchestrator;
    }

    /// <summary>Queues a poll and reconciliation now; false when one was already queued (coalesced, §13.7.2).</summary>
    public bool RequestPoll(string why)
    {
        if (Interlocked.Exchange(ref _pollPending, 1) == 1)
        {
            return false;
        }

        _signals.Writer.TryWrite(new PollSignal(why));
        return true;
    }

    /// <summary>
    /// Stops the loop, timers and watchers. Sessions keep running (a restarted daemon adopts them) unless
    /// <paramref name="stopSessions"/>; then every live run is stopped within the grace period.
    /// </summary>
    public async Task ShutdownAsync(bool stopSessions, TimeSpan timeout)
    {
        if (_life.IsCancellationRequested)
        {
            return;
        }

        Log.Info("orchestrator stopping", ("project", Project.Id), ("stop_sessions", stopSessions), ("running", State.Running.Count));
        await _life.CancelAsync().ConfigureAwait(false);
        _wakeWatcher?.Dispose();
        _signals.Writer.TryComplete();
        var pending = new List<Task>(_background);
        if (_mergeQueue is not null)
        {
            pending.Add(_mergeQueue.Completion);
        }

        if (_loop is not null)
        {
            pending.Add(_loop);
        }

        await WhenAllBounded(pending, timeout).ConfigureAwait(false);
        if (stopSessions)
        {
            var stops = _runs.Values.Where(r => r.Session is not null).Select(r => StopSessionAsync(r.Session!, CancellationToken.None)).ToList();
            await WhenAllBounded(stops, timeout).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(stopSessions: false, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _life.Dispose();
    }

    // ---- Startup ----------------------------------------------------------------------------------------------

    private async Task PrepareLayoutAsync(CancellationToken cancellationToken)
    {
        if (_options.Layout is { } given)
        {
            _inspected = _options.Project;
            _layout = given with { Hooks = Workflow.Settings.Hooks };
            return;
        }

        var (inspected, layout) = await ProjectWorkspaces.LayoutAsync(_options.Project, _options.BatonHome, _options.Environment.GetValueOrDefault, _options.HomeDirectory, cancellationToken).ConfigureAwait(false);
        _inspected = inspected;

        // The hooks come from the workflow being run, which need not be the project's own WORKFLOW.md (§5.1).
        _layout = layout with { Hooks = Workflow.Settings.Hooks };
    }

    /// <summary>§14.3: live sessions from before a restart become running entries, so no task gets a second agent.</summary>
    private async Task AdoptAsync(CancellationToken cancellationToken)
    {
        var sessions = _options.Store.Read(db => SessionRows.List(db, [Project.InstanceId], includeArchived: false));
        var live = new List<LiveSession>();
        foreach (var session in sessions.Where(s => s.TaskId is not null))
        {
            var observed = await SettleAsync(session, cancellationToken).ConfigureAwait(false);
            if (!observed.WorkerAlive || observed.Reported is not { } status)
            {
                continue;
            }

            var found = await _options.Tracker.FetchByIdsAsync([session.TaskId!], cancellationToken).ConfigureAwait(false);
            if (found.Count == 0)
            {
                continue;
            }

            _adoptable[session.Name] = session;
            live.Add(new LiveSession(Track(found[0]), session.Name, status.StartedAt, null, Math.Max(status.Turns, 1), status.LastEventAt));
        }

        var blocked = new List<BlockedSession>();
        foreach (var session in sessions.Where(s => s.TaskId is not null && !_adoptable.ContainsKey(s.Name)).OrderByDescending(s => s.CreatedAt))
        {
            var files = session.Files;
            if (files.ReadBlocked() is not { } question || blocked.Any(b => b.Task.Id == session.TaskId) || live.Any(l => l.Task.Id == session.TaskId))
            {
                continue;
            }

            var found = await _options.Tracker.FetchByIdsAsync([session.TaskId!], cancellationToken).ConfigureAwait(false);
            if (found.Count == 0)
            {
                continue;
            }

            // A person may have answered while no orchestrator ran: the answer is dispatched on the first tick.
            var answer = files.ReadAnswer();
            if (answer is not null)
            {
                _answering[session.TaskId!] = (files, question, answer);
            }

            blocked.Add(new BlockedSession(Track(found[0]), session.Name, question.BlockedAt, question.Question, answer is null ? null : PromptBuilder.AnswerGuidance(question.Question, answer.Text)));
        }

        if (live.Count > 0 || blocked.Count > 0)
        {
            Enqueue(new AdoptSessions(Now, live, blocked));
            await DrainAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What a previous orchestrator left in a state that could put a second agent on a task once this one dispatches
    /// it again (a <c>kill -9</c> can land anywhere): a worker still starting (its tmux pane runs, no status yet) is
    /// given <see cref="SpawnRequest.StartWait"/> to come up and is then adopted, or stopped; agent processes whose
    /// worker died (orphaned) are killed. Either way, after this no process of the session runs unless it is adopted.
    /// </summary>
    private async Task<SessionState> SettleAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        var observed = _options.Sessions.Observe(session);

        // A spawn killed with its orchestrator may still have a tmux client in flight that creates the session a moment
        // later (a child outlives a kill -9): a session this fresh gets a few seconds to show up before it is judged.
        var settle = session.CreatedAt + s_freshSessionWait;
        while (!observed.WorkerAlive && observed.Reported is null && Now < settle
            && !(session.Runtime == Runtimes.SessionRuntimes.Tmux && await _options.Sessions.Tmux.HasSessionAsync(session.RuntimeName, cancellationToken).ConfigureAwait(false)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), _options.Time, cancellationToken).ConfigureAwait(false);
            observed = _options.Sessions.Observe(session);
        }

        if (!observed.WorkerAlive && observed.Reported is null && session.Runtime == Runtimes.SessionRuntimes.Tmux
            && await _options.Sessions.Tmux.HasSessionAsync(session.RuntimeName, cancellationToken).ConfigureAwait(false))
        {
            var deadline = session.CreatedAt + TimeSpan.FromSeconds(60);
            while (!observed.WorkerAlive && Now < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), _options.Time, cancellationToken).ConfigureAwait(false);
                observed = _options.Sessions.Observe(session);
            }

            if (!observed.WorkerAlive)
            {
                Log.Warn("stopping a session that never finished starting", ("project", Project.Id), ("task_id", session.TaskId), ("identifier", session.TaskIdentifier), ("session", session.Name));
                await _options.Sessions.Tmux.KillSessionAsync(session.RuntimeName, cancellationToken).ConfigureAwait(false);
                await StopSessionAsync(session, cancellationToken).ConfigureAwait(false);
                return _options.Sessions.Observe(session);
            }
        }

        if (observed.Status == Core.Sessions.SessionStatus.Orphaned)
        {
            Log.Warn("killing the agent of a session whose worker died", ("project", Project.Id), ("task_id", session.TaskId), ("identifier", session.TaskIdentifier), ("session", session.Name));
            await StopSessionAsync(session, cancellationToken).ConfigureAwait(false);
            observed = _options.Sessions.Observe(session);
        }

        return observed;
    }

    /// <summary>§8.6: workspaces of terminal tasks go at startup (through the safety check: work is never deleted).</summary>
    private async Task StartupCleanupAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<TaskRecord> terminal;
        try
        {
            terminal = await _options.Tracker.FetchByStatesAsync(State.Config.TerminalStates, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // §8.6: a failed terminal fetch is logged and startup goes on.
            Log.Warn("startup terminal cleanup skipped: the tracker could not be read", ("project", Project.Id), ("error", ex.Message));
            return;
        }

        // Only tasks that still have a workspace are worth a safety analysis.
        var withWorkspace = terminal.Where(t => Directory.Exists(WorkspaceManager.PathFor(_layout!, new WorkspaceTask(t.Id, t.Identifier, t.BranchName)))).ToList();
        Enqueue(new StartupCleanup(Now, withWorkspace));
        await DrainAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Start()
    {
        var token = _life.Token;
        _loop = Task.Run(() => LoopAsync(token), CancellationToken.None);
        Background(() => TickerAsync(token));
        Background(() => SupervisorWatchAsync(token));
        Background(() => ReloadWatchAsync(token));
        try
        {
            Directory.CreateDirectory(Project.InstanceDirectory);
            _wakeStamp = File.Exists(WakePath) ? File.GetLastWriteTimeUtc(WakePath) : default;
            _wakeWatcher = new FileSystemWatcher(Project.InstanceDirectory, WakeOnExit.FileName) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
            _wakeWatcher.Changed += (_, _) => RequestPoll("wake");
            _wakeWatcher.Created += (_, _) => RequestPoll("wake");
            _wakeWatcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // inotify limits: the one-second stamp poll still wakes the orchestrator.
            Log.Warn("cannot watch the wake file; falling back to polling it", ("error", ex.Message));
        }

        RequestPoll("startup");
    }

    private string WakePath => WakeOnExit.PathFor(Project);

    // ---- The loop -------------------------------------------------------------------------------------------

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var signal in _signals.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await HandleAsync(signal, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // The loop never dies on one bad signal: log it and keep scheduling.
                    Log.Error("orchestrator loop error", ("project", Project.Id), ("signal", signal.GetType().Name), ("error", ex.ToString()));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(Signal signal, CancellationToken cancellationToken)
    {
        switch (signal)
        {
            case PollSignal:
                Volatile.Write(ref _pollPending, 0);
                await TickAsync(cancellationToken).ConfigureAwait(false);
                break;
            case InputSignal(var input):
                Enqueue(input);
                break;
            case TurnDoneSignal turn:
                if (State.Running.TryGetValue(turn.TaskId, out var entry) && entry.RunId == turn.RunId)
                {
                    // §1.12: after each successful turn the task is re-fetched to decide on another turn.
                    var lookup = turn.Outcome == Outcomes.Succeeded ? await FetchOneAsync(turn.TaskId, cancellationToken).ConfigureAwait(false) : TaskLookup.Missing;
                    Enqueue(new TurnFinished(Now, turn.TaskId, turn.RunId, turn.Outcome, turn.Error, lookup));
                }

                break;
            case RetryDueSignal due:
                _retryTimers.TryRemove(due.Token, out _);
                if (State.IsCurrentRetry(due.TaskId, due.Token))
                {
                    var lookup = await FetchOneAsync(due.TaskId, cancellationToken).ConfigureAwait(false);
                    Enqueue(new RetryFired(Now, due.TaskId, due.Token, lookup));
                }

                break;
            case SpawnedSignal spawned:
                OnSpawned(spawned);
                break;
            case ReloadSignal reload:
                Volatile.Write(ref _workflow, reload.Workflow);
                _layout = _layout! with { Hooks = reload.Workflow.Settings.Hooks };
                Log.Info("workflow reloaded", ("project", Project.Id), ("workflow", reload.Workflow.Path), ("poll_ms", reload.Workflow.Settings.PollIntervalMs), ("max_agents", reload.Workflow.Settings.Agent.MaxConcurrentAgents));
                Enqueue(new ConfigChanged(Now, reload.Workflow.Scheduler));
                break;
        }

        await DrainAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>§8.1: reconcile first, then dispatch from the active-state candidates.</summary>
    private async Task TickAsync(CancellationToken cancellationToken)
    {
        CollectAnswers();
        Coordination.OrchestratorMail.LogNew(_options.Store, Project, Log, Now);
        TaskRefresh? refresh = null;
        var ids = State.ReconcileIds;
        if (ids.Count > 0)
        {
            try
            {
                var found = await _options.Tracker.FetchByIdsAsync(ids, cancellationToken).ConfigureAwait(false);
                refresh = TaskRefresh.Of(ids, [.. found.Select(Track)]);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // §8.5: a failed refresh keeps the workers running; the next tick tries again.
                refresh = TaskRefresh.Failure(ex.Message);
                Log.Warn("reconciliation refresh failed", ("project", Project.Id), ("error", ex.Message));
            }
        }

        IReadOnlyList<TrackedTask>? candidates = null;
        try
        {
            var active = await _options.Tracker.FetchByStatesAsync(State.Config.ActiveStates, cancellationToken).ConfigureAwait(false);
            candidates = [.. active.Select(Track)];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // §11.4: a failed candidate fetch skips dispatch for this tick only.
            Log.Warn("candidate fetch failed; skipping dispatch this tick", ("project", Project.Id), ("error", ex.Message));
        }

        Enqueue(new Tick(Now, refresh, candidates));
    }

    private void Enqueue(SchedulerInput input) => _inputs.Enqueue(input);

    /// <summary>Applies queued inputs one at a time; actions may queue more (a revalidation answers at once).</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var changed = false;
        while (_inputs.TryDequeue(out var input))
        {
            var before = State;
            var decision = Scheduler.Apply(before, input);
            Volatile.Write(ref _state, decision.State);
            changed |= decision.State.Version != before.Version;
            foreach (var action in decision.Actions)
            {
                try
                {
                    await ExecuteAsync(action, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.Error("action failed", ("project", Project.Id), ("action", action.GetType().Name), ("task_id", action.TaskId), ("error", ex.Message));
                }
            }
        }

        if (changed)
        {
            StateChanged?.Invoke(this);
        }
    }

    // ---- Actions --------------------------------------------------------------------------------------------

    private async Task ExecuteAsync(SchedulerAction action, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case Revalidate revalidate:
                Enqueue(new Revalidated(Now, revalidate.TaskId, revalidate.RunId, await FetchOneAsync(revalidate.TaskId, cancellationToken).ConfigureAwait(false)));
                break;
            case Dispatch dispatch:
                StartDispatch(dispatch);
                break;
            case Continue next:
                ContinueRun(next);
                break;
            case CheckWork check:
                var checkedSession = _runs.GetValueOrDefault(check.RunId)?.Session;
                var (checkState, checkSettings) = (State, Workflow.Settings);
                Background(async () => Post(new InputSignal(await _proofs.CheckAsync(check, checkedSession, checkState, checkSettings, _life.Token).ConfigureAwait(false))));
                break;
            case Stop stop:
                StopRun(stop);
                break;
            case Nudge nudge:
                if (_runs.GetValueOrDefault(nudge.RunId)?.Session is { } nudged)
                {
                    Log.Warn("supervisor nudge", ("project", Project.Id), ("task_id", nudge.TaskId), ("identifier", nudged.TaskIdentifier), ("session", nudged.Name), ("silent_ms", nudge.SilentMs));
                    Background(() => _supervisor.NudgeAsync(nudged, nudge.Message, nudge.SilentMs, _life.Token));
                }

                break;
            case CheckWorkspace checkWorkspace:
                var checkedRun = _runs.GetValueOrDefault(checkWorkspace.RunId)?.Session;
                Background(async () => Post(new InputSignal(await _supervisor.CheckWorkspaceAsync(checkWorkspace, checkedRun, _inspected?.DefaultBranch, _life.Token).ConfigureAwait(false))));
                break;
            case Escalate escalate:
                var lastSession = State.Running.GetValueOrDefault(escalate.TaskId)?.SessionId
                    ?? _options.Store.Read(db => SessionRows.ForTask(db, escalate.TaskId)).Where(s => s.Project == Project.InstanceId).OrderByDescending(s => s.CreatedAt).FirstOrDefault()?.Name;
                Log.Warn("supervisor escalation", ("project", Project.Id), ("task_id", escalate.TaskId), ("identifier", escalate.Identifier), ("session", lastSession), ("attempts", escalate.Attempts), ("error", escalate.Error));
                Background(() => _supervisor.EscalateAsync(escalate, lastSession, _life.Token));
                break;
            case ScheduleRetry retry:
                ArmRetry(retry);
                break;
            case CancelRetry cancel:
                if (_retryTimers.TryRemove(cancel.Token, out var timer))
                {
                    await timer.CancelAsync().ConfigureAwait(false);
                    timer.Dispose();
                }

                break;
            case CleanWorkspace clean:
                Background(() => CleanAsync(clean.TaskId, clean.Identifier, null, CancellationToken.None));
                break;
            case Release release:
                Log.Info("task released", ("project", Project.Id), ("task_id", release.TaskId), ("identifier", IdentifierOf(release.TaskId)), ("reason", release.Reason));
                break;
            case MarkBlocked blocked:
                Log.Warn("task waits for a person", ("project", Project.Id), ("task_id", blocked.TaskId), ("identifier", IdentifierOf(blocked.TaskId)), ("session", blocked.SessionId), ("question", blocked.Question));
                RecordQuestion(blocked);
                break;
            case Adopted adopted:
                if (_adoptable.TryRemove(adopted.SessionId, out var session))
                {
                    var handle = new RunHandle(adopted.TaskId, adopted.RunId) { Session = session };
                    _runs[adopted.RunId] = handle;
                    Log.Info("session adopted", ("project", Project.Id), ("task_id", adopted.TaskId), ("identifier", session.TaskIdentifier), ("session", session.Name));
                    Watch(handle, fromEnd: true);
                }

                break;
            case StopSession stopSession:
                if (_adoptable.TryRemove(stopSession.SessionId, out var duplicate))
                {
                    Log.Warn("stopping a duplicate session", ("project", Project.Id), ("task_id", stopSession.TaskId), ("session", stopSession.SessionId), ("reason", stopSession.Reason));
                    Background(() => StopSessionAsync(duplicate, CancellationToken.None));
                }

                break;
        }
    }

    private void StartDispatch(Dispatch dispatch)
    {
        var workflow = Workflow;
        var handle = new RunHandle(dispatch.TaskId, dispatch.RunId) { Identifier = dispatch.Task.Identifier };
        _runs[dispatch.RunId] = handle;
        string prompt;
        try
        {
            prompt = PromptBuilder.Render(workflow.Template, dispatch.Task.Task, dispatch.Attempt);
            if (dispatch.FollowUp is { } answer)
            {
                // The agent that asked is gone (§10.5 posture): the new run gets the question and its answer with the prompt.
                prompt = $"{prompt.TrimEnd()}\n\n{answer}";
            }
        }
        catch (BatonException error)
        {
            // §12.4: a render error fails this attempt (and is retried like any failed start).
            Log.Error("prompt render failed", ("project", Project.Id), ("task_id", dispatch.TaskId), ("identifier", dispatch.Task.Identifier), ("error", error.Message));
            _runs.TryRemove(dispatch.RunId, out _);
            Enqueue(new SpawnFailed(Now, dispatch.TaskId, dispatch.RunId, error.Message));
            return;
        }

        var request = new SpawnRequest
        {
            Project = _inspected!,
            Layout = _layout!,
            Task = dispatch.Task.Task,
            Prompt = prompt,
            Agent = workflow.AgentKind,
            Command = workflow.Command,
            Model = workflow.ModelFor(dispatch.Task.Identifier),
            Purpose = $"baton run: {dispatch.Task.Identifier}" + (dispatch.Attempt is { } a ? $" (attempt {a})" : string.Empty),

            // The orchestrator decides when a run ends (§1.12): the worker's idle timer only catches an orchestrator
            // that is gone for good, so it must be longer than anything the loop waits for.
            // A hand-off check runs the validation commands while the agent waits idle: the timer outlasts them too.
            IdleTimeoutSeconds = Math.Max(Math.Max(600, workflow.Settings.PollIntervalMs / 1000 * 4), (int)Math.Min(int.MaxValue, (workflow.Settings.Proof.Validate.Sum(v => (long)v.TimeoutMs) / 1000) + 300)),

            // §10.6: turn_timeout_ms is enforced by the worker as a silence timeout.
            SilenceTimeoutSeconds = Math.Max(1, (int)Math.Ceiling(workflow.Settings.Codex.TurnTimeoutMs / 1000.0)),
            StartWait = TimeSpan.FromSeconds(60),
            SecretEnvironmentNames = _options.SecretEnvironmentNames,
            Codex = workflow.AgentKind == LoadedWorkflow.DefaultAgent ? workflow.CodexLaunch : null,
            HostTools = _options.HostTools,
            HandoffThresholdPercent = workflow.Settings.Agent.ContextHandoffPercent,
        };
        Log.Info("dispatching", ("project", Project.Id), ("task_id", dispatch.TaskId), ("identifier", dispatch.Task.Identifier), ("attempt", dispatch.Attempt), ("kind", dispatch.Kind), ("agent", workflow.AgentKind));
        var token = _life.Token;
        Background(async () =>
        {
            try
            {
                var session = await _options.Sessions.SpawnAsync(request, token).ConfigureAwait(false);
                Post(new SpawnedSignal(dispatch.TaskId, dispatch.RunId, session, null, dispatch.FollowUp));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
            {
                Post(new SpawnedSignal(dispatch.TaskId, dispatch.RunId, null, ex is BatonException b ? $"{b.Code}: {b.Message}" : ex.Message, null));
            }
        });
    }

    private void OnSpawned(SpawnedSignal spawned)
    {
        if (!_runs.TryGetValue(spawned.RunId, out var handle))
        {
            return;
        }

        if (spawned.Session is not { } session)
        {
            _runs.TryRemove(spawned.RunId, out _);
            Log.Error("spawn failed", ("project", Project.Id), ("task_id", spawned.TaskId), ("identifier", handle.Identifier), ("error", spawned.Error));
            Enqueue(new SpawnFailed(Now, spawned.TaskId, spawned.RunId, spawned.Error));
            return;
        }

        handle.Session = session;
        Log.Info("session started", ("project", Project.Id), ("task_id", spawned.TaskId), ("identifier", session.TaskIdentifier), ("session", session.Name));
        Enqueue(new RunStarted(Now, spawned.TaskId, spawned.RunId, session.Name));
        Watch(handle, fromEnd: false);
        if (handle.StopRequested)
        {
            Background(() => StopSessionAsync(session, CancellationToken.None));
        }
        else if (spawned.FollowUp is not null && _answering.Remove(spawned.TaskId, out var answered))
        {
            CloseQuestion(answered.Files, answered.Question, answered.Answer);
        }
    }

    private void ContinueRun(Continue next)
    {
        if (_runs.TryGetValue(next.RunId, out var handle) && handle.Session is not null)
        {
            var max = Math.Max(State.Config.MaxTurns, next.Turn);
            Log.Info("continuation turn", ("project", Project.Id), ("task_id", next.TaskId), ("identifier", handle.Session.TaskIdentifier), ("session", handle.Session.Name), ("turn", next.Turn));
            Background(() => SendFollowUpAsync(handle, next.Message ?? PromptBuilder.ContinuationGuidance(next.Turn, max)));
        }
    }

    private async Task SendFollowUpAsync(RunHandle handle, string text)
    {
        var session = handle.Session!;
        var socket = session.Files.ReadStatus()?.Socket ?? session.Files.SocketPath;
        try
        {
            var reply = await WorkerClient.SendAsync(socket, new WorkerRequest(WorkerCommands.FollowUp, text), TimeSpan.FromSeconds(10), _life.Token).ConfigureAwait(false);
            if (!reply.Ok)
            {
                Log.Warn("follow-up refused", ("project", Project.Id), ("session", session.Name), ("error", reply.ErrorCode));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A worker that is gone shows up in its status file; the watcher reports the exit.
            Log.Warn("follow-up not delivered", ("project", Project.Id), ("session", session.Name), ("error", ex.Message));
        }
    }

    private void StopRun(Stop stop)
    {
        if (!_runs.TryGetValue(stop.RunId, out var handle))
        {
            return;
        }

        // §8.5: stop first, clean after; a later Stop of the same run may ask for the cleaning.
        handle.CleanOnExit = stop.CleanWorkspace;
        Log.Info("stopping run", ("project", Project.Id), ("task_id", stop.TaskId), ("identifier", handle.Identifier ?? handle.Session?.TaskIdentifier), ("session", handle.Session?.Name), ("reason", stop.Reason), ("clean", stop.CleanWorkspace));
        if (handle.Session is { } session)
        {
            Background(() => StopSessionAsync(session, CancellationToken.None));
        }
        else
        {
            handle.StopRequested = true;
        }
    }

    private async Task StopSessionAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        try
        {
            await _options.Sessions.StopAsync(session, _options.StopGrace, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Error("stop failed", ("project", Project.Id), ("session", session.Name), ("error", ex.Message));
        }
    }

    private void ArmRetry(ScheduleRetry retry)
    {
        var timer = new CancellationTokenSource();
        _retryTimers[retry.Token] = timer;
        var delay = retry.DueAt - Now;
        Log.Info("retry scheduled", ("project", Project.Id), ("task_id", retry.TaskId), ("identifier", retry.Identifier), ("attempt", retry.Attempt), ("kind", retry.Kind), ("delay_ms", (long)Math.Max(0, delay.TotalMilliseconds)), ("error", retry.Error));
        var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, _life.Token);
        Background(async () =>
        {
            try
            {
                await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, _options.Time, linked.Token).ConfigureAwait(false);
                Post(new RetryDueSignal(retry.TaskId, retry.Token));
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                linked.Dispose();
            }
        });
    }

    private async Task CleanAsync(string taskId, string identifier, string? branch, CancellationToken cancellationToken)
    {
        var remover = new WorkspaceRemover(new GitSafetyAnalyzer(), _options.Time);
        var outcomes = await WorkspaceCleanup.RemoveForTerminalTasksAsync(remover, _layout!, [new WorkspaceTask(taskId, identifier, branch)], _options.BatonHome, cancellationToken).ConfigureAwait(false);
        foreach (var outcome in outcomes)
        {
            if (outcome.Outcome == CleanupOutcome.Kept || outcome.Outcome == CleanupOutcome.Failed)
            {
                Log.Warn($"workspace {outcome.Outcome}", ("project", Project.Id), ("task_id", taskId), ("identifier", identifier), ("reason", outcome.Reason));
            }
            else
            {
                Log.Info($"workspace {outcome.Outcome}", ("project", Project.Id), ("task_id", taskId), ("identifier", identifier));
            }
        }
    }

    // ---- Runs waiting for a person (§10.5 posture) -----------------------------------------------------------

    /// <summary>
    /// Records a person's answer to the question a blocked run of this orchestrator stopped on. The answer is written
    /// beside the question in the session directory (so it survives a restart) and picked up by the next tick.
    /// </summary>
    public AnswerOutcome Answer(string sessionName, string text, string by)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var blocked = State.Blocked.Values.FirstOrDefault(b => string.Equals(b.SessionId, sessionName, StringComparison.Ordinal));
        if (blocked is null)
        {
            return _options.Store.Read(db => SessionRows.FindByName(db, sessionName)).Any(s => s.Project == Project.InstanceId)
                ? AnswerOutcome.NotBlocked
                : AnswerOutcome.NotFound;
        }

        if (SessionFilesOf(sessionName) is not { } files)
        {
            return AnswerOutcome.NotFound;
        }

        files.WriteAnswer(new AnswerNote { Text = text, AnsweredAt = Now, By = by });
        RequestPoll("answer");
        return AnswerOutcome.Accepted;
    }

    private SessionFiles? SessionFilesOf(string? sessionName)
    {
        if (sessionName is null)
        {
            return null;
        }

        var session = _options.Store.Read(db => SessionRows.FindByName(db, sessionName)).FirstOrDefault(s => s.Project == Project.InstanceId);
        return session?.Files;
    }

    private void RecordQuestion(MarkBlocked blocked)
    {
        if (SessionFilesOf(blocked.SessionId) is not { } files)
        {
            return;
        }

        files.WriteBlocked(new BlockedNote { TaskId = blocked.TaskId, TaskIdentifier = IdentifierOf(blocked.TaskId), Question = blocked.Question, BlockedAt = Now });
    }

    /// <summary>Answers written by <c>baton send</c> or the API since the last tick become <see cref="InputAnswered"/>.</summary>
    private void CollectAnswers()
    {
        foreach (var blocked in State.Blocked.Values.Where(b => b.PendingAnswer is null && !_answering.ContainsKey(b.Task.Id)))
        {
            if (SessionFilesOf(blocked.SessionId) is not { } files || files.ReadAnswer() is not { } answer)
            {
                continue;
            }

            var question = files.ReadBlocked();
            _answering[blocked.Task.Id] = (files, question, answer);
            Log.Info("answer received", ("project", Project.Id), ("task_id", blocked.Task.Id), ("identifier", blocked.Task.Identifier), ("session", blocked.SessionId), ("by", answer.By));
            Enqueue(new InputAnswered(Now, blocked.Task.Id, PromptBuilder.AnswerGuidance(question?.Question ?? blocked.Question, answer.Text)));
        }

        // An answer whose task left the blocked map without a run (reconciled away) is no longer on its way.
        foreach (var taskId in _answering.Keys.Where(id => !State.Blocked.ContainsKey(id) && !State.Running.ContainsKey(id)).ToList())
        {
            _answering.Remove(taskId);
        }
    }

    private void CloseQuestion(SessionFiles files, BlockedNote? question, AnswerNote answer)
    {
        try
        {
            files.CloseQuestion(question, answer);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.Warn("could not close the answered question", ("project", Project.Id), ("session_dir", files.Directory), ("error", ex.Message));
        }
    }

    // ---- Watching sessions ----------------------------------------------------------------------------------

    /// <summary>
    /// Follows one run's session: new events.jsonl lines become <see cref="WorkerObserved"/> (and turn ends become
    /// <see cref="TurnFinished"/> after a refetch); the end of the worker (status.json EndedAt, or a dead worker)
    /// becomes <see cref="RunExited"/>, after the workspace was cleaned when the stop asked for it.
    /// </summary>
    private void Watch(RunHandle handle, bool fromEnd)
    {
        var token = _life.Token;
        Background(async () =>
        {
            var session = handle.Session!;
            var files = session.Files;
            long offset = fromEnd && File.Exists(files.Events) ? new FileInfo(files.Events).Length : 0;
            if (fromEnd && files.ReadStatus() is { Status: Core.Sessions.SessionStatus.Idle, EndedAt: null })
            {
                // An adopted agent that finished its turn while no orchestrator was watching waits idle: decide now
                // (another turn or the end, §1.12) instead of leaving it to the worker's idle timer.
                Post(new TurnDoneSignal(handle.TaskId, handle.RunId, Outcomes.Succeeded, null));
            }

            // Each look costs two stats while nothing happens (events.jsonl's length, status.json's time): with a
            // hundred idle sessions the files are mostly read only when they changed, and the worker's liveness (a
            // read of /proc) is checked every 8th look.
            var round = 0;
            var statusStamp = DateTime.MinValue;
            WorkerStatus? status = null;
            while (!token.IsCancellationRequested)
            {
                offset = ReadEvents(handle, files, offset);
                round++;

                // File times move in kernel ticks (a few ms): two writes in one tick look unchanged, so the file is
                // also re-read every 4th look whatever its time says.
                var stamp = File.Exists(files.Status) ? File.GetLastWriteTimeUtc(files.Status) : DateTime.MinValue;
                if (stamp != statusStamp || round % 4 == 0)
                {
                    statusStamp = stamp;
                    status = files.ReadStatus();
                }

                var ended = status?.EndedAt is not null;
                var dead = !ended && round % 8 == 0 && !_options.Sessions.Observe(session).WorkerAlive;
                if (dead && files.ReadStatus() is { EndedAt: not null } final)
                {
                    // The worker finished and exited between the two reads: that is an end, not a death.
                    status = final;
                    (ended, dead) = (true, false);
                }
                if (ended || dead)
                {
                    ReadEvents(handle, files, offset);
                    if (dead)
                    {
                        // A worker killed from outside leaves its agent running: reap it before the retry starts another.
                        await StopSessionAsync(session, CancellationToken.None).ConfigureAwait(false);
                    }

                    var outcome = ended ? status!.Outcome ?? Outcomes.Failed : Outcomes.Failed;
                    var reason = ended ? status!.Reason : "the worker process died";

                    // The proof (and a hand-off) before the workspace may go: git facts need it.
                    (outcome, reason) = await _proofs.RunEndedAsync(handle, session, outcome, reason, () => State, Workflow.Settings, token).ConfigureAwait(false);
                    if (handle.CleanOnExit)
                    {
                        await CleanAsync(handle.TaskId, session.TaskIdentifier ?? handle.TaskId, session.Branch, CancellationToken.None).ConfigureAwait(false);
                    }

                    Log.Info("run exited", ("project", Project.Id), ("task_id", handle.TaskId), ("identifier", session.TaskIdentifier), ("session", session.Name), ("outcome", outcome), ("reason", reason));
                    _runs.TryRemove(handle.RunId, out _);
                    Post(new InputSignal(new RunExited(Now, handle.TaskId, handle.RunId, outcome, reason)));
                    return;
                }

                try
                {
                    await Task.Delay(_options.WatchInterval, _options.Time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    private long ReadEvents(RunHandle handle, SessionFiles files, long offset)
    {
        var info = new FileInfo(files.Events);
        if (!info.Exists || info.Length <= offset)
        {
            return offset;
        }

        using var stream = new FileStream(files.Events, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= offset)
        {
            return offset;
        }

        stream.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[stream.Length - offset];
        stream.ReadExactly(buffer);
        var lastNewline = Array.LastIndexOf(buffer, (byte)'\n');
        if (lastNewline < 0)
        {
            return offset; // a line still being written
        }

        var text = System.Text.Encoding.UTF8.GetString(buffer, 0, lastNewline);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            WorkerEvent? e;
            try
            {
                e = JsonSerializer.Deserialize(line, SessionJsonContext.Default.WorkerEvent);
            }
            catch (JsonException)
            {
                continue;
            }

            if (e is null)
            {
                continue;
            }

            Post(new InputSignal(new WorkerObserved(Now, handle.TaskId, handle.RunId, e)));
            if (e.RateLimits is { } limits)
            {
                // §13.5: the latest rate-limit payload of any agent, shown in /api/v1/state.
                Post(new InputSignal(new RateLimitsObserved(Now, limits)));
            }

            EventObserved?.Invoke(e);
            if (e.Type == WorkerEventTypes.TurnFinished)
            {
                Post(new TurnDoneSignal(handle.TaskId, handle.RunId, e.Outcome ?? Outcomes.Failed, e.Reason));
            }
        }

        return offset + lastNewline + 1;
    }

    // ---- Background loops -----------------------------------------------------------------------------------

    /// <summary>
    /// Stall detection between polls (§8.5 Part A, <see cref="StallCheck"/>), often enough for the supervisor's nudge and
    /// the stall timeout to act within a quarter of their delay (at most every 5 s, at least every 250 ms).
    /// </summary>
    private async Task SupervisorWatchAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var config = State.Config;
            var shortest = new[] { config.StallTimeoutMs, config.NudgeAfterMs }.Where(ms => ms > 0).DefaultIfEmpty(20_000).Min();
            var interval = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 250, 5_000));
            try
            {
                await Task.Delay(interval, _options.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!State.Running.IsEmpty)
            {
                Post(new InputSignal(new StallCheck(Now)));
            }
        }
    }

    /// <summary>§8.1: a tick every polling.interval_ms, re-read each time so a reload applies to the next wait.</summary>
    private async Task TickerAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Workflow.Settings.PollIntervalMs), _options.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            RequestPoll("interval");
        }
    }

    /// <summary>
    /// §6.2: WORKFLOW.md's stamp (mtime, size, hash) is checked every second; a valid change is applied, an invalid
    /// one is logged and shown while the last good config stays in force. The wake file is checked here too, as the
    /// fallback for a missed file-system notification.
    /// </summary>
    private async Task ReloadWatchAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.ReloadInterval, _options.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                CheckWorkflow();
                var wake = File.Exists(WakePath) ? File.GetLastWriteTimeUtc(WakePath) : default;
                if (wake != _wakeStamp)
                {
                    _wakeStamp = wake;
                    RequestPoll("wake");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.Error("reload check failed", ("project", Project.Id), ("error", ex.Message));
            }
        }
    }

    private void CheckWorkflow()
    {
        var path = _options.WorkflowPath;
        var stamp = WorkflowStamp.Read(path);
        var current = Workflow;
        if (stamp == current.Stamp || (stamp is not null && stamp == _badStamp))
        {
            return;
        }

        if (stamp is null)
        {
            if (_workflowError is null)
            {
                Volatile.Write(ref _workflowError, $"{WorkflowErrorCodes.MissingFile}: {path} is gone; running with the last good config");
                Log.Error("workflow file missing; keeping the last good config", ("project", Project.Id), ("workflow", path));
                StateChanged?.Invoke(this);
            }

            return;
        }

        try
        {
            var loaded = LoadedWorkflow.Load(path, Project.States, _options.Environment.GetValueOrDefault, _options.HomeDirectory);
            _badStamp = null;
            Volatile.Write(ref _workflowError, null);
            Post(new ReloadSignal(loaded));
        }
        catch (BatonException error)
        {
            _badStamp = stamp;
            Volatile.Write(ref _workflowError, $"{error.Code}: {error.Message}");
            Log.Error("workflow reload failed; keeping the last good config", ("project", Project.Id), ("workflow", path), ("code", error.Code), ("error", error.Message));
            StateChanged?.Invoke(this);
        }
    }

    // ---- Helpers --------------------------------------------------------------------------------------------

    private void Post(Signal signal) => _signals.Writer.TryWrite(signal);

    private void Background(Func<Task> work) => _background.Add(Task.Run(async () =>
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            Log.Error("background work failed", ("project", Project.Id), ("error", ex.ToString()));
        }
    }));

    /// <summary>Baton's own tracker computes dispatchable here; any other adapter already did (§11.3).</summary>
    private TrackedTask Track(TaskRecord task) => _options.Tracker is LocalTracker ? TrackedTask.Local(task, Project.States) : new TrackedTask(task, task.Dispatchable);

    private async Task<TaskLookup> FetchOneAsync(string taskId, CancellationToken cancellationToken)
    {
        try
        {
            var found = await _options.Tracker.FetchByIdsAsync([taskId], cancellationToken).ConfigureAwait(false);
            return found.Count == 0 ? TaskLookup.Missing : TaskLookup.Of(Track(found[0]));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return TaskLookup.Failure(ex.Message);
        }
    }

    private string? IdentifierOf(string taskId)
    {
        var state = State;
        return state.Running.GetValueOrDefault(taskId)?.Task.Identifier ?? state.Retrying.GetValueOrDefault(taskId)?.Identifier ?? state.Blocked.GetValueOrDefault(taskId)?.Task.Identifier;
    }

    private static async Task WhenAllBounded(IReadOnlyCollection<Task> tasks, TimeSpan timeout)
    {
        if (tasks.Count == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(tasks).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // Shutdown is bounded: anything still running is abandoned (sessions live on in tmux).
        }
    }

    private abstract record Signal;

    private sealed record PollSignal(string Why) : Signal;

    private sealed record InputSignal(SchedulerInput Input) : Signal;

    private sealed record TurnDoneSignal(string TaskId, long RunId, string Outcome, string? Error) : Signal;

    private sealed record RetryDueSignal(string TaskId, long Token) : Signal;

    private sealed record SpawnedSignal(string TaskId, long RunId, SessionRecord? Session, string? Error, string? FollowUp) : Signal;

    private sealed record ReloadSignal(LoadedWorkflow Workflow) : Signal;
}

/// <summary>The effects' side of one run: its session once spawned, and what a stop asked for.</summary>
public sealed class RunHandle(string taskId, long runId)
{
    public string TaskId { get; } = taskId;

    public long RunId { get; } = runId;

    public string? Identifier { get; init; }

    public SessionRecord? Session { get; set; }

    /// <summary>A Stop arrived before the session existed: stop it as soon as it does.</summary>
    public bool StopRequested { get; set; }

    public bool CleanOnExit { get; set; }
}
