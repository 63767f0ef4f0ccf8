using Baton.Core.Scheduling;
using Baton.Core.Web;
using Baton.Sessions;
using Baton.Storage;
using Baton.Web;
using Baton.Workers;
using ApiRunningRow = Baton.Core.Web.RunningRow;
using ApiRetryRow = Baton.Core.Web.RetryRow;
using ApiBlockedRow = Baton.Core.Web.BlockedRow;

namespace Baton.Orchestration;

/// <summary>
/// The HTTP API's view of the running orchestrators (one per workflow): every answer is projected from their
/// scheduler states, never kept separately (§13.4: observability only). State changes are published on the hub
/// as <c>state</c> events for the dashboard (at most every <see cref="StateEventInterval"/>), each worker event of a
/// running session as a <c>session</c> event.
/// </summary>
public sealed class OrchestratorApi : IOrchestratorApi
{
    /// <summary>The shortest gap between two <c>state</c> events: live within a second, yet one snapshot for a burst.</summary>
    public static readonly TimeSpan StateEventInterval = TimeSpan.FromMilliseconds(200);

    private readonly IReadOnlyList<Orchestrator> _orchestrators;
    private readonly StateStore _store;
    private readonly SessionService _sessions;
    private readonly SessionProjection _projection;
    private readonly TimeProvider _time;
    private readonly Coalescer _stateEvents;
    private volatile bool _stopping;

    public OrchestratorApi(IReadOnlyList<Orchestrator> orchestrators, StateStore store, SessionService sessions, TimeProvider time)
    {
        _orchestrators = orchestrators;
        _store = store;
        _sessions = sessions;
        _projection = new SessionProjection(sessions);
        _time = time;
        _stateEvents = new Coalescer(Publish, StateEventInterval, time);
        foreach (var orchestrator in orchestrators)
        {
            orchestrator.StateChanged += _ => _stateEvents.Signal();
            orchestrator.EventObserved += PublishActivity;
        }
    }

    public ServerEventHub Hub { get; } = new();

    /// <summary>From now on every call answers 503 orchestrator_unavailable (§13.7: the daemon is going away).</summary>
    public void MarkStopping()
    {
        _stopping = true;
        _stateEvents.Dispose();
        Hub.Complete();
    }

    public Task<OrchestratorSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        ThrowIfStopping();
        return Task.FromResult(Snapshot());
    }

    public OrchestratorSnapshot Snapshot()
    {
        var now = _time.GetUtcNow();
        var running = new List<ApiRunningRow>();
        var retrying = new List<ApiRetryRow>();
        var blocked = new List<ApiBlockedRow>();
        long input = 0, output = 0, total = 0;
        double seconds = 0;
        decimal cost = 0;
        var errors = new List<string>();
        var escalated = new List<EscalationRow>();
        System.Text.Json.JsonElement? rateLimits = null;
        foreach (var orchestrator in _orchestrators)
        {
            var state = orchestrator.State;
            var view = SchedulerView.Project(state, now);
            running.AddRange(state.Running.Values.OrderBy(e => e.StartedAt).Select(e => RunningRowOf(orchestrator, e)));
            retrying.AddRange(state.Retrying.Values.OrderBy(e => e.DueAt).Select(RetryRowOf));
            blocked.AddRange(state.Blocked.Values.OrderBy(e => e.BlockedAt).Select(e => BlockedRowOf(orchestrator, e)));
            input += view.Totals.InputTokens;
            output += view.Totals.OutputTokens;
            total += view.Totals.TotalTokens;
            seconds += view.Totals.SecondsRunning;
            cost += view.Totals.CostUsd;
            rateLimits ??= state.RateLimits;
            escalated.AddRange(state.Escalated.Values.OrderBy(e => e.EscalatedAt).Select(e => new EscalationRow(e.Identifier, e.TaskId, e.Attempts, e.Error, e.EscalatedAt)));
            if (orchestrator.WorkflowError is { } error)
            {
                errors.Add($"{orchestrator.Project.Id}: {error}");
            }
        }

        return new OrchestratorSnapshot
        {
            GeneratedAt = now,
            Running = running,
            Retrying = retrying,
            Blocked = blocked,
            CodexTotals = new CodexTotals(input, output, total, seconds, cost),
            RateLimits = rateLimits,
            Errors = errors.Count == 0 ? null : errors,
            Escalated = escalated.Count == 0 ? null : escalated,
        };
    }

    public IssueDetail? Issue(string identifier)
    {
        ThrowIfStopping();
        foreach (var orchestrator in _orchestrators)
        {
            var state = orchestrator.State;
            var run = state.Running.Values.FirstOrDefault(e => Matches(e.Task.Identifier, e.Task.Id, identifier));
            var retry = state.Retrying.Values.FirstOrDefault(e => Matches(e.Identifier, e.TaskId, identifier));
            var block = state.Blocked.Values.FirstOrDefault(e => Matches(e.Task.Identifier, e.Task.Id, identifier));
            if (run is null && retry is null && block is null)
            {
                continue;
            }

            var session = run?.SessionId is { } name ? FindSession(name) : null;
            var id = run?.Task.Id ?? retry?.TaskId ?? block!.Task.Id;
            var ident = run?.Task.Identifier ?? retry?.Identifier ?? block!.Task.Identifier;
            return new IssueDetail
            {
                IssueIdentifier = ident,
                IssueId = id,
                Status = run is not null ? IssueStatuses.Running : retry is not null ? IssueStatuses.Retrying : IssueStatuses.Blocked,
                Workspace = new IssueWorkspace(session?.Workspace),
                Attempts = IssueAttempts.FromRetryAttempt(retry?.Attempt ?? run?.Attempt),
                Running = run is null ? null : RunningRowOf(orchestrator, run),
                Retry = retry is null ? null : RetryRowOf(retry),
                Blocked = block is null ? null : BlockedRowOf(orchestrator, block),
                Logs = session is null ? IssueLogs.None : new IssueLogs([new SessionLog("events", session.Files.Events)]),
                LastError = retry?.Error,
            };
        }

        return null;
    }

    public RefreshResult RequestRefresh()
    {
        ThrowIfStopping();
        var queued = false;
        foreach (var orchestrator in _orchestrators)
        {
            queued |= orchestrator.RequestPoll("api refresh");
        }

        return RefreshResult.Accepted(_time.GetUtcNow(), coalesced: !queued);
    }

    public Task<AnswerOutcome> AnswerAsync(string session, string text, CancellationToken cancellationToken)
    {
        ThrowIfStopping();
        var outcome = AnswerOutcome.NotFound;
        foreach (var orchestrator in _orchestrators)
        {
            switch (orchestrator.Answer(session, text, "api"))
            {
                case AnswerOutcome.Accepted:
                    return Task.FromResult(AnswerOutcome.Accepted);
                case AnswerOutcome.NotBlocked:
                    outcome = AnswerOutcome.NotBlocked;
                    break;
            }
        }

        return Task.FromResult(outcome);
    }

    public IReadOnlyList<SessionSummary> Sessions()
    {
        ThrowIfStopping();
        var projects = _orchestrators.Select(o => o.Project.InstanceId).ToList();
        return [.. _store.Read(db => SessionRows.List(db, projects, includeArchived: false)).Select(Summary)];
    }

    public SessionDetail? Session(string name)
    {
        ThrowIfStopping();
        if (FindSession(name) is not { } session)
        {
            return null;
        }

        var observed = _sessions.Observe(session);
        var (previous, next) = SessionChain.Around(_store, session);
        return new SessionDetail
        {
            PreviousSession = previous,
            NextSession = next,
            Session = Summary(session),
            Purpose = session.Purpose,
            Outcome = observed.Reported?.Outcome,
            Reason = observed.Reported?.Reason,
            Logs = [new SessionLog("events", session.Files.Events)],
            Question = _orchestrators.SelectMany(o => o.State.Blocked.Values).FirstOrDefault(b => b.SessionId == session.Name)?.Question,
            Answered = session.Files.ReadAnswered() is { } answered ? new AnsweredQuestion(answered.Question, answered.Answer, answered.AnsweredAt, answered.By) : null,
            Mail = MailOf(session),
        };
    }

    private IReadOnlyList<SessionMail> MailOf(SessionRecord session)
    {
        var messages = _store.Read(db => Coordination.MessageRows.SessionInbox(db, session.Name, session.Project, unreadOnly: false, limit: 50)
            .Concat(Coordination.MessageRows.SentBy(db, session.Name, session.Project, limit: 50)));
        return [.. messages
            .DistinctBy(m => m.Id)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
            .TakeLast(50)
            .Select(m => new SessionMail(m.Id, m.Kind, m.Sender, m.Recipient, m.Subject, m.Body.Length > 4096 ? m.Body[..4096] + "…" : m.Body, m.Urgent, m.CreatedAt, m.DeliveredAt, m.Delivery))];
    }

    public TranscriptPage? Transcript(string name, long from, int max)
    {
        ThrowIfStopping();
        return FindSession(name) is { } session ? TranscriptReader.Read(session.Name, session.Files.Events, from, max) : null;
    }

    public string? ProofDirectory(string name)
    {
        ThrowIfStopping();
        return FindSession(name) is { } session ? SessionProjection.ProofDirectory(session) : null;
    }

    public IAsyncEnumerable<ServerEvent> EventsAsync(CancellationToken cancellationToken)
    {
        ThrowIfStopping();
        return Hub.SubscribeAsync(cancellationToken);
    }

    private void Publish()
    {
        if (!_stopping)
        {
            Hub.Publish(ServerEvent.Create(ServerEventTypes.State, Snapshot(), ApiJsonContext.Default.OrchestratorSnapshot));
        }
    }

    private SessionRecord? FindSession(string name)
    {
        var projects = _orchestrators.Select(o => o.Project.InstanceId).ToHashSet(StringComparer.Ordinal);
        return _store.Read(db => SessionRows.FindByName(db, name)).FirstOrDefault(s => projects.Contains(s.Project) && s.ArchivedAt is null);
    }

    private SessionSummary Summary(SessionRecord session) => _projection.Summary(session);

    /// <summary>One worker event as a <c>session</c> event; never throws into the session's watcher.</summary>
    private void PublishActivity(Core.Events.WorkerEvent e)
    {
        if (_stopping || e.Type == Core.Events.WorkerEventTypes.Heartbeat)
        {
            return;
        }

        try
        {
            TokenCounts? tokens = null;
            if (e.Usage is { } usage)
            {
                var view = TokensView.From(usage);
                tokens = new TokenCounts(view.InputTokens, view.OutputTokens, view.TotalTokens);
            }

            var activity = new SessionActivity(e.Session, e.Type, e.Ts, TranscriptRenderer.Summary(e), tokens, e.Usage?.CostUsd);
            Hub.Publish(ServerEvent.Create(ServerEventTypes.Session, activity, ApiJsonContext.Default.SessionActivity));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            // A malformed event is dropped from the live view; events.jsonl still has it.
        }
    }

    private static bool Matches(string identifier, string id, string wanted) =>
        string.Equals(identifier, wanted, StringComparison.OrdinalIgnoreCase) || string.Equals(id, wanted, StringComparison.Ordinal);

    private static ApiRunningRow RunningRowOf(Orchestrator orchestrator, RunningEntry e)
    {
        var tokens = TokensView.From(e.Tokens);
        return new ApiRunningRow
        {
            IssueId = e.Task.Id,
            IssueIdentifier = e.Task.Identifier,
            IssueUrl = e.Task.Task.Url,
            State = e.Task.State,
            SessionId = e.SessionId,
            TurnCount = e.TurnCount,
            LastEvent = e.LastEvent,
            LastMessage = e.LastMessage,
            StartedAt = e.StartedAt,
            LastEventAt = e.LastEventAt,
            Tokens = new TokenCounts(tokens.InputTokens, tokens.OutputTokens, tokens.TotalTokens),
            Session = e.SessionId,
            Agent = orchestrator.AgentKind,
            WorkspacePath = orchestrator.Runs.GetValueOrDefault(e.RunId)?.Session?.Workspace,
            Title = e.Task.Task.Title,
            CostUsd = e.Tokens.CostUsd,
            Activity = TranscriptRenderer.Summary(e.LastEvent, e.LastMessage),
        };
    }

    private static ApiRetryRow RetryRowOf(RetryEntry e) => new()
    {
        IssueId = e.TaskId,
        IssueIdentifier = e.Identifier,
        IssueUrl = e.Task?.Task.Url,
        Attempt = e.Attempt,
        DueAt = e.DueAt,
        Error = e.Error,
        Title = e.Task?.Task.Title,
    };

    private static ApiBlockedRow BlockedRowOf(Orchestrator orchestrator, BlockedEntry e) => new()
    {
        IssueId = e.Task.Id,
        IssueIdentifier = e.Task.Identifier,
        IssueUrl = e.Task.Task.Url,
        State = e.Task.State,
        Error = e.Question,
        SessionId = e.SessionId,
        BlockedAt = e.BlockedAt,
        Session = e.SessionId,
        Title = e.Task.Task.Title,
        Agent = orchestrator.AgentKind,
    };

    private void ThrowIfStopping()
    {
        if (_stopping)
        {
            throw new OrchestratorUnavailableException("the orchestrator is stopping");
        }
    }
}
