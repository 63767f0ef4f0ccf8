using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Events;
using Baton.Core.Sessions;
using Baton.Core.Web;
using Baton.Sessions;
using Baton.Web;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Baton.Cli.Commands;

/// <summary>A running orchestrator as <c>baton status</c> found it.</summary>
public sealed record OrchestratorStatus(int Pid, DateTimeOffset StartedAt, string? Url, bool Reachable, string? Error);

public sealed record StatusTotals(long InputTokens, long OutputTokens, long TotalTokens, decimal CostUsd, double SecondsRunning, int RunsEndedLastHour);

/// <summary>
/// The overview of <c>baton status</c>: what the dashboard shows. <see cref="Source"/> says where the running,
/// retrying and waiting lists come from: <c>orchestrator</c> (its live API) or <c>files</c> (state.db and the session
/// files; no orchestrator answered, so there is no retry queue to show).
/// </summary>
public sealed record StatusView
{
    public const string FromOrchestrator = "orchestrator";
    public const string FromFiles = "files";

    public required DateTimeOffset GeneratedAt { get; init; }

    public required string Source { get; init; }

    public IReadOnlyList<OrchestratorStatus> Orchestrators { get; init; } = [];

    public IReadOnlyList<RunningRow> Running { get; init; } = [];

    public IReadOnlyList<RetryRow> Retrying { get; init; } = [];

    public IReadOnlyList<BlockedRow> Blocked { get; init; } = [];

    /// <summary>Sessions with a proof bundle, newest first.</summary>
    public IReadOnlyList<SessionSummary> Handoffs { get; init; } = [];

    public IReadOnlyList<SessionSummary> Sessions { get; init; } = [];

    public required StatusTotals Totals { get; init; }

    /// <summary>What an operator should know: workflow errors the orchestrator reports, an orchestrator that did not answer.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatusView))]
internal sealed partial class StatusJson : JsonSerializerContext;

/// <summary>
/// <c>baton status [project] [--json] [--watch] [--interval S]</c>: the dashboard's overview in the terminal. Works
/// with no orchestrator running (from state.db and the session files); when a <c>baton run</c> with an HTTP port is
/// running on this BATON_HOME, its live state (running, retry queue, waiting for a person, totals) comes from its API.
/// </summary>
public sealed class StatusCommand : BatonCommand
{
    private readonly Argument<string?> _project = new("project") { Description = "Only this project's sessions", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _watch = new("--watch", "-w") { Description = "Keep refreshing until Ctrl-C (with --json: one envelope per line per refresh)" };
    private readonly Option<double> _interval = new("--interval") { Description = "Seconds between refreshes with --watch", DefaultValueFactory = _ => 2 };

    public StatusCommand(CliContext context)
        : base("status", "The overview the dashboard shows, in the terminal: running sessions, the retry queue, sessions waiting for a person, recent hand-offs, totals. Works without 'baton run'; with it, shows its live state.\n\nExamples:\n  baton status\n  baton status --watch\n  baton status app --json", context)
    {
        Arguments.Add(_project);
        Options.Add(_watch);
        Options.Add(_interval);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var interval = parseResult.GetValue(_interval);
        if (!(interval >= 0.2 && interval <= 3600))
        {
            throw Core.Errors.BatonException.Usage(Core.Errors.ErrorCodes.BadUsage, "--interval must be between 0.2 and 3600 seconds", "For example: baton status --watch --interval 5");
        }

        using var sessions = SessionContext.Open(Context, parseResult);
        var projectArgument = parseResult.GetValue(_project);
        IReadOnlyCollection<string>? projects = projectArgument is null && Context.GetEnvironment(TaskCommands.ProjectEnvironmentVariable) is null && sessions.Tracker.Config is null
            ? null
            : sessions.Tracker.ResolveProjects(projectArgument).Select(p => p.InstanceId).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var gatherer = new StatusGatherer(Context, sessions, http);
        var json = IsJson(parseResult);
        if (!parseResult.GetValue(_watch))
        {
            var view = await gatherer.GatherAsync(projects, cancellationToken).ConfigureAwait(false);
            return WriteData(parseResult, view, StatusJson.Default.StatusView, console => console.Write(StatusRenderer.Render(view)));
        }

        var wait = TimeSpan.FromSeconds(interval);
        try
        {
            if (json || !Context.Console.Profile.Capabilities.Interactive)
            {
                // Not a terminal (a log, a pipe, a test): one frame after the other.
                while (true)
                {
                    var view = await gatherer.GatherAsync(projects, cancellationToken).ConfigureAwait(false);
                    if (json)
                    {
                        Context.Out.WriteLine(JsonOutput.Ok(view, StatusJson.Default.StatusView));
                    }
                    else
                    {
                        Context.Console.Write(StatusRenderer.Render(view));
                        Context.Console.WriteLine();
                    }

                    await Context.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await Task.Delay(wait, Context.Time, cancellationToken).ConfigureAwait(false);
                }
            }

            var first = await gatherer.GatherAsync(projects, cancellationToken).ConfigureAwait(false);
            await Context.Console.Live(StatusRenderer.Render(first)).AutoClear(false).StartAsync(async live =>
            {
                while (true)
                {
                    await Task.Delay(wait, Context.Time, cancellationToken).ConfigureAwait(false);
                    live.UpdateTarget(StatusRenderer.Render(await gatherer.GatherAsync(projects, cancellationToken).ConfigureAwait(false)));
                }
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C ends the watch: a normal exit.
        }

        return Core.Errors.ExitCodes.Ok;
    }
}

/// <summary>Puts a <see cref="StatusView"/> together from the files and, when one answers, the orchestrator's API.</summary>
internal sealed class StatusGatherer(CliContext context, SessionContext sessions, HttpClient http)
{
    private readonly SessionProjection _projection = new(sessions.Service);

    public async Task<StatusView> GatherAsync(IReadOnlyCollection<string>? projects, CancellationToken cancellationToken)
    {
        var now = context.Time.GetUtcNow();
        var records = sessions.Tracker.Store.Read(db => SessionRows.List(db, projects, includeArchived: false));
        var summaries = records.Select(_projection.Summary).ToList();
        var orchestrators = new List<OrchestratorStatus>();
        var snapshots = new List<OrchestratorSnapshot>();
        var problems = new List<string>();
        foreach (var endpoint in ApiEndpoints.ReadLive(context.BatonHome))
        {
            if (endpoint.Url is null)
            {
                orchestrators.Add(new OrchestratorStatus(endpoint.Pid, endpoint.StartedAt, null, false, "serves no HTTP port (start it with --port to see its live state here)"));
                continue;
            }

            var (snapshot, error) = await ReadSnapshotAsync(endpoint, cancellationToken).ConfigureAwait(false);
            orchestrators.Add(new OrchestratorStatus(endpoint.Pid, endpoint.StartedAt, endpoint.Url, snapshot is not null, error));
            if (snapshot is not null)
            {
                snapshots.Add(snapshot);
                problems.AddRange(snapshot.Errors ?? []);
            }
            else
            {
                problems.Add($"the orchestrator at {endpoint.Url} (pid {endpoint.Pid.ToString(CultureInfo.InvariantCulture)}) did not answer: {error}");
            }
        }

        var hourAgo = now.AddHours(-1);
        var ended = summaries.Count(s => s.EndedAt is { } at && at >= hourAgo);
        var handoffs = summaries.Where(s => s.Proof is not null).OrderByDescending(s => s.Proof!.UpdatedAt).Take(20).ToList();
        if (snapshots.Count > 0)
        {
            return new StatusView
            {
                GeneratedAt = now,
                Source = StatusView.FromOrchestrator,
                Orchestrators = orchestrators,
                Running = [.. snapshots.SelectMany(s => s.Running)],
                Retrying = [.. snapshots.SelectMany(s => s.Retrying).OrderBy(r => r.DueAt)],
                Blocked = [.. snapshots.SelectMany(s => s.Blocked)],
                Handoffs = handoffs,
                Sessions = summaries,
                Totals = new StatusTotals(
                    snapshots.Sum(s => s.CodexTotals.InputTokens),
                    snapshots.Sum(s => s.CodexTotals.OutputTokens),
                    snapshots.Sum(s => s.CodexTotals.TotalTokens),
                    snapshots.Sum(s => s.CodexTotals.CostUsd),
                    snapshots.Sum(s => s.CodexTotals.SecondsRunning),
                    ended),
                Problems = problems,
            };
        }

        // No orchestrator answered: the live sessions are what runs; what waits for a person is a session whose run
        // ended on a question nobody answered yet (blocked.json, no answer.json), or one still waiting in its pane.
        var byName = records.ToDictionary(r => (r.Project, r.Name));
        var waiting = summaries.Where(s => IsWaiting(s, byName[(s.Project, s.Name)])).ToList();
        var running = summaries.Where(s => s.Status is SessionStatus.Starting or SessionStatus.Working or SessionStatus.Idle && !waiting.Contains(s)).Select(s => RunningOf(s, now)).ToList();
        var blocked = waiting.Select(s => BlockedOf(s, byName[(s.Project, s.Name)])).ToList();
        var seconds = summaries.Where(s => s.StartedAt is not null).Sum(s => Math.Max(0, ((s.EndedAt ?? now) - s.StartedAt!.Value).TotalSeconds));
        return new StatusView
        {
            GeneratedAt = now,
            Source = StatusView.FromFiles,
            Orchestrators = orchestrators,
            Running = running,
            Blocked = blocked,
            Handoffs = handoffs,
            Sessions = summaries,
            Totals = new StatusTotals(
                summaries.Sum(s => s.Tokens.InputTokens),
                summaries.Sum(s => s.Tokens.OutputTokens),
                summaries.Sum(s => s.Tokens.TotalTokens),
                summaries.Sum(s => s.CostUsd),
                seconds,
                ended),
            Problems = problems,
        };
    }

    private async Task<(OrchestratorSnapshot? Snapshot, string? Error)> ReadSnapshotAsync(ApiEndpoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Url + "/api/v1/state");
            if (endpoint.Token is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("error", out var error))
            {
                var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                var message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
                return (null, $"{code}: {message}");
            }

            return response.IsSuccessStatusCode
                ? (document.RootElement.Deserialize(ApiJsonContext.Default.OrchestratorSnapshot), null)
                : (null, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, ex is TaskCanceledException ? "no answer within 3 s" : ex.Message);
        }
    }

    private static RunningRow RunningOf(SessionSummary s, DateTimeOffset now) => new()
    {
        IssueId = s.TaskIdentifier ?? s.Name,
        IssueIdentifier = s.TaskIdentifier ?? "–",
        State = s.Status,
        SessionId = s.Name,
        Session = s.Name,
        TurnCount = s.TurnCount,
        LastEvent = s.LastEvent,
        StartedAt = s.StartedAt ?? s.CreatedAt,
        LastEventAt = s.LastEventAt,
        Tokens = s.Tokens,
        CostUsd = s.CostUsd,
        Agent = s.Agent,
        WorkspacePath = s.WorkspacePath,
        Title = s.Title,
        Activity = s.Activity,
    };

    private static bool IsWaiting(SessionSummary s, SessionRecord record) =>
        s.Status == SessionStatus.WaitingForInput || (record.Files.ReadBlocked() is not null && record.Files.ReadAnswer() is null);

    private static BlockedRow BlockedOf(SessionSummary s, SessionRecord record)
    {
        var note = record.Files.ReadBlocked();
        return new BlockedRow
        {
            IssueId = note?.TaskId ?? s.TaskIdentifier ?? s.Name,
            IssueIdentifier = note?.TaskIdentifier ?? s.TaskIdentifier ?? "–",
            State = s.Status,
            Error = note?.Question ?? LastQuestion(record),
            SessionId = s.Name,
            Session = s.Name,
            BlockedAt = note?.BlockedAt ?? s.LastEventAt,
            LastEvent = s.LastEvent,
            LastEventAt = s.LastEventAt,
            WorkspacePath = s.WorkspacePath,
            Title = s.Title,
            Agent = s.Agent,
        };
    }

    /// <summary>What the agent asked last (its last input_requested event), for a session waiting for a person.</summary>
    private static string? LastQuestion(SessionRecord record)
    {
        try
        {
            return record.Files.ReadEvents().LastOrDefault(e => e.Type == WorkerEventTypes.InputRequested)?.Text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>The terminal picture of a <see cref="StatusView"/>. Task and agent text goes in as plain text, never as markup.</summary>
internal static class StatusRenderer
{
    public static IRenderable Render(StatusView view)
    {
        var now = view.GeneratedAt;
        var parts = new List<IRenderable> { new Markup(Header(view)) };
        foreach (var problem in view.Problems)
        {
            parts.Add(new Markup($"[yellow]! {Markup.Escape(problem)}[/]"));
        }

        var t = view.Totals;
        parts.Add(new Text(string.Create(
            CultureInfo.InvariantCulture,
            $"{view.Running.Count} running · {view.Retrying.Count} in the retry queue · {view.Blocked.Count} waiting for a person · {t.TotalTokens:N0} tokens · {Cost(t.CostUsd)} · agent time {Duration(t.SecondsRunning)} · {t.RunsEndedLastHour} runs ended in the last hour")));

        parts.Add(Section("Running"));
        parts.Add(view.Running.Count == 0 ? Quiet("No agent is running.") : Table(
            ["TASK", "TITLE", "SESSION", "AGENT", "STATE", "LAST EVENT", "TOKENS", "COST", "RUNTIME"],
            view.Running.Select(r => new[]
            {
                r.IssueIdentifier, r.Title ?? string.Empty, r.Session ?? "–", r.Agent ?? string.Empty, r.State,
                Join(r.Activity ?? r.LastMessage ?? r.LastEvent, r.LastEventAt, now),
                r.Tokens.TotalTokens.ToString("N0", CultureInfo.InvariantCulture), Cost(r.CostUsd), Duration((now - r.StartedAt).TotalSeconds),
            })));

        parts.Add(Section("Waiting for a person"));
        parts.Add(view.Blocked.Count == 0 ? Quiet("No agent waits for a person.") : Table(
            ["TASK", "TITLE", "SESSION", "QUESTION", "SINCE"],
            view.Blocked.Select(b => new[] { b.IssueIdentifier, b.Title ?? string.Empty, b.Session ?? "–", b.Error ?? "(no question given)", Ago(b.BlockedAt, now) })));
        if (view.Blocked.Count > 0)
        {
            parts.Add(Quiet("Answer in the dashboard, or: baton send <session> \"your answer\""));
        }

        parts.Add(Section("Retry queue"));
        parts.Add(view.Source == StatusView.FromFiles
            ? Quiet("Only a running orchestrator has a retry queue ('baton run --port …').")
            : view.Retrying.Count == 0 ? Quiet("Nothing waits for a retry.") : Table(
                ["TASK", "TITLE", "ATTEMPT", "DUE", "WHY"],
                view.Retrying.Select(r => new[] { r.IssueIdentifier, r.Title ?? string.Empty, r.Attempt.ToString(CultureInfo.InvariantCulture), Due(r.DueAt, now), r.Error ?? string.Empty })));

        parts.Add(Section("Recent hand-offs"));
        parts.Add(view.Handoffs.Count == 0 ? Quiet("No proof has been written yet.") : Table(
            ["TASK", "TITLE", "SESSION", "OUTCOME", "WHEN", "PROOF"],
            view.Handoffs.Take(8).Select(s => new[]
            {
                s.TaskIdentifier ?? "–", s.Title ?? string.Empty, s.Name, s.Outcome ?? s.Status, Ago(s.Proof!.UpdatedAt, now), "baton proof " + s.Name,
            })));
        return new Rows(parts);
    }

    private static string Header(StatusView view)
    {
        var reachable = view.Orchestrators.Where(o => o.Reachable).ToList();
        if (reachable.Count > 0)
        {
            var o = reachable[0];
            return $"[bold]Baton[/] · orchestrator [green]live[/] at {Markup.Escape(o.Url ?? string.Empty)} (pid {o.Pid.ToString(CultureInfo.InvariantCulture)}, up {Markup.Escape(Duration((view.GeneratedAt - o.StartedAt).TotalSeconds))})"
                + (reachable.Count > 1 ? $" and {(reachable.Count - 1).ToString(CultureInfo.InvariantCulture)} more" : string.Empty);
        }

        return view.Orchestrators.Count > 0
            ? $"[bold]Baton[/] · orchestrator running (pid {view.Orchestrators[0].Pid.ToString(CultureInfo.InvariantCulture)}) but its API did not answer: [grey]sessions from state.db and their files[/]"
            : "[bold]Baton[/] · no orchestrator running: [grey]sessions from state.db and their files[/]";
    }

    private static Markup Section(string title) => new($"\n[bold]{Markup.Escape(title)}[/]");

    private static Text Quiet(string text) => new(text, new Style(Color.Grey));

    private static Table Table(string[] columns, IEnumerable<string[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(OneLine(cell))));
        }

        return table;
    }

    private static string OneLine(string text) => Workers.TranscriptRenderer.OneLine(text, 120);

    private static string Join(string? words, DateTimeOffset? at, DateTimeOffset now) =>
        (words ?? string.Empty) + (at is { } when ? $" ({Ago(when, now)})" : string.Empty);

    private static string Ago(DateTimeOffset? at, DateTimeOffset now) => at is { } when ? Duration((now - when).TotalSeconds) + " ago" : "–";

    private static string Due(DateTimeOffset at, DateTimeOffset now) => at <= now ? "now" : "in " + Duration((at - now).TotalSeconds);

    private static string Cost(decimal usd) => "$" + usd.ToString(usd >= 1 ? "0.00" : "0.0000", CultureInfo.InvariantCulture);

    internal static string Duration(double seconds)
    {
        var s = (long)Math.Max(0, Math.Round(seconds));
        return s >= 3600 ? string.Create(CultureInfo.InvariantCulture, $"{s / 3600} h {s % 3600 / 60:00} min")
            : s >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{s / 60} min {s % 60:00} s")
            : string.Create(CultureInfo.InvariantCulture, $"{s} s");
    }
}
