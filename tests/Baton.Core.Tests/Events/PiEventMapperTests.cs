using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Events;

namespace Baton.Core.Tests.Events;

public class PiEventMapperTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Map_WriteCommitRecording_EmitsMessagesToolsUsageAndSucceededTurn()
    {
        var mapper = NewMapper();
        var events = Run(mapper, PiRecordings.WriteCommit);

        events.Select(e => e.Type).ShouldBe(
        [
            "turn_started",
            "agent_message", "usage", "tool_started", "tool_finished",
            "usage", "tool_started", "tool_finished",
            "agent_message", "usage",
            "turn_finished",
        ]);
        events.ShouldAllBe(e => e.Session == "int-3" && e.Run == 2 && e.Ts == s_now);
        var messages = events.Where(e => e.Type == "agent_message").Select(e => e.Text).ToList();
        messages.ShouldBe(["I'll create the file.", "Created hello.txt and committed it."]);

        var tools = events.Where(e => e.Type is "tool_started" or "tool_finished").ToList();
        tools[0].ShouldSatisfyAllConditions(
            t => t.ToolName.ShouldBe("write"),
            t => t.ToolInput.ShouldBe("hello.txt"),
            t => t.ToolId.ShouldBe("call_a15ce2e262e58f647fa1a4c6"));
        tools[1].ShouldSatisfyAllConditions(
            t => t.ToolId.ShouldBe(tools[0].ToolId),
            t => t.ToolOutput.ShouldBe("Successfully wrote 26 bytes to hello.txt"),
            t => t.IsError.ShouldBe(false));
        tools[2].ToolInput.ShouldBe("git add -A && git commit -q -m 'Add hello.txt' && git log --oneline -1");
        tools[3].ToolOutput.ShouldBe("8ce81f9 Add hello.txt\n");

        var finished = events[^1];
        finished.Outcome.ShouldBe(Outcomes.Succeeded);
        finished.Reason.ShouldBeNull();
        mapper.TurnOpen.ShouldBeFalse();
    }

    [Fact]
    public void Map_WriteCommitRecording_UsageEventsAreAbsoluteTotalsPricedByBaton()
    {
        var mapper = NewMapper();
        var usages = Run(mapper, PiRecordings.WriteCommit).Where(e => e.Type == "usage").Select(e => e.Usage!).ToList();

        usages.Select(u => (u.Input, u.Output)).ShouldBe([(1200L, 40L), (2500L, 70L), (3900L, 82L)]);
        // 3900 in at $3/M + 82 out at $15/M (reference/agents.md §1.6); pi's own float cost is not used.
        usages[^1].CostUsd.ShouldBe(0.01293m);
        mapper.Usage.ShouldBe(usages[^1]);
    }

    [Fact]
    public void Map_UsageWithOtherPricing_CostFollowsBatonsPrices()
    {
        var mapper = new PiEventMapper("s", 1, new ModelPricing(1m, 2m, 0m, 0m), new FixedTime(s_now));
        var last = Run(mapper, PiRecordings.WriteCommit).Last(e => e.Type == "usage");

        last.Usage!.CostUsd.ShouldBe(((3900m * 1m) + (82m * 2m)) / 1_000_000m);
    }

    [Fact]
    public void Map_SteerRecording_OneTurnThatEndsWithTheReplyAfterTheSteer()
    {
        var events = Run(NewMapper(), PiRecordings.Steer);

        events.Count(e => e.Type == "turn_started").ShouldBe(1);
        events.Count(e => e.Type == "turn_finished").ShouldBe(1);
        events.Last(e => e.Type == "agent_message").Text.ShouldBe("turn-1 reply (after steer)");
        events[^1].Outcome.ShouldBe(Outcomes.Succeeded);
    }

    [Fact]
    public void Map_AbortRecording_AfterAbortRequested_TurnFinishedAbortedBeforeTheAbortAnswer()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        var seen = new List<(PiMapped Mapped, string Line)>();
        foreach (var line in Lines(PiRecordings.Abort))
        {
            if (line.Contains("\"tool_execution_update\"", StringComparison.Ordinal))
            {
                mapper.AbortRequested();
            }

            seen.Add((mapper.Map(line), line));
        }

        var events = seen.SelectMany(s => s.Mapped.Events).ToList();
        var finishedAt = seen.FindIndex(s => s.Mapped.Events.Any(e => e.Type == "turn_finished"));
        var abortAnswerAt = seen.FindIndex(s => s.Mapped.Response?.Command == "abort");
        finishedAt.ShouldBeLessThan(abortAnswerAt);
        events.Single(e => e.Type == "turn_finished").Outcome.ShouldBe(Outcomes.Aborted);
        var tool = events.Single(e => e.Type == "tool_finished");
        tool.IsError.ShouldBe(true);
        tool.ToolOutput!.ShouldEndWith("Command aborted");
    }

    [Fact]
    public void Map_AbortedStopWithoutBatonsAbort_TurnFinishedAborted()
    {
        var events = Run(NewMapper(), PiRecordings.Abort);

        var finished = events.Single(e => e.Type == "turn_finished");
        finished.Outcome.ShouldBe(Outcomes.Aborted);
        finished.Reason.ShouldBe("Request was aborted.");
    }

    [Fact]
    public void Map_ErrorStop_HoldsTheTurnUntilTheNextLineThenFailsWithTheError()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        var lines = Lines(PiRecordings.ModelError500);
        var agentEnd = lines.FindIndex(l => l.StartsWith("{\"type\":\"agent_end\"", StringComparison.Ordinal));
        var before = lines.Take(agentEnd).SelectMany(l => mapper.Map(l).Events).ToList();

        var atEnd = mapper.Map(lines[agentEnd]);

        before.ShouldNotContain(e => e.Type == "turn_finished");
        atEnd.Events.ShouldBeEmpty();
        atEnd.NeedsBarrier.ShouldBeTrue();
        mapper.TurnOpen.ShouldBeTrue();

        var barrier = mapper.Map("""{"id":"baton-7","type":"response","command":"get_state","success":true,"data":{"isStreaming":false}}""");

        var finished = barrier.Events.ShouldHaveSingleItem();
        finished.Type.ShouldBe("turn_finished");
        finished.Outcome.ShouldBe(Outcomes.Failed);
        finished.Reason.ShouldBe("500 fake upstream failure");
        barrier.Response!.Id.ShouldBe("baton-7");
        mapper.TurnOpen.ShouldBeFalse();
    }

    [Fact]
    public void Map_ErrorRecordingWhole_EndsFailedOnce()
    {
        var events = Run(NewMapper(), PiRecordings.ModelError500);

        events.Select(e => e.Type).ShouldBe(["turn_started", "turn_finished"]);
        events[^1].Outcome.ShouldBe(Outcomes.Failed);
    }

    [Fact]
    public void Map_AutoRetryThatSucceeds_OneTurnThatSucceeds()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        var events = MapAll(
            mapper,
            AgentStart,
            MessageEnd("error", error: "503 service unavailable"),
            AgentEnd("error", error: "503 service unavailable"),
            """{"type":"auto_retry_start","attempt":1,"maxAttempts":3,"delayMs":2000,"errorMessage":"503 service unavailable"}""",
            AgentStart,
            MessageEnd("stop", text: "done", input: 10, output: 5),
            """{"type":"auto_retry_end","success":true,"attempt":1}""",
            AgentEnd("stop"));

        events.Where(e => e.Type is "turn_started" or "turn_finished").ShouldHaveSingleItem().Outcome.ShouldBe(Outcomes.Succeeded);
        mapper.TurnOpen.ShouldBeFalse();
    }

    [Fact]
    public void Map_AutoRetryExhausted_FailsWithTheLastError()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        var events = MapAll(
            mapper,
            AgentStart,
            AgentEnd("error", error: "500 first"),
            """{"type":"auto_retry_start","attempt":1,"maxAttempts":1,"delayMs":10,"errorMessage":"500 first"}""",
            AgentStart,
            AgentEnd("error", error: "500 second"),
            """{"type":"auto_retry_end","success":false,"attempt":1,"finalError":"500 second"}""");

        var finished = events.ShouldHaveSingleItem();
        finished.Outcome.ShouldBe(Outcomes.Failed);
        finished.Reason.ShouldBe("500 second");
    }

    [Fact]
    public void Map_RetryBackoffCancelledByAbort_TurnFinishedAborted()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        MapAll(mapper, AgentStart, AgentEnd("error", error: "429 rate limit"), """{"type":"auto_retry_start","attempt":1,"maxAttempts":3,"delayMs":2000,"errorMessage":"429 rate limit"}""");
        mapper.AbortRequested();

        var events = MapAll(mapper, """{"type":"auto_retry_end","success":false,"attempt":1,"finalError":"Retry cancelled"}""");

        events.ShouldHaveSingleItem().Outcome.ShouldBe(Outcomes.Aborted);
    }

    [Fact]
    public void Map_OverflowCompactionThatRetries_KeepsTheTurnOpenUntilTheRetriedRunEnds()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        var events = MapAll(
            mapper,
            AgentStart,
            AgentEnd("error", error: "prompt is too long: context_length_exceeded"),
            """{"type":"compaction_start","reason":"overflow"}""",
            """{"type":"compaction_end","reason":"overflow","result":{"summary":"…","firstKeptEntryId":"abc12345","tokensBefore":150000,"details":{}},"aborted":false,"willRetry":true}""",
            """{"id":"baton-3","type":"response","command":"get_state","success":true,"data":{}}""");

        events.ShouldBeEmpty();
        mapper.TurnOpen.ShouldBeTrue();

        var end = MapAll(mapper, AgentStart, MessageEnd("stop", text: "fine now"), AgentEnd("stop"));

        end.Select(e => e.Type).ShouldBe(["agent_message", "turn_finished"]);
        end[^1].Outcome.ShouldBe(Outcomes.Succeeded);
    }

    [Fact]
    public void Map_OverflowCompactionThatFails_FailsWithTheCompactionError()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        var events = MapAll(
            mapper,
            AgentStart,
            AgentEnd("error", error: "context_length_exceeded"),
            """{"type":"compaction_start","reason":"overflow"}""",
            """{"type":"compaction_end","reason":"overflow","aborted":false,"willRetry":false,"errorMessage":"Context overflow recovery failed"}""");

        var finished = events.ShouldHaveSingleItem();
        finished.Outcome.ShouldBe(Outcomes.Failed);
        finished.Reason.ShouldBe("Context overflow recovery failed");
    }

    [Fact]
    public void Map_ThresholdCompactionAfterSuccess_DoesNotReopenTheTurn()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        var events = MapAll(
            mapper,
            AgentStart,
            AgentEnd("stop"),
            """{"type":"compaction_start","reason":"threshold"}""",
            """{"type":"compaction_end","reason":"threshold","aborted":false,"willRetry":false}""");

        events.ShouldHaveSingleItem().Outcome.ShouldBe(Outcomes.Succeeded);
        mapper.TurnOpen.ShouldBeFalse();
    }

    [Fact]
    public void Map_LengthStop_FailsAsTruncated()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        var events = MapAll(mapper, AgentStart, MessageEnd("length", text: "partial"), AgentEnd("length"));

        var finished = events.Single(e => e.Type == "turn_finished");
        finished.Outcome.ShouldBe(Outcomes.Failed);
        finished.Reason.ShouldBe("truncated");
    }

    [Fact]
    public void Map_AgentStartWithoutAPrompt_OpensATurn()
    {
        var mapper = NewMapper();

        var events = MapAll(mapper, AgentStart, MessageEnd("stop", text: "hi"), AgentEnd("stop"));

        events.Select(e => e.Type).ShouldBe(["turn_started", "agent_message", "turn_finished"]);
    }

    [Fact]
    public void StartTurn_WhenATurnIsOpen_ReturnsNull()
    {
        var mapper = NewMapper();

        mapper.StartTurn().ShouldNotBeNull().Type.ShouldBe("turn_started");
        mapper.StartTurn().ShouldBeNull();
        mapper.TurnOpen.ShouldBeTrue();
    }

    [Fact]
    public void FailTurn_WhenOpen_ClosesItFailed()
    {
        var mapper = NewMapper();
        mapper.StartTurn();

        var finished = mapper.FailTurn("pi rejected the prompt: No API key").ShouldNotBeNull();

        finished.Outcome.ShouldBe(Outcomes.Failed);
        finished.Reason.ShouldBe("pi rejected the prompt: No API key");
        mapper.FailTurn("again").ShouldBeNull();
    }

    [Theory]
    [InlineData(false, false, Outcomes.Failed)]
    [InlineData(false, true, Outcomes.Stopped)]
    [InlineData(true, false, Outcomes.Aborted)]
    public void AgentExited_MidTurn_EndsTheTurn(bool abortRequested, bool stoppedByBaton, string outcome)
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        MapAll(mapper, AgentStart, """{"type":"tool_execution_start","toolCallId":"c1","toolName":"bash","args":{"command":"sleep 60"}}""");
        if (abortRequested)
        {
            mapper.AbortRequested();
        }

        var finished = mapper.AgentExited(137, stoppedByBaton).ShouldHaveSingleItem();

        finished.Outcome.ShouldBe(outcome);
        finished.Reason.ShouldBe("agent exited with code 137");
        mapper.TurnOpen.ShouldBeFalse();
    }

    [Fact]
    public void AgentExited_WhileIdle_EmitsNothing()
    {
        NewMapper().AgentExited(0, stoppedByBaton: false).ShouldBeEmpty();
    }

    [Fact]
    public void AgentExited_AfterAHeldErrorEnd_FailsWithTheModelError()
    {
        var mapper = NewMapper();
        mapper.StartTurn();
        MapAll(mapper, AgentStart, AgentEnd("error", error: "500 boom"));

        var finished = mapper.AgentExited(0, stoppedByBaton: false).ShouldHaveSingleItem();

        finished.Outcome.ShouldBe(Outcomes.Failed);
        finished.Reason.ShouldBe("500 boom");
    }

    [Theory]
    [InlineData("confirm", """{"type":"extension_ui_request","id":"uuid-2","method":"confirm","title":"Clear session?","message":"All messages will be lost.","timeout":5000}""", "confirm: Clear session? — All messages will be lost.")]
    [InlineData("select", """{"type":"extension_ui_request","id":"uuid-1","method":"select","title":"Allow dangerous command?","options":["Allow","Block"]}""", "select: Allow dangerous command? [Allow | Block]")]
    [InlineData("input", """{"type":"extension_ui_request","id":"uuid-3","method":"input","title":"Enter a value","placeholder":"type something..."}""", "input: Enter a value")]
    [InlineData("editor", """{"type":"extension_ui_request","id":"uuid-4","method":"editor","title":"Edit some text","prefill":"Line 1\nLine 2"}""", "editor: Edit some text")]
    public void Map_ExtensionDialog_CancelsItAndRecordsTheQuestion(string method, string line, string question)
    {
        var mapped = NewMapper().Map(line);

        var requested = mapped.Events.ShouldHaveSingleItem();
        requested.Type.ShouldBe("input_requested", method);
        requested.Text.ShouldBe(question);
        var reply = JsonNode.Parse(mapped.Reply.ShouldNotBeNull())!.AsObject();
        reply["type"]!.GetValue<string>().ShouldBe("extension_ui_response");
        reply["id"]!.GetValue<string>().ShouldBe(JsonNode.Parse(line)!["id"]!.GetValue<string>());
        reply["cancelled"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Theory]
    [InlineData("""{"type":"extension_ui_request","id":"uuid-5","method":"notify","message":"Command blocked by user","notifyType":"warning"}""")]
    [InlineData("""{"type":"extension_ui_request","id":"uuid-6","method":"setStatus","statusKey":"my-ext","statusText":"Turn 3 running..."}""")]
    [InlineData("""{"type":"extension_ui_request","id":"uuid-8","method":"setTitle","title":"pi - my project"}""")]
    public void Map_FireAndForgetUiRequest_NeedsNoAnswer(string line)
    {
        var mapped = NewMapper().Map(line);

        mapped.Events.ShouldBeEmpty();
        mapped.Reply.ShouldBeNull();
    }

    [Fact]
    public void Map_ExtensionError_EmitsAnErrorEvent()
    {
        var mapped = NewMapper().Map("""{"type":"extension_error","extensionPath":"/x/guard.ts","event":"tool_call","error":"boom"}""");

        var error = mapped.Events.ShouldHaveSingleItem();
        error.Type.ShouldBe("error");
        error.Text.ShouldBe("pi extension /x/guard.ts failed in tool_call: boom");
    }

    [Theory]
    [InlineData("Debugger attached.")]
    [InlineData("")]
    [InlineData("[1,2,3]")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"type\":\"agent_start\"")]
    public void Map_NotAJsonObject_IsNoiseWithoutEvents(string line)
    {
        var mapper = NewMapper();
        mapper.StartTurn();

        var mapped = mapper.Map(line);

        mapped.Kind.ShouldBe(PiLineKind.NotJson);
        mapped.Events.ShouldBeEmpty();
        mapper.TurnOpen.ShouldBeTrue();
    }

    [Fact]
    public void Map_Response_CarriesIdSuccessAndData()
    {
        var mapped = NewMapper().Map(Lines(PiRecordings.WriteCommit)[0]);

        mapped.Kind.ShouldBe(PiLineKind.Response);
        mapped.Events.ShouldBeEmpty();
        var response = mapped.Response.ShouldNotBeNull();
        response.Id.ShouldBe("ready");
        response.Command.ShouldBe("get_state");
        response.Success.ShouldBeTrue();
        response.Data!.Value.GetProperty("isStreaming").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public void Map_FailedResponseWithoutId_ReportsAProtocolError()
    {
        var mapped = NewMapper().Map("""{"type":"response","command":"parse","success":false,"error":"Failed to parse command: Unexpected token"}""");

        mapped.Response!.Id.ShouldBeNull();
        mapped.Events.ShouldHaveSingleItem().Text.ShouldBe("pi rejected a command (parse): Failed to parse command: Unexpected token");
    }

    [Fact]
    public void Map_FailedResponseWithId_IsLeftToTheCaller()
    {
        var mapped = NewMapper().Map("""{"id":"baton-2","type":"response","command":"prompt","success":false,"error":"Agent is already processing."}""");

        mapped.Events.ShouldBeEmpty();
        mapped.Response!.Error.ShouldBe("Agent is already processing.");
    }

    [Fact]
    public void ToolInput_MultiLineBashCommand_IsOneBoundedLine()
    {
        var command = "set -e\necho " + new string('x', 400);
        var input = PiEventMapper.ToolInput("bash", Json(new JsonObject { ["command"] = command }));

        input.ShouldStartWith("set -e⏎echo xxx");
        input.Length.ShouldBe(PiEventMapper.MaxToolInputChars + 1);
        input.ShouldEndWith("…");
    }

    [Theory]
    [InlineData("read", """{"path":"src/a.cs","offset":10}""", "src/a.cs")]
    [InlineData("edit", """{"path":"b.txt","oldText":"a","newText":"b"}""", "b.txt")]
    [InlineData("grep", """{"pattern":"TODO","path":"src"}""", "TODO in src")]
    [InlineData("tracker", """{"task":"INT-3"}""", """{"task":"INT-3"}""")]
    public void ToolInput_ByTool_IsTheReadablePart(string tool, string args, string expected)
    {
        PiEventMapper.ToolInput(tool, Json(JsonNode.Parse(args)!)).ShouldBe(expected);
    }

    [Fact]
    public void ToolOutput_LongText_IsBounded()
    {
        var result = new JsonObject
        {
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = new string('a', 5000) }, new JsonObject { ["type"] = "image", ["data"] = "…" }),
        };

        var output = PiEventMapper.ToolOutput(Json(result));

        output!.Length.ShouldBe(PiEventMapper.MaxToolOutputChars + 1);
    }

    private const string AgentStart = """{"type":"agent_start"}""";

    private static PiEventMapper NewMapper() => new("int-3", 2, ModelPricing.Replay, new FixedTime(s_now));

    /// <summary>Opens the turn as the connection does before sending the prompt, then maps every line.</summary>
    private static List<WorkerEvent> Run(PiEventMapper mapper, string recording)
    {
        var events = new List<WorkerEvent> { mapper.StartTurn()! };
        foreach (var line in Lines(recording))
        {
            events.AddRange(mapper.Map(line).Events);
        }

        return events;
    }

    private static List<WorkerEvent> MapAll(PiEventMapper mapper, params string[] lines) => [.. lines.SelectMany(l => mapper.Map(l).Events)];

    private static List<string> Lines(string recording) => [.. recording.Split('\n')];

    private static string MessageEnd(string stopReason, string? text = null, long input = 0, long output = 0, string? error = null) =>
        new JsonObject { ["type"] = "message_end", ["message"] = Assistant(stopReason, text, input, output, error) }.ToJsonString();

    private static string AgentEnd(string stopReason, string? error = null) =>
        new JsonObject
        {
            ["type"] = "agent_end",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "go" }) },
                Assistant(stopReason, null, 0, 0, error)),
        }.ToJsonString();

    private static JsonObject Assistant(string stopReason, string? text, long input, long output, string? error)
    {
        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = text is null ? new JsonArray() : new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
            ["usage"] = new JsonObject { ["input"] = input, ["output"] = output, ["cacheRead"] = 0, ["cacheWrite"] = 0 },
            ["stopReason"] = stopReason,
        };
        if (error is not null)
        {
            message["errorMessage"] = error;
        }

        return message;
    }

    private static JsonElement Json(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
