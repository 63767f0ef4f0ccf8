using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Baton.Tests.Tracking;

/// <summary>Faults the fake can be told to answer the next matching request with.</summary>
public enum FakeLinearFault
{
    /// <summary>HTTP 500 with a JSON error body.</summary>
    ServerError,

    /// <summary>HTTP 429 with Linear's <c>RATELIMITED</c> error and <c>X-RateLimit-Requests-*</c> headers.</summary>
    RateLimited,

    /// <summary>Accepts the request and never answers.</summary>
    Hang,

    /// <summary>HTTP 200 whose body is cut-off JSON.</summary>
    GarbageJson,

    /// <summary>HTTP 200 with <c>data: null</c> and a top-level <c>errors</c> list.</summary>
    GraphQLErrors,

    /// <summary>A normal page, but <c>pageInfo</c> says <c>hasNextPage: true</c> with <c>endCursor: null</c>.</summary>
    MissingEndCursor,

    /// <summary>A normal answer whose first issue has no <c>title</c>.</summary>
    MalformedIssue,

    /// <summary>HTTP 200 with a GraphQL error that quotes the request's <c>Authorization</c> header back, as a careless proxy might.</summary>
    EchoesToken,
}

public sealed record FakeLinearRequest(string? OperationName, string Query, JsonObject Variables, string? Authorization, string? ContentType);

public sealed record FakeLinearComment(string Id, string IssueId, string UserId, string Body);

public sealed record FakeLinearState(string Id, string Name, string Type);

public sealed record FakeLinearTeam(string Id, string Key, IReadOnlyList<FakeLinearState> States);

/// <summary>An issue as the fake stores it; <see cref="Priority"/> is raw JSON so tests can send what Linear never should.</summary>
public sealed class FakeLinearIssue
{
    public required string Id { get; init; }

    public required string Identifier { get; init; }

    public required string Title { get; set; }

    public string? Description { get; set; }

    public JsonNode? Priority { get; set; } = 0;

    public required string State { get; set; }

    public string ProjectSlug { get; set; } = FakeLinearServer.DefaultProjectSlug;

    public string TeamId { get; set; } = FakeLinearServer.DefaultTeamId;

    public string? BranchName { get; set; }

    public string? AssigneeId { get; set; }

    public List<string> Labels { get; init; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A local HTTP server that speaks Linear's GraphQL wire format for the operations Baton uses: raw-token
/// <c>Authorization</c> (401 with Linear's authentication error otherwise), operations matched by
/// <c>operationName</c> (or the name in the document), issues filtered by project slug and state names, 50-per-page
/// cursors that are opaque base64, <c>inverseRelations</c> built from stored relations, the team-states query,
/// <c>commentCreate</c> and <c>issueUpdate</c>. Issue fields are only returned when the query names them, so a
/// selection Baton forgot shows up as missing data. Faults are injected per operation; every request is recorded.
/// </summary>
public sealed class FakeLinearServer : IAsyncDisposable
{
    public const string DefaultProjectSlug = "f1e2d3c4b5a6";
    public const string DefaultTeamId = "team-eng";
    public const string DefaultViewerId = "user-viewer-0001";

    private readonly Lock _lock = new();
    private readonly List<FakeLinearIssue> _issues = [];
    private readonly List<(string Type, string IssueId, string RelatedIssueId)> _relations = [];
    private readonly List<FakeLinearTeam> _teams = [];
    private readonly List<FakeLinearComment> _comments = [];
    private readonly List<FakeLinearRequest> _requests = [];
    private readonly List<FaultEntry> _faults = [];
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;

    private FakeLinearServer(string token) => Token = token;

    public string Token { get; }

    public string ViewerId { get; set; } = DefaultViewerId;

    public Uri Endpoint { get; private set; } = new("http://127.0.0.1/");

    public IReadOnlyList<FakeLinearRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<FakeLinearComment> Comments
    {
        get
        {
            lock (_lock)
            {
                return [.. _comments];
            }
        }
    }

    public static async Task<FakeLinearServer> StartAsync(string token, CancellationToken cancellationToken = default)
    {
        var server = new FakeLinearServer(token);
        server._teams.Add(new FakeLinearTeam(DefaultTeamId, "ENG",
        [
            new("state-backlog", "Backlog", "backlog"),
            new("state-todo", "Todo", "unstarted"),
            new("state-progress", "In Progress", "started"),
            new("state-review", "In Review", "started"),
            new("state-done", "Done", "completed"),
            new("state-canceled", "Canceled", "canceled"),
        ]));

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [], ApplicationName = "fake-linear", EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddSingleton<IHostLifetime, NoSignalsLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        server._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri($"http://127.0.0.1:{new Uri(address).Port.ToString(CultureInfo.InvariantCulture)}/graphql");
        return server;
    }

    public void AddIssue(FakeLinearIssue issue)
    {
        lock (_lock)
        {
            _issues.Add(issue);
        }
    }

    /// <summary>Records "<paramref name="issueId"/> <paramref name="type"/> <paramref name="relatedIssueId"/>", e.g. A blocks B.</summary>
    public void Relate(string type, string issueId, string relatedIssueId)
    {
        lock (_lock)
        {
            _relations.Add((type, issueId, relatedIssueId));
        }
    }

    public FakeLinearIssue Issue(string id)
    {
        lock (_lock)
        {
            return _issues.Single(i => i.Id == id);
        }
    }

    /// <summary>The next request for <paramref name="operation"/> (any when null) after <paramref name="skip"/> such requests gets <paramref name="fault"/>.</summary>
    public void InjectFault(FakeLinearFault fault, string? operation = null, int skip = 0)
    {
        lock (_lock)
        {
            _faults.Add(new FaultEntry(fault, operation) { Skip = skip });
        }
    }

    /// <summary>An issue with sensible defaults: created <paramref name="number"/> minutes after a fixed time.</summary>
    public static FakeLinearIssue NewIssue(int number, string state = "Todo", string team = "ENG") => new()
    {
        Id = IssueId(number),
        Identifier = $"{team}-{number.ToString(CultureInfo.InvariantCulture)}",
        Title = $"Issue {number.ToString(CultureInfo.InvariantCulture)}",
        State = state,
        CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddMinutes(number),
        UpdatedAt = new DateTimeOffset(2026, 2, 2, 3, 4, 5, TimeSpan.Zero).AddMinutes(number),
    };

    /// <summary>A UUID-shaped id, as Linear's are.</summary>
    public static string IssueId(int number) => $"0a1b2c3d-0000-4000-8000-{number.ToString("x12", CultureInfo.InvariantCulture)}";

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
        try
        {
            await AnswerAsync(http, linked.Token);
        }
        catch (OperationCanceledException)
        {
            http.Abort();
        }
    }

    private async Task AnswerAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            await WriteAsync(http, 405, Errors("Only POST is supported", "graphql error", "BAD_REQUEST"), cancellationToken);
            return;
        }

        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        JsonObject? body;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }

        var query = body?["query"]?.GetValue<string>() ?? "";
        var variables = body?["variables"] as JsonObject ?? [];
        var operation = body?["operationName"]?.GetValue<string>() ?? OperationNameOf(query);
        var authorization = http.Request.Headers.Authorization.ToString();
        lock (_lock)
        {
            _requests.Add(new FakeLinearRequest(operation, query, (JsonObject)variables.DeepClone(), authorization.Length == 0 ? null : authorization, http.Request.ContentType));
        }

        if (authorization != Token)
        {
            // Linear's answer to a missing or wrong key.
            await WriteAsync(http, 401, Errors("Authentication required, not authenticated", "authentication error", "AUTHENTICATION_ERROR", "You need to authenticate to access this operation."), cancellationToken);
            return;
        }

        if (body is null || query.Length == 0 || http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            await WriteAsync(http, 400, Errors("Must provide query string.", "graphql error", "BAD_REQUEST"), cancellationToken);
            return;
        }

        var fault = TakeFault(operation);
        switch (fault)
        {
            case FakeLinearFault.ServerError:
                await WriteAsync(http, 500, Errors("Internal server error", "internal error", "INTERNAL_SERVER_ERROR"), cancellationToken);
                return;
            case FakeLinearFault.RateLimited:
                http.Response.Headers["X-RateLimit-Requests-Limit"] = "1500";
                http.Response.Headers["X-RateLimit-Requests-Remaining"] = "0";
                http.Response.Headers["X-RateLimit-Requests-Reset"] = "1893456000000";
                await WriteAsync(http, 429, Errors("Rate limit exceeded", "ratelimited", "RATELIMITED", "You've exceeded the API rate limit."), cancellationToken);
                return;
            case FakeLinearFault.Hang:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return;
            case FakeLinearFault.GarbageJson:
                http.Response.StatusCode = 200;
                http.Response.ContentType = "application/json; charset=utf-8";
                await http.Response.WriteAsync("{\"data\":{\"issues\":{\"nodes\":[{\"id\":\"0a1b", cancellationToken);
                return;
            case FakeLinearFault.EchoesToken:
                await WriteAsync(http, 200, Errors($"API key '{authorization}' is not allowed to read this project", "forbidden", "FORBIDDEN"), cancellationToken);
                return;
            case FakeLinearFault.GraphQLErrors:
                var errors = Errors("Entity not found: Project - Could not find referenced Project.", "invalid input", "INVALID_INPUT", "Could not find referenced Project.");
                errors["data"] = null;
                await WriteAsync(http, 200, errors, cancellationToken);
                return;
        }

        JsonObject answer;
        lock (_lock)
        {
            answer = Resolve(operation, query, variables, fault);
        }

        var status = answer["errors"] is not null && answer["data"] is null ? 400 : 200;
        await WriteAsync(http, status, answer, cancellationToken);
    }

    private FakeLinearFault? TakeFault(string? operation)
    {
        lock (_lock)
        {
            var entry = _faults.FirstOrDefault(f => f.Operation is null || f.Operation == operation);
            if (entry is null)
            {
                return null;
            }

            if (entry.Skip > 0)
            {
                entry.Skip--;
                return null;
            }

            _faults.Remove(entry);
            return entry.Fault;
        }
    }

    private JsonObject Resolve(string? operation, string query, JsonObject variables, FakeLinearFault? fault)
    {
        switch (operation)
        {
            case "SymphonyLinearPoll":
                return Poll(query, variables, fault);
            case "SymphonyLinearIssuesById":
                return IssuesById(query, variables, fault);
            case "SymphonyLinearViewer":
                return Data(new JsonObject { ["viewer"] = new JsonObject { ["id"] = ViewerId } });
            case "BatonLinearIssueTeamStates":
                return TeamStates(variables);
            case "BatonLinearCommentCreate":
                return CommentCreate(variables);
            case "BatonLinearIssueMoveState":
                return IssueUpdate(variables);
            case null when Regex.IsMatch(query, @"\bviewer\b"):
                // An anonymous `query { viewer { … } }`, as an agent might send through linear_graphql.
                var viewer = new JsonObject { ["id"] = ViewerId };
                if (Regex.IsMatch(query, @"\bname\b"))
                {
                    viewer["name"] = "Fake Viewer";
                }

                return Data(new JsonObject { ["viewer"] = viewer });
            default:
                return Errors($"Unknown operation: {operation ?? "(anonymous)"}", "graphql error", "GRAPHQL_VALIDATION_FAILED");
        }
    }

    private JsonObject Poll(string query, JsonObject variables, FakeLinearFault? fault)
    {
        var slug = variables["projectSlug"]?.GetValue<string>();
        var states = (variables["stateNames"] as JsonArray ?? []).Select(s => s!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var first = variables["first"]?.GetValue<int>() ?? 50;
        var relationFirst = variables["relationFirst"]?.GetValue<int>() ?? 50;
        if (first is < 1 or > 250)
        {
            return Errors("first must be between 1 and 250", "invalid input", "INVALID_INPUT");
        }

        // Linear's state filter is an exact match on the state's name.
        var matching = _issues.Where(i => i.ProjectSlug == slug && states.Contains(i.State)).OrderBy(i => i.CreatedAt).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();
        var start = 0;
        if (variables["after"] is JsonValue after)
        {
            var lastId = DecodeCursor(after.GetValue<string>());
            var index = matching.FindIndex(i => i.Id == lastId);
            if (lastId is null || index < 0)
            {
                return Errors("Invalid cursor", "invalid input", "INVALID_INPUT");
            }

            start = index + 1;
        }

        var page = matching.Skip(start).Take(first).ToList();
        var hasNext = start + page.Count < matching.Count;
        var nodes = new JsonArray([.. page.Select(i => (JsonNode)IssueNode(i, query, relationFirst))]);
        if (fault == FakeLinearFault.MalformedIssue && nodes.Count > 0)
        {
            ((JsonObject)nodes[0]!).Remove("title");
        }

        var pageInfo = new JsonObject
        {
            ["hasNextPage"] = hasNext || fault == FakeLinearFault.MissingEndCursor,
            ["endCursor"] = fault == FakeLinearFault.MissingEndCursor ? null : page.Count > 0 ? EncodeCursor(page[^1].Id) : null,
        };
        return Data(new JsonObject { ["issues"] = new JsonObject { ["nodes"] = nodes, ["pageInfo"] = pageInfo } });
    }

    private JsonObject IssuesById(string query, JsonObject variables, FakeLinearFault? fault)
    {
        var ids = (variables["ids"] as JsonArray ?? []).Select(s => s!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var slug = variables["projectSlug"]?.GetValue<string>();
        var first = variables["first"]?.GetValue<int>() ?? 50;
        var relationFirst = variables["relationFirst"]?.GetValue<int>() ?? 50;
        // Linear answers in its own order (creation time), not in the order the ids were asked for.
        var nodes = new JsonArray([.. _issues
            .Where(i => ids.Contains(i.Id) && (slug is null || i.ProjectSlug == slug))
            .OrderBy(i => i.CreatedAt)
            .Take(first)
            .Select(i => (JsonNode)IssueNode(i, query, relationFirst))]);
        if (fault == FakeLinearFault.MalformedIssue && nodes.Count > 0)
        {
            ((JsonObject)nodes[0]!).Remove("title");
        }

        return Data(new JsonObject { ["issues"] = new JsonObject { ["nodes"] = nodes } });
    }

    private JsonObject TeamStates(JsonObject variables)
    {
        var id = variables["id"]?.GetValue<string>();
        var issue = _issues.FirstOrDefault(i => i.Id == id || i.Identifier == id);
        if (issue is null)
        {
            return NotFound("Issue");
        }

        var team = _teams.Single(t => t.Id == issue.TeamId);
        var current = team.States.FirstOrDefault(s => s.Name == issue.State);
        return Data(new JsonObject
        {
            ["issue"] = new JsonObject
            {
                ["id"] = issue.Id,
                ["state"] = new JsonObject { ["id"] = current?.Id, ["name"] = issue.State },
                ["team"] = new JsonObject
                {
                    ["id"] = team.Id,
                    ["key"] = team.Key,
                    ["states"] = new JsonObject
                    {
                        ["nodes"] = new JsonArray([.. team.States.Select(s => (JsonNode)new JsonObject { ["id"] = s.Id, ["name"] = s.Name, ["type"] = s.Type })]),
                    },
                },
            },
        });
    }

    private JsonObject CommentCreate(JsonObject variables)
    {
        var issueId = variables["issueId"]?.GetValue<string>();
        var body = variables["body"]?.GetValue<string>() ?? "";
        var issue = _issues.FirstOrDefault(i => i.Id == issueId || i.Identifier == issueId);
        if (issue is null)
        {
            return NotFound("Issue");
        }

        var comment = new FakeLinearComment($"comment-{(_comments.Count + 1).ToString(CultureInfo.InvariantCulture)}", issue.Id, ViewerId, body);
        _comments.Add(comment);
        return Data(new JsonObject
        {
            ["commentCreate"] = new JsonObject
            {
                ["success"] = true,
                ["comment"] = new JsonObject { ["id"] = comment.Id, ["url"] = $"https://linear.app/fake/issue/{issue.Identifier}#comment-{comment.Id}" },
            },
        });
    }

    private JsonObject IssueUpdate(JsonObject variables)
    {
        var id = variables["id"]?.GetValue<string>();
        var stateId = variables["stateId"]?.GetValue<string>();
        var issue = _issues.FirstOrDefault(i => i.Id == id || i.Identifier == id);
        if (issue is null)
        {
            return NotFound("Issue");
        }

        var state = _teams.Single(t => t.Id == issue.TeamId).States.FirstOrDefault(s => s.Id == stateId);
        if (state is null)
        {
            return Errors("Argument Validation Error - stateId is not a state of the issue's team", "invalid input", "INVALID_INPUT");
        }

        issue.State = state.Name;
        issue.UpdatedAt = issue.UpdatedAt.AddMinutes(1);
        return Data(new JsonObject
        {
            ["issueUpdate"] = new JsonObject
            {
                ["success"] = true,
                ["issue"] = new JsonObject { ["id"] = issue.Id, ["state"] = new JsonObject { ["id"] = state.Id, ["name"] = state.Name } },
            },
        });
    }

    /// <summary>The issue's fields, each only when the query names it (a stand-in for GraphQL's selection sets).</summary>
    private JsonObject IssueNode(FakeLinearIssue issue, string query, int relationFirst)
    {
        var node = new JsonObject();
        void Add(string field, Func<JsonNode?> value)
        {
            if (Regex.IsMatch(query, $@"\b{field}\b"))
            {
                node[field] = value();
            }
        }

        Add("id", () => issue.Id);
        Add("identifier", () => issue.Identifier);
        Add("title", () => issue.Title);
        Add("description", () => issue.Description);
        Add("priority", () => issue.Priority?.DeepClone());
        Add("state", () => new JsonObject { ["name"] = issue.State });
        Add("branchName", () => issue.BranchName ?? $"baton/{issue.Identifier.ToLowerInvariant()}");
        Add("url", () => $"https://linear.app/fake/issue/{issue.Identifier}");
        Add("assignee", () => issue.AssigneeId is null ? null : new JsonObject { ["id"] = issue.AssigneeId });
        Add("labels", () => new JsonObject { ["nodes"] = new JsonArray([.. issue.Labels.Select(l => (JsonNode)new JsonObject { ["name"] = l })]) });
        Add("inverseRelations", () => new JsonObject
        {
            ["nodes"] = new JsonArray([.. _relations
                .Where(r => r.RelatedIssueId == issue.Id)
                .Take(relationFirst)
                .Select(r =>
                {
                    var source = _issues.First(i => i.Id == r.IssueId);
                    return (JsonNode)new JsonObject
                    {
                        ["type"] = r.Type,
                        ["issue"] = new JsonObject { ["id"] = source.Id, ["identifier"] = source.Identifier, ["state"] = new JsonObject { ["name"] = source.State } },
                    };
                })]),
        });
        Add("createdAt", () => issue.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        Add("updatedAt", () => issue.UpdatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        return node;
    }

    private static string? OperationNameOf(string query)
    {
        var match = Regex.Match(query, @"^\s*(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>Opaque to clients, like Linear's: base64 of a versioned record of the last issue on the page.</summary>
    private static string EncodeCursor(string lastId)
    {
        var mac = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(lastId)))[..8].ToLowerInvariant();
        return Convert.ToBase64String(Encoding.UTF8.GetBytes($"v1|{lastId}|{mac}"));
    }

    private static string? DecodeCursor(string cursor)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split('|');
            return parts.Length == 3 && parts[0] == "v1" && EncodeCursor(parts[1]) == cursor ? parts[1] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static JsonObject Data(JsonObject data) => new() { ["data"] = data };

    private static JsonObject NotFound(string entity)
    {
        var answer = Errors($"Entity not found: {entity}", "invalid input", "INVALID_INPUT", $"Could not find referenced {entity}.");
        answer["data"] = null;
        return answer;
    }

    /// <summary>Linear's error shape: <c>{"errors":[{"message","extensions":{"type","code","userPresentableMessage"}}]}</c>.</summary>
    private static JsonObject Errors(string message, string type, string code, string? userMessage = null)
    {
        var extensions = new JsonObject { ["type"] = type, ["code"] = code };
        if (userMessage is not null)
        {
            extensions["userPresentableMessage"] = userMessage;
        }

        return new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["message"] = message, ["extensions"] = extensions }) };
    }

    private static async Task WriteAsync(HttpContext http, int status, JsonObject body, CancellationToken cancellationToken)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.WriteAsync(body.ToJsonString(), cancellationToken);
    }

    private sealed class FaultEntry(FakeLinearFault fault, string? operation)
    {
        public FakeLinearFault Fault { get; } = fault;

        public string? Operation { get; } = operation;

        public int Skip { get; set; }
    }

    private sealed class NoSignalsLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
