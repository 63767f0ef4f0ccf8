using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Errors;
using Baton.Core.Tasks;
using Baton.Core.Tracking;

namespace Baton.Tracking.Linear;

/// <summary>How the Linear tracker talks HTTP, and where its log lines go.</summary>
public sealed record LinearTrackerOptions
{
    /// <summary>§1.7: Symphony's Linear client connects with a 30 s timeout.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Bounds one whole request (connect, send, headers, body), so a hung Linear never stalls a poll tick.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A state read stops with <c>tracker_pagination</c> past this many pages (50 issues each) rather than loop forever.</summary>
    public int MaxPages { get; init; } = 2_000;

    public int MaxResponseBytes { get; init; } = 32 * 1024 * 1024;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Receives one <c>key=value</c> line per notable event (dropped record, failed request). Never given the API key.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// The Linear tracker (Symphony §11, checklist §1.7) over Linear's GraphQL API: POST JSON with the raw key in
/// <c>Authorization</c> (no <c>Bearer</c>: personal API keys are sent bare). Reads are atomic — any transport, status,
/// GraphQL, payload or paging failure fails the whole call with a <see cref="TrackerException"/> carrying the §11.4
/// category. Also the host side of the <c>linear_graphql</c> agent tool (§1.18) and the writes hand-off needs.
/// </summary>
public sealed class LinearTracker : ITracker, ITaskWriter, IDisposable
{
    private const string Redacted = "[redacted]";

    private readonly LinearTrackerOptions _options;
    private readonly HttpClient _http;
    private readonly string _project;
    private readonly SemaphoreSlim _viewerLock = new(1, 1);
    private string? _viewerId;

    /// <param name="settings">Validated settings (<see cref="LinearSettings.From"/>).</param>
    /// <param name="project">The Baton project instance id the tasks belong to (<see cref="TaskRecord.Project"/>).</param>
    public LinearTracker(LinearSettings settings, string project, LinearTrackerOptions? options = null)
    {
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        _project = project;
        _options = options ?? new LinearTrackerOptions();
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.All,
            // Linear sits behind a CDN: re-resolve now and then instead of pinning one address for the daemon's life.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };

        // The request timeout is enforced per call below, where a timeout can be told apart from the caller cancelling.
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public LinearSettings Settings { get; }

    public async Task<IReadOnlyList<TaskRecord>> FetchByStatesAsync(IReadOnlyCollection<string> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        var names = states.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
        {
            // §11.1: an empty list answers [] without a provider request.
            return [];
        }

        var context = new LinearNormalizeContext(_project, await RoutingAssigneeAsync(cancellationToken).ConfigureAwait(false), Settings.TerminalStates);
        var tasks = new List<TaskRecord>();
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        var seenCursors = new HashSet<string>(StringComparer.Ordinal);
        string? after = null;
        for (var page = 0; ; page++)
        {
            if (page >= _options.MaxPages)
            {
                throw new TrackerException(
                    TrackerErrorCodes.Pagination,
                    "linear_too_many_pages",
                    $"Linear kept paging past {_options.MaxPages.ToString(CultureInfo.InvariantCulture)} pages of {LinearQueries.PageSize.ToString(CultureInfo.InvariantCulture)} issues",
                    "Narrow tracker.active_states, or check that the endpoint is Linear's GraphQL API.");
            }

            var data = await QueryAsync(LinearQueries.PollOperation, LinearQueries.Poll, LinearQueries.PollVariables(Settings.ProjectSlug, names, after), cancellationToken).ConfigureAwait(false);
            var result = Guard(() => LinearNormalizer.ReadPage(data, context));
            foreach (var dropped in result.Dropped)
            {
                Log($"linear dropped malformed issue operation={LinearQueries.PollOperation} {dropped}");
            }

            // An issue edited while we page can appear on two pages; §11.1 wants each task once.
            tasks.AddRange(result.Tasks.Where(t => seenIds.Add(t.Id)));
            if (result.NextCursor is null)
            {
                return tasks;
            }

            if (!seenCursors.Add(result.NextCursor))
            {
                throw new TrackerException(
                    TrackerErrorCodes.Pagination,
                    "linear_repeated_cursor",
                    "Linear handed back a page cursor it had already given, so paging would never end",
                    "Retry on the next poll; the whole read failed rather than returning a partial list.");
            }

            after = result.NextCursor;
        }
    }

    public async Task<IReadOnlyList<TaskRecord>> FetchByIdsAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = ids.Where(id => !string.IsNullOrWhiteSpace(id)).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0)
        {
            return [];
        }

        var context = new LinearNormalizeContext(_project, await RoutingAssigneeAsync(cancellationToken).ConfigureAwait(false), Settings.TerminalStates);
        var wantedSet = wanted.ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, TaskRecord>(StringComparer.Ordinal);
        foreach (var batch in wanted.Chunk(LinearQueries.PageSize))
        {
            var data = await QueryAsync(LinearQueries.IssuesByIdOperation, LinearQueries.IssuesById, LinearQueries.IssuesByIdVariables(Settings.ProjectSlug, batch), cancellationToken).ConfigureAwait(false);
            foreach (var task in Guard(() => LinearNormalizer.ReadIssuesById(data, context)))
            {
                if (wantedSet.Contains(task.Id))
                {
                    found.TryAdd(task.Id, task);
                }
            }
        }

        // Ids Linear no longer shows are left out (§11.1: omission means "not visible"); the rest keep the asked order.
        return [.. wanted.Where(found.ContainsKey).Select(id => found[id])];
    }

    /// <summary>
    /// The user id issues must be assigned to for dispatch, or null when no assignee is configured. <c>me</c> is resolved
    /// once per tracker with <c>viewer { id }</c> and cached; a failed lookup is not cached.
    /// </summary>
    public async Task<string?> RoutingAssigneeAsync(CancellationToken cancellationToken = default)
    {
        if (Settings.Assignee is null)
        {
            return null;
        }

        if (!Settings.RoutesToViewer)
        {
            return Settings.Assignee;
        }

        if (Volatile.Read(ref _viewerId) is { } cached)
        {
            return cached;
        }

        await _viewerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_viewerId is null)
            {
                var data = await QueryAsync(LinearQueries.ViewerOperation, LinearQueries.Viewer, null, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _viewerId, Guard(() => LinearNormalizer.ReadViewerId(data)));
            }

            return _viewerId;
        }
        finally
        {
            _viewerLock.Release();
        }
    }

    /// <summary>
    /// Runs one <c>linear_graphql</c> call for an agent with Baton's credential (§1.18). Never throws for a Linear-side
    /// problem: bad arguments, transport failures and non-200 answers come back as <c>success: false</c> results.
    /// </summary>
    public async Task<LinearToolResult> ExecuteToolAsync(JsonNode? arguments, CancellationToken cancellationToken = default)
    {
        var parsed = LinearTool.ParseArguments(arguments, out var failure);
        if (parsed is not { } call)
        {
            return failure!;
        }

        try
        {
            var answer = await PostAsync(LinearTool.Name, LinearQueries.Body(call.Query, call.Variables, operationName: null), cancellationToken).ConfigureAwait(false);
            // The agent must never see the credential, even if an error message quoted it back.
            return LinearTool.FromResponse(answer.Status, Scrub(answer.Body));
        }
        catch (TrackerException ex)
        {
            return LinearTool.Failure($"Linear GraphQL request failed before receiving a response: {ex.Message}");
        }
    }

    /// <summary>Adds a comment to an issue (<c>commentCreate</c>) and returns the new comment's id.</summary>
    public async Task<string> CommentAsync(string issueId, string body, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(issueId);
        ArgumentException.ThrowIfNullOrWhiteSpace(body);
        var variables = new JsonObject { ["issueId"] = issueId, ["body"] = body };
        var data = await QueryAsync(LinearQueries.CommentCreateOperation, LinearQueries.CommentCreate, variables, cancellationToken).ConfigureAwait(false);
        return Guard(() => LinearNormalizer.ReadCommentCreated(data));
    }

    /// <summary>
    /// Moves an issue to the workflow state of its team named <paramref name="stateName"/> (compared trimmed and
    /// lower-cased, §4.2) and returns the state's name as Linear spells it. Linear's <c>issueUpdate</c> takes a state
    /// id, and state ids differ per team, so the issue's team states are read first. An issue already there is left alone.
    /// </summary>
    /// <exception cref="BatonException"><c>unknown_state</c> when the team has no such state; <c>task_not_found</c>; tracker errors.</exception>
    public async Task<string> MoveToStateAsync(string issueId, string stateName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(issueId);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateName);
        var statesData = await QueryAsync(
            LinearQueries.TeamStatesOperation,
            LinearQueries.TeamStates,
            new JsonObject { ["id"] = issueId, ["first"] = LinearQueries.MaxPageSize },
            cancellationToken).ConfigureAwait(false);
        var states = Guard(() => LinearNormalizer.ReadIssueStates(statesData, issueId));
        var target = LinearNormalizer.FindState(states, stateName)
            ?? throw new BatonException(
                ErrorCodes.UnknownState,
                $"Linear team {states.TeamKey ?? "(unknown)"} has no workflow state '{stateName.Trim()}'",
                $"Use one of: {string.Join(", ", states.States.Select(s => s.Name))}.");
        if (string.Equals(states.CurrentStateId, target.Id, StringComparison.Ordinal))
        {
            return target.Name;
        }

        var variables = new JsonObject { ["id"] = states.IssueId, ["stateId"] = target.Id };
        var moved = await QueryAsync(LinearQueries.MoveStateOperation, LinearQueries.MoveState, variables, cancellationToken).ConfigureAwait(false);
        return Guard(() => LinearNormalizer.ReadIssueMoved(moved));
    }

    public void Dispose()
    {
        _http.Dispose();
        _viewerLock.Dispose();
    }

    private async Task<JsonElement> QueryAsync(string operation, string query, JsonObject? variables, CancellationToken cancellationToken)
    {
        var answer = await PostAsync(operation, LinearQueries.Body(query, variables, operation), cancellationToken).ConfigureAwait(false);
        if (answer.Status != 200)
        {
            Log($"linear request failed operation={operation} status={answer.Status.ToString(CultureInfo.InvariantCulture)}");
        }

        return Guard(() => LinearNormalizer.ReadData(answer.Status, answer.Body, operation, answer.RateLimitResetAt));
    }

    private async Task<(int Status, string Body, DateTimeOffset? RateLimitResetAt)> PostAsync(string operation, byte[] body, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, Settings.Endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        // Personal API keys go bare; TryAddWithoutValidation keeps .NET from parsing the key as "<scheme> <parameter>".
        request.Headers.TryAddWithoutValidation("Authorization", Settings.ApiKey);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var text = await ReadBoundedAsync(response.Content, operation, linked.Token).ConfigureAwait(false);
            return ((int)response.StatusCode, text, RateLimitReset(response));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
        {
            Log($"linear request failed operation={operation} reason=timeout");
            throw RequestFailed(operation, $"Linear did not answer {operation} within {_options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", ex);
        }
        catch (HttpRequestException ex)
        {
            Log($"linear request failed operation={operation} reason={Scrub(ex.HttpRequestError.ToString())}");
            throw RequestFailed(operation, $"could not reach Linear for {operation}: {Scrub(ex.Message)}", ex);
        }
        catch (IOException ex)
        {
            Log($"linear request failed operation={operation} reason=io");
            throw RequestFailed(operation, $"the connection to Linear broke during {operation}: {Scrub(ex.Message)}", ex);
        }
    }

    private async Task<string> ReadBoundedAsync(HttpContent content, string operation, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > _options.MaxResponseBytes)
                {
                    throw new TrackerException(
                        TrackerErrorCodes.Response,
                        "linear_response_too_large",
                        $"Linear's answer to {operation} is larger than {_options.MaxResponseBytes.ToString(CultureInfo.InvariantCulture)} bytes",
                        "Check that tracker.provider.endpoint is Linear's GraphQL API.");
                }

                buffer.Write(chunk, 0, read);
            }

            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }

    /// <summary>
    /// When the rate-limit window reopens: <c>Retry-After</c> if sent, else Linear's <c>X-RateLimit-Requests-Reset</c>
    /// (epoch milliseconds).
    /// </summary>
    private DateTimeOffset? RateLimitReset(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            return retryAfter.Date ?? (retryAfter.Delta is { } delta ? _options.Time.GetUtcNow() + delta : null);
        }

        return response.Headers.TryGetValues("X-RateLimit-Requests-Reset", out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var epochMs)
            && epochMs > 0
                ? DateTimeOffset.FromUnixTimeMilliseconds(epochMs)
                : null;
    }

    private static TrackerException RequestFailed(string operation, string message, Exception inner) => new(
        TrackerErrorCodes.Request,
        "linear_api_request",
        message,
        operation == LinearTool.Name
            ? "Check the network path to tracker.provider.endpoint."
            : "Baton retries on the next poll; check the network path to tracker.provider.endpoint if it persists.",
        inner: inner);

    /// <summary>Runs a normalizer step and makes sure no exception it raises can carry the credential (§15.3).</summary>
    private T Guard<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (TrackerException ex) when (ex.Message.Contains(Settings.ApiKey, StringComparison.Ordinal))
        {
            throw new TrackerException(ex.Code, ex.Reason, Scrub(ex.Message), ex.Suggestion, ex.Status, ex.RateLimitResetAt);
        }
    }

    private string Scrub(string text) => text.Replace(Settings.ApiKey, Redacted, StringComparison.Ordinal);

    private void Log(string line) => _options.Log?.Invoke(Scrub(line));
}
