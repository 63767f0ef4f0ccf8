using System.Text.Json;
using Baton.Core.Replay;

namespace Baton.Core.Tests.Replay;

public class ReplayWireTests
{
    private static readonly ReplayTurn s_toolTurn = ReplayScript.Parse(
        """[{"text": "Writing it.", "tool_calls": [{"name": "write", "arguments": {"path": "a.txt", "content": "it's \"q\"\n"}}], "usage": {"input": 100, "output": 20, "cacheRead": 30, "cacheWrite": 5}}]""",
        "s.json").Turns[0];

    [Fact]
    public void Create_ScriptWithoutUsage_EstimatesTokens()
    {
        var answer = Answer(ReplayDialect.ChatCompletions, new ReplayTurn { Text = "12345678" }, requestBytes: 400);

        answer.Tokens.ShouldBe(new ReplayTokens(100, 5 + 2, 0, 0));
    }

    [Fact]
    public void Create_EachDialect_UsesItsIdPrefixes()
    {
        Answer(ReplayDialect.ChatCompletions, s_toolTurn).ToolCalls[0].Id.ShouldStartWith("call_");
        Answer(ReplayDialect.Responses, s_toolTurn).ToolCalls[0].Id.ShouldStartWith("call_");
        Answer(ReplayDialect.AnthropicMessages, s_toolTurn).ToolCalls[0].Id.ShouldStartWith("toolu_");
        Answer(ReplayDialect.AnthropicMessages, s_toolTurn).Id.ShouldStartWith("msg_");
    }

    [Fact]
    public void Stream_Chat_SendsRoleTextToolCallFinishUsageDone()
    {
        var events = ReplayWire.Stream(ReplayDialect.ChatCompletions, Answer(ReplayDialect.ChatCompletions, s_toolTurn));

        events.ShouldAllBe(e => e.Name == null);
        events[^1].Data.ShouldBe("[DONE]");
        var chunks = events.SkipLast(1).Select(e => Json(e.Data)).ToList();
        chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString().ShouldBe("assistant");
        string.Concat(chunks.Select(c => c.GetProperty("choices")).Where(c => c.GetArrayLength() > 0)
            .Select(c => c[0].GetProperty("delta")).Where(d => d.TryGetProperty("content", out _))
            .Select(d => d.GetProperty("content").GetString())).ShouldBe("Writing it.");
        var calls = chunks.Select(c => c.GetProperty("choices")).Where(c => c.GetArrayLength() > 0)
            .Select(c => c[0].GetProperty("delta")).Where(d => d.TryGetProperty("tool_calls", out _))
            .Select(d => d.GetProperty("tool_calls")[0]).ToList();
        calls.Count.ShouldBe(2);
        calls[0].GetProperty("id").GetString().ShouldBe("call_1");
        calls[0].GetProperty("function").GetProperty("name").GetString().ShouldBe("write");
        Json(calls[1].GetProperty("function").GetProperty("arguments").GetString()!).GetProperty("content").GetString().ShouldBe("it's \"q\"\n");
        chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe("tool_calls");
        var usage = chunks[^1].GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(135);
        usage.GetProperty("completion_tokens").GetInt32().ShouldBe(20);
        usage.GetProperty("total_tokens").GetInt32().ShouldBe(155);
        usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32().ShouldBe(35);
        usage.GetProperty("prompt_tokens_details").GetProperty("cache_write_tokens").GetInt32().ShouldBe(5);
    }

    [Fact]
    public void Json_ChatTextOnly_StopsWithContent()
    {
        var body = Json(ReplayWire.Json(ReplayDialect.ChatCompletions, Answer(ReplayDialect.ChatCompletions, new ReplayTurn { Text = "Done." })));

        var choice = body.GetProperty("choices")[0];
        choice.GetProperty("finish_reason").GetString().ShouldBe("stop");
        choice.GetProperty("message").GetProperty("content").GetString().ShouldBe("Done.");
        choice.GetProperty("message").TryGetProperty("tool_calls", out _).ShouldBeFalse();
    }

    [Fact]
    public void Stream_Anthropic_SendsBlocksThenDeltaWithStopReason()
    {
        var events = ReplayWire.Stream(ReplayDialect.AnthropicMessages, Answer(ReplayDialect.AnthropicMessages, s_toolTurn));

        events.Select(e => e.Name).ShouldBe([
            "message_start",
            "content_block_start", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop"]);
        var start = Json(events[0].Data).GetProperty("message").GetProperty("usage");
        start.GetProperty("input_tokens").GetInt32().ShouldBe(100);
        start.GetProperty("cache_read_input_tokens").GetInt32().ShouldBe(30);
        start.GetProperty("cache_creation_input_tokens").GetInt32().ShouldBe(5);
        var toolStart = Json(events[4].Data).GetProperty("content_block");
        toolStart.GetProperty("type").GetString().ShouldBe("tool_use");
        toolStart.GetProperty("id").GetString().ShouldBe("toolu_1");
        var partial = Json(events[5].Data).GetProperty("delta").GetProperty("partial_json").GetString()!;
        Json(partial).GetProperty("path").GetString().ShouldBe("a.txt");
        var delta = Json(events[7].Data);
        delta.GetProperty("delta").GetProperty("stop_reason").GetString().ShouldBe("tool_use");
        delta.GetProperty("usage").GetProperty("output_tokens").GetInt32().ShouldBe(20);
    }

    [Fact]
    public void Json_Anthropic_HasToolUseInputAsObject()
    {
        var body = Json(ReplayWire.Json(ReplayDialect.AnthropicMessages, Answer(ReplayDialect.AnthropicMessages, s_toolTurn)));

        body.GetProperty("stop_reason").GetString().ShouldBe("tool_use");
        body.GetProperty("content")[1].GetProperty("input").GetProperty("content").GetString().ShouldBe("it's \"q\"\n");
        body.GetProperty("usage").GetProperty("output_tokens").GetInt32().ShouldBe(20);
    }

    [Fact]
    public void Stream_Responses_SendsItemsThenCompletedWithUsage()
    {
        var events = ReplayWire.Stream(ReplayDialect.Responses, Answer(ReplayDialect.Responses, s_toolTurn));

        events.Select(e => e.Name).ShouldBe([
            "response.created",
            "response.output_item.added", "response.output_text.delta", "response.output_item.done",
            "response.output_item.added", "response.output_item.done",
            "response.completed"]);
        var call = Json(events[5].Data).GetProperty("item");
        call.GetProperty("type").GetString().ShouldBe("function_call");
        call.GetProperty("call_id").GetString().ShouldBe("call_1");
        Json(call.GetProperty("arguments").GetString()!).GetProperty("path").GetString().ShouldBe("a.txt");
        var response = Json(events[^1].Data).GetProperty("response");
        response.GetProperty("status").GetString().ShouldBe("completed");
        response.GetProperty("output").GetArrayLength().ShouldBe(2);
        var usage = response.GetProperty("usage");
        usage.GetProperty("input_tokens").GetInt32().ShouldBe(135);
        usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt32().ShouldBe(30);
        usage.GetProperty("output_tokens").GetInt32().ShouldBe(20);
        usage.GetProperty("total_tokens").GetInt32().ShouldBe(155);
    }

    [Fact]
    public void Stream_AnyDialect_EveryEventIsOneLine()
    {
        foreach (var dialect in Enum.GetValues<ReplayDialect>())
        {
            foreach (var e in ReplayWire.Stream(dialect, Answer(dialect, s_toolTurn)))
            {
                e.Data.ShouldNotContain('\n');
                e.ToWire().ShouldEndWith("\n\n");
            }
        }
    }

    [Theory]
    [InlineData(ReplayDialect.AnthropicMessages, 429, "rate_limit_error")]
    [InlineData(ReplayDialect.ChatCompletions, 500, "server_error")]
    public void Error_Dialect_CarriesErrorMessageAndType(ReplayDialect dialect, int status, string type)
    {
        var body = Json(ReplayWire.Error(dialect, status, "boom"));

        body.GetProperty("error").GetProperty("message").GetString().ShouldBe("boom");
        body.GetProperty("error").GetProperty("type").GetString().ShouldBe(type);
    }

    private static ReplayAnswer Answer(ReplayDialect dialect, ReplayTurn turn, int requestBytes = 1000)
    {
        var next = 0;
        return ReplayAnswer.Create(dialect, turn, "fake-model", requestBytes, prefix => prefix + (++next).ToString(System.Globalization.CultureInfo.InvariantCulture), 1_700_000_000);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
