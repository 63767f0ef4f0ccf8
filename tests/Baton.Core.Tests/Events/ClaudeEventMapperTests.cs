using System.Text.Json;
using Baton.Core.Events;

namespace Baton.Core.Tests.Events;

/// <summary>
/// Lines recorded from Claude Code 2.1.197 (<c>-p --input-format stream-json --output-format stream-json --verbose</c>)
/// against Baton's replay model; long arrays (tools, skills) are shortened, nothing else is changed.
/// </summary>
public class ClaudeEventMapperTests
{
    private const string Init = """{"type":"system","subtype":"init","cwd":"/tmp/ccx/run-queue/ws","session_id":"ebb37fa0-b89c-416f-bd9a-c48bcb3c8861","tools":["Task","Bash","Write"],"mcp_servers":[],"model":"fake-model","permissionMode":"bypassPermissions","slash_commands":["deep-research"],"apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.197","output_style":"default","agents":["claude"],"skills":["deep-research"],"plugins":[],"analytics_disabled":true,"product_feedback_disabled":true,"uuid":"350ccbd1-8140-4d12-bcc0-693ed2f1114e","fast_mode_state":"off"}""";

    private const string AssistantText = """{"type":"assistant","message":{"id":"msg_2b1f05eec3139522d66a08d6","type":"message","role":"assistant","model":"fake-model","content":[{"type":"text","text":"Running a slow command."}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1000,"output_tokens":1,"cache_creation_input_tokens":10,"cache_read_input_tokens":100},"context_management":null},"parent_tool_use_id":null,"session_id":"ebb37fa0-b89c-416f-bd9a-c48bcb3c8861","uuid":"bcbc7906-c1c1-4a00-9190-602671ec380d"}""";

    private const string AssistantBash = """{"type":"assistant","message":{"id":"msg_2b1f05eec3139522d66a08d6","type":"message","role":"assistant","model":"fake-model","content":[{"type":"tool_use","id":"toolu_c72d34ba41fd53f4b9a7dc63","name":"Bash","input":{"command":"sleep 3; echo slept","description":"Slow"}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1000,"output_tokens":1,"cache_creation_input_tokens":10,"cache_read_input_tokens":100},"context_management":null},"parent_tool_use_id":null,"session_id":"ebb37fa0-b89c-416f-bd9a-c48bcb3c8861","uuid":"ce723ae2-3080-412a-93c4-9b29779dc86a"}""";

    private const string AssistantWrite = """{"type":"assistant","message":{"id":"msg_5a","type":"message","role":"assistant","model":"fake-model","content":[{"type":"tool_use","id":"toolu_w1","name":"Write","input":{"file_path":"/tmp/ws/hello.txt","content":"Hello\n"}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1000,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},"context_management":null},"parent_tool_use_id":null,"session_id":"s","uuid":"u1"}""";

    private const string UserToolResult = """{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_c72d34ba41fd53f4b9a7dc63","type":"tool_result","content":"slept","is_error":false}]},"parent_tool_use_id":null,"session_id":"ebb37fa0-b89c-416f-bd9a-c48bcb3c8861","uuid":"ec88909e-656c-4776-8fae-67d7dc726494","timestamp":"2026-11-21T01:06:26.902Z","tool_use_result":{"stdout":"slept","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false}}""";

    private const string UserRejectedTool = """{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to tell you how to proceed.","is_error":true,"tool_use_id":"toolu_c72d34ba41fd53f4b9a7dc63"}]},"parent_tool_use_id":null,"session_id":"66865e40-cb0d-400b-b89c-18b9371f9ae4","uuid":"1e1c188a-ea7c-482a-8912-bfb6b648eed5","timestamp":"2026-11-21T01:08:36.609Z","tool_use_result":"User rejected tool use"}""";

    private const string UserInterruptedText = """{"type":"user","message":{"role":"user","content":[{"type":"text","text":"[Request interrupted by user for tool use]"}]},"parent_tool_use_id":null,"session_id":"66865e40-cb0d-400b-b89c-18b9371f9ae4","uuid":"c2fc7bbc-5280-485f-bd16-4ddeb14236e9","timestamp":"2026-11-21T01:08:36.612Z"}""";

    private const string ResultFirstTurn = """{"type":"result","subtype":"success","is_error":false,"api_error_status":null,"duration_ms":3198,"duration_api_ms":109,"num_turns":2,"result":"First done.","stop_reason":"end_turn","session_id":"ebb37fa0-b89c-416f-bd9a-c48bcb3c8861","total_cost_usd":0.0123625,"usage":{"input_tokens":2100,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":70,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard"},"modelUsage":{"fake-model":{"inputTokens":2100,"outputTokens":70,"cacheReadInputTokens":100,"cacheCreationInputTokens":10,"webSearchRequests":0,"costUSD":0.0123625,"contextWindow":200000,"maxOutputTokens":32000}},"permission_denials":[],"terminal_reason":"completed","uuid":"24048b3d-6b81-4444-81fc-62e32a4038a5"}""";

    // The second turn of the same process: usage is this turn's, modelUsage the process's running total.
    private const string ResultSecondTurn = """{"type":"result","subtype":"success","is_error":false,"api_error_status":null,"duration_ms":58,"num_turns":1,"result":"Second done.","stop_reason":"end_turn","session_id":"ebb37fa0-b89c-416f-bd9a-c48bcb3c8861","total_cost_usd":0.0186625,"usage":{"input_tokens":1200,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":12},"modelUsage":{"fake-model":{"inputTokens":3300,"outputTokens":82,"cacheReadInputTokens":100,"cacheCreationInputTokens":10,"webSearchRequests":0,"costUSD":0.0186625}},"permission_denials":[],"terminal_reason":"completed","uuid":"9de883f9-c7f2-45ff-9fe6-1bdcdaee851b"}""";

    private const string ResultInterrupted = """{"type":"result","subtype":"error_during_execution","duration_ms":604,"duration_api_ms":72,"is_error":true,"num_turns":3,"stop_reason":"tool_use","session_id":"66865e40-cb0d-400b-b89c-18b9371f9ae4","total_cost_usd":0.006,"usage":{"input_tokens":1000,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":40},"modelUsage":{"fake-model":{"inputTokens":1000,"outputTokens":40,"cacheReadInputTokens":0,"cacheCreationInputTokens":0,"webSearchRequests":0,"costUSD":0.006}},"permission_denials":[],"terminal_reason":"aborted_tools","uuid":"8bb7b955-3201-4046-9641-661b969b9944","errors":["[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=tool_use"]}""";

    private const string AssistantApiError = """{"type":"assistant","message":{"id":"e97cfa57-cb30-4134-b1d5-98660c66f671","container":null,"model":"<synthetic>","role":"assistant","stop_details":null,"stop_reason":"stop_sequence","stop_sequence":"","type":"message","usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},"content":[{"type":"text","text":"API Error: 400 fake bad request"}],"context_management":null},"parent_tool_use_id":null,"session_id":"48fc12e3-c638-4a3c-8b2b-c9bb7108783d","uuid":"f5a94c0c-25ec-4049-a0db-73978e9471c8","error":"unknown"}""";

    // subtype stays "success" for an API error: is_error is what counts.
    private const string ResultApiError = """{"type":"result","subtype":"success","is_error":true,"api_error_status":400,"duration_ms":152,"duration_api_ms":0,"num_turns":1,"result":"API Error: 400 fake bad request","stop_reason":"stop_sequence","session_id":"48fc12e3-c638-4a3c-8b2b-c9bb7108783d","total_cost_usd":0,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard"},"modelUsage":{},"permission_denials":[],"terminal_reason":"completed","fast_mode_state":"off","uuid":"3001ba2f-ff86-477c-9ac1-ce769080c671"}""";

    private const string InterruptResponse = """{"type":"control_response","response":{"subtype":"success","request_id":"int-1"}}""";

    private static readonly ModelPricing s_pricing = new(3m, 15m, 0.3m, 3.75m);

    private static ClaudeEventMapper NewMapper() => new("int-3", 2, s_pricing, new FixedTime());

    [Fact]
    public void Map_SystemInit_SignalsInitAndKeepsSessionId()
    {
        var mapper = NewMapper();

        var mapped = mapper.Map(Init);

        mapped.Events.ShouldBeEmpty();
        mapped.Signal.ShouldBe(ClaudeSignal.Init);
        mapper.SessionId.ShouldBe("ebb37fa0-b89c-416f-bd9a-c48bcb3c8861");
    }

    [Fact]
    public void Map_AssistantText_AgentMessageWithSessionRunAndTime()
    {
        var mapped = NewMapper().Map(AssistantText);

        var message = mapped.Events.ShouldHaveSingleItem();
        message.Type.ShouldBe(WorkerEventTypes.AgentMessage);
        message.Text.ShouldBe("Running a slow command.");
        message.Session.ShouldBe("int-3");
        message.Run.ShouldBe(2);
        message.Ts.ShouldBe(FixedTime.Now);
    }

    [Fact]
    public void Map_SyntheticApiErrorMessage_ErrorNotAgentMessage()
    {
        var reported = NewMapper().Map(AssistantApiError).Events.ShouldHaveSingleItem();

        reported.Type.ShouldBe(WorkerEventTypes.Error);
        reported.Text.ShouldBe("API Error: 400 fake bad request");
    }

    [Fact]
    public void Map_AssistantToolUse_ToolStartedWithCommandOrPath()
    {
        var mapper = NewMapper();

        var bash = mapper.Map(AssistantBash).Events.ShouldHaveSingleItem();
        var write = mapper.Map(AssistantWrite).Events.ShouldHaveSingleItem();

        bash.Type.ShouldBe(WorkerEventTypes.ToolStarted);
        bash.ToolId.ShouldBe("toolu_c72d34ba41fd53f4b9a7dc63");
        bash.ToolName.ShouldBe("Bash");
        bash.ToolInput.ShouldBe("sleep 3; echo slept");
        write.ToolName.ShouldBe("Write");
        write.ToolInput.ShouldBe("/tmp/ws/hello.txt");
    }

    [Fact]
    public void Map_AssistantUsageSnapshot_CountsNoTokens()
    {
        // The usage on assistant lines is a streaming snapshot (output_tokens 1): only results count.
        var mapper = NewMapper();

        mapper.Map(AssistantText);

        mapper.Totals.ShouldBe(TokenUsage.Zero);
    }

    [Fact]
    public void Map_UserToolResult_ToolFinishedNamedByItsToolUse()
    {
        var mapper = NewMapper();
        mapper.Map(AssistantBash);

        var finished = mapper.Map(UserToolResult).Events.ShouldHaveSingleItem();

        finished.Type.ShouldBe(WorkerEventTypes.ToolFinished);
        finished.ToolId.ShouldBe("toolu_c72d34ba41fd53f4b9a7dc63");
        finished.ToolName.ShouldBe("Bash");
        finished.ToolOutput.ShouldBe("slept");
        finished.IsError.ShouldBe(false);
    }

    [Fact]
    public void Map_RejectedToolResult_ToolFinishedIsError()
    {
        var finished = NewMapper().Map(UserRejectedTool).Events.ShouldHaveSingleItem();

        finished.IsError.ShouldBe(true);
        finished.ToolOutput!.ShouldStartWith("The user doesn't want to proceed");
    }

    [Fact]
    public void Map_LongToolOutputInBlocks_JoinedAndBounded()
    {
        var line = JsonSerializer.Serialize(new
        {
            type = "user",
            message = new { role = "user", content = new[] { new { type = "tool_result", tool_use_id = "t1", content = new[] { new { type = "text", text = new string('x', 5000) } } } } },
        });

        var finished = NewMapper().Map(line).Events.ShouldHaveSingleItem();

        finished.ToolOutput!.Length.ShouldBeLessThan(ClaudeEventMapper.MaxToolOutputChars + 40);
        finished.ToolOutput.ShouldEndWith("…(3000 more chars)");
    }

    [Fact]
    public void Map_UserTextEcho_NoEvents()
    {
        NewMapper().Map(UserInterruptedText).Events.ShouldBeEmpty();
    }

    [Fact]
    public void Map_ResultSuccess_UsageThenTurnFinishedSucceeded()
    {
        var mapper = NewMapper();
        mapper.StartTurn();

        var mapped = mapper.Map(ResultFirstTurn);

        mapped.Signal.ShouldBe(ClaudeSignal.TurnFinished);
        mapped.Events.Select(e => e.Type).ShouldBe([WorkerEventTypes.Usage, WorkerEventTypes.TurnFinished]);
        mapped.Events[0].Usage.ShouldBe(new TokenUsage(2100, 70, 100, 10, s_pricing.Cost(2100, 70, 100, 10)));
        mapped.Events[1].Outcome.ShouldBe(Outcomes.Succeeded);
        mapped.Events[1].Reason.ShouldBe("end_turn");
        mapper.InTurn.ShouldBeFalse();
    }

    [Fact]
    public void Map_TwoTurnsInOneProcess_UsageIsRunningTotalNotDoubleCounted()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        mapper.Map(ResultFirstTurn);
        mapper.StartTurn();

        var usage = mapper.Map(ResultSecondTurn).Events[0].Usage;

        usage.ShouldBe(new TokenUsage(3300, 82, 100, 10, s_pricing.Cost(3300, 82, 100, 10)));
    }

    [Fact]
    public void Map_ResultsWithoutModelUsage_PerTurnUsageIsAdded()
    {
        var mapper = NewMapper();
        var first = StripModelUsage(ResultFirstTurn);
        var second = StripModelUsage(ResultSecondTurn);

        mapper.Map(first);
        var usage = mapper.Map(second).Events[0].Usage;

        usage.ShouldBe(new TokenUsage(3300, 82, 100, 10, s_pricing.Cost(3300, 82, 100, 10)));
    }

    [Fact]
    public void Map_ErrorDuringExecutionAfterAbortRequest_TurnAborted()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        mapper.RequestAbort();

        var finished = mapper.Map(ResultInterrupted).Events[^1];

        finished.Outcome.ShouldBe(Outcomes.Aborted);
        mapper.AbortRequested.ShouldBeFalse();
    }

    [Fact]
    public void Map_ErrorDuringExecutionWithoutAbort_TurnFailedWithClaudesErrors()
    {
        var mapper = NewMapper();
        mapper.StartTurn();

        var finished = mapper.Map(ResultInterrupted).Events[^1];

        finished.Outcome.ShouldBe(Outcomes.Failed);
        finished.Reason!.ShouldContain("ede_diagnostic");
    }

    [Fact]
    public void Map_ApiErrorResult_TurnFailedWithMessageAndStatus()
    {
        var mapper = NewMapper();
        mapper.StartTurn();

        var finished = mapper.Map(ResultApiError).Events[^1];

        finished.Outcome.ShouldBe(Outcomes.Failed);
        finished.Reason.ShouldBe("API Error: 400 fake bad request");
    }

    [Fact]
    public void Map_ApiErrorWithoutStatusInText_StatusAppended()
    {
        var mapper = NewMapper();
        mapper.StartTurn();

        var finished = mapper.Map(ResultApiError.Replace("API Error: 400 fake bad request", "Overloaded", StringComparison.Ordinal)).Events[^1];

        finished.Reason.ShouldBe("Overloaded (HTTP 400)");
    }

    [Fact]
    public void Map_ResultOutsideTurn_UsageOnlyNoTurnFinished()
    {
        var mapped = NewMapper().Map(ResultFirstTurn);

        mapped.Events.ShouldHaveSingleItem().Type.ShouldBe(WorkerEventTypes.Usage);
        mapped.Signal.ShouldBe(ClaudeSignal.None);
    }

    [Fact]
    public void Map_ControlResponse_SignalsRequestIdAndSubtype()
    {
        var mapped = NewMapper().Map(InterruptResponse);

        mapped.Events.ShouldBeEmpty();
        mapped.Signal.ShouldBe(ClaudeSignal.ControlResponse);
        mapped.RequestId.ShouldBe("int-1");
        mapped.Subtype.ShouldBe("success");
    }

    [Fact]
    public void Map_CanUseToolRequest_InputRequestedAndSignalled()
    {
        var line = """{"type":"control_request","request_id":"req-7","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{"command":"rm -rf /"}}}""";

        var mapped = NewMapper().Map(line);

        mapped.Signal.ShouldBe(ClaudeSignal.ControlRequest);
        mapped.RequestId.ShouldBe("req-7");
        mapped.Subtype.ShouldBe("can_use_tool");
        var requested = mapped.Events.ShouldHaveSingleItem();
        requested.Type.ShouldBe(WorkerEventTypes.InputRequested);
        requested.ToolName.ShouldBe("Bash");
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"type":"stream_event","event":{"type":"message_start"}}""")]
    [InlineData("""{"type":"system","subtype":"status","status":"requesting"}""")]
    public void Map_OtherLines_Nothing(string line)
    {
        var mapped = NewMapper().Map(line);

        mapped.Events.ShouldBeEmpty();
        mapped.Signal.ShouldBe(ClaudeSignal.None);
    }

    [Theory]
    [InlineData(false, false, Outcomes.Failed)]
    [InlineData(true, false, Outcomes.Aborted)]
    [InlineData(false, true, Outcomes.Stopped)]
    public void AgentExited_OpenTurn_TurnFinishedByCause(bool abortRequested, bool stopRequested, string outcome)
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        if (abortRequested)
        {
            mapper.RequestAbort();
        }

        var finished = mapper.AgentExited(1, stopRequested).ShouldHaveSingleItem();

        finished.Type.ShouldBe(WorkerEventTypes.TurnFinished);
        finished.Outcome.ShouldBe(outcome);
        finished.Reason!.ShouldContain("code 1");
    }

    [Fact]
    public void AgentExited_NoTurn_Nothing()
    {
        NewMapper().AgentExited(0, stopRequested: false).ShouldBeEmpty();
    }

    [Fact]
    public void UserMessage_OneText_StringContent()
    {
        ClaudeProtocol.UserMessage(["Fix \"it\"\n"]).ShouldBe("""{"type":"user","message":{"role":"user","content":"Fix \u0022it\u0022\n"}}""");
    }

    [Fact]
    public void UserMessage_SeveralTexts_TextBlocks()
    {
        using var document = JsonDocument.Parse(ClaudeProtocol.UserMessage(["a", "b"]));

        var content = document.RootElement.GetProperty("message").GetProperty("content");
        content.GetArrayLength().ShouldBe(2);
        content[1].GetProperty("text").GetString().ShouldBe("b");
    }

    [Fact]
    public void Refusal_CanUseTool_DenyBehaviour()
    {
        using var document = JsonDocument.Parse(ClaudeProtocol.Refusal("req-7", "can_use_tool", "no"));

        var response = document.RootElement.GetProperty("response");
        response.GetProperty("request_id").GetString().ShouldBe("req-7");
        response.GetProperty("response").GetProperty("behavior").GetString().ShouldBe("deny");
    }

    [Fact]
    public void Refusal_OtherRequest_ErrorResponse()
    {
        using var document = JsonDocument.Parse(ClaudeProtocol.Refusal("req-8", "hook_callback", "no"));

        var response = document.RootElement.GetProperty("response");
        response.GetProperty("subtype").GetString().ShouldBe("error");
        response.GetProperty("error").GetString().ShouldBe("no");
    }

    private static string StripModelUsage(string line)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        node.Remove("modelUsage");
        return node.ToJsonString();
    }

    private sealed class FixedTime : TimeProvider
    {
        public static readonly DateTimeOffset Now = new(2026, 11, 21, 1, 6, 23, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
