using System.Text.Json;
using Baton.Core.Web;
using Baton.Web;
using Microsoft.Extensions.Logging;

namespace Baton.Tests.Web;

/// <summary>An orchestrator that answers from fields a test sets: no scheduling, no processes.</summary>
internal sealed class TestOrchestratorApi : IOrchestratorApi
{
    private int _refreshes;

    /// <summary>What <see cref="SnapshotAsync"/> does; by default answers <see cref="Samples.Snapshot"/>.</summary>
    public Func<CancellationToken, Task<OrchestratorSnapshot>> Snapshot { get; set; } = _ => Task.FromResult(Samples.Snapshot());

    public Dictionary<string, IssueDetail> Issues { get; } = new(StringComparer.Ordinal);

    public List<SessionSummary> SessionSummaries { get; } = [];

    public Dictionary<string, SessionDetail> SessionDetails { get; } = new(StringComparer.Ordinal);

    /// <summary>Session directories by name: the transcript is read from their events.jsonl, the proof from proof/.</summary>
    public Dictionary<string, string> SessionDirectories { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs after an answer was accepted (a test moves its fake task on, as the orchestrator would).</summary>
    public Action<string, string>? OnAnswer { get; set; }

    /// <summary>Whether the next refresh reports itself coalesced (a poll already running or due).</summary>
    public bool CoalesceRefresh { get; set; }

    /// <summary>Every member throws <see cref="OrchestratorUnavailableException"/>, as when the orchestrator is down.</summary>
    public bool Unavailable { get; set; }

    /// <summary>Thrown by <see cref="Sessions"/>: a bug inside the orchestrator.</summary>
    public Exception? SessionsFailure { get; set; }

    public ServerEventHub Hub { get; } = new();

    public int RefreshCount => Volatile.Read(ref _refreshes);

    public Task<OrchestratorSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        return Snapshot(cancellationToken);
    }

    public IssueDetail? Issue(string identifier)
    {
        ThrowIfUnavailable();
        return Issues.GetValueOrDefault(identifier);
    }

    public RefreshResult RequestRefresh()
    {
        ThrowIfUnavailable();
        Interlocked.Increment(ref _refreshes);
        return RefreshResult.Accepted(Samples.Now, CoalesceRefresh);
    }

    /// <summary>Sessions waiting for a person; an accepted answer is recorded in <see cref="Answers"/> and leaves the set.</summary>
    public HashSet<string> BlockedSessions { get; } = new(StringComparer.Ordinal);

    public List<(string Session, string Text)> Answers { get; } = [];

    public Task<AnswerOutcome> AnswerAsync(string session, string text, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        lock (Answers)
        {
            if (BlockedSessions.Remove(session))
            {
                Answers.Add((session, text));
                OnAnswer?.Invoke(session, text);
                return Task.FromResult(AnswerOutcome.Accepted);
            }

            var known = SessionDetails.ContainsKey(session) || SessionSummaries.Any(s => s.Name == session);
            return Task.FromResult(known ? AnswerOutcome.NotBlocked : AnswerOutcome.NotFound);
        }
    }

    public IReadOnlyList<SessionSummary> Sessions()
    {
        ThrowIfUnavailable();
        return SessionsFailure is { } failure ? throw failure : SessionSummaries;
    }

    public SessionDetail? Session(string name)
    {
        ThrowIfUnavailable();
        return SessionDetails.GetValueOrDefault(name);
    }

    public TranscriptPage? Transcript(string name, long from, int max)
    {
        ThrowIfUnavailable();
        return SessionDirectories.TryGetValue(name, out var directory) ? TranscriptReader.Read(name, Path.Combine(directory, "events.jsonl"), from, max) : null;
    }

    public string? ProofDirectory(string name)
    {
        ThrowIfUnavailable();
        return SessionDirectories.TryGetValue(name, out var directory) ? Path.Combine(directory, ProofFiles.Directory) : null;
    }

    public IAsyncEnumerable<ServerEvent> EventsAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        return Hub.SubscribeAsync(cancellationToken);
    }

    private void ThrowIfUnavailable()
    {
        if (Unavailable)
        {
            throw new OrchestratorUnavailableException("the orchestrator is stopping");
        }
    }
}

/// <summary>A logger that keeps what it is given, to check a failure was logged.</summary>
internal sealed class TestLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<(LogLevel Level, string Message, Exception? Exception)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message, Exception? Exception)> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _entries.Add((logLevel, formatter(state, exception), exception));
        }
    }
}

/// <summary>Sample orchestrator state with every field filled, so the JSON shows every name.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset Now = new(2026, 2, 24, 20, 15, 30, 250, TimeSpan.Zero);

    public static RunningRow Running() => new()
    {
        IssueId = "abc123",
        IssueIdentifier = "MT-649",
        IssueUrl = "https://tracker.example/MT-649",
        State = "In Progress",
        SessionId = "thread-1-turn-1",
        TurnCount = 7,
        LastEvent = "turn_completed",
        LastMessage = "Working on tests",
        StartedAt = new DateTimeOffset(2026, 2, 24, 22, 10, 12, 999, TimeSpan.FromHours(2)),
        LastEventAt = new DateTimeOffset(2026, 2, 24, 20, 14, 59, TimeSpan.Zero),
        Tokens = new TokenCounts(1200, 800, 2000),
        Session = "mt-1",
        Agent = "pi",
        WorkspacePath = "/tmp/baton/worktrees/MT-649",
        WorkerHost = null,
        Title = "Fix the parser",
        CostUsd = 0.0123m,
        Activity = "running bash: dotnet test",
    };

    public static RetryRow Retry() => new()
    {
        IssueId = "def456",
        IssueIdentifier = "MT-650",
        Attempt = 3,
        DueAt = new DateTimeOffset(2026, 2, 24, 20, 16, 0, TimeSpan.Zero),
        Error = "no available orchestrator slots",
        Title = "Speed up the build",
    };

    public static BlockedRow Blocked() => new()
    {
        IssueId = "ghi789",
        IssueIdentifier = "MT-651",
        State = "In Progress",
        Error = "the agent asked for approval",
        SessionId = "thread-2-turn-4",
        BlockedAt = new DateTimeOffset(2026, 2, 24, 20, 12, 0, TimeSpan.Zero),
        LastEvent = "input_requested",
        Session = "mt-2",
        Title = "Rename the API",
        Agent = "pi",
    };

    public static OrchestratorSnapshot Snapshot() => new()
    {
        GeneratedAt = Now,
        Running = [Running()],
        Retrying = [Retry()],
        Blocked = [Blocked()],
        CodexTotals = new CodexTotals(5000, 2400, 7400, 1834.2, 0.42m),
        RateLimits = JsonDocument.Parse("""{"limit_id":"codex","primary":{"used_percent":12.5}}""").RootElement.Clone(),
    };

    public static IssueDetail RunningIssue() => new()
    {
        IssueIdentifier = "MT-649",
        IssueId = "abc123",
        Status = IssueStatuses.Running,
        Workspace = new IssueWorkspace("/tmp/baton/worktrees/MT-649"),
        Attempts = IssueAttempts.FromRetryAttempt(2),
        Running = Running(),
        Logs = new IssueLogs([new SessionLog("latest", "/tmp/baton/sessions/mt-1/events.jsonl")]),
        RecentEvents = [new RecentEvent(new DateTimeOffset(2026, 2, 24, 20, 14, 59, TimeSpan.Zero), "agent_message", "Working on tests")],
    };

    public static SessionSummary Session(string name = "mt-1") => new()
    {
        Name = name,
        Project = "app",
        TaskIdentifier = "MT-649",
        Agent = "pi",
        Model = "replay/fake-model",
        Status = "working",
        WorkspacePath = "/tmp/baton/worktrees/MT-649",
        Branch = "baton/MT-649",
        Run = 1,
        TurnCount = 3,
        Tokens = new TokenCounts(10, 20, 30),
        CostUsd = 0.0012m,
        LastEvent = "tool_started",
        LastEventAt = Now,
        CreatedAt = Now.AddMinutes(-5),
        Title = "Fix the parser",
        Activity = "running bash: dotnet test",
        StartedAt = Now.AddMinutes(-4),
    };
}
