using System.Collections.Immutable;
using System.Text.Json;
using Baton.Core.Events;

namespace Baton.Core.Scheduling;

/// <summary>Why a run is being started; null on a <see cref="Dispatch"/> means a task's first run.</summary>
public enum RetryKind
{
    /// <summary>The previous run ended cleanly and the task is still active: 1 s, attempt 1 (§8.4).</summary>
    Continuation,

    /// <summary>The previous run failed, timed out, stalled or could not start: exponential backoff (§8.4).</summary>
    Failure,

    /// <summary>A person answered a blocked run; the answer goes in as a follow-up (Baton's blocked extension).</summary>
    Answer,
}

/// <summary>Where a <see cref="RunningEntry"/> is in its life.</summary>
public enum RunPhase
{
    /// <summary>Claimed and holding a slot while the daemon re-fetches the task by id (no process yet).</summary>
    Revalidating,

    /// <summary><see cref="Dispatch"/> was issued; the workspace, hooks and agent are being prepared.</summary>
    Launching,

    /// <summary>The agent runs (the daemon reported <see cref="RunStarted"/>, or the run was adopted).</summary>
    Running,

    /// <summary>
    /// Baton's hand-off: a turn ended with the task still active, and the daemon is checking the work (validation,
    /// git state; <see cref="CheckWork"/>). The agent waits idle; stall detection does not apply, the validation
    /// commands' own timeouts bound the check.
    /// </summary>
    Checking,

    /// <summary>
    /// A <see cref="Stop"/> was issued and the process may still be alive. The entry keeps its claim and its slot
    /// until <see cref="RunExited"/>, so a task is never dispatched while its previous agent is still dying.
    /// </summary>
    Stopping,
}

/// <summary>What happens to a stopping run's task once its process has exited.</summary>
public abstract record ExitPlan
{
    private ExitPlan()
    {
    }

    /// <summary>Reconciliation stopped it: release the claim and schedule no retry (§8.5).</summary>
    public sealed record Release(string Reason) : ExitPlan;

    /// <summary>Stall, failed turn, failed refresh: a failure retry with this error (§8.4, §8.5 Part A).</summary>
    public sealed record RetryAfterFailure(string Error) : ExitPlan;

    /// <summary>The run ended normally (max turns, task no longer routable after a turn): the 1 s continuation (§7.3).</summary>
    public sealed record ContinueLater(string Reason) : ExitPlan;

    /// <summary>The agent needs a person: the task stays claimed in <see cref="SchedulerState.Blocked"/>.</summary>
    public sealed record Block(string? Question) : ExitPlan;

    /// <summary>
    /// The work is review-ready (Baton's hand-off): once the process is gone the daemon hands the task off (proof,
    /// comment, state, optional pull request) and reports the exit as succeeded, or failed when the hand-off failed.
    /// A successful hand-off then ends like <see cref="ContinueLater"/>; a failed one is a failure retry.
    /// </summary>
    public sealed record HandOff(string Reason) : ExitPlan;
}

/// <summary>One entry of the <c>running</c> map (§4.1.6 live session, plus Baton's run bookkeeping).</summary>
public sealed record RunningEntry
{
    public required TrackedTask Task { get; init; }

    /// <summary>Issued by the scheduler for every run; inputs about another run of the same task are ignored.</summary>
    public required long RunId { get; init; }

    public required RunPhase Phase { get; init; }

    /// <summary>Null for a first run; 1-based for retries and continuations (§4.1.5, §5.4 <c>attempt</c>).</summary>
    public int? Attempt { get; init; }

    public RetryKind? Kind { get; init; }

    /// <summary>A person's answer to deliver as the first follow-up (<see cref="RetryKind.Answer"/> runs).</summary>
    public string? FollowUp { get; init; }

    /// <summary>When the entry was created (§8.5 Part A falls back to it before any agent event).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The Baton session that hosts the run (§4.1.6 <c>session_id</c>), once known.</summary>
    public string? SessionId { get; init; }

    /// <summary>Turns started in this run (§4.1.6 <c>turn_count</c>): 1 from the first turn, +1 on every Continue.</summary>
    public int TurnCount { get; init; }

    public string? LastEvent { get; init; }

    public string? LastMessage { get; init; }

    /// <summary>Time of the last agent activity (not worker heartbeats), for stall detection.</summary>
    public DateTimeOffset? LastEventAt { get; init; }

    /// <summary>This run's absolute token totals: the highest value reported so far, field by field (§13.5).</summary>
    public TokenUsage Tokens { get; init; } = TokenUsage.Zero;

    /// <summary>The last question the agent asked (input_requested), kept for a blocked row.</summary>
    public string? PendingQuestion { get; init; }

    /// <summary>Follow-ups this run got because a hand-off check found the work not review-ready.</summary>
    public int FixRequests { get; init; }

    /// <summary>The supervisor nudged this run since its last agent activity (one nudge per silence).</summary>
    public bool Nudged { get; init; }

    /// <summary>The supervisor checked this run's workspace before stopping it (once per run).</summary>
    public bool WorkspaceChecked { get; init; }

    /// <summary>While the supervisor's workspace check runs (<see cref="RunPhase.Checking"/>): why the run is ending.</summary>
    public string? PendingEnd { get; init; }

    /// <summary>Set while <see cref="RunPhase.Stopping"/>.</summary>
    public ExitPlan? OnExit { get; init; }

    public DateTimeOffset? StopRequestedAt { get; init; }

    /// <summary>Whether the last Stop asked the daemon to clean the workspace afterwards.</summary>
    public bool StopCleansWorkspace { get; init; }

    /// <summary>Whether this entry holds a process (or is about to): everything but revalidation.</summary>
    public bool HasProcess => Phase != RunPhase.Revalidating;
}

/// <summary>One entry of <c>retry_attempts</c> (§4.1.7). <see cref="Token"/> tells the current timer from stale ones.</summary>
public sealed record RetryEntry
{
    public required string TaskId { get; init; }

    public required string Identifier { get; init; }

    /// <summary>The last known task, for status rows (may be stale; the fired retry re-fetches).</summary>
    public TrackedTask? Task { get; init; }

    public required int Attempt { get; init; }

    public required RetryKind Kind { get; init; }

    public required DateTimeOffset DueAt { get; init; }

    public required long Token { get; init; }

    public string? Error { get; init; }
}

/// <summary>A run that ended waiting for a person (Baton's version of the reference implementation's <c>blocked</c> map).</summary>
public sealed record BlockedEntry
{
    public required TrackedTask Task { get; init; }

    public string? SessionId { get; init; }

    public required DateTimeOffset BlockedAt { get; init; }

    public string? Question { get; init; }

    public int? Attempt { get; init; }

    /// <summary>An answer that arrived while no slot was free; the next tick dispatches it first.</summary>
    public string? PendingAnswer { get; init; }

    public DateTimeOffset? AnsweredAt { get; init; }
}

/// <summary>A task the supervisor escalated: how many attempts had failed and the last error.</summary>
public sealed record Escalation(string TaskId, string Identifier, int Attempts, string? Error, DateTimeOffset EscalatedAt);

/// <summary>
/// The orchestrator's whole scheduling state (§4.1.8) as one immutable value. Every change goes through
/// <see cref="Scheduler.Apply"/>, which bumps <see cref="Version"/> whenever anything changed.
/// Invariant: <see cref="Claimed"/> is exactly the keys of <see cref="Running"/>, <see cref="Retrying"/> and
/// <see cref="Blocked"/>, and those three never share a key.
/// </summary>
public sealed record SchedulerState
{
    public long Version { get; init; }

    public required SchedulerConfig Config { get; init; }

    public ImmutableDictionary<string, RunningEntry> Running { get; init; } = ImmutableDictionary<string, RunningEntry>.Empty;

    public ImmutableDictionary<string, RetryEntry> Retrying { get; init; } = ImmutableDictionary<string, RetryEntry>.Empty;

    public ImmutableDictionary<string, BlockedEntry> Blocked { get; init; } = ImmutableDictionary<string, BlockedEntry>.Empty;

    /// <summary>§4.1.8 <c>claimed</c>: reserved, running, retrying or blocked task ids.</summary>
    public ImmutableHashSet<string> Claimed { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>§4.1.8 <c>completed</c>: tasks whose run ended cleanly at least once. Bookkeeping only; never gates dispatch.</summary>
    public ImmutableHashSet<string> Completed { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>Token totals over every run this orchestrator has seen (deltas of absolute reports, §13.5).</summary>
    public TokenUsage Totals { get; init; } = TokenUsage.Zero;

    /// <summary>Runtime of runs that have exited; live runs are added when a view is built (§13.5).</summary>
    public TimeSpan EndedRuntime { get; init; }

    /// <summary>The latest rate-limit payload any agent reported (§13.5).</summary>
    public JsonElement? RateLimits { get; init; }

    /// <summary>Baton's supervisor: tasks escalated to a person after repeated failures, until a run of theirs succeeds or they leave.</summary>
    public ImmutableDictionary<string, Escalation> Escalated { get; init; } = ImmutableDictionary<string, Escalation>.Empty;

    /// <summary>Source of run ids and retry tokens: strictly increasing, never reused within a state's life.</summary>
    public long LastToken { get; init; }

    public static SchedulerState Initial(SchedulerConfig config) => new() { Config = config ?? throw new ArgumentNullException(nameof(config)) };

    /// <summary>The ids §8.5 Part B refreshes on a tick: running tasks (except those being revalidated) and blocked ones.</summary>
    public IReadOnlyCollection<string> ReconcileIds =>
        [.. Running.Values.Where(e => e.HasProcess).Select(e => e.Task.Id).Concat(Blocked.Keys).Order(StringComparer.Ordinal)];

    /// <summary>Whether a fired retry timer with <paramref name="token"/> is still the current one (stale timers are ignored).</summary>
    public bool IsCurrentRetry(string taskId, long token) => Retrying.TryGetValue(taskId, out var entry) && entry.Token == token;
}
