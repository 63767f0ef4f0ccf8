using System.Collections.Concurrent;
using System.Text.Json;
using Baton.Core.Events;
using Baton.Core.Web;
using Baton.Sessions;

namespace Baton.Web;

/// <summary>
/// A session as the API, the dashboard and <c>baton status</c> show it, from what can be observed: the state store's
/// row, the worker's status.json, the manifest (the task's title) and the proof directory. One projection, so the
/// three never disagree.
/// </summary>
public sealed class SessionProjection(SessionService sessions)
{
    // A session's title never changes after spawn: read its manifest once.
    private readonly ConcurrentDictionary<string, string> _titles = new(StringComparer.Ordinal);

    public SessionSummary Summary(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var observed = sessions.Observe(session);
        var reported = observed.Reported;
        var usage = reported?.TotalUsage ?? TokenUsage.Zero;
        var tokens = Core.Scheduling.TokensView.From(usage);
        return new SessionSummary
        {
            Name = session.Name,
            Project = session.Project,
            TaskIdentifier = session.TaskIdentifier,
            Agent = session.Agent,
            Model = session.Model,
            Status = observed.Status,
            WorkspacePath = session.Workspace,
            Branch = session.Branch,
            Run = reported?.Run ?? 0,
            TurnCount = reported?.Turns ?? 0,
            Tokens = new TokenCounts(tokens.InputTokens, tokens.OutputTokens, tokens.TotalTokens),
            CostUsd = usage.CostUsd,
            LastEvent = reported?.LastEvent,
            LastEventAt = reported?.LastEventAt,
            CreatedAt = session.CreatedAt,
            Title = Title(session),

            // The worker writes the last event in plain words already (TranscriptRenderer.Summary).
            Activity = reported?.LastEvent,
            StartedAt = reported?.StartedAt,
            EndedAt = reported?.EndedAt,
            Outcome = reported?.Outcome,
            Proof = Proof(session),
        };
    }

    /// <summary>The task's title from the session's manifest, or null when it has none or cannot be read.</summary>
    public string? Title(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (_titles.TryGetValue(session.Directory, out var known))
        {
            return known;
        }

        try
        {
            var title = session.Files.ReadManifest().TaskTitle;
            if (title is not null)
            {
                _titles[session.Directory] = title;
            }

            return title;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The session's proof directory: <c>sessions/&lt;s&gt;/proof</c> (DESIGN.md, proof bundle).</summary>
    public static string ProofDirectory(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Path.Combine(session.Directory, ProofFiles.Directory);
    }

    /// <summary>Links to the proof files that exist, or null when the session has no proof yet.</summary>
    public static ProofLinks? Proof(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var directory = ProofDirectory(session);
        if (!Directory.Exists(directory))
        {
            return null;
        }

        string? Link(string name, out DateTime written)
        {
            var file = new FileInfo(Path.Combine(directory, name));
            written = file.Exists ? file.LastWriteTimeUtc : default;
            return file.Exists ? ProofFiles.Url(session.Name, name) : null;
        }

        var json = Link(ProofFiles.Json, out var jsonAt);
        var summary = Link(ProofFiles.Summary, out var summaryAt);
        var transcript = Link(ProofFiles.Transcript, out var transcriptAt);
        if (json is null && summary is null && transcript is null)
        {
            return null;
        }

        var updated = new[] { jsonAt, summaryAt, transcriptAt }.Max();
        return new ProofLinks(summary, transcript, json, new DateTimeOffset(DateTime.SpecifyKind(updated, DateTimeKind.Utc)));
    }
}
