using System.Text.Json;

namespace Baton.Core.Web;

// The JSON shapes of the orchestrator's HTTP API. Field names and nesting follow the Symphony spec's suggested
// shapes (SPEC.md §13.3, §13.7.2) exactly; Symphony's reference implementation adds `counts.blocked`, `blocked[]`,
// `worker_host` and `workspace_path`, and Baton adds the session name and the agent. Additions only: a client
// written against the spec's examples reads these unchanged (§13.7.2, "implementations may add fields").
// Every field is always written, null included, because the spec's examples show explicit nulls
// (`"rate_limits": null`, `"retry": null`, `"last_error": null`).

/// <summary>Token counts as the API reports them (§13.5: absolute totals, never deltas).</summary>
public sealed record TokenCounts(long InputTokens, long OutputTokens, long TotalTokens)
{
    public static TokenCounts Zero { get; } = new(0, 0, 0);
}

/// <summary><c>counts</c> of <c>/api/v1/state</c>: always the lengths of the lists beside it.</summary>
public sealed record SnapshotCounts(int Running, int Retrying, int Blocked);

/// <summary>One row of <c>running[]</c> (§13.7.2); also the <c>running</c> object of an issue's detail.</summary>
public sealed record RunningRow
{
    public required string IssueId { get; init; }

    public required string IssueIdentifier { get; init; }

    public string? IssueUrl { get; init; }

    /// <summary>The task's tracker state, e.g. <c>In Progress</c>.</summary>
    public required string State { get; init; }

    public string? SessionId { get; init; }

    /// <summary>Turns started in the current worker lifetime (§4.1.6, §13.3: every running row has it).</summary>
    public int TurnCount { get; init; }

    public string? LastEvent { get; init; }

    public string? LastMessage { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? LastEventAt { get; init; }

    public TokenCounts Tokens { get; init; } = TokenCounts.Zero;

    /// <summary>Baton: the session's name for people, e.g. <c>int-3</c>.</summary>
    public string? Session { get; init; }

    /// <summary>Baton: the agent kind, e.g. <c>pi</c>.</summary>
    public string? Agent { get; init; }

    public string? WorkspacePath { get; init; }

    public string? WorkerHost { get; init; }

    /// <summary>Baton: the task's title, as the tracker has it (text for people: never markup).</summary>
    public string? Title { get; init; }

    /// <summary>Baton: the run's cost in US dollars so far, computed from its tokens.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>Baton: the last event in plain words, e.g. <c>running bash: dotnet test</c>.</summary>
    public string? Activity { get; init; }
}

/// <summary>One row of <c>retrying[]</c> (§13.7.2); also the <c>retry</c> object of an issue's detail.</summary>
public sealed record RetryRow
{
    public required string IssueId { get; init; }

    public required string IssueIdentifier { get; init; }

    public string? IssueUrl { get; init; }

    /// <summary>1-based retry attempt (§4.1.7).</summary>
    public required int Attempt { get; init; }

    public required DateTimeOffset DueAt { get; init; }

    public string? Error { get; init; }

    public string? WorkspacePath { get; init; }

    public string? WorkerHost { get; init; }

    /// <summary>Baton: the task's title.</summary>
    public string? Title { get; init; }
}

/// <summary>
/// One row of <c>blocked[]</c>: a task whose agent waits for a person (input or approval). Symphony's reference
/// implementation adds this list; the spec has no blocked state of its own.
/// </summary>
public sealed record BlockedRow
{
    public required string IssueId { get; init; }

    public required string IssueIdentifier { get; init; }

    public string? IssueUrl { get; init; }

    public required string State { get; init; }

    public string? Error { get; init; }

    public string? SessionId { get; init; }

    public DateTimeOffset? BlockedAt { get; init; }

    public string? LastEvent { get; init; }

    public string? LastMessage { get; init; }

    public DateTimeOffset? LastEventAt { get; init; }

    public string? Session { get; init; }

    public string? WorkspacePath { get; init; }

    public string? WorkerHost { get; init; }

    /// <summary>Baton: the task's title.</summary>
    public string? Title { get; init; }

    /// <summary>Baton: the agent kind.</summary>
    public string? Agent { get; init; }
}

/// <summary>
/// <c>codex_totals</c> (the spec's name, kept whatever the agent): aggregate tokens, and runtime seconds that include
/// the live sessions (§13.5; Symphony's reference implementation leaves those out, Baton does not). Baton adds the
/// cost in US dollars.
/// </summary>
public sealed record CodexTotals(long InputTokens, long OutputTokens, long TotalTokens, double SecondsRunning, decimal CostUsd = 0m)
{
    public static CodexTotals Zero { get; } = new(0, 0, 0, 0);
}

/// <summary>The body of <c>GET /api/v1/state</c> (§13.3, §13.7.2).</summary>
public sealed record OrchestratorSnapshot
{
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Derived from the lists, so the two can never disagree.</summary>
    public SnapshotCounts Counts => new(Running.Count, Retrying.Count, Blocked.Count);

    public IReadOnlyList<RunningRow> Running { get; init; } = [];

    public IReadOnlyList<RetryRow> Retrying { get; init; } = [];

    public IReadOnlyList<BlockedRow> Blocked { get; init; } = [];

    public CodexTotals CodexTotals { get; init; } = CodexTotals.Zero;

    /// <summary>The latest rate-limit payload any agent reported, as the agent sent it (§13.5), or null.</summary>
    public JsonElement? RateLimits { get; init; }

    /// <summary>
    /// Baton: operator-visible problems the daemon keeps running through, e.g. an invalid WORKFLOW.md edit while the
    /// last good config stays in force (§6.2). Null, and then left out of the JSON, when all is well, so the body
    /// keeps the spec's exact shape.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Errors { get; init; }

    /// <summary>
    /// Baton's supervisor: tasks that failed repeatedly and were escalated to a person (with a comment on the task).
    /// Null, and then left out of the JSON, when there are none.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<EscalationRow>? Escalated { get; init; }
}

/// <summary>A task the supervisor escalated (<c>escalated</c> in <c>/api/v1/state</c>).</summary>
public sealed record EscalationRow(string IssueIdentifier, string IssueId, int Attempts, string? Error, DateTimeOffset EscalatedAt);

/// <summary>The <c>error</c> object of every API error: <c>{"error":{"code","message"}}</c> (§13.7.2).</summary>
public sealed record ApiError(string Code, string Message);

public sealed record ApiErrorEnvelope(ApiError Error);

/// <summary>
/// What <c>/api/v1/state</c> answers, still with HTTP 200, when the snapshot timed out or the orchestrator is not
/// there (§13.3 error modes; the status code and the codes <c>snapshot_timeout</c>/<c>snapshot_unavailable</c> are the
/// reference implementation's).
/// </summary>
public sealed record SnapshotErrorBody(DateTimeOffset GeneratedAt, ApiError Error);

/// <summary>The 202 body of <c>POST /api/v1/refresh</c> (§13.7.2).</summary>
public sealed record RefreshResult(bool Queued, bool Coalesced, DateTimeOffset RequestedAt, IReadOnlyList<string> Operations)
{
    public static IReadOnlyList<string> PollAndReconcile { get; } = ["poll", "reconcile"];

    /// <summary>A refresh was queued; <paramref name="coalesced"/> when one was already running or due.</summary>
    public static RefreshResult Accepted(DateTimeOffset requestedAt, bool coalesced) => new(true, coalesced, requestedAt, PollAndReconcile);
}

/// <summary>The body of <c>POST /api/v1/sessions/{name}/answer</c>.</summary>
public sealed record AnswerRequest(string? Text);

/// <summary>What became of an answer to a blocked session.</summary>
public enum AnswerOutcome
{
    /// <summary>Recorded; the orchestrator starts a new run with it at its next tick.</summary>
    Accepted,

    /// <summary>The session exists but no run of it waits for a person.</summary>
    NotBlocked,

    /// <summary>No orchestrator knows the session.</summary>
    NotFound,
}

/// <summary>The answer to an accepted <see cref="AnswerRequest"/> (HTTP 202).</summary>
public sealed record AnswerAccepted(string Session, DateTimeOffset AcceptedAt);

/// <summary>The values of an issue's <c>status</c>.</summary>
public static class IssueStatuses
{
    public const string Running = "running";
    public const string Retrying = "retrying";
    public const string Blocked = "blocked";
}

public sealed record IssueWorkspace(string? Path, string? Host = null);

/// <summary><c>restart_count</c> is <c>max(attempt - 1, 0)</c> and <c>current_retry_attempt</c> is 0 with no retry pending.</summary>
public sealed record IssueAttempts(int RestartCount, int CurrentRetryAttempt)
{
    public static IssueAttempts FromRetryAttempt(int? attempt) => new(Math.Max((attempt ?? 0) - 1, 0), attempt ?? 0);
}

/// <summary>One entry of <c>logs.codex_session_logs</c>.</summary>
public sealed record SessionLog(string Label, string Path, string? Url = null);

public sealed record IssueLogs(IReadOnlyList<SessionLog> CodexSessionLogs)
{
    public static IssueLogs None { get; } = new([]);
}

/// <summary>One entry of <c>recent_events</c>: when, which event, and a short readable message.</summary>
public sealed record RecentEvent(DateTimeOffset At, string Event, string? Message);

/// <summary>The body of <c>GET /api/v1/&lt;issue_identifier&gt;</c> (§13.7.2).</summary>
public sealed record IssueDetail
{
    public required string IssueIdentifier { get; init; }

    public required string IssueId { get; init; }

    /// <summary>A value of <see cref="IssueStatuses"/>.</summary>
    public required string Status { get; init; }

    public required IssueWorkspace Workspace { get; init; }

    public IssueAttempts Attempts { get; init; } = new(0, 0);

    public RunningRow? Running { get; init; }

    public RetryRow? Retry { get; init; }

    public BlockedRow? Blocked { get; init; }

    public IssueLogs Logs { get; init; } = IssueLogs.None;

    public IReadOnlyList<RecentEvent> RecentEvents { get; init; } = [];

    public string? LastError { get; init; }

    public IReadOnlyDictionary<string, string?> Tracked { get; init; } = new Dictionary<string, string?>();
}

/// <summary>A session in <c>GET /api/v1/sessions</c> (Baton's own route; the words of DESIGN.md).</summary>
public sealed record SessionSummary
{
    public required string Name { get; init; }

    public required string Project { get; init; }

    public string? TaskIdentifier { get; init; }

    public required string Agent { get; init; }

    public string? Model { get; init; }

    /// <summary>A value of <c>SessionStatus</c>: starting, working, idle, waiting_for_input, finished, failed, exited, orphaned.</summary>
    public required string Status { get; init; }

    public string? WorkspacePath { get; init; }

    public string? Branch { get; init; }

    /// <summary>The current run's number (retries and continuations are new runs).</summary>
    public int Run { get; init; }

    public int TurnCount { get; init; }

    public TokenCounts Tokens { get; init; } = TokenCounts.Zero;

    public decimal CostUsd { get; init; }

    public string? LastEvent { get; init; }

    public DateTimeOffset? LastEventAt { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The task's title (text for people: never markup).</summary>
    public string? Title { get; init; }

    /// <summary>The last event in plain words.</summary>
    public string? Activity { get; init; }

    /// <summary>When the current run started (null before the worker reported).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the current run ended, null while it runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>How the current run ended (a value of <c>Outcomes</c>), null while it runs.</summary>
    public string? Outcome { get; init; }

    /// <summary>The proof bundle's files, when the session has one.</summary>
    public ProofLinks? Proof { get; init; }
}

/// <summary>
/// Where a session's proof bundle can be read through the API (<c>/api/v1/sessions/&lt;s&gt;/proof/&lt;file&gt;</c>);
/// each link is null when that file is not there.
/// </summary>
public sealed record ProofLinks(string? Summary, string? Transcript, string? Json, DateTimeOffset UpdatedAt);

/// <summary>The files of <c>sessions/&lt;s&gt;/proof/</c> the API serves: these names and no others.</summary>
public static class ProofFiles
{
    public const string Directory = "proof";
    public const string Json = Proofs.ProofDocument.FileName;
    public const string Summary = Proofs.ProofDocument.SummaryFile;
    public const string Transcript = Proofs.ProofDocument.TranscriptFile;

    public static IReadOnlyList<string> Served { get; } = [Json, Summary, Transcript];

    /// <summary>The content type a served file goes out with, or null when the name is not one of <see cref="Served"/>.</summary>
    public static string? ContentType(string name) => name switch
    {
        Json => "application/json; charset=utf-8",
        Summary => "text/plain; charset=utf-8",
        Transcript => "text/html; charset=utf-8",
        _ => null,
    };

    /// <summary>The API path of one proof file of <paramref name="session"/>.</summary>
    public static string Url(string session, string name) => $"/api/v1/sessions/{Uri.EscapeDataString(session)}/proof/{name}";
}

/// <summary>The body of <c>GET /api/v1/sessions/&lt;name&gt;</c>.</summary>
public sealed record SessionDetail
{
    public required SessionSummary Session { get; init; }

    public string? Purpose { get; init; }

    /// <summary>How the last run ended (a value of <c>Outcomes</c>), null while it runs.</summary>
    public string? Outcome { get; init; }

    public string? Reason { get; init; }

    public IReadOnlyList<SessionLog> Logs { get; init; } = [];

    public IReadOnlyList<RecentEvent> RecentEvents { get; init; } = [];

    /// <summary>What the agent asked, while its task waits for a person's answer; null otherwise.</summary>
    public string? Question { get; init; }

    /// <summary>The last question a person answered for this session (an answer starts a new run), or null.</summary>
    public AnsweredQuestion? Answered { get; init; }

    /// <summary>Baton: the task's session before this one (its previous run, e.g. before a hand-off); null for the first.</summary>
    public string? PreviousSession { get; init; }

    /// <summary>Baton: the task's session after this one, when there is one.</summary>
    public string? NextSession { get; init; }

    /// <summary>Baton's mail to and from this session, oldest first (at most the last 50).</summary>
    public IReadOnlyList<SessionMail> Mail { get; init; } = [];
}

/// <summary>A question a run ended on and the answer a person gave (<c>cli</c>: baton send, <c>api</c>: the dashboard).</summary>
public sealed record AnsweredQuestion(string? Question, string Answer, DateTimeOffset AnsweredAt, string? By);

/// <summary>
/// One message of a session's mailbox (<c>baton mail</c>): sent to it, or by it. <paramref name="Delivery"/> is how it
/// reached the agent (steer, follow_up, prompt), null while it waits. The body is cut at 4 KB here; <c>baton mail read</c> has it all.
/// </summary>
public sealed record SessionMail(long Id, string Kind, string From, string To, string Subject, string Body, bool Urgent, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, string? Delivery);

/// <summary>The body of <c>GET /api/v1/sessions</c>.</summary>
public sealed record SessionList(IReadOnlyList<SessionSummary> Sessions);

/// <summary>One line of a session's <c>events.jsonl</c>, as the transcript shows it.</summary>
public sealed record TranscriptEntry
{
    public required DateTimeOffset At { get; init; }

    public required int Run { get; init; }

    /// <summary>The worker event type (<c>agent_message</c>, <c>tool_started</c>, …).</summary>
    public required string Type { get; init; }

    /// <summary>The event in plain words (one line).</summary>
    public required string Words { get; init; }

    public string? Text { get; init; }

    public string? ToolName { get; init; }

    public string? ToolInput { get; init; }

    public string? ToolOutput { get; init; }

    public bool? IsError { get; init; }

    public string? Outcome { get; init; }

    public string? Reason { get; init; }
}

/// <summary>
/// The body of <c>GET /api/v1/sessions/&lt;s&gt;/events?from=N</c>: complete lines of <c>events.jsonl</c> from byte
/// offset <see cref="From"/>; ask again with <c>from=</c><see cref="Next"/> for what follows. <see cref="Reset"/> says
/// the file is shorter than the offset asked for (it was replaced): the list starts from its beginning again.
/// </summary>
public sealed record TranscriptPage(string Session, long From, long Next, bool More, bool Reset, IReadOnlyList<TranscriptEntry> Events);

/// <summary>The data of a <c>session</c> server-sent event: one worker event of one session, in plain words.</summary>
public sealed record SessionActivity(string Session, string Type, DateTimeOffset At, string Words, TokenCounts? Tokens = null, decimal? CostUsd = null);
