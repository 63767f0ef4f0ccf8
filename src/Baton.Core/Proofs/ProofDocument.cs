using System.Text.Json.Serialization;

namespace Baton.Core.Proofs;

/// <summary>
/// <c>sessions/&lt;s&gt;/proof/proof.json</c> (DESIGN.md, Contracts: proof bundle): everything a person needs to judge a
/// session's work without opening raw logs. Field names are camelCase; absent values are left out.
/// </summary>
public sealed record ProofDocument
{
    public const int CurrentVersion = 1;
    public const string FileName = "proof.json";
    public const string SummaryFile = "summary.md";
    public const string TranscriptFile = "transcript.html";
    public const string ValidationDirectory = "validation";

    public int Version { get; init; } = CurrentVersion;

    public required DateTimeOffset GeneratedAt { get; init; }

    public required ProofTask Task { get; init; }

    public required ProofSession Session { get; init; }

    public string? Agent { get; init; }

    public string? Model { get; init; }

    /// <summary>How the session's last run ended (a value of <c>Outcomes</c>), after the hand-off.</summary>
    public required string Outcome { get; init; }

    public string? Reason { get; init; }

    public IReadOnlyList<ProofRun> Runs { get; init; } = [];

    /// <summary>Tokens over every run (each run's absolute totals, added).</summary>
    public required ProofTokens Tokens { get; init; }

    public decimal CostUsd { get; init; }

    public GitFacts? Git { get; init; }

    public ProofDiffStat? DiffStat { get; init; }

    /// <summary>Why there are no git facts (no workspace, not a repository, git failed).</summary>
    public string? GitProblem { get; init; }

    public required ProofValidation Validation { get; init; }

    public required ProofHandoff Handoff { get; init; }

    public required ProofTranscript Transcript { get; init; }

    public required ProofTimings Timings { get; init; }
}

public sealed record ProofTask(string? Id, string? Identifier, string? Title, string? State, string? Url);

public sealed record ProofSession(string Name, string Directory, string Workspace, string? Branch, DateTimeOffset CreatedAt);

public sealed record ProofTokens(long Input, long Output, long CacheRead, long CacheWrite, long Total)
{
    public static ProofTokens Zero { get; } = new(0, 0, 0, 0, 0);

    public static ProofTokens From(Events.TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return new(usage.Input, usage.Output, usage.CacheRead, usage.CacheWrite, usage.Total);
    }
}

/// <summary>One run of the session, from its events: who ran, how long, how it ended, what it cost.</summary>
public sealed record ProofRun
{
    public required int Run { get; init; }

    public string? Agent { get; init; }

    public string? Model { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public long? DurationMs { get; init; }

    public int Turns { get; init; }

    public string? Outcome { get; init; }

    public string? Reason { get; init; }

    public required ProofTokens Tokens { get; init; }

    public decimal CostUsd { get; init; }
}

public sealed record ProofDiffStat(int Files, int Insertions, int Deletions, int Commits);

public static class ValidationStatuses
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string NotConfigured = "not_configured";
    public const string NotRun = "not_run";
}

public sealed record ProofValidation(string Status, string? Reason, IReadOnlyList<ValidationResult> Results)
{
    public static ProofValidation NotConfigured { get; } = new(ValidationStatuses.NotConfigured, "the workflow lists no proof.validate commands", []);

    public static ProofValidation Of(IReadOnlyList<ValidationResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.Count == 0 ? NotConfigured
            : results.All(r => r.Passed) ? new(ValidationStatuses.Passed, null, results)
            : new(ValidationStatuses.Failed, string.Join("; ", results.Where(r => !r.Passed).Select(r => $"{r.Command}: {r.Describe()}")), results);
    }
}

public static class HandoffStatuses
{
    /// <summary>The workflow has no <c>handoff</c> map: the agent moves its own task (Symphony's model).</summary>
    public const string NotEnabled = "not_enabled";

    /// <summary>The task was no longer active after the run (the agent or a person moved it): nothing to do.</summary>
    public const string NotNeeded = "not_needed";

    public const string HandedOff = "handed_off";

    /// <summary>The run ended without review-ready work (it failed, or the checks did not pass).</summary>
    public const string NotReady = "not_ready";

    /// <summary>The work was ready but moving the task or commenting failed.</summary>
    public const string Failed = "failed";
}

public sealed record ProofHandoff
{
    public required bool Enabled { get; init; }

    public required string Status { get; init; }

    /// <summary>The state the task is (or would be) moved to.</summary>
    public string? State { get; init; }

    public string? Reason { get; init; }

    public string? CommentId { get; init; }

    public ProofPullRequest? PullRequest { get; init; }
}

public static class PullRequestStatuses
{
    public const string Created = "created";
    public const string Existing = "existing";

    /// <summary>No GITHUB_TOKEN: <see cref="ProofPullRequest.Manual"/> says how to open it by hand.</summary>
    public const string NoToken = "no_token";

    /// <summary>The project has no GitHub repo (owner/name).</summary>
    public const string NoRepository = "no_repository";

    public const string Failed = "failed";
}

public sealed record ProofPullRequest
{
    public required string Status { get; init; }

    public string? Url { get; init; }

    public int? Number { get; init; }

    public string? Error { get; init; }

    /// <summary>How a person opens the pull request by hand.</summary>
    public string? Manual { get; init; }
}

public static class TranscriptSources
{
    /// <summary>The agent's own HTML export (pi's <c>export_html</c>).</summary>
    public const string AgentExport = "agent_export";

    /// <summary>Baton's rendering of <c>events.jsonl</c>.</summary>
    public const string Events = "events";
}

public sealed record ProofTranscript(string File, string Source);

public sealed record ProofTimings
{
    public required DateTimeOffset SessionCreatedAt { get; init; }

    public DateTimeOffset? FirstEventAt { get; init; }

    public DateTimeOffset? LastEventAt { get; init; }

    /// <summary>The runs' durations added.</summary>
    public long RunsDurationMs { get; init; }

    public long ValidationDurationMs { get; init; }

    public required DateTimeOffset GeneratedAt { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(ProofDocument))]
public sealed partial class ProofJsonContext : JsonSerializerContext;
