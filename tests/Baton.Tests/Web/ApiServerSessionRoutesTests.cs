using System.Net;
using System.Text;
using System.Text.Json;
using Baton.Core.Web;
using Baton.Web;

namespace Baton.Tests.Web;

/// <summary>The session routes the dashboard uses: the transcript, answering a blocked session, the proof files, the pages.</summary>
public partial class ApiServerTests
{
    private const string Question = "May I delete the old migrations? (secret-question-text)";

    [Fact]
    public async Task Transcript_FromStart_ReturnsEventsInPlainWordsAndWhereToGoOn()
    {
        using var dir = new SessionDirectory();
        dir.Append("""{"ts":"2026-02-24T20:00:00Z","session":"mt-1","run":1,"type":"run_started","agent":"pi"}""");
        dir.Append("""{"ts":"2026-02-24T20:00:01Z","session":"mt-1","run":1,"type":"heartbeat"}""");
        dir.Append("""{"ts":"2026-02-24T20:00:02Z","session":"mt-1","run":1,"type":"tool_started","toolName":"bash","toolInput":"dotnet test"}""");
        dir.Append("""{"ts":"2026-02-24T20:00:03Z","session":"mt-1","run":1,"type":"agent_message","text":"All green"}""");
        var api = new TestOrchestratorApi();
        api.SessionDirectories["mt-1"] = dir.Path;
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/sessions/mt-1/events");

        status.ShouldBe(HttpStatusCode.OK);
        Keys(json).ShouldBe(["session", "from", "next", "more", "reset", "events"], ignoreOrder: true);
        var events = json.GetProperty("events").EnumerateArray().ToList();
        events.Select(e => e.GetProperty("type").GetString()).ShouldBe(["run_started", "tool_started", "agent_message"]); // no heartbeat
        events[1].GetProperty("words").GetString().ShouldBe("running bash: dotnet test");
        events[1].GetProperty("tool_input").GetString().ShouldBe("dotnet test");
        events[2].GetProperty("text").GetString().ShouldBe("All green");
        json.GetProperty("next").GetInt64().ShouldBe(new FileInfo(dir.Events).Length);
        json.GetProperty("more").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Transcript_FromNext_ReturnsOnlyCompleteNewLines()
    {
        using var dir = new SessionDirectory();
        dir.Append("""{"ts":"2026-02-24T20:00:00Z","session":"mt-1","run":1,"type":"agent_message","text":"one"}""");
        var api = new TestOrchestratorApi();
        api.SessionDirectories["mt-1"] = dir.Path;
        await using var server = await StartAsync(api);
        using var http = Client();
        var (_, first) = await GetJsonAsync(http, server, "/api/v1/sessions/mt-1/events");
        var next = first.GetProperty("next").GetInt64();

        dir.Append("""{"ts":"2026-02-24T20:00:01Z","session":"mt-1","run":1,"type":"agent_message","text":"two"}""");
        File.AppendAllText(dir.Events, """{"ts":"2026-02-24T20:00:02Z","session":"mt-1","run":1,"type":"agent_me""");
        var (_, second) = await GetJsonAsync(http, server, $"/api/v1/sessions/mt-1/events?from={next}");

        second.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("text").GetString()).ShouldBe(["two"]);
        second.GetProperty("from").GetInt64().ShouldBe(next);
        // The half-written line is left for the next call.
        second.GetProperty("next").GetInt64().ShouldBeLessThan(new FileInfo(dir.Events).Length);
    }

    [Fact]
    public async Task Transcript_OffsetPastTheEnd_StartsAgainWithReset()
    {
        using var dir = new SessionDirectory();
        dir.Append("""{"ts":"2026-02-24T20:00:00Z","session":"mt-1","run":1,"type":"agent_message","text":"one"}""");
        var api = new TestOrchestratorApi();
        api.SessionDirectories["mt-1"] = dir.Path;
        await using var server = await StartAsync(api);
        using var http = Client();

        var (_, json) = await GetJsonAsync(http, server, "/api/v1/sessions/mt-1/events?from=999999");

        json.GetProperty("reset").GetBoolean().ShouldBeTrue();
        json.GetProperty("from").GetInt64().ShouldBe(0);
        json.GetProperty("events").GetArrayLength().ShouldBe(1);
    }

    [Theory]
    [InlineData("from=abc")]
    [InlineData("from=-1")]
    [InlineData("max=1e9")]
    [InlineData("from=1&from=2")]
    public async Task Transcript_BadQuery_Returns400InvalidRequest(string query)
    {
        using var dir = new SessionDirectory();
        var api = new TestOrchestratorApi();
        api.SessionDirectories["mt-1"] = dir.Path;
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/sessions/mt-1/events?" + query);

        status.ShouldBe(HttpStatusCode.BadRequest);
        ShouldBeEnvelope(json, "invalid_request");
    }

    [Fact]
    public async Task Transcript_UnknownSession_Returns404SessionNotFound()
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/sessions/nope-1/events");

        status.ShouldBe(HttpStatusCode.NotFound);
        ShouldBeEnvelope(json, "session_not_found");
    }

    [Fact]
    public async Task Answer_BlockedSession_Returns202AndDeliversTheTrimmedText()
    {
        var api = new TestOrchestratorApi();
        api.BlockedSessions.Add("mt-2");
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await PostAnswerAsync(http, server, "mt-2", """{"text":"  Yes, delete them.  "}""");

        status.ShouldBe(HttpStatusCode.Accepted);
        Keys(json).ShouldBe(["session", "accepted_at"], ignoreOrder: true);
        json.GetProperty("session").GetString().ShouldBe("mt-2");
        api.Answers.ShouldBe([("mt-2", "Yes, delete them.")]);
    }

    [Theory]
    [InlineData("text/plain", "yes", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")]
    [InlineData("application/x-www-form-urlencoded", "text=yes", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")]
    [InlineData("application/json", "{not json", HttpStatusCode.BadRequest, "body_invalid")]
    [InlineData("application/json", "[1,2]", HttpStatusCode.BadRequest, "body_invalid")]
    [InlineData("application/json", """{"text":"   "}""", HttpStatusCode.BadRequest, "body_invalid")]
    [InlineData("application/json", "{}", HttpStatusCode.BadRequest, "body_invalid")]
    [InlineData("application/json", """{"text":42}""", HttpStatusCode.BadRequest, "body_invalid")]
    public async Task Answer_BadBody_ReturnsTheErrorAndDeliversNothing(string contentType, string body, HttpStatusCode expected, string code)
    {
        var api = new TestOrchestratorApi();
        api.BlockedSessions.Add("mt-2");
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await PostAnswerAsync(http, server, "mt-2", body, contentType);

        status.ShouldBe(expected);
        ShouldBeEnvelope(json, code);
        api.Answers.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answer_TooLong_Returns400OrTooLargeAndDeliversNothing()
    {
        var api = new TestOrchestratorApi();
        api.BlockedSessions.Add("mt-2");
        await using var server = await StartAsync(api);
        using var http = Client();

        var (longStatus, longJson) = await PostAnswerAsync(http, server, "mt-2", JsonSerializer.Serialize(new { text = new string('a', ApiServer.MaxAnswerChars + 1) }));
        var (hugeStatus, hugeJson) = await PostAnswerAsync(http, server, "mt-2", JsonSerializer.Serialize(new { text = new string('a', 200_000) }));

        longStatus.ShouldBe(HttpStatusCode.BadRequest);
        ShouldBeEnvelope(longJson, "body_invalid");
        hugeStatus.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        ShouldBeEnvelope(hugeJson, "request_too_large");
        api.Answers.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answer_CrossOrigin_Returns403AndDeliversNothing()
    {
        var api = new TestOrchestratorApi();
        api.BlockedSessions.Add("mt-2");
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await PostAnswerAsync(http, server, "mt-2", """{"text":"yes"}""", configure: r => r.Headers.Add("Origin", "http://evil.example"));

        status.ShouldBe(HttpStatusCode.Forbidden);
        ShouldBeEnvelope(json, "origin_not_allowed");
        api.Answers.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answer_TokenMissingOrWrong_Returns401WithoutLeakingAndDeliversNothing()
    {
        var token = ApiServer.NewToken();
        var api = new TestOrchestratorApi();
        api.BlockedSessions.Add("mt-2");
        await using var server = await StartAsync(api, new ApiServerOptions { Token = token });
        using var http = Client();

        var responses = new[]
        {
            await PostAnswerRawAsync(http, server, "mt-2", """{"text":"yes"}"""),
            await PostAnswerRawAsync(http, server, "mt-2", """{"text":"yes"}""", r => r.Headers.Authorization = new("Bearer", ApiServer.NewToken())),
            await PostAnswerRawAsync(http, server, "mt-2", """{"text":"yes"}""", r => r.Headers.Add("Cookie", $"{ApiServer.TokenCookie}={ApiServer.NewToken()}")),
            await PostAnswerRawAsync(http, server, "mt-2", """{"text":"yes"}""", r => r.Headers.Authorization = new("Bearer", token[..^1])),
            await PostAnswerRawAsync(http, server, "nope-9", """{"text":"yes"}"""),
        };

        foreach (var (status, body) in responses)
        {
            status.ShouldBe(HttpStatusCode.Unauthorized);
            ShouldBeEnvelope(JsonDocument.Parse(body).RootElement, "unauthorized");

            // Nothing about the session, its question or the token; and an unknown session looks the same as a known one.
            body.ShouldNotContain("mt-2");
            body.ShouldNotContain(token);
            body.ShouldNotContain("secret-question-text");
        }

        responses.Select(r => r.Body).Distinct().Count().ShouldBe(1);
        api.Answers.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answer_WithTheToken_IsAcceptedByHeaderAndByCookie()
    {
        var token = ApiServer.NewToken();
        var api = new TestOrchestratorApi();
        api.BlockedSessions.Add("mt-2");
        await using var server = await StartAsync(api, new ApiServerOptions { Token = token });
        using var http = Client();

        var (byHeader, _) = await PostAnswerAsync(http, server, "mt-2", """{"text":"one"}""", configure: r => r.Headers.Authorization = new("Bearer", token));
        api.BlockedSessions.Add("mt-2"); // an accepted answer unblocks it: block it again for the second way in
        var (byCookie, _) = await PostAnswerAsync(http, server, "mt-2", """{"text":"two"}""", configure: r => r.Headers.Add("Cookie", $"{ApiServer.TokenCookie}={token}"));

        byHeader.ShouldBe(HttpStatusCode.Accepted);
        byCookie.ShouldBe(HttpStatusCode.Accepted);
        api.Answers.Select(a => a.Text).ShouldBe(["one", "two"]);
    }

    [Fact]
    public async Task Proof_ServedFiles_GoOutWithTheirTypesAndTheTranscriptSandboxed()
    {
        using var dir = new SessionDirectory();
        dir.WriteProof("summary.md", "# Proof\n\nAll green.\n");
        dir.WriteProof("proof.json", """{"outcome":"succeeded"}""");
        dir.WriteProof("transcript.html", "<!doctype html><p>hi</p><script>alert(1)</script>");
        var api = new TestOrchestratorApi();
        api.SessionDirectories["mt-1"] = dir.Path;
        await using var server = await StartAsync(api);
        using var http = Client();

        using var summary = await http.GetAsync(new Uri(server.BaseUrl + "/api/v1/sessions/mt-1/proof/summary.md"));
        using var json = await http.GetAsync(new Uri(server.BaseUrl + "/api/v1/sessions/mt-1/proof/proof.json"));
        using var transcript = await http.GetAsync(new Uri(server.BaseUrl + "/api/v1/sessions/mt-1/proof/transcript.html"));

        summary.StatusCode.ShouldBe(HttpStatusCode.OK);
        summary.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        (await summary.Content.ReadAsStringAsync()).ShouldBe("# Proof\n\nAll green.\n");
        json.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        (await json.Content.ReadAsStringAsync()).ShouldBe("""{"outcome":"succeeded"}""");
        transcript.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var policy = transcript.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldStartWith("sandbox");
        policy.ShouldNotContain("script-src");
        summary.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
    }

    [Theory]
    [InlineData("events.jsonl")]
    [InlineData("secret.txt")]
    [InlineData("..%2F..%2Fstatus.json")]
    [InlineData("..%2Fsession.json")]
    [InlineData("SUMMARY.MD")]
    public async Task Proof_NameNotServed_Returns404AndServesNothing(string file)
    {
        using var dir = new SessionDirectory();
        dir.WriteProof("secret.txt", "do not serve");
        File.WriteAllText(System.IO.Path.Combine(dir.Path, "status.json"), "do not serve");
        File.WriteAllText(System.IO.Path.Combine(dir.Path, "session.json"), "do not serve");
        var api = new TestOrchestratorApi();
        api.SessionDirectories["mt-1"] = dir.Path;
        await using var server = await StartAsync(api);
        using var http = Client();

        using var response = await http.GetAsync(new Uri(server.BaseUrl + "/api/v1/sessions/mt-1/proof/" + file));
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        body.ShouldNotContain("do not serve");
        ShouldBeEnvelope(JsonDocument.Parse(body).RootElement, "not_found");
    }

    [Fact]
    public async Task Proof_NotWrittenYet_Returns404ProofNotFound()
    {
        using var dir = new SessionDirectory();
        var api = new TestOrchestratorApi();
        api.SessionDirectories["mt-1"] = dir.Path;
        await using var server = await StartAsync(api);
        using var http = Client();

        var (status, json) = await GetJsonAsync(http, server, "/api/v1/sessions/mt-1/proof/summary.md");
        var (unknown, unknownJson) = await GetJsonAsync(http, server, "/api/v1/sessions/nope-1/proof/summary.md");

        status.ShouldBe(HttpStatusCode.NotFound);
        ShouldBeEnvelope(json, "proof_not_found");
        unknown.ShouldBe(HttpStatusCode.NotFound);
        ShouldBeEnvelope(unknownJson, "session_not_found");
    }

    [Fact]
    public async Task Proof_SymbolicLinkOutOfTheDirectory_IsRefusedAndLogged()
    {
        using var dir = new SessionDirectory();
        var outside = System.IO.Path.Combine(dir.Path, "outside-secret.txt");
        File.WriteAllText(outside, "do not serve");
        Directory.CreateDirectory(System.IO.Path.Combine(dir.Path, "proof"));
        File.CreateSymbolicLink(System.IO.Path.Combine(dir.Path, "proof", "summary.md"), outside);
        var logger = new TestLogger();
        var api = new TestOrchestratorApi();
        api.SessionDirectories["mt-1"] = dir.Path;
        await using var server = await StartAsync(api, new ApiServerOptions { Logger = logger });
        using var http = Client();

        using var response = await http.GetAsync(new Uri(server.BaseUrl + "/api/v1/sessions/mt-1/proof/summary.md"));
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        body.ShouldNotContain("do not serve");
        ShouldBeEnvelope(JsonDocument.Parse(body).RootElement, "proof_not_found");
        logger.Entries.ShouldContain(e => e.Message.Contains("refused to serve proof file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SessionPage_AnyName_ServesThePageUnderThePolicy()
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        using var response = await http.GetAsync(new Uri(server.BaseUrl + "/sessions/mt-1"));
        var html = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        html.ShouldContain("/assets/session.js");
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("default-src 'none'");
    }

    [Theory]
    [InlineData("baton.css", "text/css")]
    [InlineData("common.js", "text/javascript")]
    [InlineData("dashboard.js", "text/javascript")]
    [InlineData("session.js", "text/javascript")]
    [InlineData("baton.svg", "image/svg+xml")]
    public async Task Assets_Embedded_AreServedWithTheirTypes(string file, string mediaType)
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();

        using var response = await http.GetAsync(new Uri(server.BaseUrl + "/assets/" + file));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe(mediaType);
        (await response.Content.ReadAsByteArrayAsync()).Length.ShouldBeGreaterThan(100);
    }

    [Fact]
    public async Task Assets_NamedWithTheirHash_MayBeCachedForGood_OthersNot()
    {
        await using var server = await StartAsync(new TestOrchestratorApi());
        using var http = Client();
        var html = await http.GetStringAsync(new Uri(server.BaseUrl + "/"));
        var versioned = System.Text.RegularExpressions.Regex.Match(html, "/assets/dashboard\\.js\\?v=[0-9a-f]{12}").Value;

        using var cached = await http.GetAsync(new Uri(server.BaseUrl + versioned));
        using var plain = await http.GetAsync(new Uri(server.BaseUrl + "/assets/dashboard.js"));
        using var stale = await http.GetAsync(new Uri(server.BaseUrl + "/assets/dashboard.js?v=000000000000"));

        versioned.ShouldNotBeEmpty();
        cached.Headers.CacheControl!.ToString().ShouldContain("immutable");
        plain.Headers.CacheControl!.NoCache.ShouldBeTrue();
        stale.Headers.CacheControl!.NoCache.ShouldBeTrue();
        (await cached.Content.ReadAsStringAsync()).ShouldBe(await plain.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Events_SessionActivity_ArrivesAsASessionEvent()
    {
        var api = new TestOrchestratorApi();
        await using var server = await StartAsync(api);
        using var http = StreamingClient();
        await using var sse = await SseClient.ConnectAsync(http, server.BaseUrl + "/api/v1/events", s_bound);

        api.Hub.Publish(ServerEvent.Create(ServerEventTypes.Session, new SessionActivity("mt-1", "agent_message", Samples.Now, "said: hi"), ApiJsonContext.Default.SessionActivity));
        var frame = await sse.NextEventAsync(s_bound);

        frame.Event.ShouldBe("session");
        var data = JsonDocument.Parse(frame.Data!).RootElement;
        data.GetProperty("session").GetString().ShouldBe("mt-1");
        data.GetProperty("words").GetString().ShouldBe("said: hi");
    }

    private static async Task<(HttpStatusCode Status, JsonElement Json)> PostAnswerAsync(HttpClient http, ApiServer server, string session, string body, string contentType = "application/json", Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{server.BaseUrl}/api/v1/sessions/{session}/answer")
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        configure?.Invoke(request);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostAnswerRawAsync(HttpClient http, ApiServer server, string session, string body, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{server.BaseUrl}/api/v1/sessions/{session}/answer")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        configure?.Invoke(request);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A session directory of a test's own: events.jsonl and proof/ files written by hand.</summary>
    private sealed class SessionDirectory : IDisposable
    {
        public SessionDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "baton-tests", "session-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string Events => System.IO.Path.Combine(Path, "events.jsonl");

        public void Append(string line) => File.AppendAllText(Events, line + "\n");

        public void WriteProof(string name, string content)
        {
            var proof = System.IO.Path.Combine(Path, "proof");
            Directory.CreateDirectory(proof);
            File.WriteAllText(System.IO.Path.Combine(proof, name), content);
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
