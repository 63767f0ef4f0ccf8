using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Baton.Core.Errors;
using Baton.Core.Web;
using Baton.Web;
using Microsoft.Extensions.Logging;

namespace Baton.Tests.Web;

public partial class ApiServerTests
{
    // The field names of SPEC.md §13.7.2's suggested shapes, exactly.
    private static readonly string[] s_stateFields = ["generated_at", "counts", "running", "retrying", "codex_totals", "rate_limits"];
    private static readonly string[] s_countFields = ["running", "retrying"];
    private static readonly string[] s_runningFields =
        ["issue_id", "issue_identifier", "state", "session_id", "turn_count", "last_event", "last_message", "started_at", "last_event_at", "tokens"];

    private static readonly string[] s_tokenFields = ["input_tokens", "output_tokens", "total_tokens"];
    private static readonly string[] s_retryFields = ["issue_id", "issue_identifier", "attempt", "due_at", "error"];
    private static readonly string[] s_totalsFields = ["input_tokens", "output_tokens", "total_tokens", "seconds_running"];
    private static readonly string[] s_issueFields =
        ["issue_identifier", "issue_id", "status", "workspace", "attempts", "running", "retry", "logs", "recent_events", "last_error", "tracked"];

    private static readonly string[] s_refreshFields = ["queued", "coalesced", "requested_at", "operations"];

    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task State_Get_AnswersTheSpecShapeInSnakeCase()
    {
        var api = new TestOrchestratorApi();
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/state");

        status.ShouldBe(HttpStatusCode.OK);
        // The spec's fields, plus the reference implementation's blocked list; nothing else at the top.
        Keys(json).ShouldBe([.. s_stateFields, "blocked"], ignoreOrder: true);
        Keys(json.GetProperty("counts")).ShouldBe([.. s_countFields, "blocked"], ignoreOrder: true);
        json.GetProperty("counts").GetProperty("running").GetInt32().ShouldBe(1);
        json.GetProperty("counts").GetProperty("retrying").GetInt32().ShouldBe(1);
        json.GetProperty("counts").GetProperty("blocked").GetInt32().ShouldBe(1);

        var running = json.GetProperty("running")[0];
        Keys(running).ShouldBe([.. s_runningFields, "issue_url", "session", "agent", "workspace_path", "worker_host", "title", "cost_usd", "activity"], ignoreOrder: true);
        Keys(running.GetProperty("tokens")).ShouldBe(s_tokenFields, ignoreOrder: true);
        running.GetProperty("issue_identifier").GetString().ShouldBe("MT-649");
        running.GetProperty("turn_count").GetInt32().ShouldBe(7);
        running.GetProperty("tokens").GetProperty("total_tokens").GetInt64().ShouldBe(2000);
        running.GetProperty("worker_host").ValueKind.ShouldBe(JsonValueKind.Null);

        // UTC to the second with Z, as the spec's examples: 22:10:12.999+02:00 is 20:10:12Z.
        running.GetProperty("started_at").GetString().ShouldBe("2026-02-24T20:10:12Z");
        json.GetProperty("generated_at").GetString().ShouldBe("2026-02-24T20:15:30Z");

        var retry = json.GetProperty("retrying")[0];
        Keys(retry).ShouldBe([.. s_retryFields, "issue_url", "workspace_path", "worker_host", "title"], ignoreOrder: true);
        retry.GetProperty("attempt").GetInt32().ShouldBe(3);
        retry.GetProperty("due_at").GetString().ShouldBe("2026-02-24T20:16:00Z");
        retry.GetProperty("issue_url").ValueKind.ShouldBe(JsonValueKind.Null);

        Keys(json.GetProperty("blocked")[0]).ShouldBe(
            ["issue_id", "issue_identifier", "issue_url", "state", "error", "session_id", "blocked_at", "last_event", "last_message", "last_event_at", "session", "workspace_path", "worker_host", "title", "agent"],
            ignoreOrder: true);

        var totals = json.GetProperty("codex_totals");
        Keys(totals).ShouldBe([.. s_totalsFields, "cost_usd"], ignoreOrder: true);
        totals.GetProperty("seconds_running").GetDouble().ShouldBe(1834.2);
        json.GetProperty("rate_limits").GetProperty("primary").GetProperty("used_percent").GetDouble().ShouldBe(12.5);
    }

    [Fact]
    public async Task State_NoRateLimits_WritesExplicitNull()
    {
        var api = new TestOrchestratorApi { Snapshot = _ => Task.FromResult(new OrchestratorSnapshot { GeneratedAt = Samples.Now }) };
        await using var server = await StartAsync(api);
        using var http = Client();

        var (_, json) = await GetJsonAsync(http, server, "/api/v1/state");

        json.GetProperty("rate_limits").ValueKind.ShouldBe(JsonValueKind.Null);
        json.GetProperty("running").GetArrayLength().ShouldBe(0);
        json.GetProperty("counts").GetProperty("running").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task State_SnapshotNeverAnswers_Returns200WithSnapshotTimeout()
    {
        // Ignores its cancellation token too: the server's own bound must still hold.
        var never = new TaskCompletionSource<OrchestratorSnapshot>();
        var api = new TestOrchestratorApi { Snapshot = _ => never.Task };
        await using var server = await StartAsync(api, new ApiServerOptions { SnapshotTimeout = TimeSpan.FromMilliseconds(200) });
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/state");

        status.ShouldBe(HttpStatusCode.OK);
        Keys(json).ShouldBe(["generated_at", "error"], ignoreOrder: true);
        Keys(json.GetProperty("error")).ShouldBe(["code", "message"], ignoreOrder: true);
        json.GetProperty("error").GetProperty("code").GetString().ShouldBe("snapshot_timeout");
        json.GetProperty("generated_at").GetString()!.ShouldEndWith("Z");
    }

    [Fact]
    public async Task State_OrchestratorThrowsTimeout_Returns200WithSnapshotTimeout()
    {
        var api = new TestOrchestratorApi { Snapshot = _ => Task.FromException<OrchestratorSnapshot>(new TimeoutException("busy")) };
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/state");

        status.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("error").GetProperty("code").GetString().ShouldBe("snapshot_timeout");
    }

    [Fact]
    public async Task State_OrchestratorUnavailable_Returns200WithSnapshotUnavailable()
    {
        var api = new TestOrchestratorApi { Unavailable = true };
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/state");

        status.ShouldBe(HttpStatusCode.OK);
        Keys(json).ShouldBe(["generated_at", "error"], ignoreOrder: true);
        json.GetProperty("error").GetProperty("code").GetString().ShouldBe("snapshot_unavailable");
    }

    [Fact]
    public async Task Issue_Known_AnswersTheSpecShape()
    {
        var api = new TestOrchestratorApi();
        api.Issues["MT-649"] = Samples.RunningIssue();
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/MT-649");

        status.ShouldBe(HttpStatusCode.OK);
        Keys(json).ShouldBe([.. s_issueFields, "blocked"], ignoreOrder: true);
        json.GetProperty("status").GetString().ShouldBe("running");
        Keys(json.GetProperty("workspace")).ShouldBe(["path", "host"], ignoreOrder: true);
        Keys(json.GetProperty("attempts")).ShouldBe(["restart_count", "current_retry_attempt"], ignoreOrder: true);
        json.GetProperty("attempts").GetProperty("restart_count").GetInt32().ShouldBe(1);
        json.GetProperty("attempts").GetProperty("current_retry_attempt").GetInt32().ShouldBe(2);
        Keys(json.GetProperty("running")).ShouldContain("turn_count");
        Keys(json.GetProperty("running")).ShouldContain("tokens");
        json.GetProperty("retry").ValueKind.ShouldBe(JsonValueKind.Null);
        json.GetProperty("last_error").ValueKind.ShouldBe(JsonValueKind.Null);
        Keys(json.GetProperty("logs")).ShouldBe(["codex_session_logs"]);
        Keys(json.GetProperty("logs").GetProperty("codex_session_logs")[0]).ShouldBe(["label", "path", "url"], ignoreOrder: true);
        Keys(json.GetProperty("recent_events")[0]).ShouldBe(["at", "event", "message"], ignoreOrder: true);
        json.GetProperty("tracked").ValueKind.ShouldBe(JsonValueKind.Object);
        Keys(json.GetProperty("tracked")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Issue_Unknown_Returns404IssueNotFound()
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/MT-999");

        status.ShouldBe(HttpStatusCode.NotFound);
        ShouldBeEnvelope(json, "issue_not_found");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Refresh_Post_Returns202AndPassesCoalescedThrough(bool coalesced)
    {
        var api = new TestOrchestratorApi { CoalesceRefresh = coalesced };
        await using var server = await StartAsync(api);
        using var http = Client();

        using var response = await http.PostAsync(new Uri(server.BaseUrl + "/api/v1/refresh"), new StringContent("{}", Encoding.UTF8, "application/json"));
        var json = await ReadJsonAsync(response);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        Keys(json).ShouldBe(s_refreshFields, ignoreOrder: true);
        json.GetProperty("queued").GetBoolean().ShouldBeTrue();
        json.GetProperty("coalesced").GetBoolean().ShouldBe(coalesced);
        json.GetProperty("requested_at").GetString().ShouldBe("2026-02-24T20:15:30Z");
        json.GetProperty("operations").EnumerateArray().Select(o => o.GetString()).ShouldBe(["poll", "reconcile"]);
        api.RefreshCount.ShouldBe(1);
    }

    [Fact]
    public async Task Answer_BlockedSession_Returns202AndHandsTheTextOver()
    {
        var api = new TestOrchestratorApi();
        api.BlockedSessions.Add("mt-1");
        await using var server = await StartAsync(api);
        using var http = Client();

        using var response = await http.PostAsync(new Uri(server.BaseUrl + "/api/v1/sessions/mt-1/answer"), new StringContent("""{"text":"eu-west-1"}""", Encoding.UTF8, "application/json"));
        var json = await ReadJsonAsync(response);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        json.GetProperty("session").GetString().ShouldBe("mt-1");
        api.Answers.ShouldBe([("mt-1", "eu-west-1")]);
    }

    [Theory]
    [InlineData("mt-1", """{"text":"yes"}""", HttpStatusCode.Conflict, "session_not_blocked")]
    [InlineData("mt-404", """{"text":"yes"}""", HttpStatusCode.NotFound, "session_not_found")]
    [InlineData("mt-1", """{"text":"  "}""", HttpStatusCode.BadRequest, "body_invalid")]
    [InlineData("mt-1", """not json""", HttpStatusCode.BadRequest, "body_invalid")]
    [InlineData("mt-1", """{}""", HttpStatusCode.BadRequest, "body_invalid")]
    public async Task Answer_BadRequestOrNoBlockedRun_ReturnsTheErrorEnvelope(string session, string body, HttpStatusCode expected, string code)
    {
        var api = new TestOrchestratorApi();
        api.SessionDetails["mt-1"] = new SessionDetail { Session = Samples.Session("mt-1") };
        await using var server = await StartAsync(api);
        using var http = Client();

        using var response = await http.PostAsync(new Uri(server.BaseUrl + $"/api/v1/sessions/{session}/answer"), new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(expected);
        ShouldBeEnvelope(await ReadJsonAsync(response), code);
        api.Answers.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answer_Get_Returns405()
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/sessions/mt-1/answer");

        status.ShouldBe(HttpStatusCode.MethodNotAllowed);
        ShouldBeEnvelope(json, "method_not_allowed");
    }

    [Fact]
    public async Task Refresh_OrchestratorUnavailable_Returns503()
    {
        await using var server = await StartAsync(new TestOrchestratorApi { Unavailable = true });
        using var http = Client();

        using var response = await http.PostAsync(new Uri(server.BaseUrl + "/api/v1/refresh"), content: null);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        ShouldBeEnvelope(await ReadJsonAsync(response), "orchestrator_unavailable");
    }

    [Fact]
    public async Task Sessions_Get_ListsSessions()
    {
        var api = new TestOrchestratorApi();
        api.SessionSummaries.Add(Samples.Session("mt-1"));
        api.SessionSummaries.Add(Samples.Session("mt-2"));
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/sessions");

        status.ShouldBe(HttpStatusCode.OK);
        var sessions = json.GetProperty("sessions");
        sessions.EnumerateArray().Select(s => s.GetProperty("name").GetString()).ShouldBe(["mt-1", "mt-2"]);
        Keys(sessions[0]).ShouldBe(
            ["name", "project", "task_identifier", "agent", "model", "status", "workspace_path", "branch", "run", "turn_count", "tokens", "cost_usd", "last_event", "last_event_at", "created_at",
             "title", "activity", "started_at", "ended_at", "outcome", "proof"],
            ignoreOrder: true);
    }

    [Fact]
    public async Task Session_Known_AnswersItsDetail()
    {
        var api = new TestOrchestratorApi();
        api.SessionDetails["mt-1"] = new SessionDetail
        {
            Session = Samples.Session(),
            Purpose = "fix the parser",
            RecentEvents = [new RecentEvent(Samples.Now, "agent_message", "hello")],
        };
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/sessions/mt-1");

        status.ShouldBe(HttpStatusCode.OK);
        Keys(json).ShouldBe(["session", "purpose", "outcome", "reason", "logs", "recent_events", "question", "answered", "previous_session", "next_session", "mail"], ignoreOrder: true);
        json.GetProperty("session").GetProperty("name").GetString().ShouldBe("mt-1");
        json.GetProperty("recent_events")[0].GetProperty("message").GetString().ShouldBe("hello");
    }

    [Fact]
    public async Task Session_Unknown_Returns404SessionNotFound()
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/sessions/nope-9");

        status.ShouldBe(HttpStatusCode.NotFound);
        ShouldBeEnvelope(json, "session_not_found");
    }

    [Theory]
    [InlineData("POST", "/api/v1/state", "GET")]
    [InlineData("DELETE", "/api/v1/state", "GET")]
    [InlineData("GET", "/api/v1/refresh", "POST")]
    [InlineData("PUT", "/api/v1/refresh", "POST")]
    [InlineData("POST", "/api/v1/MT-649", "GET")]
    [InlineData("PATCH", "/api/v1/sessions", "GET")]
    [InlineData("DELETE", "/api/v1/sessions/mt-1", "GET")]
    [InlineData("POST", "/api/v1/events", "GET")]
    [InlineData("POST", "/", "GET")]
    [InlineData("POST", "/sessions/mt-1", "GET")]
    [InlineData("POST", "/assets/baton.css", "GET")]
    [InlineData("POST", "/api/v1/sessions/mt-1/events", "GET")]
    [InlineData("GET", "/api/v1/sessions/mt-1/answer", "POST")]
    [InlineData("PUT", "/api/v1/sessions/mt-1/answer", "POST")]
    [InlineData("DELETE", "/api/v1/sessions/mt-1/proof/summary.md", "GET")]
    public async Task WrongMethod_DefinedRoute_Returns405WithEnvelope(string method, string path, string allowed)
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), server.BaseUrl + path));

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.ShouldBe([allowed]);
        ShouldBeEnvelope(await ReadJsonAsync(response), "method_not_allowed");
    }

    [Theory]
    [InlineData("/api/v2/state")]
    [InlineData("/nope")]
    [InlineData("/favicon.ico")]
    [InlineData("/api/v1/sessions/mt-1/extra")]
    [InlineData("/api/v1/MT-649/extra")]
    [InlineData("/sessions/mt-1/extra")]
    [InlineData("/assets/nope.js")]
    [InlineData("/assets/index.html")]
    [InlineData("/api/v1/sessions/mt-1/proof/summary.md/x")]
    public async Task UnknownRoute_Returns404NotFoundWithEnvelope(string path)
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, path);

        status.ShouldBe(HttpStatusCode.NotFound);
        ShouldBeEnvelope(json, "not_found");
    }

    [Fact]
    public async Task Handler_OrchestratorThrows_Returns500WithoutDetailsAndLogs()
    {
        var logger = new TestLogger();
        var api = new TestOrchestratorApi { SessionsFailure = new InvalidOperationException("secret detail at /home/someone") };
        await using var server = await StartAsync(api, new ApiServerOptions { Logger = logger });
        using var http = Client();

        using var response = await http.GetAsync(new Uri(server.BaseUrl + "/api/v1/sessions"));
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        ShouldBeEnvelope(JsonDocument.Parse(body).RootElement, "internal_error");
        body.ShouldNotContain("secret detail");
        body.ShouldNotContain("   at ");
        logger.Entries.ShouldContain(e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException);
    }

    [Fact]
    public async Task Root_Get_ServesThePageThatReadsTheState()
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        using var response = await http.GetAsync(new Uri(server.BaseUrl + "/"));
        var html = await response.Content.ReadAsStringAsync();
        var script = await http.GetStringAsync(new Uri(server.BaseUrl + "/assets/dashboard.js"));
        var common = await http.GetStringAsync(new Uri(server.BaseUrl + "/assets/common.js"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        html.ShouldContain("/assets/dashboard.js");
        script.ShouldContain("/api/v1/state");
        script.ShouldContain("/api/v1/sessions");
        common.ShouldContain("/api/v1/events");

        // Only the server's own script files run: no inline script, whatever text a task brings.
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldContain("script-src 'self'");
        policy.ShouldNotContain("unsafe-inline");
        html.ShouldNotContain("<script>");
    }

    [Fact]
    public async Task Events_ThreePublished_ArriveInOrder()
    {
        var api = new TestOrchestratorApi();
        await using var server = await StartAsync(api);
        using var http = StreamingClient();
        await using var sse = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);

        sse.Response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        for (var i = 1; i <= 3; i++)
        {
            api.Hub.Publish(Event(i));
        }

        for (var i = 1; i <= 3; i++)
        {
            var frame = await sse.NextEventAsync(s_bound);
            frame.Event.ShouldBe("state");
            frame.Id.ShouldBe(i.ToString(CultureInfo.InvariantCulture));
            JsonDocument.Parse(frame.Data!).RootElement.GetProperty("n").GetInt32().ShouldBe(i);
        }
    }

    [Fact]
    public async Task Events_DataWithLineBreaks_StaysOneDataLine()
    {
        var api = new TestOrchestratorApi();
        await using var server = await StartAsync(api);
        using var http = StreamingClient();
        await using var sse = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);

        // Indented source JSON and a string with a newline: neither may split the frame.
        api.Hub.Publish(new ServerEvent("session", JsonDocument.Parse("{\n  \"text\": \"line one\\nevent: forged\"\n}").RootElement.Clone()));
        var frame = await sse.NextEventAsync(s_bound);

        frame.Event.ShouldBe("session");
        frame.Data!.ShouldNotContain("\n");
        JsonDocument.Parse(frame.Data!).RootElement.GetProperty("text").GetString().ShouldBe("line one\nevent: forged");
    }

    [Fact]
    public async Task Events_TwoClients_BothReceiveEverything()
    {
        var api = new TestOrchestratorApi();
        await using var server = await StartAsync(api);
        using var http = StreamingClient();
        await using var first = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);
        await using var second = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);

        for (var i = 1; i <= 5; i++)
        {
            api.Hub.Publish(Event(i));
        }

        foreach (var client in new[] { first, second })
        {
            for (var i = 1; i <= 5; i++)
            {
                (await client.NextEventAsync(s_bound)).Id.ShouldBe(i.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    [Fact]
    public async Task Events_ClientDisconnects_ServerUnsubscribesAndKeepsServing()
    {
        var api = new TestOrchestratorApi();
        await using var server = await StartAsync(api);
        using var http = StreamingClient();
        var leaving = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);
        api.Hub.SubscriberCount.ShouldBe(1);

        await leaving.DisposeAsync();
        await PollUntilAsync(() => api.Hub.SubscriberCount == 0, s_bound);
        api.Hub.Publish(Event(1));

        using var plain = Client();
        (await GetJsonAsync(plain, server, "/api/v1/state")).Status.ShouldBe(HttpStatusCode.OK);
        await using var staying = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);
        api.Hub.Publish(Event(2));
        (await staying.NextEventAsync(s_bound)).Id.ShouldBe("2");
    }

    [Fact]
    public async Task Events_Idle_SendsHeartbeatComments()
    {
        await using var server = await StartAsync(new TestOrchestratorApi(), new ApiServerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(100) });
        using var http = StreamingClient();
        await using var sse = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);

        var frame = await sse.NextFrameAsync(s_bound);

        frame.Event.ShouldBeNull();
        frame.Comments.ShouldBe(["heartbeat"]);
    }

    [Fact]
    public async Task Events_OrchestratorEndsTheStream_ResponseEnds()
    {
        var api = new TestOrchestratorApi();
        await using var server = await StartAsync(api);
        using var http = StreamingClient();
        await using var sse = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);

        api.Hub.Complete();

        await Should.ThrowAsync<EndOfStreamException>(() => sse.NextFrameAsync(s_bound));
    }

    [Fact]
    public async Task Dispose_WithOpenEventStream_EndsTheStreamCleanly()
    {
        var api = new TestOrchestratorApi();
        var server = await StartAsync(api);
        using var http = StreamingClient();
        await using var sse = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);

        await server.DisposeAsync().AsTask().WaitAsync(s_bound);

        // A clean end of the chunked body (not a reset): the handler returned when told to stop, rather than being
        // cut off after the host's shutdown timeout.
        await Should.ThrowAsync<EndOfStreamException>(() => sse.NextFrameAsync(s_bound));
        api.Hub.SubscriberCount.ShouldBe(0);
    }

    [Fact]
    public async Task Token_MissingOrWrong_Returns401()
    {
        var token = ApiServer.NewToken();
        await using var server = await StartAsync(new TestOrchestratorApi(), new ApiServerOptions { Token = token });
        using var http = Client();

        var (missing, missingJson) = await GetJsonAsync(http, server, "/api/v1/state");
        var (wrong, wrongJson) = await GetJsonAsync(http, server, "/api/v1/state", r => r.Headers.Authorization = new("Bearer", ApiServer.NewToken()));
        var (wrongCookie, _) = await GetJsonAsync(http, server, "/api/v1/state", r => r.Headers.Add("Cookie", $"{ApiServer.TokenCookie}={ApiServer.NewToken()}"));
        var (page, _) = await GetJsonAsync(http, server, "/");
        var (badLogin, badLoginJson) = await GetJsonAsync(http, server, "/?token=" + ApiServer.NewToken());

        missing.ShouldBe(HttpStatusCode.Unauthorized);
        ShouldBeEnvelope(missingJson, "unauthorized");
        wrong.ShouldBe(HttpStatusCode.Unauthorized);
        ShouldBeEnvelope(wrongJson, "unauthorized");
        wrongCookie.ShouldBe(HttpStatusCode.Unauthorized);
        page.ShouldBe(HttpStatusCode.Unauthorized);
        badLogin.ShouldBe(HttpStatusCode.Unauthorized);
        ShouldBeEnvelope(badLoginJson, "unauthorized");
    }

    [Fact]
    public async Task Token_BearerHeader_IsAccepted()
    {
        var token = ApiServer.NewToken();
        await using var server = await StartAsync(new TestOrchestratorApi(), new ApiServerOptions { Token = token });
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/state", r => r.Headers.Authorization = new("Bearer", token));

        status.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("counts").GetProperty("running").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task Token_LoginUrl_SetsStrictHttpOnlyCookieThatWorks()
    {
        var token = ApiServer.NewToken();
        await using var server = await StartAsync(new TestOrchestratorApi(), new ApiServerOptions { Token = token });
        using var http = Client();
        server.LoginUrl.ShouldBe($"{server.BaseUrl}/?token={token}");

        using var login = await http.GetAsync(new Uri(server.LoginUrl!));

        login.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        login.Headers.Location!.OriginalString.ShouldBe("/");
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        cookie.ShouldStartWith($"{ApiServer.TokenCookie}={token};");
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=strict", Case.Insensitive);
        cookie.ShouldContain("path=/", Case.Insensitive);

        void WithCookie(HttpRequestMessage r) => r.Headers.Add("Cookie", $"{ApiServer.TokenCookie}={token}");
        (await GetJsonAsync(http, server, "/api/v1/state", WithCookie)).Status.ShouldBe(HttpStatusCode.OK);
        using var page = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "/");
        WithCookie(page);
        using var pageResponse = await http.SendAsync(page);
        pageResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Start_NonLoopbackWithoutToken_Refuses()
    {
        var error = await Should.ThrowAsync<BatonException>(() => ApiServer.StartAsync(new TestOrchestratorApi(), new ApiServerOptions { Host = "0.0.0.0" }).WaitAsync(s_bound));

        error.Code.ShouldBe(ErrorCodes.ServerTokenRequired);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("has spaces in the token value")]
    [InlineData("semi;colon;breaks;cookies;x")]
    public async Task Start_MalformedToken_Refuses(string token)
    {
        var error = await Should.ThrowAsync<BatonException>(() => ApiServer.StartAsync(new TestOrchestratorApi(), new ApiServerOptions { Token = token }).WaitAsync(s_bound));

        error.Code.ShouldBe(ErrorCodes.ServerTokenInvalid);
        error.Message.ShouldNotContain(token);
    }

    [Fact]
    public async Task Start_HostNameNotAnAddress_Refuses()
    {
        var error = await Should.ThrowAsync<BatonException>(() => ApiServer.StartAsync(new TestOrchestratorApi(), new ApiServerOptions { Host = "example.com", Token = ApiServer.NewToken() }).WaitAsync(s_bound));

        error.Code.ShouldBe(ErrorCodes.ServerHostInvalid);
    }

    [Fact]
    public async Task Start_NonLoopbackWithToken_RequiresItAndSkipsTheHostCheck()
    {
        var token = ApiServer.NewToken();
        await using var server = await StartAsync(new TestOrchestratorApi(), new ApiServerOptions { Host = "0.0.0.0", Token = token });
        using var http = Client();

        var (without, _) = await GetJsonAsync(http, server, "/api/v1/state");
        var (with, _) = await GetJsonAsync(http, server, "/api/v1/state", r =>
        {
            r.Headers.Authorization = new("Bearer", token);
            r.Headers.Host = $"baton.example:{server.Port}";
        });

        without.ShouldBe(HttpStatusCode.Unauthorized);
        with.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Start_PortTaken_ThrowsPortInUse()
    {
        await using var first = await StartAsync(new TestOrchestratorApi());

        var error = await Should.ThrowAsync<BatonException>(() => ApiServer.StartAsync(new TestOrchestratorApi(), new ApiServerOptions { Port = first.Port }).WaitAsync(s_bound));

        error.Code.ShouldBe(ErrorCodes.PortInUse);
    }

    [Fact]
    public async Task HostHeader_Foreign_Returns421OnLoopback()
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();
        var otherPort = server.Port == 1 ? 2 : server.Port - 1;

        var (foreign, json) = await GetJsonAsync(http, server, "/api/v1/state", r => r.Headers.Host = $"rebind.example:{server.Port}");
        var (wrongPort, _) = await GetJsonAsync(http, server, "/api/v1/state", r => r.Headers.Host = $"127.0.0.1:{otherPort}");
        var (localhost, _) = await GetJsonAsync(http, server, "/api/v1/state", r => r.Headers.Host = $"localhost:{server.Port}");
        var (bound, _) = await GetJsonAsync(http, server, "/api/v1/state");

        foreign.ShouldBe(HttpStatusCode.MisdirectedRequest);
        ShouldBeEnvelope(json, "host_not_allowed");
        wrongPort.ShouldBe(HttpStatusCode.MisdirectedRequest);
        localhost.ShouldBe(HttpStatusCode.OK);
        bound.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Refresh_CrossOrigin_Returns403AndDoesNotRefresh()
    {
        var api = new TestOrchestratorApi();
        await using var server = await StartAsync(api);
        using var http = Client();

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/api/v1/refresh");
        crossSite.Headers.Add("Origin", "http://evil.example");
        using var crossResponse = await http.SendAsync(crossSite);
        using var sameSite = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/api/v1/refresh");
        sameSite.Headers.Add("Origin", server.BaseUrl);
        using var sameResponse = await http.SendAsync(sameSite);

        crossResponse.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        ShouldBeEnvelope(await ReadJsonAsync(crossResponse), "origin_not_allowed");
        sameResponse.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        api.RefreshCount.ShouldBe(1);
    }

    private static ServerEvent Event(int n) =>
        new(ServerEventTypes.State, JsonDocument.Parse($"{{\"n\":{n.ToString(CultureInfo.InvariantCulture)}}}").RootElement.Clone(), n);

    private static Task<ApiServer> StartAsync(IOrchestratorApi api, ApiServerOptions? options = null) =>
        ApiServer.StartAsync(api, options ?? new ApiServerOptions()).WaitAsync(s_bound);

    /// <summary>No cookie jar and no redirects: the tests see exactly what the server sends.</summary>
    private static HttpClient Client() =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = s_bound };

    /// <summary>For event streams: every read there is bounded by <see cref="SseClient"/> instead.</summary>
    private static HttpClient StreamingClient() =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

    private static async Task<(HttpStatusCode Status, JsonElement Json)> GetJsonAsync(HttpClient http, ApiServer server, string path, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + path);
        configure?.Invoke(request);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            return default;
        }

        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] Keys(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    private static void ShouldBeEnvelope(JsonElement json, string code)
    {
        Keys(json).ShouldBe(["error"]);
        Keys(json.GetProperty("error")).ShouldBe(["code", "message"], ignoreOrder: true);
        json.GetProperty("error").GetProperty("code").GetString().ShouldBe(code);
        json.GetProperty("error").GetProperty("message").GetString().ShouldNotBeNullOrWhiteSpace();
    }

    private static async Task PollUntilAsync(Func<bool> condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {bound}");
            }

            await Task.Delay(20);
        }
    }
}
