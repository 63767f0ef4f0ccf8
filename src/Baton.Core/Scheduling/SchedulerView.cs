using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Events;

namespace Baton.Core.Scheduling;

/// <summary>
/// <c>GET /api/v1/state</c> (Symphony §13.3, §13.7): what the HTTP layer serializes. Names follow the spec's
/// snake_case fields; <c>blocked</c> and <c>counts.blocked</c> follow the reference implementation's extension.
/// </summary>
public sealed record StateView(
    [property: JsonPropertyName("generated_at")] DateTimeOffset GeneratedAt,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("counts")] CountsView Counts,
    [property: JsonPropertyName("running")] IReadOnlyList<RunningRow> Running,
    [property: JsonPropertyName("retrying")] IReadOnlyList<RetryRow> Retrying,
    [property: JsonPropertyName("blocked")] IReadOnlyList<BlockedRow> Blocked,
    [property: JsonPropertyName("codex_totals")] TotalsView Totals,
    [property: JsonPropertyName("rate_limits")] JsonElement? RateLimits);

public sealed record CountsView(
    [property: JsonPropertyName("running")] int Running,
    [property: JsonPropertyName("retrying")] int Retrying,
    [property: JsonPropertyName("blocked")] int Blocked);

public sealed record RunningRow(
    [property: JsonPropertyName("issue_id")] string IssueId,
    [property: JsonPropertyName("issue_identifier")] string IssueIdentifier,
    [property: JsonPropertyName("issue_url")] string? IssueUrl,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("attempt")] int? Attempt,
    [property: JsonPropertyName("session_id")] string? SessionId,
    [property: JsonPropertyName("turn_count")] int TurnCount,
    [property: JsonPropertyName("last_event")] string? LastEvent,
    [property: JsonPropertyName("last_message")] string? LastMessage,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("last_event_at")] DateTimeOffset? LastEventAt,
    [property: JsonPropertyName("tokens")] TokensView Tokens);

public sealed record RetryRow(
    [property: JsonPropertyName("issue_id")] string IssueId,
    [property: JsonPropertyName("issue_identifier")] string IssueIdentifier,
    [property: JsonPropertyName("issue_url")] string? IssueUrl,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("due_at")] DateTimeOffset DueAt,
    [property: JsonPropertyName("error")] string? Error);

public sealed record BlockedRow(
    [property: JsonPropertyName("issue_id")] string IssueId,
    [property: JsonPropertyName("issue_identifier")] string IssueIdentifier,
    [property: JsonPropertyName("issue_url")] string? IssueUrl,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("session_id")] string? SessionId,
    [property: JsonPropertyName("blocked_at")] DateTimeOffset BlockedAt,
    [property: JsonPropertyName("question")] string? Question,
    [property: JsonPropertyName("answer_pending")] bool AnswerPending);

/// <summary>
/// Token counts as the spec names them. <c>input_tokens</c> counts every prompt-side token (Baton's input plus
/// cache reads and writes, as OpenAI counts them), so input + output = total. Cache and cost are Baton's extras.
/// </summary>
public sealed record TokensView(
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("total_tokens")] long TotalTokens,
    [property: JsonPropertyName("cache_read_tokens")] long CacheReadTokens,
    [property: JsonPropertyName("cache_write_tokens")] long CacheWriteTokens,
    [property: JsonPropertyName("cost_usd")] decimal CostUsd)
{
    public static TokensView From(TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return new(usage.Input + usage.CacheRead + usage.CacheWrite, usage.Output, usage.Total, usage.CacheRead, usage.CacheWrite, usage.CostUsd);
    }
}

public sealed record TotalsView(
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("total_tokens")] long TotalTokens,
    [property: JsonPropertyName("seconds_running")] double SecondsRunning,
    [property: JsonPropertyName("cost_usd")] decimal CostUsd);

/// <summary><c>GET /api/v1/&lt;identifier&gt;</c>: one task's scheduling status.</summary>
public sealed record TaskView(
    [property: JsonPropertyName("issue_identifier")] string IssueIdentifier,
    [property: JsonPropertyName("issue_id")] string IssueId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("attempts")] AttemptsView Attempts,
    [property: JsonPropertyName("running")] RunningRow? Running,
    [property: JsonPropertyName("retry")] RetryRow? Retry,
    [property: JsonPropertyName("blocked")] BlockedRow? Blocked,
    [property: JsonPropertyName("last_error")] string? LastError);

public sealed record AttemptsView(
    [property: JsonPropertyName("restart_count")] int RestartCount,
    [property: JsonPropertyName("current_retry_attempt")] int? CurrentRetryAttempt);

/// <summary>Projections of a <see cref="SchedulerState"/> for people and the HTTP API.</summary>
public static class SchedulerView
{
    public const string StatusRunning = "running";
    public const string StatusRetrying = "retrying";
    public const string StatusBlocked = "blocked";

    /// <summary>The state at <paramref name="now"/>; <c>seconds_running</c> includes live runs up to now (§13.5).</summary>
    public static StateView Project(SchedulerState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var running = state.Running.Values.OrderBy(e => e.StartedAt).ThenBy(e => e.Task.Id, StringComparer.Ordinal).Select(RunningRowOf).ToList();
        var retrying = state.Retrying.Values.OrderBy(e => e.DueAt).ThenBy(e => e.TaskId, StringComparer.Ordinal).Select(RetryRowOf).ToList();
        var blocked = state.Blocked.Values.OrderBy(e => e.BlockedAt).ThenBy(e => e.Task.Id, StringComparer.Ordinal).Select(BlockedRowOf).ToList();
        var live = state.Running.Values.Where(e => e.HasProcess && now > e.StartedAt).Aggregate(TimeSpan.Zero, (sum, e) => sum + (now - e.StartedAt));
        var tokens = TokensView.From(state.Totals);
        return new StateView(
            now,
            state.Version,
            new CountsView(running.Count, retrying.Count, blocked.Count),
            running,
            retrying,
            blocked,
            new TotalsView(tokens.InputTokens, tokens.OutputTokens, tokens.TotalTokens, (state.EndedRuntime + live).TotalSeconds, tokens.CostUsd),
            state.RateLimits);
    }

    /// <summary>One task by identifier (case-insensitive) or id, or null when the scheduler does not hold it (HTTP 404 <c>issue_not_found</c>).</summary>
    public static TaskView? Find(SchedulerState state, string identifierOrId)
    {
        ArgumentNullException.ThrowIfNull(state);
        bool Matches(string id, string identifier) =>
            id == identifierOrId || string.Equals(identifier, identifierOrId, StringComparison.OrdinalIgnoreCase);

        if (state.Running.Values.FirstOrDefault(e => Matches(e.Task.Id, e.Task.Identifier)) is { } run)
        {
            var error = (run.OnExit as ExitPlan.RetryAfterFailure)?.Error;
            return new TaskView(run.Task.Identifier, run.Task.Id, StatusRunning, AttemptsOf(run.Attempt, null), RunningRowOf(run), null, null, error);
        }

        if (state.Retrying.Values.FirstOrDefault(e => Matches(e.TaskId, e.Identifier)) is { } retry)
        {
            return new TaskView(retry.Identifier, retry.TaskId, StatusRetrying, AttemptsOf(retry.Attempt, retry.Attempt), null, RetryRowOf(retry), null, retry.Error);
        }

        if (state.Blocked.Values.FirstOrDefault(e => Matches(e.Task.Id, e.Task.Identifier)) is { } block)
        {
            return new TaskView(block.Task.Identifier, block.Task.Id, StatusBlocked, AttemptsOf(block.Attempt, null), null, null, BlockedRowOf(block), null);
        }

        return null;
    }

    private static AttemptsView AttemptsOf(int? attempt, int? retryAttempt) => new(Math.Max((attempt ?? 0) - 1, 0), retryAttempt);

    private static RunningRow RunningRowOf(RunningEntry e) => new(
        e.Task.Id,
        e.Task.Identifier,
        e.Task.Task.Url,
        e.Task.State,
        PhaseName(e.Phase),
        e.Attempt,
        e.SessionId,
        e.TurnCount,
        e.LastEvent,
        e.LastMessage,
        e.StartedAt,
        e.LastEventAt,
        TokensView.From(e.Tokens));

    private static RetryRow RetryRowOf(RetryEntry e) =>
        new(e.TaskId, e.Identifier, e.Task?.Task.Url, e.Attempt, KindName(e.Kind), e.DueAt, e.Error);

    private static BlockedRow BlockedRowOf(BlockedEntry e) =>
        new(e.Task.Id, e.Task.Identifier, e.Task.Task.Url, e.Task.State, e.SessionId, e.BlockedAt, e.Question, e.PendingAnswer is not null);

    private static string PhaseName(RunPhase phase) => phase switch
    {
        RunPhase.Revalidating => "revalidating",
        RunPhase.Launching => "launching",
        RunPhase.Running => "running",
        RunPhase.Checking => "checking",
        _ => "stopping",
    };

    private static string KindName(RetryKind kind) => kind switch
    {
        RetryKind.Continuation => "continuation",
        RetryKind.Failure => "failure",
        _ => "answer",
    };
}
