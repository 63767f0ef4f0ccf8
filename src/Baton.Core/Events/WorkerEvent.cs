using System.Text.Json;

namespace Baton.Core.Events;

/// <summary>The event types of <c>events.jsonl</c> (DESIGN.md, Contracts: worker events).</summary>
public static class WorkerEventTypes
{
    public const string RunStarted = "run_started";
    public const string AgentMessage = "agent_message";
    public const string ToolStarted = "tool_started";
    public const string ToolFinished = "tool_finished";
    public const string Usage = "usage";
    public const string TurnStarted = "turn_started";
    public const string TurnFinished = "turn_finished";
    public const string SteerReceived = "steer_received";
    public const string FollowUpReceived = "follow_up_received";
    public const string InputRequested = "input_requested";

    /// <summary>The agent ran <c>baton handoff</c>: the run ends after the current turn (text: the note's message id).</summary>
    public const string HandoffRequested = "handoff_requested";
    public const string RunFinished = "run_finished";

    /// <summary>The agent's latest account rate-limit payload (Codex <c>account/rateLimits/updated</c>), as it sent it.</summary>
    public const string RateLimits = "rate_limits";
    public const string Heartbeat = "heartbeat";

    /// <summary>Baton's supervisor acted on the session (a nudge, a workspace check, an escalation); <c>reason</c> names the action.</summary>
    public const string Supervisor = "supervisor";
    public const string Error = "error";
}

/// <summary>How a turn or a run ended.</summary>
public static class Outcomes
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Aborted = "aborted";
    public const string TimedOut = "timed_out";

    /// <summary>The agent asked for a person's input or approval and cannot go on without it.</summary>
    public const string InputRequired = "input_required";

    /// <summary>Stopped from outside (baton kill, reconciliation): not the agent's failure.</summary>
    public const string Stopped = "stopped";

    /// <summary>The agent handed off (<c>baton handoff</c>): its note goes to the task's next run, a fresh conversation.</summary>
    public const string HandedOff = "handed_off";
}

/// <summary>
/// One line of <c>sessions/&lt;s&gt;/events.jsonl</c>: the agent's own stream mapped into Baton's words. Fields are
/// set by type; the rest stay null and are left out of the JSON.
/// </summary>
public sealed record WorkerEvent
{
    public required DateTimeOffset Ts { get; init; }

    public required string Session { get; init; }

    public required int Run { get; init; }

    public required string Type { get; init; }

    /// <summary>agent_message, steer_received, follow_up_received, input_requested, error: the text.</summary>
    public string? Text { get; init; }

    public string? ToolId { get; init; }

    public string? ToolName { get; init; }

    /// <summary>tool_started: a short, readable form of the tool's input (a command, a path).</summary>
    public string? ToolInput { get; init; }

    /// <summary>tool_finished: the start of the tool's output (bounded).</summary>
    public string? ToolOutput { get; init; }

    public bool? IsError { get; init; }

    /// <summary>usage: absolute totals of the run so far (never deltas).</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>turn_finished, run_finished: a value of <see cref="Outcomes"/>.</summary>
    public string? Outcome { get; init; }

    /// <summary>Why: an error message, a stop reason, an exit code.</summary>
    public string? Reason { get; init; }

    /// <summary>run_started: the agent kind and model; heartbeat: the worker status.</summary>
    public string? Agent { get; init; }

    public string? Model { get; init; }

    public string? Status { get; init; }

    /// <summary>rate_limits: the payload as the agent sent it (§13.5: the latest one is shown, never interpreted).</summary>
    public JsonElement? RateLimits { get; init; }
}
