namespace Baton.Core.Scheduling;

/// <summary>A decision for the daemon to carry out, in order.</summary>
public abstract record SchedulerAction(string TaskId);

/// <summary>Re-fetch the task by id and answer with <see cref="Revalidated"/>; the task holds a slot meanwhile.</summary>
public sealed record Revalidate(string TaskId, long RunId) : SchedulerAction(TaskId);

/// <summary>
/// Start a run: prepare the workspace, render the prompt with <paramref name="Attempt"/> (null on a first run,
/// §5.4), launch the agent, deliver <paramref name="FollowUp"/> when set, then report <see cref="RunStarted"/>
/// or <see cref="SpawnFailed"/> and later <see cref="RunExited"/> with the same <paramref name="RunId"/>.
/// </summary>
public sealed record Dispatch(TrackedTask Task, long RunId, int? Attempt, RetryKind? Kind, string? FollowUp)
    : SchedulerAction(Task.Id);

/// <summary>
/// Start turn <paramref name="Turn"/> on the same live agent with continuation guidance (§1.12, §10.3), or with
/// <paramref name="Message"/> when set (what a hand-off check found to fix).
/// </summary>
public sealed record Continue(string TaskId, long RunId, int Turn, string? Message = null) : SchedulerAction(TaskId);

/// <summary>
/// Baton's hand-off: check the run's work now (validation commands, git state) while the agent waits idle, and
/// answer with <see cref="WorkChecked"/>.
/// </summary>
public sealed record CheckWork(string TaskId, long RunId, int Turn) : SchedulerAction(TaskId);

/// <summary>
/// Stop the run's agent (idempotent: a later Stop for the same run may change <paramref name="CleanWorkspace"/>).
/// With <paramref name="CleanWorkspace"/>, remove the workspace once the process is gone (§8.5: stop first, then
/// clean). Report <see cref="RunExited"/> when the process has exited.
/// </summary>
public sealed record Stop(string TaskId, long RunId, string Reason, bool CleanWorkspace) : SchedulerAction(TaskId);

/// <summary>Arm a timer for <paramref name="DueAt"/>; when it fires, re-fetch the task and send <see cref="RetryFired"/> with <paramref name="Token"/>.</summary>
public sealed record ScheduleRetry(string TaskId, string Identifier, long Token, int Attempt, RetryKind Kind, DateTimeOffset DueAt, string? Error)
    : SchedulerAction(TaskId);

/// <summary>Disarm the timer with this token (a newer retry replaced it, or the task left the retry queue).</summary>
public sealed record CancelRetry(string TaskId, long Token) : SchedulerAction(TaskId);

/// <summary>Remove the task's workspace (no agent is running for it).</summary>
public sealed record CleanWorkspace(string TaskId, string Identifier) : SchedulerAction(TaskId);

/// <summary>The claim on the task is gone (§7.1 Released); a later poll may dispatch it again.</summary>
public sealed record Release(string TaskId, string Reason) : SchedulerAction(TaskId);

/// <summary>The task waits for a person's answer; tell them (the question may be null).</summary>
public sealed record MarkBlocked(string TaskId, string? SessionId, string? Question) : SchedulerAction(TaskId);

/// <summary>A live session from before a restart is now tracked as run <paramref name="RunId"/>: follow its events.</summary>
public sealed record Adopted(string TaskId, long RunId, string SessionId) : SchedulerAction(TaskId);

/// <summary>The new state after an input and what the daemon must do, in order.</summary>
public sealed record SchedulerDecision(SchedulerState State, IReadOnlyList<SchedulerAction> Actions);

/// <summary>
/// Stop a live session the scheduler does not track: a second session for a task found at adoption. Only one
/// agent per task may live (§7.4: check claimed and running before launching any worker).
/// </summary>
public sealed record StopSession(string TaskId, string SessionId, string Reason) : SchedulerAction(TaskId);

/// <summary>Baton's supervisor: the run has been silent for a while; steer the agent with <paramref name="Message"/>.</summary>
public sealed record Nudge(string TaskId, long RunId, string? SessionId, string Message, long SilentMs) : SchedulerAction(TaskId);

/// <summary>
/// Baton's supervisor: the run is about to end normally; check that its workspace is committed and clean and answer
/// with <see cref="WorkspaceChecked"/> (the agent waits idle meanwhile).
/// </summary>
public sealed record CheckWorkspace(string TaskId, long RunId) : SchedulerAction(TaskId);

/// <summary>Baton's supervisor: the task failed <paramref name="Attempts"/> times; tell a person (message, task comment, dashboard flag).</summary>
public sealed record Escalate(string TaskId, string Identifier, int Attempts, string? Error) : SchedulerAction(TaskId);
