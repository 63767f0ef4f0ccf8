using System.Text.Json;
using Baton.Core.Events;

namespace Baton.Core.Tests.Events;

/// <summary>Lines below were printed by codex-cli 0.169.0 (app-server and exec --json) against the replay model, trimmed of fields the mapper ignores.</summary>
public class CodexEventMapperTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 21, 1, 0, 0, TimeSpan.Zero);

    private const string Thread = "01a1fba3-2eea-7720-adbc-ec374e0823e7";
    private const string Turn = "01a1fba3-3038-7842-9307-5bc2708d37c0";

    private static readonly string[] s_writeCommitTurn =
    [
        """{"method":"turn/started","params":{"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turn":{"id":"01a1fba3-3038-7842-9307-5bc2708d37c0","items":[],"itemsView":"notLoaded","status":"inProgress","error":null}}}""",
        """{"method":"item/started","params":{"item":{"type":"userMessage","id":"01a1fba3-33c8-7663-9621-a48df18f72d6","clientId":null,"content":[{"type":"text","text":"Create hello.txt and commit it.","text_elements":[]}]},"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
        """{"method":"item/started","params":{"item":{"type":"agentMessage","id":"msg_74040ac6288b489ea87d","text":"","phase":null},"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
        """{"method":"item/agentMessage/delta","params":{"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0","itemId":"msg_74040ac6288b489ea87d","delta":"Creating the file."}}""",
        """{"method":"item/completed","params":{"item":{"type":"agentMessage","id":"msg_74040ac6288b489ea87d","text":"Creating the file.","phase":null},"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
        """{"method":"item/started","params":{"item":{"type":"commandExecution","id":"call_86c8d3a4cd0f446ab287","command":"/bin/bash -lc \"printf 'Hello\\\\n' > hello.txt && cat hello.txt\"","cwd":"/tmp/ws","processId":"33983","source":"unifiedExecStartup","status":"inProgress","commandActions":[{"type":"unknown","command":"printf 'Hello\\n' > hello.txt && cat hello.txt"}],"aggregatedOutput":null,"exitCode":null},"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
        """{"method":"item/completed","params":{"item":{"type":"commandExecution","id":"call_86c8d3a4cd0f446ab287","command":"/bin/bash -lc \"printf 'Hello\\\\n' > hello.txt && cat hello.txt\"","cwd":"/tmp/ws","processId":"33983","source":"unifiedExecStartup","status":"completed","commandActions":[{"type":"unknown","command":"printf 'Hello\\n' > hello.txt && cat hello.txt"}],"aggregatedOutput":"Hello\n","exitCode":0,"durationMs":0},"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
        """{"method":"thread/tokenUsage/updated","params":{"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0","tokenUsage":{"total":{"totalTokens":1040,"inputTokens":1000,"cachedInputTokens":0,"cacheWriteInputTokens":0,"outputTokens":40,"reasoningOutputTokens":0},"last":{"totalTokens":1040,"inputTokens":1000,"cachedInputTokens":0,"cacheWriteInputTokens":0,"outputTokens":40,"reasoningOutputTokens":0},"modelContextWindow":258400}}}""",
        """{"method":"account/rateLimits/updated","params":{"rateLimits":{"limitId":"codex","limitName":null,"primary":null,"secondary":null,"credits":null}}}""",
        """{"method":"item/started","params":{"item":{"type":"commandExecution","id":"call_010f0b8013c541a5ac47","command":"/bin/bash -lc 'exit 3'","cwd":"/tmp/ws","status":"inProgress","commandActions":[{"type":"unknown","command":"exit 3"}],"aggregatedOutput":null,"exitCode":null},"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
        """{"method":"item/completed","params":{"item":{"type":"commandExecution","id":"call_010f0b8013c541a5ac47","command":"/bin/bash -lc 'exit 3'","cwd":"/tmp/ws","status":"failed","commandActions":[{"type":"unknown","command":"exit 3"}],"aggregatedOutput":null,"exitCode":3,"durationMs":0},"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
        """{"method":"thread/tokenUsage/updated","params":{"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0","tokenUsage":{"total":{"totalTokens":2170,"inputTokens":2100,"cachedInputTokens":0,"cacheWriteInputTokens":0,"outputTokens":70,"reasoningOutputTokens":0},"last":{"totalTokens":1130,"inputTokens":1100,"cachedInputTokens":0,"cacheWriteInputTokens":0,"outputTokens":30,"reasoningOutputTokens":0},"modelContextWindow":258400}}}""",
        """{"method":"item/completed","params":{"item":{"type":"agentMessage","id":"msg_dca6bc6e14a44c4a8de4","text":"Created hello.txt and committed it.","phase":null},"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
        """{"method":"thread/status/changed","params":{"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","status":{"type":"idle"}}}""",
        """{"method":"turn/completed","params":{"threadId":"01a1fba3-2eea-7720-adbc-ec374e0823e7","turn":{"id":"01a1fba3-3038-7842-9307-5bc2708d37c0","items":[],"itemsView":"summary","status":"completed","error":null,"durationMs":2650}}}""",
    ];

    [Fact]
    public void MapNotification_WriteCommitTurn_MapsMessagesToolsUsageAndSuccess()
    {
        var mapper = NewMapper();

        var events = Feed(mapper, s_writeCommitTurn);

        events.Select(e => e.Type).ShouldBe(
        [
            WorkerEventTypes.TurnStarted,
            WorkerEventTypes.AgentMessage,
            WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished, WorkerEventTypes.Usage, WorkerEventTypes.RateLimits,
            WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished, WorkerEventTypes.Usage,
            WorkerEventTypes.AgentMessage,
            WorkerEventTypes.TurnFinished,
        ]);
        events.RemoveAll(e => e.Type == WorkerEventTypes.RateLimits);
        events.ShouldAllBe(e => e.Session == "cx-1" && e.Run == 2 && e.Ts == s_now);
        events[1].Text.ShouldBe("Creating the file.");
        events[2].ShouldSatisfyAllConditions(
            e => e.ToolId.ShouldBe("call_86c8d3a4cd0f446ab287"),
            e => e.ToolName.ShouldBe("command"),
            e => e.ToolInput.ShouldBe("printf 'Hello\\n' > hello.txt && cat hello.txt"));
        events[3].ShouldSatisfyAllConditions(e => e.ToolOutput.ShouldBe("Hello\n"), e => e.IsError.ShouldBe(false));
        events[6].ShouldSatisfyAllConditions(e => e.ToolInput.ShouldBe(null), e => e.IsError.ShouldBe(true));
        events[5].ToolInput.ShouldBe("exit 3");
        events[7].Usage.ShouldBe(new TokenUsage(2100, 70, 0, 0, ModelPricing.Replay.Cost(2100, 70, 0, 0)));
        events[^1].ShouldSatisfyAllConditions(e => e.Outcome.ShouldBe(Outcomes.Succeeded), e => e.Reason.ShouldBeNull());
        mapper.TurnActive.ShouldBeFalse();
    }

    [Fact]
    public void MapNotification_ModelAnswered500_ErrorThenFailedTurn()
    {
        var mapper = Started();

        var events = Feed(
            mapper,
            """{"method":"thread/status/changed","params":{"threadId":"01a1fba3-9b08-75b0-9eb0-cc31cdd835ef","status":{"type":"systemError"}}}""",
            """{"method":"error","params":{"error":{"message":"We’re currently experiencing high demand, which may cause temporary errors.","codexErrorInfo":"internalServerError","additionalDetails":null},"willRetry":false,"threadId":"01a1fba3-9b08-75b0-9eb0-cc31cdd835ef","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
            """{"method":"turn/completed","params":{"threadId":"01a1fba3-9b08-75b0-9eb0-cc31cdd835ef","turn":{"id":"01a1fba3-3038-7842-9307-5bc2708d37c0","items":[],"status":"failed","error":{"message":"We’re currently experiencing high demand, which may cause temporary errors.","codexErrorInfo":"internalServerError"},"durationMs":45}}}""");

        events.Select(e => e.Type).ShouldBe([WorkerEventTypes.Error, WorkerEventTypes.TurnFinished]);
        events[0].Reason.ShouldBe("internalServerError");
        events[1].Outcome.ShouldBe(Outcomes.Failed);
        events[1].Reason!.ShouldContain("high demand");
    }

    [Theory]
    [InlineData("completed", Outcomes.Succeeded)]
    [InlineData("failed", Outcomes.Failed)]
    [InlineData("interrupted", Outcomes.Aborted)]
    [InlineData("inProgress", Outcomes.Failed)]
    public void MapNotification_TurnCompletedStatus_DecidesTheOutcome(string status, string outcome)
    {
        var mapper = Started();

        var events = Feed(mapper, TurnCompleted(status));

        events.Single().Outcome.ShouldBe(outcome);
    }

    [Fact]
    public void MapNotification_LegacyTurnFailed_Fails()
    {
        var mapper = Started();

        var events = Feed(mapper, """{"method":"turn/failed","params":{"error":{"message":"boom"}}}""");

        events.Single().ShouldSatisfyAllConditions(e => e.Outcome.ShouldBe(Outcomes.Failed), e => e.Reason.ShouldBe("boom"));
    }

    [Fact]
    public void MapNotification_InterruptedWhileACommandRuns_ClosesTheToolThenAborts()
    {
        var mapper = Started();
        mapper.ExpectOutcome(Outcomes.Aborted, "aborted by Baton");

        var events = Feed(
            mapper,
            """{"method":"item/started","params":{"item":{"type":"commandExecution","id":"call_e7c3e685e00e47a5b7f5","command":"/bin/bash -lc 'sleep 6543'","status":"inProgress","commandActions":[{"type":"unknown","command":"sleep 6543"}],"aggregatedOutput":null,"exitCode":null},"threadId":"t","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""",
            TurnCompleted("interrupted"),
            // The command's own end arrives after the turn's once its terminal is cleaned: not a second tool end.
            """{"method":"item/completed","params":{"item":{"type":"commandExecution","id":"call_e7c3e685e00e47a5b7f5","command":"/bin/bash -lc 'sleep 6543'","status":"failed","commandActions":[{"type":"unknown","command":"sleep 6543"}],"aggregatedOutput":null,"exitCode":-1},"threadId":"t","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0"}}""");

        events.Select(e => e.Type).ShouldBe([WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished, WorkerEventTypes.TurnFinished]);
        events[1].IsError.ShouldBe(true);
        events[2].ShouldSatisfyAllConditions(e => e.Outcome.ShouldBe(Outcomes.Aborted), e => e.Reason.ShouldBe("aborted by Baton"));
    }

    [Fact]
    public void MapNotification_AbortExpectedButTurnCompleted_StillSucceeded()
    {
        var mapper = Started();
        mapper.ExpectOutcome(Outcomes.Aborted, "aborted by Baton");

        Feed(mapper, TurnCompleted("completed")).Single().Outcome.ShouldBe(Outcomes.Succeeded);
    }

    [Fact]
    public void MapNotification_LateCompletionOfAnEndedTurn_IsIgnored()
    {
        var mapper = Started();
        mapper.FinishTurn(Outcomes.Aborted, "Codex did not confirm", s_now);
        mapper.BeginTurn(s_now);

        Feed(mapper, TurnCompleted("interrupted")).ShouldBeEmpty();
        mapper.TurnActive.ShouldBeTrue();
    }

    [Fact]
    public void MapNotification_RepeatedAndCachedUsage_AbsoluteTotalsCountedOnce()
    {
        var mapper = Started();
        const string Report = """{"method":"thread/tokenUsage/updated","params":{"threadId":"t","turnId":"u","tokenUsage":{"total":{"totalTokens":3382,"inputTokens":3300,"cachedInputTokens":1000,"cacheWriteInputTokens":0,"outputTokens":82,"reasoningOutputTokens":10},"last":{"totalTokens":1212,"inputTokens":1200,"cachedInputTokens":0,"outputTokens":12,"reasoningOutputTokens":0}}}}""";

        var events = Feed(mapper, Report, Report);

        var usage = events.Single().Usage!;
        (usage.Input, usage.Output, usage.CacheRead).ShouldBe((2300L, 82L, 1000L));
        mapper.Totals.ShouldBe(usage);
    }

    [Fact]
    public void MapNotification_LegacyTokenCount_UsesTheTotalNotTheLast()
    {
        var mapper = Started();

        var events = Feed(mapper, """{"method":"codex/event/token_count","params":{"msg":{"type":"token_count","info":{"total_token_usage":{"input_tokens":500,"cached_input_tokens":0,"output_tokens":7},"last_token_usage":{"input_tokens":1,"output_tokens":1}}}}}""");

        (events.Single().Usage!.Input, events.Single().Usage!.Output).ShouldBe((500L, 7L));
    }

    [Fact]
    public void MapNotification_AccountRateLimitsUpdatedTwice_PassesThePayloadOnOnceAsItCame()
    {
        var mapper = Started();

        const string Update = """{"method":"account/rateLimits/updated","params":{"rateLimits":{"limitId":"codex","limitName":null,"primary":{"usedPercent":42.5,"windowDurationMins":300,"resetsAt":1795230000},"secondary":null,"credits":null}}}""";

        var events = Feed(mapper, Update, Update);

        events.Single().Type.ShouldBe(WorkerEventTypes.RateLimits);
        var limits = events.Single().RateLimits!.Value;
        limits.GetProperty("limitId").GetString().ShouldBe("codex");
        limits.GetProperty("primary").GetProperty("usedPercent").GetDouble().ShouldBe(42.5);
    }

    [Fact]
    public void MapNotification_LegacyTokenCountWithRateLimits_GivesUsageAndRateLimits()
    {
        var mapper = Started();

        var events = Feed(mapper, """{"method":"codex/event/token_count","params":{"msg":{"type":"token_count","info":{"total_token_usage":{"input_tokens":500,"output_tokens":7}},"rate_limits":{"limit_id":"codex","primary":{"used_percent":10.0}}}}}""");

        events.Select(e => e.Type).ShouldBe([WorkerEventTypes.Usage, WorkerEventTypes.RateLimits]);
        events[1].RateLimits!.Value.GetProperty("limit_id").GetString().ShouldBe("codex");
    }

    [Fact]
    public void ThreadStarted_ThreadStartResult_RecordsThreadAndRollout()
    {
        var mapper = NewMapper();
        using var result = JsonDocument.Parse("""{"thread":{"id":"01a1fba3-9b08-75b0-9eb0-cc31cdd835ef","path":"/h/codex-home/sessions/2026/11/21/rollout-2026-11-21T01-06-05-01a1fba3-9b08-75b0-9eb0-cc31cdd835ef.jsonl","cwd":"/ws"}}""");

        mapper.ThreadStarted(result.RootElement.GetProperty("thread"));

        mapper.ThreadId.ShouldBe("01a1fba3-9b08-75b0-9eb0-cc31cdd835ef");
        mapper.RolloutPath!.ShouldEndWith("-01a1fba3-9b08-75b0-9eb0-cc31cdd835ef.jsonl");
    }

    private const string CommandApproval =
        """{"kind":"command","threadId":"01a1fba3-a834-7fe0-a77a-ea673aac9027","turnId":"01a1fba3-3038-7842-9307-5bc2708d37c0","itemId":"call_743ceb12d3484342bae1","environmentId":"local","reason":"need it","command":"/bin/bash -lc 'touch x.txt'","cwd":"/ws","commandActions":[{"type":"unknown","command":"touch x.txt"}],"proposedExecpolicyAmendment":["touch","x.txt"],"availableDecisions":["accept",{"acceptWithExecpolicyAmendment":{"execpolicy_amendment":["touch","x.txt"]}},"cancel"]}""";

    [Fact]
    public void DecideServerRequest_CommandApprovalWithPolicyNever_AcceptsForSession()
    {
        var mapper = Started();

        var reply = mapper.DecideServerRequest("item/commandExecution/requestApproval", Json(CommandApproval), autoApprove: true, s_now);

        reply.Result!.ToJsonString().ShouldBe("""{"decision":"acceptForSession"}""");
        reply.InterruptTurn.ShouldBeFalse();
        reply.Events.ShouldBeEmpty();
    }

    [Fact]
    public void DecideServerRequest_CommandApprovalWithNobodyToAsk_CancelsAndTurnEndsInputRequired()
    {
        var mapper = Started();

        var reply = mapper.DecideServerRequest("item/commandExecution/requestApproval", Json(CommandApproval), autoApprove: false, s_now);
        var end = Feed(mapper, TurnCompleted("interrupted"));

        reply.Result!.ToJsonString().ShouldBe("""{"decision":"cancel"}""");
        reply.InterruptTurn.ShouldBeTrue();
        reply.Events.Single().ShouldSatisfyAllConditions(
            e => e.Type.ShouldBe(WorkerEventTypes.InputRequested),
            e => e.Text.ShouldBe("Codex asks for approval: run `touch x.txt` (need it)"));
        end.Single().ShouldSatisfyAllConditions(e => e.Outcome.ShouldBe(Outcomes.InputRequired), e => e.Reason!.ShouldContain("touch x.txt"));
    }

    [Theory]
    [InlineData(true, "approved_for_session")]
    [InlineData(false, "abort")]
    public void DecideServerRequest_LegacyExecApproval_AnswersWithReviewDecision(bool autoApprove, string decision)
    {
        var mapper = Started();

        var reply = mapper.DecideServerRequest(
            "execCommandApproval", Json("""{"callId":"c1","command":["git","push"],"conversationId":"t","cwd":"/ws","parsedCmd":[]}"""), autoApprove, s_now);

        reply.Result!["decision"]!.GetValue<string>().ShouldBe(decision);
        reply.InterruptTurn.ShouldBe(!autoApprove);
    }

    [Fact]
    public void DecideServerRequest_FileChangeApprovalWithPolicyNever_AcceptsForSession()
    {
        var reply = Started().DecideServerRequest("item/fileChange/requestApproval", Json("""{"itemId":"i","threadId":"t","turnId":"u","startedAtMs":1}"""), autoApprove: true, s_now);

        reply.Result!.ToJsonString().ShouldBe("""{"decision":"acceptForSession"}""");
    }

    [Fact]
    public void DecideServerRequest_UserInputQuestion_RefusesAndAsksForAPerson()
    {
        var mapper = Started();

        var reply = mapper.DecideServerRequest(
            "item/tool/requestUserInput",
            Json("""{"isBlocking":true,"itemId":"i","threadId":"t","turnId":"u","questions":[{"id":"q1","header":"Branch","question":"Which branch should I use?"}]}"""),
            autoApprove: true,
            s_now);

        reply.Result.ShouldBeNull();
        reply.ErrorMessage.ShouldNotBeNull();
        reply.InterruptTurn.ShouldBeTrue();
        reply.Events.Single().Text.ShouldBe("Codex asks: Which branch should I use?");
        Feed(mapper, TurnCompleted("completed")).Single().Outcome.ShouldBe(Outcomes.InputRequired);
    }

    [Fact]
    public void DecideServerRequest_McpElicitation_CancelsAndAsksForAPerson()
    {
        var reply = Started().DecideServerRequest("mcpServer/elicitation/request", Json("""{"serverName":"tracker","threadId":"t","message":"Log in?"}"""), autoApprove: true, s_now);

        reply.Result!.ToJsonString().ShouldBe("""{"action":"cancel"}""");
        reply.Events.Single().Type.ShouldBe(WorkerEventTypes.InputRequested);
    }

    [Fact]
    public void DecideServerRequest_DynamicToolCall_StructuredFailureAndTheTurnGoesOn()
    {
        var mapper = Started();

        var reply = mapper.DecideServerRequest(
            "item/tool/call", Json("""{"arguments":{"query":"{ viewer { id } }"},"callId":"call_1","threadId":"t","tool":"linear_graphql","turnId":"u"}"""), autoApprove: true, s_now);

        reply.InterruptTurn.ShouldBeFalse();
        reply.Result!["success"]!.GetValue<bool>().ShouldBeFalse();
        reply.Result!["contentItems"]![0]!["type"]!.GetValue<string>().ShouldBe("inputText");
        reply.Result!["contentItems"]![0]!["text"]!.GetValue<string>().ShouldContain("linear_graphql");
        reply.Events.Single().Reason.ShouldBe("unsupported_tool_call");
        Feed(mapper, TurnCompleted("completed")).Single().Outcome.ShouldBe(Outcomes.Succeeded);
    }

    [Fact]
    public void DecideServerRequest_UnknownMethod_AnswersWithAnError()
    {
        var reply = Started().DecideServerRequest("account/chatgptAuthTokens/refresh", Json("{}"), autoApprove: true, s_now);

        reply.Result.ShouldBeNull();
        reply.ErrorMessage!.ShouldContain("account/chatgptAuthTokens/refresh");
        reply.InterruptTurn.ShouldBeFalse();
    }

    [Fact]
    public void MapExecEvent_WriteCommitRun_MapsToolsUsageAndSuccess()
    {
        var mapper = NewMapper();

        var events = FeedExec(
            mapper,
            """{"type":"thread.started","thread_id":"01a1fba4-a9fc-7fd1-b1a8-dfacb4a1a990"}""",
            """{"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for `fake-model` not found. Defaulting to fallback metadata; this can degrade performance and cause issues."}}""",
            """{"type":"turn.started"}""",
            """{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"Creating the file."}}""",
            """{"type":"item.started","item":{"id":"item_2","type":"command_execution","command":"/bin/bash -lc \"printf 'Hello\\\\n' > hello.txt && cat hello.txt\"","aggregated_output":"","exit_code":null,"status":"in_progress"}}""",
            """{"type":"item.completed","item":{"id":"item_2","type":"command_execution","command":"/bin/bash -lc \"printf 'Hello\\\\n' > hello.txt && cat hello.txt\"","aggregated_output":"Hello\n","exit_code":0,"status":"completed"}}""",
            """{"type":"item.started","item":{"id":"item_3","type":"command_execution","command":"/bin/bash -lc 'exit 3'","aggregated_output":"","exit_code":null,"status":"in_progress"}}""",
            """{"type":"item.completed","item":{"id":"item_3","type":"command_execution","command":"/bin/bash -lc 'exit 3'","aggregated_output":"","exit_code":3,"status":"failed"}}""",
            """{"type":"item.completed","item":{"id":"item_4","type":"agent_message","text":"Created hello.txt and committed it."}}""",
            """{"type":"turn.completed","usage":{"input_tokens":3300,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":82,"reasoning_output_tokens":0}}""");

        events.Select(e => e.Type).ShouldBe(
        [
            WorkerEventTypes.TurnStarted,
            WorkerEventTypes.AgentMessage,
            WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished,
            WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished,
            WorkerEventTypes.AgentMessage,
            WorkerEventTypes.Usage,
            WorkerEventTypes.TurnFinished,
        ]);
        mapper.ThreadId.ShouldBe("01a1fba4-a9fc-7fd1-b1a8-dfacb4a1a990");
        events[2].ToolInput.ShouldBe("printf 'Hello\\n' > hello.txt && cat hello.txt");
        events[3].ShouldSatisfyAllConditions(e => e.ToolOutput.ShouldBe("Hello\n"), e => e.IsError.ShouldBe(false));
        events[4].ToolInput.ShouldBe("exit 3");
        events[5].IsError.ShouldBe(true);
        (events[7].Usage!.Input, events[7].Usage!.Output).ShouldBe((3300L, 82L));
        events[8].Outcome.ShouldBe(Outcomes.Succeeded);
    }

    [Fact]
    public void MapExecEvent_ResumedThreadTotals_AreNotAddedAgain()
    {
        var mapper = NewMapper();
        FeedExec(mapper, """{"type":"turn.started"}""", """{"type":"turn.completed","usage":{"input_tokens":3300,"cached_input_tokens":0,"output_tokens":82}}""");

        // exec resume reports the thread's running total, not the turn's own.
        var events = FeedExec(mapper, """{"type":"turn.started"}""", """{"type":"turn.completed","usage":{"input_tokens":7500,"cached_input_tokens":0,"output_tokens":99}}""");

        (events[1].Usage!.Input, events[1].Usage!.Output).ShouldBe((7500L, 99L));
    }

    [Fact]
    public void MapExecEvent_ServerError_ErrorThenFailedTurn()
    {
        var mapper = NewMapper();

        var events = FeedExec(
            mapper,
            """{"type":"turn.started"}""",
            """{"type":"error","message":"unexpected status 400 Bad Request: bad model"}""",
            """{"type":"turn.failed","error":{"message":"unexpected status 400 Bad Request: bad model"}}""");

        events.Select(e => e.Type).ShouldBe([WorkerEventTypes.TurnStarted, WorkerEventTypes.Error, WorkerEventTypes.TurnFinished]);
        events[2].ShouldSatisfyAllConditions(e => e.Outcome.ShouldBe(Outcomes.Failed), e => e.Reason!.ShouldContain("400"));
    }

    [Fact]
    public void FinishTurn_ProcessDiedWithAToolOpen_ClosesTheToolAndFails()
    {
        var mapper = NewMapper();
        FeedExec(mapper, """{"type":"turn.started"}""", """{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"sleep 9","status":"in_progress"}}""");

        var events = mapper.FinishTurn(Outcomes.Failed, "codex exec exited with code 137 before the turn ended", s_now);

        events.Select(e => e.Type).ShouldBe([WorkerEventTypes.ToolFinished, WorkerEventTypes.TurnFinished]);
        events[0].ToolId.ShouldBe("item_1");
        mapper.FinishTurn(Outcomes.Failed, "again", s_now).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("/bin/bash -lc 'sleep 6543'", "sleep 6543")]
    [InlineData("/bin/bash -lc \"printf 'Hello\\\\n' > a && git commit -m \\\"x\\\"\"", "printf 'Hello\\n' > a && git commit -m \"x\"")]
    [InlineData("/bin/bash -lc 'a' && 'b'", "'a' && 'b'")]
    [InlineData("git status", "git status")]
    public void UnwrapShell_CodexShellWrapper_GivesTheModelsCommand(string command, string expected)
    {
        CodexEventMapper.UnwrapShell(command).ShouldBe(expected);
    }

    private static CodexEventMapper NewMapper() => new("cx-1", 2, ModelPricing.Replay);

    private static CodexEventMapper Started()
    {
        var mapper = NewMapper();
        mapper.BeginTurn(s_now);
        mapper.TurnAccepted(Turn);
        return mapper;
    }

    private static string TurnCompleted(string status) =>
        "{\"method\":\"turn/completed\",\"params\":{\"threadId\":\"" + Thread + "\",\"turn\":{\"id\":\"" + Turn + "\",\"items\":[],\"status\":\"" + status + "\",\"error\":null}}}";

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static List<WorkerEvent> Feed(CodexEventMapper mapper, params string[] lines)
    {
        var events = new List<WorkerEvent>();
        foreach (var line in lines)
        {
            var message = Json(line);
            events.AddRange(mapper.MapNotification(message.GetProperty("method").GetString()!, message.GetProperty("params"), s_now));
        }

        return events;
    }

    private static List<WorkerEvent> FeedExec(CodexEventMapper mapper, params string[] lines) =>
        [.. lines.SelectMany(line => mapper.MapExecEvent(Json(line), s_now))];
}
