using Baton.Core.Events;

namespace Baton.Core.Proofs;

/// <summary>Everything a proof is made of, gathered by the daemon; <see cref="ProofBuilder.Build"/> turns it into the document.</summary>
public sealed record ProofInput
{
    public required DateTimeOffset Now { get; init; }

    public required ProofTask Task { get; init; }

    public required ProofSession Session { get; init; }

    /// <summary>The session's events.jsonl, in order.</summary>
    public required IReadOnlyList<WorkerEvent> Events { get; init; }

    /// <summary>How the last run ended, as the daemon decided it (after the hand-off).</summary>
    public required string Outcome { get; init; }

    public string? Reason { get; init; }

    /// <summary>The agent and model from the session manifest, for runs whose start event is missing.</summary>
    public string? Agent { get; init; }

    public string? Model { get; init; }

    public GitFacts? Git { get; init; }

    public string? GitProblem { get; init; }

    public required ProofValidation Validation { get; init; }

    public required ProofHandoff Handoff { get; init; }

    public required ProofTranscript Transcript { get; init; }
}

/// <summary>Builds a <see cref="ProofDocument"/>. Pure: events, git facts and results in, the document out.</summary>
public static class ProofBuilder
{
    public static ProofDocument Build(ProofInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var runs = Runs(input.Events);
        if (runs.Count > 0 && runs[^1].Outcome is null)
        {
            // The last run's run_finished event is missing (the worker died): what the daemon decided stands in.
            runs[^1] = runs[^1] with { Outcome = input.Outcome, Reason = input.Reason };
        }

        var total = runs.Aggregate(TokenUsage.Zero, (sum, r) => sum.Add(new TokenUsage(r.Tokens.Input, r.Tokens.Output, r.Tokens.CacheRead, r.Tokens.CacheWrite, r.CostUsd)));
        var meaningful = input.Events.Where(e => e.Type != WorkerEventTypes.Heartbeat).ToList();
        var git = input.Git;
        return new ProofDocument
        {
            GeneratedAt = input.Now,
            Task = input.Task,
            Session = input.Session,
            Agent = runs.LastOrDefault(r => r.Agent is not null)?.Agent ?? input.Agent,
            Model = runs.LastOrDefault(r => r.Model is not null)?.Model ?? input.Model,
            Outcome = input.Outcome,
            Reason = input.Reason,
            Runs = runs,
            Tokens = ProofTokens.From(total),
            CostUsd = total.CostUsd,
            Git = git,
            DiffStat = git is null ? null : new ProofDiffStat(git.Files.Count, git.Files.Sum(f => f.Added ?? 0), git.Files.Sum(f => f.Deleted ?? 0), git.Commits.Count),
            GitProblem = input.GitProblem,
            Validation = input.Validation,
            Handoff = input.Handoff,
            Transcript = input.Transcript,
            Timings = new ProofTimings
            {
                SessionCreatedAt = input.Session.CreatedAt,
                FirstEventAt = meaningful.Count == 0 ? null : meaningful.Min(e => e.Ts),
                LastEventAt = meaningful.Count == 0 ? null : meaningful.Max(e => e.Ts),
                RunsDurationMs = runs.Sum(r => r.DurationMs ?? 0),
                ValidationDurationMs = input.Validation.Results.Sum(r => r.DurationMs),
                GeneratedAt = input.Now,
            },
        };
    }

    /// <summary>
    /// The session's runs, from its events: start and end, agent and model, turns, outcome, and tokens. Usage events
    /// carry a run's absolute totals, so a run's tokens are the highest value reported, field by field (a repeated or
    /// reordered report never counts twice); the run_finished event's usage counts the same way.
    /// </summary>
    public static List<ProofRun> Runs(IEnumerable<WorkerEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var runs = new SortedDictionary<int, RunAccumulator>();
        foreach (var e in events)
        {
            if (!runs.TryGetValue(e.Run, out var run))
            {
                run = new RunAccumulator(e.Run);
                runs[e.Run] = run;
            }

            run.Add(e);
        }

        return [.. runs.Values.Select(r => r.ToRun())];
    }

    private sealed class RunAccumulator(int number)
    {
        private DateTimeOffset? _started;
        private DateTimeOffset? _ended;
        private DateTimeOffset? _first;
        private string? _agent;
        private string? _model;
        private string? _outcome;
        private string? _reason;
        private int _turns;
        private TokenUsage _usage = TokenUsage.Zero;

        public void Add(WorkerEvent e)
        {
            _first = _first is { } f && f <= e.Ts ? f : e.Ts;
            switch (e.Type)
            {
                case WorkerEventTypes.RunStarted:
                    _started = e.Ts;
                    _agent = e.Agent ?? _agent;
                    _model = e.Model ?? _model;
                    break;
                case WorkerEventTypes.TurnFinished:
                    _turns++;
                    break;
                case WorkerEventTypes.RunFinished:
                    _ended = e.Ts;
                    _outcome = e.Outcome;
                    _reason = e.Reason;
                    break;
            }

            if (e.Usage is { } usage)
            {
                _usage = new TokenUsage(
                    Math.Max(_usage.Input, usage.Input),
                    Math.Max(_usage.Output, usage.Output),
                    Math.Max(_usage.CacheRead, usage.CacheRead),
                    Math.Max(_usage.CacheWrite, usage.CacheWrite),
                    Math.Max(_usage.CostUsd, usage.CostUsd));
            }
        }

        public ProofRun ToRun()
        {
            var start = _started ?? _first;
            return new ProofRun
            {
                Run = number,
                Agent = _agent,
                Model = _model,
                StartedAt = start,
                EndedAt = _ended,
                DurationMs = start is { } s && _ended is { } e ? (long)Math.Max(0, (e - s).TotalMilliseconds) : null,
                Turns = _turns,
                Outcome = _outcome,
                Reason = _reason,
                Tokens = ProofTokens.From(_usage),
                CostUsd = _usage.CostUsd,
            };
        }
    }
}
