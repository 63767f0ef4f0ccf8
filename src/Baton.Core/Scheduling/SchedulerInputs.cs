using System.Text.Json;
using Baton.Core.Events;
using Baton.Core.Proofs;
using Baton.Core.Tasks;

namespace Baton.Core.Scheduling;

/// <summary>
/// An observation the daemon feeds to <see cref="Scheduler.Apply"/>. Each carries the daemon's clock reading, so
/// the scheduler itself never reads a clock.
/// </summary>
public abstract record SchedulerInput(DateTimeOffset Now);

/// <summary>
/// A poll tick (§8.1): reconciliation first (§8.5 Part A from the clock, Part B from <paramref name="Refresh"/> of
/// <see cref="SchedulerState.ReconcileIds"/>), then dispatch from <paramref name="Candidates"/> (the active-state
/// fetch, §11.1). Candidates are null when the fetch failed or the workflow failed its per-tick validation: the
/// tick then only reconciles (§6.3, §11.4). Refresh is null when there was nothing to refresh.
/// </summary>
public sealed record Tick(DateTimeOffset Now, TaskRefresh? Refresh, IReadOnlyList<TrackedTask>? Candidates) : SchedulerInput(Now);

/// <summary>A stall check between polls (§8.5 Part A only), for a supervisor that looks more often than it polls.</summary>
public sealed record StallCheck(DateTimeOffset Now) : SchedulerInput(Now);

/// <summary>The answer to a <see cref="Revalidate"/> action: the task re-fetched by id just before dispatch.</summary>
public sealed record Revalidated(DateTimeOffset Now, string TaskId, long RunId, TaskLookup Lookup) : SchedulerInput(Now);

/// <summary>The daemon started the run of a <see cref="Dispatch"/> in session <paramref name="SessionId"/>.</summary>
public sealed record RunStarted(DateTimeOffset Now, string TaskId, long RunId, string SessionId) : SchedulerInput(Now);

/// <summary>
/// The run of a <see cref="Dispatch"/> never started: workspace, hook, prompt or process failure (§16.4). It becomes
/// a failure retry with the error "failed to spawn agent"; <paramref name="Detail"/> is for logs.
/// </summary>
public sealed record SpawnFailed(DateTimeOffset Now, string TaskId, long RunId, string? Detail) : SchedulerInput(Now);

/// <summary>A normalized worker event of a run (live fields, tokens; §7.3 "Codex update").</summary>
public sealed record WorkerObserved(DateTimeOffset Now, string TaskId, long RunId, WorkerEvent Event) : SchedulerInput(Now);

/// <summary>The latest rate-limit payload reported by any agent (§13.5).</summary>
public sealed record RateLimitsObserved(DateTimeOffset Now, JsonElement Payload) : SchedulerInput(Now);

/// <summary>
/// A turn ended (§7.1, §10.3). For a successful turn the daemon re-fetched the task (<paramref name="Refresh"/>)
/// so the scheduler can decide between another turn on the same agent and ending the run (§1.12).
/// <paramref name="Outcome"/> is a value of <see cref="Outcomes"/>.
/// </summary>
public sealed record TurnFinished(DateTimeOffset Now, string TaskId, long RunId, string Outcome, string? Error, TaskLookup Refresh) : SchedulerInput(Now);

/// <summary>The answer to <see cref="CheckWork"/>: whether the run's work is review-ready, and if not, what to fix.</summary>
public sealed record WorkChecked(DateTimeOffset Now, string TaskId, long RunId, WorkVerdict Verdict) : SchedulerInput(Now);

/// <summary>
/// The answer to <see cref="CheckWorkspace"/>: <paramref name="Problems"/> names what is not committed (null or empty
/// when the workspace is clean, or when it could not be checked: the supervisor never holds a run on its own failure).
/// </summary>
public sealed record WorkspaceChecked(DateTimeOffset Now, string TaskId, long RunId, string? Problems) : SchedulerInput(Now);

/// <summary>The run's process is gone (normal end, failure, or the end of a Stop). <paramref name="Outcome"/> is a value of <see cref="Outcomes"/>.</summary>
public sealed record RunExited(DateTimeOffset Now, string TaskId, long RunId, string Outcome, string? Error) : SchedulerInput(Now);

/// <summary>A retry timer fired and the daemon re-fetched the task by id (§8.4, §16.6). Stale tokens are ignored.</summary>
public sealed record RetryFired(DateTimeOffset Now, string TaskId, long Token, TaskLookup Lookup) : SchedulerInput(Now);

/// <summary>A person answered a blocked task; the answer starts a new run as its follow-up.</summary>
public sealed record InputAnswered(DateTimeOffset Now, string TaskId, string Answer) : SchedulerInput(Now);

/// <summary>The workflow was reloaded and validated (§6.2); the new config applies to the next decisions.</summary>
public sealed record ConfigChanged(DateTimeOffset Now, SchedulerConfig Config) : SchedulerInput(Now);

/// <summary>
/// Startup, before the first tick: sessions still alive from before a restart become running entries without a
/// new dispatch, so a crash of the orchestrator never leads to two live agents for one task.
/// </summary>
/// <paramref name="Blocked"/> are runs that ended waiting for a person before the restart (their sessions recorded the
/// question): they are blocked again instead of being dispatched afresh, and an answer recorded meanwhile is kept.
public sealed record AdoptSessions(DateTimeOffset Now, IReadOnlyList<LiveSession> Sessions, IReadOnlyList<BlockedSession>? Blocked = null) : SchedulerInput(Now);

/// <summary>A session that ended waiting for a person, found at startup (see <see cref="AdoptSessions"/>).</summary>
public sealed record BlockedSession(TrackedTask Task, string SessionId, DateTimeOffset BlockedAt, string? Question, string? Answer = null);

/// <summary>
/// A live session found at startup. <paramref name="Task"/> is the task as last known (the daemon's database or a
/// fresh fetch); the first tick's refresh reconciles it like any running task. <paramref name="LastEventAt"/> is the
/// time of its last agent event when the daemon knows it (from <c>events.jsonl</c>); without it the stall clock
/// starts at adoption, so a long-running session is not judged stalled for the orchestrator's own downtime.
/// </summary>
public sealed record LiveSession(TrackedTask Task, string SessionId, DateTimeOffset StartedAt, int? Attempt = null, int TurnCount = 1, DateTimeOffset? LastEventAt = null);

/// <summary>
/// Startup terminal cleanup (§8.6): the tasks in terminal states. Their workspaces are cleaned, except for tasks with
/// a live (adopted) run — reconciliation stops those first and cleans after (§8.5).
/// </summary>
public sealed record StartupCleanup(DateTimeOffset Now, IReadOnlyList<TaskRecord> TerminalTasks) : SchedulerInput(Now);
