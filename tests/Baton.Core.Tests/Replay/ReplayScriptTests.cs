using Baton.Core.Errors;
using Baton.Core.Replay;

namespace Baton.Core.Tests.Replay;

public class ReplayScriptTests
{
    [Fact]
    public void Parse_FullTurn_ReadsEveryKey()
    {
        var script = ReplayScript.Parse(
            """
            [
              // comments and trailing commas are fine in a hand-written script
              {"text": "I'll create the file.",
               "tool_calls": [{"name": "write", "arguments": {"path": "hello.txt", "content": "hi\n"}, "id": "call_1"}],
               "usage": {"input": 1200, "output": 40, "cacheRead": 7, "cacheWrite": 3},
               "delay": 0.25,
               "error": {"status": 503, "message": "transient", "times": 2}},
              {"text": "Done."},
            ]
            """,
            "s.json");

        script.Turns.Count.ShouldBe(2);
        var turn = script.Turns[0];
        turn.Text.ShouldBe("I'll create the file.");
        turn.ToolCalls.ShouldHaveSingleItem().ShouldBe(new ReplayToolCall("write", """{"path":"hello.txt","content":"hi\n"}""", "call_1"));
        turn.Usage.ShouldBe(new ReplayUsage(1200, 40, 7, 3));
        turn.Delay.ShouldBe(TimeSpan.FromSeconds(0.25));
        turn.Error.ShouldBe(new ReplayError(503, "transient", 2));
        script.Turns[1].ShouldBe(new ReplayTurn { Text = "Done.", ToolCalls = script.Turns[1].ToolCalls });
        script.Turns[1].ToolCalls.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_ToolCallWithoutArguments_UsesEmptyObject()
    {
        var script = ReplayScript.Parse("""[{"tool_calls": [{"name": "ls"}]}]""", "s.json");

        script.Turns[0].ToolCalls[0].ArgumentsJson.ShouldBe("{}");
    }

    [Fact]
    public void Parse_ErrorWithOnlyStatus_DefaultsToOneTime()
    {
        var script = ReplayScript.Parse("""[{"error": {"status": 500}}]""", "s.json");

        script.Turns[0].Error!.Times.ShouldBe(1);
        script.Turns[0].Error!.Message.ShouldNotBeEmpty();
    }

    [Theory]
    [InlineData("""{"text": "hi"}""", "must be a JSON list of turns, not an object")]
    [InlineData("""[{"text": "hi"} """, "not valid JSON")]
    [InlineData("""["hi"]""", "$[0]: a turn must be an object")]
    [InlineData("""[{"text": "a"}, {"tool_call": []}]""", "$[1]: unknown key 'tool_call'")]
    [InlineData("""[{"text": 3}]""", "$[0].text: must be a string")]
    [InlineData("""[{"tool_calls": [{"arguments": {}}]}]""", "$[0].tool_calls[0]: \"name\" is required")]
    [InlineData("""[{"tool_calls": [{"name": "w", "arguments": "x"}]}]""", "$[0].tool_calls[0].arguments: must be a JSON object")]
    [InlineData("""[{"tool_calls": [{"name": "w", "args": {}}]}]""", "$[0].tool_calls[0]: unknown key 'args'")]
    [InlineData("""[{"usage": {"input": -1}}]""", "$[0].usage.input: must be a whole number")]
    [InlineData("""[{"usage": {"prompt": 1}}]""", "$[0].usage: unknown key 'prompt'")]
    [InlineData("""[{"delay": 601}]""", "$[0].delay: must be a number of seconds from 0 to 600")]
    [InlineData("""[{"error": {"status": 200}}]""", "$[0].error.status: must be an HTTP error status")]
    [InlineData("""[{"error": {"status": 500, "times": 0}}]""", "$[0].error.times: must be a whole number, 1 or more")]
    public void Parse_InvalidScript_ThrowsWithLocation(string json, string expected)
    {
        var error = Should.Throw<BatonException>(() => ReplayScript.Parse(json, "s.json"));

        error.Code.ShouldBe(ErrorCodes.ReplayScriptInvalid);
        error.ExitCode.ShouldBe(ExitCodes.BadUsage);
        error.Message.ShouldStartWith("s.json: ");
        error.Message.ShouldContain(expected);
        error.Suggestion.ShouldNotBeEmpty();
    }

    [Fact]
    public void Parse_EmptyList_HasNoTurns()
    {
        ReplayScript.Parse("[]", "s.json").Turns.ShouldBeEmpty();
    }
}
