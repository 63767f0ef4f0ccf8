using System.Globalization;
using System.Text.Json;
using Baton.Core.Tasks;

namespace Baton.Core.Tracking;

/// <summary>
/// What normalization needs beyond the payload: the Baton project the tasks belong to, the resolved routing assignee
/// (a user id; <c>me</c> already replaced by the viewer's id; null = no routing) and the terminal states for the
/// Todo-blocker rule.
/// </summary>
public sealed record LinearNormalizeContext(string Project, string? RoutingAssigneeId, IReadOnlyList<string> TerminalStates);

/// <summary>One page of a state read: the normalized tasks, the records dropped as malformed (for the log), and the next cursor.</summary>
public sealed record LinearPage(IReadOnlyList<TaskRecord> Tasks, IReadOnlyList<string> Dropped, string? NextCursor);

/// <summary>A team workflow state (<c>type</c> is Linear's category: backlog, unstarted, started, completed, canceled, triage).</summary>
public sealed record LinearWorkflowState(string Id, string Name, string? Type);

/// <summary>An issue's current state id and the workflow states of its team.</summary>
public sealed record LinearIssueStates(string IssueId, string? TeamKey, string? CurrentStateId, IReadOnlyList<LinearWorkflowState> States);

/// <summary>
/// Linear's GraphQL answers → Baton's tasks, and the classification of every failure into Symphony's tracker error
/// categories (§11.4). Pure: the tracker hands in the status, body and rate-limit header it received.
/// </summary>
public static class LinearNormalizer
{
    private const int MaxErrorMessages = 3;
    private const int MaxErrorMessageLength = 200;

    /// <summary>
    /// Checks one HTTP answer and returns its <c>data</c> object. Rate limiting wins over everything (HTTP 429 or a
    /// GraphQL error with <c>extensions.code</c> <c>RATELIMITED</c>, which Linear may send with another status), then
    /// a non-200 status, then a body that is not a JSON object, then top-level <c>errors</c>, then a missing <c>data</c>.
    /// Unlike Elixir, a 200 that carries both <c>errors</c> and partial <c>data</c> fails: the reads are atomic (§11.1).
    /// </summary>
    /// <exception cref="TrackerException">tracker_rate_limited, tracker_status or tracker_response.</exception>
    public static JsonElement ReadData(int status, string? body, string operation, DateTimeOffset? rateLimitResetAt = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        JsonElement? root = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                root = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                root = null;
            }
        }

        var errors = root is { ValueKind: JsonValueKind.Object } r && r.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Array
            ? e
            : (JsonElement?)null;

        if (status == 429 || (errors is { } list && list.EnumerateArray().Any(IsRateLimitError)))
        {
            var when = rateLimitResetAt is { } at ? $"; the window resets at {at.ToString("O", CultureInfo.InvariantCulture)}" : "";
            throw new TrackerException(
                TrackerErrorCodes.RateLimited,
                "linear_rate_limited",
                $"Linear rate-limited {operation} (HTTP {status.ToString(CultureInfo.InvariantCulture)}){when}",
                "Baton retries on the next poll; lower the poll frequency or the number of projects sharing this API key if it persists.",
                status,
                rateLimitResetAt);
        }

        if (status != 200)
        {
            var detail = errors is { } errs && Messages(errs) is { Length: > 0 } text ? $": {text}" : "";
            throw new TrackerException(
                TrackerErrorCodes.Status,
                "linear_api_status",
                $"Linear answered HTTP {status.ToString(CultureInfo.InvariantCulture)} to {operation}{detail}",
                status is 401 or 403
                    ? "Check the Linear API key (tracker.provider.api_key or LINEAR_API_KEY): it may be revoked or lack access to the project."
                    : "Linear may be having trouble; Baton retries on the next poll.",
                status);
        }

        if (root is not { ValueKind: JsonValueKind.Object } payload)
        {
            throw UnknownPayload(operation, root is null ? "the body is not JSON" : "the body is not a JSON object");
        }

        if (errors is { } graphqlErrors && graphqlErrors.GetArrayLength() > 0)
        {
            throw new TrackerException(
                TrackerErrorCodes.Response,
                "linear_graphql_errors",
                $"Linear returned GraphQL errors for {operation}: {Messages(graphqlErrors)}",
                "Check tracker.provider.project_slug and the key's access to the project; the message above is Linear's own.",
                status);
        }

        if (!payload.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            throw UnknownPayload(operation, "the answer has no data object");
        }

        return data;
    }

    /// <summary>
    /// One page of <c>SymphonyLinearPoll</c>. Malformed records are dropped and reported (§11.1 MAY drop, SHOULD log);
    /// <c>hasNextPage</c> without an <c>endCursor</c> fails the whole read (<c>linear_missing_end_cursor</c>).
    /// </summary>
    public static LinearPage ReadPage(JsonElement data, LinearNormalizeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var issues = Issues(data, LinearQueries.PollOperation);
        if (!issues.TryGetProperty("pageInfo", out var pageInfo) || pageInfo.ValueKind != JsonValueKind.Object)
        {
            throw new TrackerException(
                TrackerErrorCodes.Pagination,
                "linear_missing_page_info",
                $"Linear's answer to {LinearQueries.PollOperation} has no pageInfo, so Baton cannot tell whether it saw every issue",
                "Retry on the next poll; if it persists, the endpoint is not Linear's GraphQL API.");
        }

        var tasks = new List<TaskRecord>();
        var dropped = new List<string>();
        var index = 0;
        foreach (var node in issues.GetProperty("nodes").EnumerateArray())
        {
            var task = Normalize(node, context, out var problem);
            if (task is null)
            {
                dropped.Add($"index={index.ToString(CultureInfo.InvariantCulture)} {problem}");
            }
            else
            {
                tasks.Add(task);
            }

            index++;
        }

        return new LinearPage(tasks, dropped, NextCursor(pageInfo));
    }

    /// <summary>The cursor of the next page, or null when this was the last one.</summary>
    public static string? NextCursor(JsonElement pageInfo)
    {
        var hasNext = pageInfo.ValueKind == JsonValueKind.Object
            && pageInfo.TryGetProperty("hasNextPage", out var flag)
            && flag.ValueKind == JsonValueKind.True;
        if (!hasNext)
        {
            return null;
        }

        if (pageInfo.TryGetProperty("endCursor", out var cursor) && cursor.ValueKind == JsonValueKind.String && cursor.GetString() is { Length: > 0 } text)
        {
            return text;
        }

        throw new TrackerException(
            TrackerErrorCodes.Pagination,
            "linear_missing_end_cursor",
            "Linear said there is a next page of issues but gave no endCursor to ask for it",
            "Retry on the next poll; the whole read failed rather than returning a partial list.");
    }

    /// <summary>A batch of <c>SymphonyLinearIssuesById</c>: every record must be well formed (§11.1 MUST fail on a malformed requested record).</summary>
    public static IReadOnlyList<TaskRecord> ReadIssuesById(JsonElement data, LinearNormalizeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var issues = Issues(data, LinearQueries.IssuesByIdOperation);
        var tasks = new List<TaskRecord>();
        var index = 0;
        foreach (var node in issues.GetProperty("nodes").EnumerateArray())
        {
            var task = Normalize(node, context, out var problem)
                ?? throw UnknownPayload(LinearQueries.IssuesByIdOperation, $"record {index.ToString(CultureInfo.InvariantCulture)} is malformed ({problem})");
            tasks.Add(task);
            index++;
        }

        return tasks;
    }

    /// <summary>The id of the user the API key belongs to, from <c>viewer { id }</c>.</summary>
    public static string ReadViewerId(JsonElement data)
    {
        if (data.TryGetProperty("viewer", out var viewer) && viewer.ValueKind == JsonValueKind.Object && Text(viewer, "id") is { } id)
        {
            return id;
        }

        throw new TrackerException(
            TrackerErrorCodes.Response,
            "missing_linear_viewer_identity",
            "Linear did not say which user the API key belongs to, so assignee 'me' cannot be resolved",
            "Use a personal API key, or set tracker.provider.assignee to a user id instead of 'me'.");
    }

    /// <summary>
    /// One Linear issue → a task, or null with <paramref name="problem"/> when the record lacks id, identifier, title,
    /// state or a valid created/updated time (Linear declares all of them non-null; a task without a creation time
    /// could not be ordered by §8.2).
    /// </summary>
    public static TaskRecord? Normalize(JsonElement node, LinearNormalizeContext context, out string problem)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (node.ValueKind != JsonValueKind.Object)
        {
            problem = "reason=not_an_object";
            return null;
        }

        var id = Text(node, "id");
        string Fail(string reason) => $"id={id ?? "null"} reason={reason}";

        var identifier = Text(node, "identifier");
        var title = Text(node, "title");
        var state = node.TryGetProperty("state", out var stateNode) && stateNode.ValueKind == JsonValueKind.Object ? Text(stateNode, "name") : null;
        DateTimeOffset? createdAt = Time(node, "createdAt");
        DateTimeOffset? updatedAt = Time(node, "updatedAt");

        var missing = id is null ? "missing_id"
            : identifier is null ? "missing_identifier"
            : title is null ? "missing_title"
            : state is null ? "missing_state"
            : createdAt is null ? "invalid_created_at"
            : updatedAt is null ? "invalid_updated_at"
            : null;
        if (missing is not null)
        {
            problem = Fail(missing);
            return null;
        }

        var assignee = node.TryGetProperty("assignee", out var assigneeNode) && assigneeNode.ValueKind == JsonValueKind.Object ? Text(assigneeNode, "id") : null;
        var blockers = Blockers(node);
        problem = "";
        return new TaskRecord
        {
            Id = id!,
            Identifier = identifier!,
            Project = context.Project,
            Title = title!,
            Description = RawText(node, "description"),
            Priority = Priority(node),
            State = state!,
            BranchName = Text(node, "branchName"),
            Url = Text(node, "url"),
            Assignee = assignee,
            Labels = Labels(node),
            BlockedBy = blockers,
            Dispatchable = IsDispatchable(state!, assignee, blockers, context),
            CreatedAt = createdAt!.Value,
            UpdatedAt = updatedAt!.Value,
        };
    }

    /// <summary>
    /// §1.7: dispatchable only when (a) no routing assignee is configured or the issue is assigned to that user, and
    /// (b) the issue is not in Todo with a blocker that is unknown (null state) or not terminal — Symphony's
    /// "Todo blocker rule" (old §8.2). Blockers of an issue already in progress do not stop it.
    /// </summary>
    public static bool IsDispatchable(string state, string? assigneeId, IReadOnlyList<TaskBlocker> blockers, LinearNormalizeContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(blockers);
        ArgumentNullException.ThrowIfNull(context);
        var routed = context.RoutingAssigneeId is null || string.Equals(assigneeId, context.RoutingAssigneeId, StringComparison.Ordinal);
        if (!routed)
        {
            return false;
        }

        if (TaskStates.Normalize(state) != "todo")
        {
            return true;
        }

        var terminal = context.TerminalStates.Select(TaskStates.Normalize).ToHashSet(StringComparer.Ordinal);
        return blockers.All(b => b.State is not null && terminal.Contains(TaskStates.Normalize(b.State)));
    }

    /// <summary>The comment id from <c>commentCreate</c>; <c>success: false</c> or no comment fails.</summary>
    public static string ReadCommentCreated(JsonElement data)
    {
        if (data.TryGetProperty("commentCreate", out var payload)
            && payload.ValueKind == JsonValueKind.Object
            && payload.TryGetProperty("success", out var success)
            && success.ValueKind == JsonValueKind.True
            && payload.TryGetProperty("comment", out var comment)
            && comment.ValueKind == JsonValueKind.Object
            && Text(comment, "id") is { } id)
        {
            return id;
        }

        throw MutationFailed(LinearQueries.CommentCreateOperation);
    }

    /// <summary>The issue's current state and its team's workflow states, from <c>BatonLinearIssueTeamStates</c>.</summary>
    /// <exception cref="Errors.BatonException"><c>task_not_found</c> when Linear answers <c>issue: null</c>.</exception>
    public static LinearIssueStates ReadIssueStates(JsonElement data, string issueId)
    {
        ArgumentNullException.ThrowIfNull(issueId);
        if (!data.TryGetProperty("issue", out var issue) || issue.ValueKind == JsonValueKind.Null)
        {
            throw new Errors.BatonException(
                Errors.ErrorCodes.TaskNotFound,
                $"Linear has no issue '{issueId}' visible to this API key",
                "Check the issue id; the issue may have been deleted or moved out of the key's reach.");
        }

        if (issue.ValueKind != JsonValueKind.Object
            || !issue.TryGetProperty("team", out var team)
            || team.ValueKind != JsonValueKind.Object
            || !team.TryGetProperty("states", out var states)
            || states.ValueKind != JsonValueKind.Object
            || !states.TryGetProperty("nodes", out var nodes)
            || nodes.ValueKind != JsonValueKind.Array)
        {
            throw UnknownPayload(LinearQueries.TeamStatesOperation, "data.issue.team.states.nodes is missing");
        }

        var current = issue.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Object ? Text(state, "id") : null;
        var list = nodes.EnumerateArray()
            .Where(n => n.ValueKind == JsonValueKind.Object && Text(n, "id") is not null && Text(n, "name") is not null)
            .Select(n => new LinearWorkflowState(Text(n, "id")!, Text(n, "name")!, Text(n, "type")))
            .ToList();
        return new LinearIssueStates(Text(issue, "id") ?? issueId, Text(team, "key"), current, list);
    }

    /// <summary>The workflow state named <paramref name="name"/>, compared trimmed and lower-cased (§4.2), or null.</summary>
    public static LinearWorkflowState? FindState(LinearIssueStates states, string name)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(name);
        var wanted = TaskStates.Normalize(name);
        return states.States.FirstOrDefault(s => TaskStates.Normalize(s.Name) == wanted);
    }

    /// <summary>The issue's new state name from <c>issueUpdate</c>; <c>success: false</c> fails.</summary>
    public static string ReadIssueMoved(JsonElement data)
    {
        if (data.TryGetProperty("issueUpdate", out var payload)
            && payload.ValueKind == JsonValueKind.Object
            && payload.TryGetProperty("success", out var success)
            && success.ValueKind == JsonValueKind.True
            && payload.TryGetProperty("issue", out var issue)
            && issue.ValueKind == JsonValueKind.Object
            && issue.TryGetProperty("state", out var state)
            && state.ValueKind == JsonValueKind.Object
            && Text(state, "name") is { } name)
        {
            return name;
        }

        throw MutationFailed(LinearQueries.MoveStateOperation);
    }

    private static JsonElement Issues(JsonElement data, string operation)
    {
        if (data.ValueKind == JsonValueKind.Object
            && data.TryGetProperty("issues", out var issues)
            && issues.ValueKind == JsonValueKind.Object
            && issues.TryGetProperty("nodes", out var nodes)
            && nodes.ValueKind == JsonValueKind.Array)
        {
            return issues;
        }

        throw UnknownPayload(operation, "data.issues.nodes is missing");
    }

    private static List<TaskBlocker> Blockers(JsonElement node)
    {
        var blockers = new List<TaskBlocker>();
        if (!node.TryGetProperty("inverseRelations", out var relations)
            || relations.ValueKind != JsonValueKind.Object
            || !relations.TryGetProperty("nodes", out var nodes)
            || nodes.ValueKind != JsonValueKind.Array)
        {
            return blockers;
        }

        foreach (var relation in nodes.EnumerateArray())
        {
            if (relation.ValueKind != JsonValueKind.Object
                || !string.Equals(Text(relation, "type"), "blocks", StringComparison.OrdinalIgnoreCase)
                || !relation.TryGetProperty("issue", out var blocker)
                || blocker.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var id = Text(blocker, "id");
            var identifier = Text(blocker, "identifier");
            if (id is null && identifier is null)
            {
                continue;
            }

            var state = blocker.TryGetProperty("state", out var s) && s.ValueKind == JsonValueKind.Object ? Text(s, "name") : null;
            if (blockers.All(b => b.Id != (id ?? identifier)))
            {
                blockers.Add(new TaskBlocker(id ?? identifier!, identifier ?? id!, state));
            }
        }

        return blockers;
    }

    private static IReadOnlyList<string> Labels(JsonElement node)
    {
        if (!node.TryGetProperty("labels", out var labels)
            || labels.ValueKind != JsonValueKind.Object
            || !labels.TryGetProperty("nodes", out var nodes)
            || nodes.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        return TaskRules.NormalizeLabels(nodes.EnumerateArray()
            .Where(l => l.ValueKind == JsonValueKind.Object)
            .Select(l => RawText(l, "name"))
            .OfType<string>());
    }

    /// <summary>Linear's priority is 0–4 (0 = none); anything that is not an integer becomes null (§1.7).</summary>
    private static int? Priority(JsonElement node) =>
        node.TryGetProperty("priority", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var value) ? value : null;

    private static DateTimeOffset? Time(JsonElement node, string name) =>
        node.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String && t.TryGetDateTimeOffset(out var value) ? value : null;

    /// <summary>A non-blank string property, trimmed; null otherwise.</summary>
    private static string? Text(JsonElement node, string name) =>
        RawText(node, name)?.Trim() is { Length: > 0 } text ? text : null;

    private static string? RawText(JsonElement node, string name) =>
        node.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsRateLimitError(JsonElement error) =>
        error.ValueKind == JsonValueKind.Object
        && error.TryGetProperty("extensions", out var extensions)
        && extensions.ValueKind == JsonValueKind.Object
        && string.Equals(RawText(extensions, "code"), "RATELIMITED", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first few GraphQL error messages, shortened; Linear's messages name fields and entities, never credentials.</summary>
    private static string Messages(JsonElement errors)
    {
        var messages = errors.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.Object ? RawText(e, "message") : null)
            .OfType<string>()
            .Select(m => m.Length > MaxErrorMessageLength ? m[..MaxErrorMessageLength] + "…" : m)
            .ToList();
        var shown = string.Join("; ", messages.Take(MaxErrorMessages));
        return messages.Count > MaxErrorMessages ? $"{shown} (+{(messages.Count - MaxErrorMessages).ToString(CultureInfo.InvariantCulture)} more)" : shown;
    }

    private static TrackerException MutationFailed(string operation) => new(
        TrackerErrorCodes.Response,
        "linear_mutation_failed",
        $"Linear did not confirm {operation} (success was not true)",
        "Check that the API key may write to the issue's team; nothing was changed if Linear said so.");

    private static TrackerException UnknownPayload(string operation, string detail) => new(
        TrackerErrorCodes.Response,
        "linear_unknown_payload",
        $"Linear's answer to {operation} is not what Baton asked for: {detail}",
        "Check tracker.provider.endpoint points at Linear's GraphQL API (https://api.linear.app/graphql).");
}
