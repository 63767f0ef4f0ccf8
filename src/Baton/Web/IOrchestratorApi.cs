using Baton.Core.Web;

namespace Baton.Web;

/// <summary>
/// What the HTTP server needs from the orchestrator. The server holds no state of its own: every answer comes from
/// here, so the dashboard and API can never disagree with the orchestrator (SPEC.md §13.4, §13.7: observability only,
/// never required for correctness). Any member may throw <see cref="OrchestratorUnavailableException"/> when the
/// orchestrator is not (or no longer) running.
/// </summary>
public interface IOrchestratorApi
{
    /// <summary>
    /// The current runtime snapshot (§13.3). The server bounds the wait by <see cref="ApiServerOptions.SnapshotTimeout"/>
    /// and answers <c>snapshot_timeout</c> past it; throwing <see cref="TimeoutException"/> means the same.
    /// </summary>
    Task<OrchestratorSnapshot> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>The task by its identifier (e.g. <c>MT-649</c>) if the orchestrator's in-memory state knows it, else null.</summary>
    IssueDetail? Issue(string identifier);

    /// <summary>Queues an immediate poll plus reconciliation; coalesced when one is already running or due (§13.7.2).</summary>
    RefreshResult RequestRefresh();

    /// <summary>
    /// A person's answer to the question a blocked session's run stopped on (the §10.5 posture: user input blocks the
    /// task until a person answers); accepted answers start a new run of the task with the question and answer.
    /// </summary>
    Task<AnswerOutcome> AnswerAsync(string session, string text, CancellationToken cancellationToken);

    IReadOnlyList<SessionSummary> Sessions();

    SessionDetail? Session(string name);

    /// <summary>
    /// Complete lines of the session's <c>events.jsonl</c> from byte offset <paramref name="from"/>, at most
    /// <paramref name="max"/> of them (see <see cref="TranscriptReader"/>); null when there is no such session.
    /// </summary>
    TranscriptPage? Transcript(string name, long from, int max);

    /// <summary>
    /// The session's proof directory (<c>sessions/&lt;s&gt;/proof</c>, which need not exist yet), or null when there is
    /// no such session. The server serves only the names of <see cref="ProofFiles.Served"/> from it.
    /// </summary>
    string? ProofDirectory(string name);

    /// <summary>
    /// Live updates for one subscriber, from the moment of the first <c>MoveNextAsync</c> until
    /// <paramref name="cancellationToken"/> is cancelled. Each call is a new, independent subscription (see
    /// <see cref="ServerEventHub"/>). The stream ending tells the client to reconnect.
    /// </summary>
    IAsyncEnumerable<ServerEvent> EventsAsync(CancellationToken cancellationToken);
}

/// <summary>The orchestrator is not running (starting, stopping or crashed): HTTP 503 <c>orchestrator_unavailable</c>.</summary>
public sealed class OrchestratorUnavailableException : Exception
{
    public OrchestratorUnavailableException()
        : this("the orchestrator is not running")
    {
    }

    public OrchestratorUnavailableException(string message)
        : base(message)
    {
    }

    public OrchestratorUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
