using System.Globalization;
using Baton.Core.Events;
using Baton.Core.Proofs;
using Baton.Core.Tasks;

namespace Baton.Core.Scheduling;

/// <summary>
/// The single authority over claimed, running, retrying and blocked tasks (Symphony §7.4). A pure state machine:
/// <see cref="Apply"/> takes the current <see cref="SchedulerState"/> and one observation and returns the next
/// state plus the actions the daemon must carry out. It does no I/O, reads no clock and starts no timer.
/// </summary>
/// <remarks>
/// <para>The daemon feeds observations one at a time from one loop: at startup <see cref="AdoptSessions"/>, then
/// <see cref="StartupCleanup"/>, then a <see cref="Tick"/> at once and every <c>polling.interval_ms</c> (§8.1); in
/// between, whatever its workers, timers and people report. It carries out the returned actions in order.</para>
/// <para>Implementation-defined choices (§1.1 asks for them to be written down):</para>
/// <list type="bullet">
/// <item>A stopped run keeps its claim and its slot until the daemon reports <see cref="RunExited"/>; only then is the
/// claim released or the retry queued. The reference implementation releases at once; waiting is what guarantees
/// that a task is never dispatched while its previous agent is still dying.</item>
/// <item>A poll candidate is claimed first and dispatched only after the daemon re-fetched it by id
/// (<see cref="Revalidate"/> → <see cref="Revalidated"/>), unless <see cref="SchedulerConfig.RevalidateBeforeDispatch"/>
/// is off. A fired retry has just been fetched by id and dispatches directly.</item>
/// <item>Worker heartbeats are not agent activity: they never reset the stall clock (§8.5 Part A).</item>
/// <item>A run that exits <c>stopped</c> without the scheduler asking (a person killed the session) is a failure
/// retry, so a kill backs off instead of being undone by the next poll; to stop work for good, move the task out of
/// the active states (§14.4).</item>
/// <item>A run that asks for a person's input is blocked: claimed, not retried, released by reconciliation when the
/// task turns terminal (workspace cleaned), inactive, unroutable or invisible. An answer starts a new run with
/// attempt 1 and the answer as its follow-up; blocked tasks hold no agent slot.</item>
/// </list>
/// </remarks>
public static class Scheduler
{
    /// <summary>§8.4 / §16.6: the error of a fired retry that found no free slot.</summary>
    public const string NoSlotsError = "no available orchestrator slots";

    /// <summary>§16.6: the error of a fired retry whose by-id refresh failed.</summary>
    public const string RetryRefreshFailedError = "retry refresh failed";

    /// <summary>§16.4: the error of a run that could not be started.</summary>
    public const string SpawnFailedError = "failed to spawn agent";

    /// <summary>Longest <see cref="RunningEntry.LastMessage"/> kept: a summary, not a payload (§4.1.6, §13.2).</summary>
    public const int MaxMessageLength = 400;

    /// <summary>§8.5 Part A: the error of a stalled run's retry.</summary>
    public static string StalledError(long elapsedMs) =>
        string.Create(CultureInfo.InvariantCulture, $"stalled for {elapsedMs}ms without agent activity");

    public static SchedulerDecision Apply(SchedulerState state, SchedulerInput input)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(input);
        var change = new Change(state, input.Now);
        switch (input)
        {
            case Tick tick:
                change.DetectStalls();
                if (tick.Refresh is TaskRefresh.Succeeded refresh)
                {
                    change.Reconcile(refresh);
                }

                if (tick.Candidates is not null)
                {
                    change.DispatchFromPoll(tick.Candidates);
                }

                break;
            case StallCheck:
                change.DetectStalls();
                break;
            case Revalidated revalidated:
                change.OnRevalidated(revalidated);
                break;
            case RunStarted started:
                change.OnRunStarted(started);
                break;
            case SpawnFailed failed:
                change.OnSpawnFailed(failed);
                break;
            case WorkerObserved observed:
                change.OnWorkerEvent(observed);
                break;
            case RateLimitsObserved limits:
                change.State = change.State with { RateLimits = limits.Payload.Clone() };
                break;
            case TurnFinished turn:
                change.OnTurnFinished(turn);
                break;
            case WorkChecked checkedWork:
                change.OnWorkChecked(checkedWork);
                break;
            case WorkspaceChecked workspace:
                change.OnWorkspaceChecked(workspace);
                break;
            case RunExited exited:
                change.OnRunExited(exited);
                break;
            case RetryFired fired:
                change.OnRetryFired(fired);
                break;
            case InputAnswered answered:
                change.OnInputAnswered(answered);
                break;
            case ConfigChanged changed:
                change.State = change.State with { Config = changed.Config ?? throw new ArgumentException("config is required", nameof(input)) };
                break;
            case AdoptSessions adopt:
                change.OnAdopt(adopt.Sessions);
                change.OnRestoreBlocked(adopt.Blocked ?? []);
                break;
            case StartupCleanup cleanup:
                change.OnStartupCleanup(cleanup.TerminalTasks);
                break;
            default:
                throw new ArgumentException($"unknown scheduler input {input.GetType().Name}", nameof(input));
        }

        return change.Finish();
    }

    /// <summary>
    /// The attempt number after a failure (the reference implementation's numbering, §16.6): a first run's failure
    /// is attempt 1; a run dispatched as attempt N fails into N+1 (a failed continuation re-dispatch, attempt 1,
    /// gives 2 and waits 20 s).
    /// </summary>
    public static int NextFailureAttempt(int? attempt) => (attempt ?? 0) + 1;

    /// <summary>One decision in progress: the state as it evolves plus the actions so far.</summary>
    private sealed class Change
    {
        private readonly SchedulerState _original;
        private readonly DateTimeOffset _now;
        private readonly List<SchedulerAction> _actions = [];

        public Change(SchedulerState original, DateTimeOffset now)
        {
            _original = original;
            _now = now;
            State = original;
        }

        public SchedulerState State { get; set; }

        private SchedulerConfig Config => State.Config;

        public SchedulerDecision Finish() =>
            ReferenceEquals(State, _original)
                ? new SchedulerDecision(_original, _actions)
                : new SchedulerDecision(State with { Version = _original.Version + 1 }, _actions);

        // ---- Reconciliation (§8.5) -------------------------------------------------------------------------

        /// <summary>§8.5 Part A. Skipped entirely when <c>stall_timeout_ms &lt;= 0</c>.</summary>
        public void DetectStalls()
        {
            var timeout = Config.StallTimeoutMs;
            if (timeout <= 0)
            {
                return;
            }

            foreach (var entry in State.Running.Values.OrderBy(e => e.Task.Id, StringComparer.Ordinal).ToList())
            {
                switch (entry.Phase)
                {
                    case RunPhase.Launching or RunPhase.Running:
                        var elapsed = (long)(_now - (entry.LastEventAt ?? entry.StartedAt)).TotalMilliseconds;
                        if (elapsed > timeout)
                        {
                            var error = StalledError(elapsed);
                            StopRun(entry, error, cleanWorkspace: false, new ExitPlan.RetryAfterFailure(error));
                        }
                        else if (Config.NudgeAfterMs > 0 && elapsed > Config.NudgeAfterMs && !entry.Nudged && entry.Phase == RunPhase.Running)
                        {
                            // Baton's supervisor: one nudge per silence, well before the spec's abort.
                            PutRunning(entry with { Nudged = true });
                            Emit(new Nudge(entry.Task.Id, entry.RunId, entry.SessionId, Config.NudgeMessage, elapsed));
                        }

                        break;
                    case RunPhase.Stopping when entry.StopRequestedAt is { } asked && (_now - asked).TotalMilliseconds > timeout:
                        // A stop that was never confirmed: ask again rather than hold the claim forever.
                        PutRunning(entry with { StopRequestedAt = _now });
                        Emit(new Stop(entry.Task.Id, entry.RunId, "stop not confirmed; stopping again", entry.StopCleansWorkspace));
                        break;
                    case RunPhase.Revalidating when (_now - entry.StartedAt).TotalMilliseconds > timeout:
                        // No process exists yet, so giving the slot back is safe.
                        RemoveRunning(entry.Task.Id);
                        Emit(new Release(entry.Task.Id, "revalidation was never answered"));
                        break;
                }
            }
        }

        /// <summary>§8.5 Part B, for running and blocked tasks that were part of the refresh request.</summary>
        public void Reconcile(TaskRefresh.Succeeded refresh)
        {
            var found = new Dictionary<string, TrackedTask>(StringComparer.Ordinal);
            foreach (var task in refresh.Found)
            {
                found[task.Id] = task;
            }

            foreach (var id in refresh.RequestedIds.Distinct().Order(StringComparer.Ordinal))
            {
                var fresh = found.GetValueOrDefault(id);
                if (State.Running.TryGetValue(id, out var entry) && entry.HasProcess)
                {
                    ReconcileRunning(entry, fresh);
                }
                else if (State.Blocked.TryGetValue(id, out var blocked))
                {
                    ReconcileBlocked(blocked, fresh);
                }
            }
        }

        private void ReconcileRunning(RunningEntry entry, TrackedTask? fresh)
        {
            if (fresh is not null && Config.IsTerminal(fresh.State))
            {
                // Terminal: stop the agent and clean the workspace; the claim goes, no retry.
                var reason = $"task reached terminal state {fresh.State}";
                entry = entry with { Task = fresh };
                if (entry.Phase == RunPhase.Stopping)
                {
                    PutRunning(entry with { OnExit = new ExitPlan.Release(reason), StopCleansWorkspace = true });
                    if (!entry.StopCleansWorkspace)
                    {
                        Emit(new Stop(entry.Task.Id, entry.RunId, reason, CleanWorkspace: true));
                    }
                }
                else
                {
                    StopRun(entry, reason, cleanWorkspace: true, new ExitPlan.Release(reason));
                }

                return;
            }

            if (fresh is not null && Eligibility.MayRun(fresh, Config))
            {
                PutRunning(entry with { Task = fresh });
                return;
            }

            // Active but not routable, neither active nor terminal, or no longer visible: stop, keep the workspace.
            var why = fresh is null ? "task is no longer visible in the tracker"
                : !Eligibility.IsActive(fresh, Config) ? $"task state {fresh.State} is not active"
                : "task is no longer routable (not dispatchable or missing a required label)";
            entry = fresh is null ? entry : entry with { Task = fresh };
            if (entry.Phase == RunPhase.Stopping)
            {
                PutRunning(entry with { OnExit = entry.OnExit as ExitPlan.Release ?? new ExitPlan.Release(why) });
            }
            else if (fresh is not null && Config.CheckWorkspaceBeforeStop && !entry.WorkspaceChecked && entry.Phase is RunPhase.Running or RunPhase.Checking)
            {
                // Baton's supervisor: an agent that handed its task on (e.g. to Human Review) mid-turn finishes the
                // turn, so its workspace is checked before the stop (the turn's end decides; stalls still apply).
                PutRunning(entry);
            }
            else
            {
                StopRun(entry, why, cleanWorkspace: false, new ExitPlan.Release(why));
            }
        }

        private void ReconcileBlocked(BlockedEntry blocked, TrackedTask? fresh)
        {
            var id = blocked.Task.Id;
            if (fresh is not null && Config.IsTerminal(fresh.State))
            {
                RemoveBlocked(id);
                Emit(new CleanWorkspace(id, fresh.Identifier));
                Emit(new Release(id, $"task reached terminal state {fresh.State}"));
            }
            else if (fresh is not null && Eligibility.MayRun(fresh, Config))
            {
                PutBlocked(blocked with { Task = fresh });
            }
            else
            {
                RemoveBlocked(id);
                Emit(new Release(id, fresh is null ? "task is no longer visible in the tracker" : "task is no longer active or routable"));
            }
        }

        // ---- Dispatch (§8.2, §8.3) -----------------------------------------------------------------------------

        public void DispatchFromPoll(IReadOnlyList<TrackedTask> candidates)
        {
            // Answers that waited for a slot go first: their tasks are already claimed and a person is waiting.
            foreach (var blocked in State.Blocked.Values.Where(b => b.PendingAnswer is not null).OrderBy(b => b.Task.Task, TaskOrdering.Instance).ToList())
            {
                if (Eligibility.HasSlot(State, blocked.Task))
                {
                    RemoveBlocked(blocked.Task.Id);
                    StartRun(blocked.Task, attempt: 1, RetryKind.Answer, blocked.PendingAnswer, blocked.SessionId, revalidate: Config.RevalidateBeforeDispatch);
                }
            }

            foreach (var candidate in candidates.DistinctBy(c => c.Id).OrderBy(c => c.Task, TaskOrdering.Instance))
            {
                if (Eligibility.IsEligible(State, candidate))
                {
                    StartRun(candidate, attempt: null, kind: null, followUp: null, sessionId: null, revalidate: Config.RevalidateBeforeDispatch);
                }
            }
        }

        /// <summary>Claims the task and either asks for a revalidation or dispatches at once. Callers checked the slots.</summary>
        private void StartRun(TrackedTask task, int? attempt, RetryKind? kind, string? followUp, string? sessionId, bool revalidate)
        {
            var runId = NextToken();
            var entry = new RunningEntry
            {
                Task = task,
                RunId = runId,
                Phase = revalidate ? RunPhase.Revalidating : RunPhase.Launching,
                Attempt = attempt,
                Kind = kind,
                FollowUp = followUp,
                SessionId = sessionId,
                StartedAt = _now,
                TurnCount = revalidate ? 0 : 1,
            };
            PutRunning(entry);
            Emit(revalidate ? new Revalidate(task.Id, runId) : new Dispatch(task, runId, attempt, kind, followUp));
        }

        public void OnRevalidated(Revalidated input)
        {
            if (!State.Running.TryGetValue(input.TaskId, out var entry) || entry.RunId != input.RunId || entry.Phase != RunPhase.Revalidating)
            {
                return;
            }

            var fresh = (input.Lookup as TaskLookup.Found)?.Task;
            // The entry already holds its global slot; the checks repeat because the limits or the task's state may
            // have changed since it was claimed.
            if (fresh is not null && fresh.Id == entry.Task.Id && Eligibility.MayRun(fresh, Config)
                && State.Running.Count <= Config.MaxConcurrentAgents
                && Eligibility.FreeStateSlots(State, fresh.State, exceptTaskId: fresh.Id) > 0)
            {
                PutRunning(entry with { Task = fresh, Phase = RunPhase.Launching, StartedAt = _now, TurnCount = 1 });
                Emit(new Dispatch(fresh, entry.RunId, entry.Attempt, entry.Kind, entry.FollowUp));
                return;
            }

            RemoveRunning(entry.Task.Id);
            var terminal = fresh is not null && Config.IsTerminal(fresh.State);
            if (entry.Kind == RetryKind.Answer && !terminal && (input.Lookup is TaskLookup.Failed || (fresh is not null && Eligibility.MayRun(fresh, Config))))
            {
                // The person's answer must not be lost to a tracker hiccup or a full state: wait for the next tick.
                PutBlocked(new BlockedEntry
                {
                    Task = fresh ?? entry.Task,
                    SessionId = entry.SessionId,
                    BlockedAt = _now,
                    Question = entry.PendingQuestion,
                    Attempt = entry.Attempt,
                    PendingAnswer = entry.FollowUp,
                    AnsweredAt = _now,
                });
                return;
            }

            if (terminal && entry.Kind == RetryKind.Answer)
            {
                Emit(new CleanWorkspace(entry.Task.Id, fresh!.Identifier));
            }

            Emit(new Release(entry.Task.Id, input.Lookup switch
            {
                TaskLookup.Failed failed => $"revalidation failed: {failed.Error}",
                TaskLookup.NotFound => "task is no longer visible in the tracker",
                _ => "task is no longer eligible",
            }));
        }

        public void OnRunStarted(RunStarted input)
        {
            if (Current(input.TaskId, input.RunId) is not { } entry)
            {
                return;
            }

            if (entry.Phase == RunPhase.Launching)
            {
                PutRunning(entry with { Phase = RunPhase.Running, SessionId = input.SessionId });
            }
            else if (entry.Phase == RunPhase.Stopping && entry.SessionId is null)
            {
                PutRunning(entry with { SessionId = input.SessionId });
            }
        }

        public void OnSpawnFailed(SpawnFailed input)
        {
            if (Current(input.TaskId, input.RunId) is not { } entry || entry.Phase is not (RunPhase.Launching or RunPhase.Stopping))
            {
                return;
            }

            RemoveRunning(entry.Task.Id);
            AddRuntime(entry);
            ApplyExitPlan(entry, entry.OnExit ?? new ExitPlan.RetryAfterFailure(SpawnFailedError));
        }

        // ---- Live runs (§7.3 Codex update, §13.5) --------------------------------------------------------------

        public void OnWorkerEvent(WorkerObserved input)
        {
            if (Current(input.TaskId, input.RunId) is not { } entry)
            {
                return;
            }

            var e = input.Event;
            if (e.Type == WorkerEventTypes.Heartbeat)
            {
                // The worker host is alive, which says nothing about the agent: a heartbeat must not hide a stall.
                return;
            }

            // What was said to the agent (steering, follow-ups, the supervisor's notes) is not the agent's activity:
            // a nudge must not reset the stall clock it is racing.
            var activity = e.Type is not (WorkerEventTypes.SteerReceived or WorkerEventTypes.FollowUpReceived or WorkerEventTypes.Supervisor);
            var updated = entry with
            {
                LastEvent = e.Type,
                LastEventAt = !activity ? entry.LastEventAt : entry.LastEventAt is { } last && last > e.Ts ? last : e.Ts,
                LastMessage = Summary(e) ?? entry.LastMessage,
                SessionId = entry.SessionId ?? e.Session,
                Nudged = entry.Nudged && !activity,
            };

            if (e.Type == WorkerEventTypes.RunStarted && updated.Phase == RunPhase.Launching)
            {
                updated = updated with { Phase = RunPhase.Running };
            }

            if (e.Type == WorkerEventTypes.InputRequested)
            {
                updated = updated with { PendingQuestion = e.Text ?? updated.PendingQuestion };
            }

            if (e.Usage is { } usage)
            {
                // Usage events carry the run's absolute totals: add only the growth since the last report, so a
                // repeated or reordered report is never counted twice (§13.5).
                var before = entry.Tokens;
                var after = new TokenUsage(
                    Math.Max(before.Input, usage.Input),
                    Math.Max(before.Output, usage.Output),
                    Math.Max(before.CacheRead, usage.CacheRead),
                    Math.Max(before.CacheWrite, usage.CacheWrite),
                    Math.Max(before.CostUsd, usage.CostUsd));
                var delta = new TokenUsage(
                    after.Input - before.Input,
                    after.Output - before.Output,
                    after.CacheRead - before.CacheRead,
                    after.CacheWrite - before.CacheWrite,
                    after.CostUsd - before.CostUsd);
                updated = updated with { Tokens = after };
                State = State with { Totals = State.Totals.Add(delta) };
            }

            PutRunning(updated);
        }

        /// <summary>§1.12: after a turn, another turn on the same agent, or the end of the run.</summary>
        public void OnTurnFinished(TurnFinished input)
        {
            if (Current(input.TaskId, input.RunId) is not { } entry || entry.Phase is not (RunPhase.Launching or RunPhase.Running))
            {
                return;
            }

            switch (input.Outcome)
            {
                case Outcomes.Succeeded:
                    ContinueOrEnd(entry, input.Refresh);
                    break;
                case Outcomes.InputRequired:
                    var question = input.Error ?? entry.PendingQuestion;
                    StopRun(entry, "waiting for a person's input", cleanWorkspace: false, new ExitPlan.Block(question));
                    break;
                case Outcomes.Stopped:
                    // Stopped from outside; the exit report that follows decides.
                    break;
                default:
                    // Failed, timed out (codex.turn_timeout_ms, enforced by the worker, §10.6), aborted.
                    var error = RunError(input.Outcome, input.Error, turn: true);
                    StopRun(entry, error, cleanWorkspace: false, new ExitPlan.RetryAfterFailure(error));
                    break;
            }
        }

        private void ContinueOrEnd(RunningEntry entry, TaskLookup refresh)
        {
            if (refresh is TaskLookup.Failed failed)
            {
                // §1.12: a refresh error during the turn loop fails the worker, which is retried with backoff.
                var error = $"task refresh after a turn failed: {failed.Error}";
                StopRun(entry, error, cleanWorkspace: false, new ExitPlan.RetryAfterFailure(error));
                return;
            }

            var fresh = (refresh as TaskLookup.Found)?.Task;
            if (fresh is not null)
            {
                entry = entry with { Task = fresh };
            }

            var turn = Math.Max(entry.TurnCount, 1);
            if (fresh is not null && Eligibility.MayRun(fresh, Config) && Config.Handoff)
            {
                // Baton's hand-off: the agent ended its turn and left the task active, so its work is checked instead
                // of asking for another turn. An agent that moved its own task (Symphony's model) skips this.
                PutRunning(entry with { Phase = RunPhase.Checking });
                Emit(new CheckWork(entry.Task.Id, entry.RunId, turn));
                return;
            }

            if (fresh is not null && Eligibility.MayRun(fresh, Config) && turn < Config.MaxTurns)
            {
                PutRunning(entry with { TurnCount = turn + 1 });
                Emit(new Continue(entry.Task.Id, entry.RunId, turn + 1));
                return;
            }

            var reason = fresh is null ? "task is no longer visible in the tracker"
                : !Eligibility.IsActive(fresh, Config) ? $"task state {fresh.State} is not active"
                : !Eligibility.MayRun(fresh, Config) ? "task is no longer routable"
                : string.Create(CultureInfo.InvariantCulture, $"reached max_turns ({Config.MaxTurns})");

            if (Config.CheckWorkspaceBeforeStop && !entry.WorkspaceChecked)
            {
                // Baton's supervisor: before a finished run is stopped, its workspace must hold the work committed.
                PutRunning(entry with { Phase = RunPhase.Checking, WorkspaceChecked = true, PendingEnd = reason });
                Emit(new CheckWorkspace(entry.Task.Id, entry.RunId));
                return;
            }

            // The run ends normally; the orchestrator re-checks the task after the 1 s continuation delay (§7.3).
            StopRun(entry, reason, cleanWorkspace: false, new ExitPlan.ContinueLater(reason));
        }

        /// <summary>
        /// Baton's supervisor: a clean workspace lets the run end as planned; uncommitted work gets one message asking
        /// the agent to commit it or explain, as one more turn, after which the run ends whatever the workspace holds.
        /// </summary>
        public void OnWorkspaceChecked(WorkspaceChecked input)
        {
            if (Current(input.TaskId, input.RunId) is not { Phase: RunPhase.Checking, PendingEnd: { } reason } entry)
            {
                return;
            }

            if (string.IsNullOrWhiteSpace(input.Problems))
            {
                StopRun(entry with { PendingEnd = null }, reason, cleanWorkspace: false, new ExitPlan.ContinueLater(reason));
                return;
            }

            var turn = Math.Max(entry.TurnCount, 1);
            PutRunning(entry with { Phase = RunPhase.Running, TurnCount = turn + 1, PendingEnd = null, LastEventAt = _now, Nudged = false });
            Emit(new Continue(entry.Task.Id, entry.RunId, turn + 1, SupervisorMessages.CommitOrExplain(input.Problems)));
        }

        /// <summary>
        /// Baton's hand-off: review-ready work ends the run with a hand-off; otherwise the agent gets what to fix as its
        /// next turn (at most <see cref="SchedulerConfig.MaxFixRequests"/> times and within max_turns), then the run
        /// fails with the reason.
        /// </summary>
        public void OnWorkChecked(WorkChecked input)
        {
            if (Current(input.TaskId, input.RunId) is not { Phase: RunPhase.Checking } entry)
            {
                return;
            }

            var turn = Math.Max(entry.TurnCount, 1);
            switch (input.Verdict)
            {
                case WorkVerdict.Ready ready:
                    StopRun(entry, ready.Reason, cleanWorkspace: false, new ExitPlan.HandOff(ready.Reason));
                    break;
                case WorkVerdict.NeedsFix fix when entry.FixRequests < Config.MaxFixRequests && turn < Config.MaxTurns:
                    // The check took a while with the agent idle: that silence is not a stall.
                    PutRunning(entry with { Phase = RunPhase.Running, TurnCount = turn + 1, FixRequests = entry.FixRequests + 1, LastEventAt = _now });
                    Emit(new Continue(entry.Task.Id, entry.RunId, turn + 1, fix.Message));
                    break;
                case WorkVerdict.NeedsFix fix:
                    var error = string.Create(CultureInfo.InvariantCulture, $"not review-ready after {turn} turn(s): {fix.Problems}");
                    StopRun(entry, error, cleanWorkspace: false, new ExitPlan.RetryAfterFailure(error));
                    break;
                case WorkVerdict.Failed failed:
                    var why = $"hand-off check failed: {failed.Reason}";
                    StopRun(entry, why, cleanWorkspace: false, new ExitPlan.RetryAfterFailure(why));
                    break;
            }
        }

        public void OnRunExited(RunExited input)
        {
            if (Current(input.TaskId, input.RunId) is not { } entry || !entry.HasProcess)
            {
                return;
            }

            RemoveRunning(entry.Task.Id);
            AddRuntime(entry);
            if (entry.OnExit is ExitPlan.HandOff && input.Outcome != Outcomes.Succeeded)
            {
                // The hand-off itself failed (tracker, proof, or the agent did not stop cleanly): retry like a failure.
                ApplyExitPlan(entry, new ExitPlan.RetryAfterFailure(string.IsNullOrWhiteSpace(input.Error) ? "hand-off failed" : input.Error.Trim()));
                return;
            }

            ApplyExitPlan(entry, entry.OnExit ?? input.Outcome switch
            {
                Outcomes.Succeeded => new ExitPlan.ContinueLater("run ended"),
                Outcomes.HandedOff => new ExitPlan.ContinueLater("handed off"),
                Outcomes.InputRequired => new ExitPlan.Block(input.Error ?? entry.PendingQuestion),
                _ => new ExitPlan.RetryAfterFailure(RunError(input.Outcome, input.Error, turn: false)),
            });
        }

        /// <summary>The entry is already out of <c>running</c>; put the task where its plan says.</summary>
        private void ApplyExitPlan(RunningEntry entry, ExitPlan plan)
        {
            var id = entry.Task.Id;
            switch (plan)
            {
                case ExitPlan.Release release:
                    // §8.5: stopped by reconciliation — the claim goes and no retry is scheduled.
                    Emit(new Release(id, release.Reason));
                    break;
                case ExitPlan.RetryAfterFailure failure:
                    var attempt = NextFailureAttempt(entry.Attempt);
                    QueueRetry(entry.Task, attempt, RetryKind.Failure, RetryDelays.Failure(attempt, Config.MaxRetryBackoffMs), failure.Error);
                    break;
                case ExitPlan.ContinueLater or ExitPlan.HandOff:
                    State = State with { Completed = State.Completed.Add(id) };
                    QueueRetry(entry.Task, 1, RetryKind.Continuation, RetryDelays.Continuation, error: null);
                    break;
                case ExitPlan.Block block:
                    PutBlocked(new BlockedEntry
                    {
                        Task = entry.Task,
                        SessionId = entry.SessionId,
                        BlockedAt = _now,
                        Question = block.Question,
                        Attempt = entry.Attempt,
                    });
                    Emit(new MarkBlocked(id, entry.SessionId, block.Question));
                    break;
            }
        }

        // ---- Retries (§8.4, §16.6) ----------------------------------------------------------------------------

        /// <summary>Creating a retry cancels any existing one for the task (§8.4); the new token makes old timers stale.</summary>
        private void QueueRetry(TrackedTask task, int attempt, RetryKind kind, TimeSpan delay, string? error)
        {
            if (State.Retrying.TryGetValue(task.Id, out var existing))
            {
                Emit(new CancelRetry(task.Id, existing.Token));
            }

            var token = NextToken();
            var entry = new RetryEntry
            {
                TaskId = task.Id,
                Identifier = task.Identifier,
                Task = task,
                Attempt = attempt,
                Kind = kind,
                DueAt = _now + delay,
                Token = token,
                Error = error,
            };
            State = State with { Retrying = State.Retrying.SetItem(task.Id, entry), Claimed = State.Claimed.Add(task.Id) };
            Emit(new ScheduleRetry(task.Id, task.Identifier, token, attempt, kind, entry.DueAt, error));
            if (kind == RetryKind.Failure && Config.EscalateAfter > 0 && attempt >= Config.EscalateAfter && !State.Escalated.ContainsKey(task.Id))
            {
                // Baton's supervisor: after N failed attempts of any kind a person hears of it, once, while retries go on.
                State = State with { Escalated = State.Escalated.SetItem(task.Id, new Escalation(task.Id, task.Identifier, attempt, error, _now)) };
                Emit(new Escalate(task.Id, task.Identifier, attempt, error));
            }
            else if (kind == RetryKind.Continuation && State.Escalated.ContainsKey(task.Id))
            {
                // A run ended normally: the escalation is over.
                State = State with { Escalated = State.Escalated.Remove(task.Id) };
            }
        }

        public void OnRetryFired(RetryFired input)
        {
            if (!State.Retrying.TryGetValue(input.TaskId, out var entry) || entry.Token != input.Token)
            {
                return; // a stale timer (§16.6 retry tokens)
            }

            State = State with { Retrying = State.Retrying.Remove(entry.TaskId), Claimed = State.Claimed.Remove(entry.TaskId) };
            var known = entry.Task ?? (input.Lookup as TaskLookup.Found)?.Task;
            switch (input.Lookup)
            {
                case TaskLookup.Failed:
                    Requeue(entry, known, RetryRefreshFailedError);
                    break;
                case TaskLookup.NotFound:
                    Emit(new Release(entry.TaskId, "task is no longer visible in the tracker"));
                    break;
                case TaskLookup.Found { Task: var fresh } when Config.IsTerminal(fresh.State):
                    Emit(new CleanWorkspace(entry.TaskId, fresh.Identifier));
                    Emit(new Release(entry.TaskId, $"task reached terminal state {fresh.State}"));
                    break;
                case TaskLookup.Found { Task: var fresh } when Eligibility.MayRun(fresh, Config):
                    if (Eligibility.HasSlot(State, fresh))
                    {
                        // The task was just fetched by id, so it needs no second revalidation.
                        StartRun(fresh, entry.Attempt, entry.Kind, followUp: null, sessionId: null, revalidate: false);
                    }
                    else
                    {
                        Requeue(entry, fresh, NoSlotsError);
                    }

                    break;
                default:
                    Emit(new Release(entry.TaskId, "task is no longer active or routable"));
                    break;
            }
        }

        /// <summary>§16.6: requeue with <c>attempt + 1</c> and a failure-style delay, keeping what kind of run it will be.</summary>
        private void Requeue(RetryEntry entry, TrackedTask? task, string error)
        {
            var attempt = entry.Attempt + 1;
            var target = task ?? entry.Task;
            var delay = RetryDelays.Failure(attempt, Config.MaxRetryBackoffMs);
            if (target is null)
            {
                var token = NextToken();
                var retry = entry with { Attempt = attempt, DueAt = _now + delay, Token = token, Error = error };
                State = State with { Retrying = State.Retrying.SetItem(entry.TaskId, retry), Claimed = State.Claimed.Add(entry.TaskId) };
                Emit(new ScheduleRetry(entry.TaskId, entry.Identifier, token, attempt, entry.Kind, retry.DueAt, error));
                return;
            }

            QueueRetry(target, attempt, entry.Kind, delay, error);
        }

        // ---- Blocked runs (§10.5 posture, the reference implementation's blocked map) --------------------------

        public void OnInputAnswered(InputAnswered input)
        {
            if (!State.Blocked.TryGetValue(input.TaskId, out var blocked))
            {
                return;
            }

            if (Eligibility.HasSlot(State, blocked.Task))
            {
                RemoveBlocked(blocked.Task.Id);
                StartRun(blocked.Task, attempt: 1, RetryKind.Answer, input.Answer, blocked.SessionId, revalidate: Config.RevalidateBeforeDispatch);
            }
            else
            {
                PutBlocked(blocked with { PendingAnswer = input.Answer, AnsweredAt = _now });
            }
        }

        // ---- Startup (§8.6, §14.3) -----------------------------------------------------------------------------

        public void OnAdopt(IReadOnlyList<LiveSession> sessions)
        {
            foreach (var session in sessions.OrderBy(s => s.StartedAt).ThenBy(s => s.SessionId, StringComparer.Ordinal))
            {
                var id = session.Task.Id;
                if (State.Running.ContainsKey(id))
                {
                    // Never two live agents for one task: keep the oldest, stop the others.
                    Emit(new StopSession(id, session.SessionId, "another live session already works on this task"));
                    continue;
                }

                if (State.Retrying.TryGetValue(id, out var retry))
                {
                    State = State with { Retrying = State.Retrying.Remove(id) };
                    Emit(new CancelRetry(id, retry.Token));
                }

                if (State.Blocked.ContainsKey(id))
                {
                    RemoveBlocked(id);
                }

                var runId = NextToken();
                PutRunning(new RunningEntry
                {
                    Task = session.Task,
                    RunId = runId,
                    Phase = RunPhase.Running,
                    Attempt = session.Attempt,
                    StartedAt = session.StartedAt,
                    SessionId = session.SessionId,
                    TurnCount = Math.Max(session.TurnCount, 1),
                    LastEventAt = session.LastEventAt ?? _now,
                });
                Emit(new Adopted(id, runId, session.SessionId));
            }
        }

        public void OnRestoreBlocked(IReadOnlyList<BlockedSession> sessions)
        {
            foreach (var session in sessions.OrderBy(s => s.BlockedAt).ThenBy(s => s.SessionId, StringComparer.Ordinal))
            {
                // A live run or an earlier blocked session of the same task wins: one claim per task.
                if (State.Claimed.Contains(session.Task.Id))
                {
                    continue;
                }

                PutBlocked(new BlockedEntry
                {
                    Task = session.Task,
                    SessionId = session.SessionId,
                    BlockedAt = session.BlockedAt,
                    Question = session.Question,
                    PendingAnswer = session.Answer,
                    AnsweredAt = session.Answer is null ? null : _now,
                });
            }
        }

        public void OnStartupCleanup(IReadOnlyList<TaskRecord> terminalTasks)
        {
            foreach (var task in terminalTasks.DistinctBy(t => t.Id))
            {
                // A claimed task is handled by its own path: a live run is stopped before its workspace goes.
                if (!State.Claimed.Contains(task.Id))
                {
                    Emit(new CleanWorkspace(task.Id, task.Identifier));
                }
            }
        }

        // ---- Helpers -------------------------------------------------------------------------------------------

        private RunningEntry? Current(string taskId, long runId) =>
            State.Running.TryGetValue(taskId, out var entry) && entry.RunId == runId ? entry : null;

        private void StopRun(RunningEntry entry, string reason, bool cleanWorkspace, ExitPlan plan)
        {
            PutRunning(entry with { Phase = RunPhase.Stopping, OnExit = plan, StopRequestedAt = _now, StopCleansWorkspace = cleanWorkspace });
            Emit(new Stop(entry.Task.Id, entry.RunId, reason, cleanWorkspace));
        }

        private void PutRunning(RunningEntry entry) =>
            State = State with { Running = State.Running.SetItem(entry.Task.Id, entry), Claimed = State.Claimed.Add(entry.Task.Id) };

        private void RemoveRunning(string id) =>
            State = State with { Running = State.Running.Remove(id), Claimed = State.Claimed.Remove(id) };

        private void PutBlocked(BlockedEntry entry) =>
            State = State with { Blocked = State.Blocked.SetItem(entry.Task.Id, entry), Claimed = State.Claimed.Add(entry.Task.Id) };

        private void RemoveBlocked(string id) =>
            State = State with { Blocked = State.Blocked.Remove(id), Claimed = State.Claimed.Remove(id) };

        /// <summary>Runtime of a run that has ended joins the cumulative counter (§13.5); views add live runs.</summary>
        private void AddRuntime(RunningEntry entry)
        {
            if (_now > entry.StartedAt)
            {
                State = State with { EndedRuntime = State.EndedRuntime + (_now - entry.StartedAt) };
            }
        }

        private long NextToken()
        {
            State = State with { LastToken = State.LastToken + 1 };
            return State.LastToken;
        }

        private void Emit(SchedulerAction action)
        {
            if (action is Release && State.Escalated.ContainsKey(action.TaskId))
            {
                // The task left the orchestrator (terminal, inactive, gone): nothing is escalated any more.
                State = State with { Escalated = State.Escalated.Remove(action.TaskId) };
            }

            _actions.Add(action);
        }

        private static string? Summary(WorkerEvent e)
        {
            var text = e.Text
                ?? (e.ToolName is null ? null : e.ToolInput is null ? e.ToolName : $"{e.ToolName}: {e.ToolInput}")
                ?? e.Reason;
            if (string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            text = text.Trim();
            return text.Length <= MaxMessageLength ? text : string.Concat(text.AsSpan(0, MaxMessageLength - 1), "…");
        }

        private static string RunError(string outcome, string? error, bool turn)
        {
            var what = outcome switch
            {
                Outcomes.TimedOut => "turn timed out",
                Outcomes.Aborted => turn ? "turn aborted" : "run aborted",
                Outcomes.Stopped => "agent stopped from outside the orchestrator",
                Outcomes.Failed => turn ? "turn failed" : "agent run failed",
                _ => turn ? $"turn ended: {outcome}" : $"run ended: {outcome}",
            };
            return string.IsNullOrWhiteSpace(error) ? what : $"{what}: {error.Trim()}";
        }
    }
}
