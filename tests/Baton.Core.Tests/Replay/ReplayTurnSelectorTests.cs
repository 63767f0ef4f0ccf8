using System.Text.Json;
using Baton.Core.Replay;

namespace Baton.Core.Tests.Replay;

public class ReplayTurnSelectorTests
{
    private static readonly ReplayScript s_script = ReplayScript.Parse(
        """[{"text": "zero", "tool_calls": [{"name": "write"}]}, {"text": "one"}]""", "s.json");

    [Fact]
    public void CountAssistantTurns_Chat_CountsAssistantMessages()
    {
        var body = Parse("""
            {"messages": [
              {"role": "system", "content": "s"}, {"role": "user", "content": "u"},
              {"role": "assistant", "content": null, "tool_calls": [{"id": "a"}, {"id": "b"}]},
              {"role": "tool", "content": "r1"}, {"role": "tool", "content": "r2"},
              {"role": "assistant", "content": "x"}, {"role": "user", "content": "more"}]}
            """);

        ReplayTurnSelector.CountAssistantTurns(ReplayDialect.ChatCompletions, body).ShouldBe(2);
    }

    [Fact]
    public void CountAssistantTurns_Anthropic_CountsAssistantMessages()
    {
        var body = Parse("""
            {"system": "s", "messages": [
              {"role": "user", "content": "u"},
              {"role": "assistant", "content": [{"type": "text", "text": "t"}, {"type": "tool_use", "id": "toolu_1"}]},
              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]}]}
            """);

        ReplayTurnSelector.CountAssistantTurns(ReplayDialect.AnthropicMessages, body).ShouldBe(1);
    }

    [Fact]
    public void CountAssistantTurns_Responses_CountsRunsOfModelOutput()
    {
        // Turn 1: reasoning + message + two calls (one run); their outputs; turn 2: a call; its output; turn 3: a message.
        var body = Parse("""
            {"input": [
              {"type": "message", "role": "developer", "content": "d"},
              {"role": "user", "content": "u"},
              {"type": "reasoning", "summary": []},
              {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "t"}]},
              {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
              {"type": "function_call", "call_id": "c2", "name": "exec_command", "arguments": "{}"},
              {"type": "function_call_output", "call_id": "c1", "output": "o"},
              {"type": "function_call_output", "call_id": "c2", "output": "o"},
              {"type": "custom_tool_call", "call_id": "c3", "name": "apply_patch", "input": "p"},
              {"type": "custom_tool_call_output", "call_id": "c3", "output": "o"},
              {"role": "assistant", "content": "done"},
              {"role": "user", "content": "again"}]}
            """);

        ReplayTurnSelector.CountAssistantTurns(ReplayDialect.Responses, body).ShouldBe(3);
    }

    [Fact]
    public void CountAssistantTurns_ResponsesStringInput_IsZero()
    {
        ReplayTurnSelector.CountAssistantTurns(ReplayDialect.Responses, Parse("""{"input": "hello"}""")).ShouldBe(0);
    }

    [Theory]
    [InlineData("""{"messages": []}""", false)]
    [InlineData("""{"messages": [], "tools": []}""", false)]
    [InlineData("""{"messages": [], "tools": null}""", false)]
    [InlineData("""{"messages": [], "tools": [{"name": "Write"}]}""", true)]
    public void HasTools_Body_IsTrueOnlyForANonEmptyList(string json, bool expected)
    {
        ReplayTurnSelector.HasTools(Parse(json)).ShouldBe(expected);
    }

    [Fact]
    public void ToolNames_EachDialectsShape_ReadsTheName()
    {
        var body = Parse("""{"tools": [{"type": "function", "function": {"name": "write"}}, {"name": "Bash"}, {"type": "function", "name": "exec_command"}, {"type": "web_search"}]}""");

        ReplayTurnSelector.ToolNames(body).ShouldBe(["write", "Bash", "exec_command", "web_search"]);
    }

    [Fact]
    public void Plan_NoTools_AnswersOkWithoutATurn()
    {
        var plan = ReplayTurnSelector.Plan(s_script, ReplayDialect.ChatCompletions, Parse("""{"messages": [{"role": "user", "content": "title?"}]}"""), 1, 50);

        plan.Kind.ShouldBe(ReplayAnswerKind.NoTools);
        plan.TurnIndex.ShouldBe(-1);
        plan.Turn.Text.ShouldBe("OK");
    }

    [Fact]
    public void Plan_HistoryWithOneAssistantTurn_ServesTurnOne()
    {
        var body = Parse("""{"tools": [{"name": "w"}], "messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}""");

        var plan = ReplayTurnSelector.Plan(s_script, ReplayDialect.AnthropicMessages, body, 2, 50);

        plan.Kind.ShouldBe(ReplayAnswerKind.Scripted);
        plan.TurnIndex.ShouldBe(1);
        plan.Turn.ShouldBeSameAs(s_script.Turns[1]);
    }

    [Fact]
    public void Plan_PastTheLastTurn_AnswersExhaustedText()
    {
        var body = Parse("""{"tools": [{"name": "w"}], "messages": [{"role": "assistant"}, {"role": "assistant"}]}""");

        var plan = ReplayTurnSelector.Plan(s_script, ReplayDialect.ChatCompletions, body, 3, 50);

        plan.Kind.ShouldBe(ReplayAnswerKind.ScriptExhausted);
        plan.TurnIndex.ShouldBe(2);
        plan.Turn.ToolCalls.ShouldBeEmpty();
        plan.Turn.Text.ShouldBe(ReplayTurnSelector.ExhaustedText);
    }

    [Fact]
    public void Plan_PastTheRequestLimit_AnswersLimitText()
    {
        var body = Parse("""{"tools": [{"name": "w"}], "messages": []}""");

        ReplayTurnSelector.Plan(s_script, ReplayDialect.ChatCompletions, body, 5, 5).Kind.ShouldBe(ReplayAnswerKind.Scripted);
        var plan = ReplayTurnSelector.Plan(s_script, ReplayDialect.ChatCompletions, body, 6, 5);

        plan.Kind.ShouldBe(ReplayAnswerKind.RequestLimit);
        plan.Turn.Text.ShouldBe(ReplayTurnSelector.LimitText);
        plan.Turn.ToolCalls.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("""{"stream": true}""", true)]
    [InlineData("""{"stream": false}""", false)]
    [InlineData("""{}""", false)]
    public void IsStreaming_Body_ReadsTheFlag(string json, bool expected)
    {
        ReplayTurnSelector.IsStreaming(Parse(json)).ShouldBe(expected);
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
