using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Baton.Core.Errors;
using Baton.Core.Replay;
using Baton.Replay;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Replay;

public class ReplayServerTests
{
    private static readonly ReplayScript s_script = ReplayScript.Parse(
        """
        [
          {"text": "I'll create the file.",
           "tool_calls": [{"name": "write", "arguments": {"path": "hello.txt", "content": "hi\n"}}],
           "usage": {"input": 1200, "output": 40, "cacheRead": 100}},
          {"tool_calls": [{"name": "bash", "arguments": {"command": "git commit -qam x"}}], "usage": {"input": 1300, "output": 30}},
          {"text": "Done.", "usage": {"input": 1400, "output": 12}}
        ]
        """,
        "test-script.json");

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task ChatCompletions_Streaming_SendsToolCallFinishReasonAndUsage()
    {
        await using var server = await Start(s_script);

        var (status, body) = await Post(server, "/v1/chat/completions", ChatBody(assistantTurns: 0, stream: true));

        status.ShouldBe(HttpStatusCode.OK);
        var events = ParseSse(body);
        events[^1].Data.ShouldBe("[DONE]");
        var chunks = events.SkipLast(1).Select(e => e.Json).ToList();
        var deltas = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0]).ToList();
        string.Concat(deltas.Select(d => d.GetProperty("delta")).Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString()))
            .ShouldBe("I'll create the file.");
        var call = deltas.Select(d => d.GetProperty("delta")).First(d => d.TryGetProperty("tool_calls", out _)).GetProperty("tool_calls")[0];
        call.GetProperty("id").GetString()!.ShouldStartWith("call_");
        call.GetProperty("function").GetProperty("name").GetString().ShouldBe("write");
        var arguments = deltas.Select(d => d.GetProperty("delta")).Where(d => d.TryGetProperty("tool_calls", out _))
            .Select(d => d.GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()).Last()!;
        JsonDocument.Parse(arguments).RootElement.GetProperty("path").GetString().ShouldBe("hello.txt");
        deltas[^1].GetProperty("finish_reason").GetString().ShouldBe("tool_calls");
        var usage = chunks[^1].GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(1300);
        usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32().ShouldBe(100);
        usage.GetProperty("completion_tokens").GetInt32().ShouldBe(40);
    }

    [Fact]
    public async Task ChatCompletions_NonStreaming_ReturnsTheTurnForTheHistory()
    {
        await using var server = await Start(s_script);

        var (status, body) = await Post(server, "/v1/chat/completions", ChatBody(assistantTurns: 2, stream: false));

        status.ShouldBe(HttpStatusCode.OK);
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("object").GetString().ShouldBe("chat.completion");
        json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().ShouldBe("Done.");
        json.GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe("stop");
        json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32().ShouldBe(1400);
        json.GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBe(12);
        json.GetProperty("model").GetString().ShouldBe("test-model");
    }

    [Fact]
    public async Task AnthropicMessages_StreamingWithBetaQuery_SendsToolUseAndUsage()
    {
        await using var server = await Start(s_script);

        var (status, body) = await Post(server, "/v1/messages?beta=true", AnthropicBody(assistantTurns: 1, stream: true));

        status.ShouldBe(HttpStatusCode.OK);
        var events = ParseSse(body);
        events.Select(e => e.Name).ShouldBe(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
        events[0].Json.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt32().ShouldBe(1300);
        var block = events[1].Json.GetProperty("content_block");
        block.GetProperty("type").GetString().ShouldBe("tool_use");
        block.GetProperty("name").GetString().ShouldBe("bash");
        block.GetProperty("id").GetString()!.ShouldStartWith("toolu_");
        var partial = events[2].Json.GetProperty("delta").GetProperty("partial_json").GetString()!;
        JsonDocument.Parse(partial).RootElement.GetProperty("command").GetString().ShouldBe("git commit -qam x");
        var delta = events[4].Json;
        delta.GetProperty("delta").GetProperty("stop_reason").GetString().ShouldBe("tool_use");
        delta.GetProperty("usage").GetProperty("output_tokens").GetInt32().ShouldBe(30);
    }

    [Fact]
    public async Task AnthropicMessages_NonStreaming_ReturnsContentBlocks()
    {
        await using var server = await Start(s_script);

        var (status, body) = await Post(server, "/v1/messages", AnthropicBody(assistantTurns: 0, stream: false));

        status.ShouldBe(HttpStatusCode.OK);
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("stop_reason").GetString().ShouldBe("tool_use");
        json.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("I'll create the file.");
        json.GetProperty("content")[1].GetProperty("input").GetProperty("content").GetString().ShouldBe("hi\n");
        json.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt32().ShouldBe(100);
    }

    [Fact]
    public async Task Responses_Streaming_SendsItemsAndCompletedUsage()
    {
        await using var server = await Start(s_script);

        var (status, body) = await Post(server, "/v1/responses", ResponsesBody(assistantTurns: 0, stream: true));

        status.ShouldBe(HttpStatusCode.OK);
        var events = ParseSse(body);
        events[0].Name.ShouldBe("response.created");
        events[^1].Name.ShouldBe("response.completed");
        var done = events.Where(e => e.Name == "response.output_item.done").Select(e => e.Json.GetProperty("item")).ToList();
        done.Select(i => i.GetProperty("type").GetString()).ShouldBe(["message", "function_call"]);
        done[0].GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("I'll create the file.");
        done[1].GetProperty("call_id").GetString()!.ShouldStartWith("call_");
        done[1].GetProperty("name").GetString().ShouldBe("write");
        var usage = events[^1].Json.GetProperty("response").GetProperty("usage");
        usage.GetProperty("input_tokens").GetInt32().ShouldBe(1300);
        usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt32().ShouldBe(100);
        usage.GetProperty("output_tokens").GetInt32().ShouldBe(40);
    }

    [Fact]
    public async Task Responses_NonStreamingAfterTwoTurns_ReturnsFinalMessage()
    {
        await using var server = await Start(s_script);

        var (status, body) = await Post(server, "/v1/responses", ResponsesBody(assistantTurns: 2, stream: false));

        status.ShouldBe(HttpStatusCode.OK);
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("status").GetString().ShouldBe("completed");
        json.GetProperty("output").GetArrayLength().ShouldBe(1);
        json.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Done.");
    }

    [Fact]
    public async Task Post_NoTools_AnswersOkWithoutUsingATurn()
    {
        var log = Path.Combine(Path.GetTempPath(), $"baton-replay-{Guid.NewGuid():N}.jsonl");
        try
        {
            await using (var server = await Start(s_script, new ReplayOptions { LogPath = log }))
            {
                var (_, side) = await Post(server, "/v1/chat/completions", """{"model": "m", "messages": [{"role": "user", "content": "title?"}]}""");
                var (_, first) = await Post(server, "/v1/chat/completions", ChatBody(assistantTurns: 0, stream: false));

                JsonDocument.Parse(side).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().ShouldBe("OK");
                JsonDocument.Parse(first).RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe("tool_calls");
            }

            ReadLog(log).Select(r => (r.GetProperty("turn").GetInt32(), r.GetProperty("answer").GetString())).ShouldBe([(-1, "no_tools"), (0, "scripted")]);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task Post_ErrorTwoTimes_FailsTwiceThenAnswers()
    {
        var script = ReplayScript.Parse("""[{"error": {"status": 503, "message": "transient", "times": 2}, "text": "recovered"}]""", "s.json");
        await using var server = await Start(script);

        var results = new List<(HttpStatusCode Status, string Body)>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await Post(server, "/v1/messages", AnthropicBody(assistantTurns: 0, stream: true)));
        }

        results.Select(r => r.Status).ShouldBe([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK]);
        var error = JsonDocument.Parse(results[0].Body).RootElement;
        error.GetProperty("type").GetString().ShouldBe("error");
        error.GetProperty("error").GetProperty("message").GetString().ShouldBe("transient");
        ParseSse(results[2].Body)[2].Json.GetProperty("delta").GetProperty("text").GetString().ShouldBe("recovered");
    }

    [Fact]
    public async Task Post_DelayedTurn_AnswersAfterALaterFastRequest()
    {
        var script = ReplayScript.Parse("""[{"text": "slow", "delay": 1.5}, {"text": "fast"}]""", "s.json");
        await using var server = await Start(script);
        var finished = new List<string>();

        var slow = Task.Run(async () =>
        {
            await Post(server, "/v1/chat/completions", ChatBody(assistantTurns: 0, stream: true));
            lock (finished)
            {
                finished.Add("slow");
            }
        });
        await WaitUntil(() => server.RequestCount == 1);
        var watch = Stopwatch.StartNew();
        await Post(server, "/v1/chat/completions", ChatBody(assistantTurns: 1, stream: true));
        lock (finished)
        {
            finished.Add("fast");
        }

        await slow.WaitAsync(TestTimeout);
        finished.ShouldBe(["fast", "slow"]);
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Post_PastMaxRequests_AnswersStopAndThenStops()
    {
        await using var server = await Start(s_script, new ReplayOptions { MaxRequests = 2, LimitDrain = TimeSpan.FromMilliseconds(200) });

        await Post(server, "/v1/chat/completions", ChatBody(assistantTurns: 0, stream: false));
        await Post(server, "/v1/chat/completions", ChatBody(assistantTurns: 1, stream: false));
        var (status, body) = await Post(server, "/v1/chat/completions", ChatBody(assistantTurns: 2, stream: true));

        status.ShouldBe(HttpStatusCode.OK);
        var choices = ParseSse(body).SkipLast(1).Select(e => e.Json.GetProperty("choices")).Where(c => c.GetArrayLength() > 0).Select(c => c[0]).ToList();
        string.Concat(choices.Select(c => c.GetProperty("delta")).Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString()))
            .ShouldBe(ReplayTurnSelector.LimitText);
        choices[^1].GetProperty("finish_reason").GetString().ShouldBe("stop");
        await server.Completion.WaitAsync(TestTimeout);
        server.StopReason.ShouldBe(ReplayStopReason.RequestLimit);
    }

    [Fact]
    public async Task Start_ShortLifetime_StopsOnItsOwn()
    {
        await using var server = await Start(s_script, new ReplayOptions { Lifetime = TimeSpan.FromMilliseconds(300) });

        await server.Completion.WaitAsync(TestTimeout);

        server.StopReason.ShouldBe(ReplayStopReason.Lifetime);
        await Should.ThrowAsync<HttpRequestException>(() => s_http.GetAsync(new Uri(server.BaseUrl + "/v1/models")).WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task Post_WithLogBodies_LogsTurnsToolsAndRedactsCredentials()
    {
        using var temp = new TempDirectory();
        var log = temp.Combine("logs", "requests.jsonl");
        await using (var server = await Start(s_script, new ReplayOptions { LogPath = log, LogBodies = true }))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUrl + "/v1/messages?beta=true"))
            {
                Content = new StringContent(AnthropicBody(assistantTurns: 1, stream: false), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-api-key", "sk-ant-secret");
            request.Headers.Add("Authorization", "Bearer sk-secret");
            request.Headers.Add("anthropic-version", "2023-06-01");
            (await s_http.SendAsync(request).WaitAsync(TestTimeout)).EnsureSuccessStatusCode();
            (await s_http.GetAsync(new Uri(server.BaseUrl + "/v1/models")).WaitAsync(TestTimeout)).EnsureSuccessStatusCode();
        }

        File.ReadAllText(log).ShouldNotContain("secret");
        var records = ReadLog(log);
        records.Count.ShouldBe(2);
        var first = records[0];
        first.GetProperty("path").GetString().ShouldBe("/v1/messages?beta=true");
        first.GetProperty("dialect").GetString().ShouldBe("anthropic");
        first.GetProperty("turn").GetInt32().ShouldBe(1);
        first.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ShouldBe(["Write", "Bash"]);
        first.GetProperty("toolCalls").EnumerateArray().Select(t => t.GetString()).ShouldBe(["bash"]);
        first.GetProperty("headers").GetProperty("x-api-key").GetString().ShouldBe("[redacted]");
        first.GetProperty("headers").GetProperty("authorization").GetString().ShouldBe("[redacted]");
        first.GetProperty("headers").GetProperty("anthropic-version").GetString().ShouldBe("2023-06-01");
        first.GetProperty("body").GetProperty("messages").GetArrayLength().ShouldBe(3);
        records[1].GetProperty("method").GetString().ShouldBe("GET");
        records[1].GetProperty("dialect").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Post_WithoutLogBodies_LeavesHeadersAndBodyOut()
    {
        using var temp = new TempDirectory();
        var log = temp.Combine("requests.jsonl");
        await using (var server = await Start(s_script, new ReplayOptions { LogPath = log }))
        {
            await Post(server, "/v1/responses", ResponsesBody(assistantTurns: 0, stream: true));
        }

        var record = ReadLog(log).ShouldHaveSingleItem();
        record.GetProperty("dialect").GetString().ShouldBe("responses");
        record.GetProperty("stream").GetBoolean().ShouldBeTrue();
        record.TryGetProperty("headers", out _).ShouldBeFalse();
        record.TryGetProperty("body", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Get_Models_ListsOneModel()
    {
        await using var server = await Start(s_script, new ReplayOptions { Model = "replay-1" });

        var body = await s_http.GetStringAsync(new Uri(server.BaseUrl + "/v1/models")).WaitAsync(TestTimeout);

        var data = JsonDocument.Parse(body).RootElement.GetProperty("data");
        data.GetArrayLength().ShouldBe(1);
        data[0].GetProperty("id").GetString().ShouldBe("replay-1");
    }

    [Fact]
    public async Task Post_CountTokens_EstimatesWithoutUsingARequest()
    {
        await using var server = await Start(s_script);

        var (status, body) = await Post(server, "/v1/messages/count_tokens?beta=true", AnthropicBody(assistantTurns: 0, stream: false));

        status.ShouldBe(HttpStatusCode.OK);
        JsonDocument.Parse(body).RootElement.GetProperty("input_tokens").GetInt32().ShouldBeGreaterThan(0);
        server.RequestCount.ShouldBe(0);
    }

    [Fact]
    public async Task Post_UnknownPathOrBadJson_AnswersClientErrors()
    {
        await using var server = await Start(s_script);

        (await Post(server, "/v1/completions", "{}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await Post(server, "/v1/chat/completions", "{not json")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Start_PortInUse_ThrowsPortInUse()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var error = await Should.ThrowAsync<BatonException>(() => ReplayServer.StartAsync(s_script, new ReplayOptions { Port = port }).WaitAsync(TestTimeout));

        error.Code.ShouldBe(ErrorCodes.PortInUse);
    }

    [Fact]
    public async Task Start_PortZero_ListensOnLoopbackOnly()
    {
        await using var server = await Start(s_script);

        server.BaseUrl.ShouldBe($"http://127.0.0.1:{server.Port}");
        server.Port.ShouldBeGreaterThan(0);
    }

    private static Task<ReplayServer> Start(ReplayScript script, ReplayOptions? options = null) =>
        ReplayServer.StartAsync(script, options ?? new ReplayOptions()).WaitAsync(TestTimeout);

    private static async Task<(HttpStatusCode Status, string Body)> Post(ReplayServer server, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await s_http.PostAsync(new Uri(server.BaseUrl + path), content).WaitAsync(TestTimeout);
        return (response.StatusCode, await response.Content.ReadAsStringAsync().WaitAsync(TestTimeout));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            deadline.Elapsed.ShouldBeLessThan(TestTimeout, "condition not met in time");
            await Task.Delay(20);
        }
    }

    private const string ChatTools = """[{"type": "function", "function": {"name": "write", "parameters": {}}}, {"type": "function", "function": {"name": "bash", "parameters": {}}}]""";

    private static string ChatBody(int assistantTurns, bool stream)
    {
        var messages = new List<string> { """{"role": "user", "content": "Create hello.txt"}""" };
        for (var i = 0; i < assistantTurns; i++)
        {
            messages.Add($$$"""{"role": "assistant", "content": null, "tool_calls": [{"id": "call_{{{i}}}", "type": "function", "function": {"name": "write", "arguments": "{}"}}]}""");
            messages.Add($$$"""{"role": "tool", "tool_call_id": "call_{{{i}}}", "content": "ok"}""");
        }

        return $$$"""{"model": "test-model", "stream": {{{(stream ? "true" : "false")}}}, "stream_options": {"include_usage": true}, "tools": {{{ChatTools}}}, "messages": [{{{string.Join(", ", messages)}}}]}""";
    }

    private static string AnthropicBody(int assistantTurns, bool stream)
    {
        var messages = new List<string> { """{"role": "user", "content": "Create hello.txt"}""" };
        for (var i = 0; i < assistantTurns; i++)
        {
            messages.Add($$$"""{"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_{{{i}}}", "name": "Write", "input": {}}]}""");
            messages.Add($$$"""{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_{{{i}}}", "content": "ok"}]}""");
        }

        return $$$"""{"model": "test-model", "max_tokens": 1000, "stream": {{{(stream ? "true" : "false")}}}, "tools": [{"name": "Write", "input_schema": {}}, {"name": "Bash", "input_schema": {}}], "messages": [{{{string.Join(", ", messages)}}}]}""";
    }

    private static string ResponsesBody(int assistantTurns, bool stream)
    {
        var input = new List<string> { """{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Create hello.txt"}]}""" };
        for (var i = 0; i < assistantTurns; i++)
        {
            input.Add("""{"type": "reasoning", "summary": []}""");
            input.Add($$$"""{"type": "function_call", "call_id": "call_{{{i}}}", "name": "exec_command", "arguments": "{}"}""");
            input.Add($$$"""{"type": "function_call_output", "call_id": "call_{{{i}}}", "output": "ok"}""");
        }

        return $$$"""{"model": "test-model", "stream": {{{(stream ? "true" : "false")}}}, "tools": [{"type": "function", "name": "exec_command", "parameters": {}}], "input": [{{{string.Join(", ", input)}}}]}""";
    }
}
