using System.Text.Json;

namespace Baton.Core.Replay;

/// <summary>The three wire formats the replay server speaks.</summary>
public enum ReplayDialect
{
    /// <summary>OpenAI chat completions (<c>POST /v1/chat/completions</c>): pi's <c>openai-completions</c>.</summary>
    ChatCompletions,

    /// <summary>OpenAI responses (<c>POST /v1/responses</c>): Codex, pi's <c>openai-responses</c>.</summary>
    Responses,

    /// <summary>Anthropic messages (<c>POST /v1/messages</c>): Claude Code, pi's <c>anthropic-messages</c>.</summary>
    AnthropicMessages,
}

public enum ReplayAnswerKind
{
    /// <summary>The script's turn for this point of the conversation.</summary>
    Scripted,

    /// <summary>A side request with no tools (title generation and the like): "OK", no turn used up.</summary>
    NoTools,

    /// <summary>The conversation is past the script's last turn: plain text and stop, so the agent loop ends.</summary>
    ScriptExhausted,

    /// <summary>The server has answered more than its request limit: plain text and stop.</summary>
    RequestLimit,
}

/// <summary>What to answer one request with. <see cref="TurnIndex"/> is -1 for a request with no tools.</summary>
public sealed record ReplayPlan(ReplayAnswerKind Kind, int TurnIndex, ReplayTurn Turn);

/// <summary>
/// Chooses the answer from the request alone: turn N is served when the history already holds N assistant turns.
/// No conversation state is kept, so client retries, restarts and repeated runs cannot put the script out of step.
/// </summary>
public static class ReplayTurnSelector
{
    public const string NoToolsText = "OK";
    public const string ExhaustedText = "[replay-model] script exhausted; done.";
    public const string LimitText = "[replay-model] max requests reached; stopping.";

    // Responses input items the model produced (as opposed to user input and tool output).
    private static readonly HashSet<string> s_modelOutputItems = new(StringComparer.Ordinal)
    {
        "function_call", "custom_tool_call", "local_shell_call", "reasoning", "web_search_call", "file_search_call",
        "computer_call", "code_interpreter_call", "image_generation_call", "mcp_call",
    };

    public static string DialectName(ReplayDialect dialect) => dialect switch
    {
        ReplayDialect.ChatCompletions => "chat",
        ReplayDialect.Responses => "responses",
        _ => "anthropic",
    };

    /// <summary>
    /// The number of assistant turns already in the request. Chat and Anthropic count <c>role: assistant</c> messages.
    /// Responses counts runs of consecutive model-output items, because one assistant turn there is several items
    /// (a message, then its function calls) interleaved with nothing but each other.
    /// </summary>
    public static int CountAssistantTurns(ReplayDialect dialect, JsonElement body)
    {
        if (dialect == ReplayDialect.Responses)
        {
            if (!TryGetArray(body, "input", out var input))
            {
                return 0; // a plain string input is one user message
            }

            var runs = 0;
            var previous = false;
            foreach (var item in input.EnumerateArray())
            {
                var current = IsModelOutput(item);
                if (current && !previous)
                {
                    runs++;
                }

                previous = current;
            }

            return runs;
        }

        if (!TryGetArray(body, "messages", out var messages))
        {
            return 0;
        }

        var count = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind == JsonValueKind.Object && StringProperty(message, "role") == "assistant")
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>True when the request offers the model at least one tool; agents' side calls (titles, summaries) offer none.</summary>
    public static bool HasTools(JsonElement body) => TryGetArray(body, "tools", out var tools) && tools.GetArrayLength() > 0;

    /// <summary>The tool names a request offers, for the request log (chat nests them under <c>function</c>).</summary>
    public static IReadOnlyList<string> ToolNames(JsonElement body)
    {
        if (!TryGetArray(body, "tools", out var tools))
        {
            return [];
        }

        var names = new List<string>();
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var name = StringProperty(tool, "name")
                ?? (tool.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object ? StringProperty(function, "name") : null)
                ?? StringProperty(tool, "type");
            if (name is not null)
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>
    /// Plans the answer to the <paramref name="requestNumber"/>-th model request (1-based, counted over the server's
    /// life). Past <paramref name="maxRequests"/> every request with tools gets the stop text.
    /// </summary>
    public static ReplayPlan Plan(ReplayScript script, ReplayDialect dialect, JsonElement body, int requestNumber, int maxRequests)
    {
        ArgumentNullException.ThrowIfNull(script);
        if (!HasTools(body))
        {
            return new ReplayPlan(ReplayAnswerKind.NoTools, -1, new ReplayTurn { Text = NoToolsText });
        }

        var index = CountAssistantTurns(dialect, body);
        if (requestNumber > maxRequests)
        {
            return new ReplayPlan(ReplayAnswerKind.RequestLimit, index, new ReplayTurn { Text = LimitText });
        }

        return index < script.Turns.Count
            ? new ReplayPlan(ReplayAnswerKind.Scripted, index, script.Turns[index])
            : new ReplayPlan(ReplayAnswerKind.ScriptExhausted, index, new ReplayTurn { Text = ExhaustedText });
    }

    /// <summary>True when the request asks for server-sent events.</summary>
    public static bool IsStreaming(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;

    /// <summary>The model the request names, if any.</summary>
    public static string? RequestedModel(JsonElement body) => body.ValueKind == JsonValueKind.Object ? StringProperty(body, "model") : null;

    private static bool IsModelOutput(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var type = StringProperty(item, "type") ?? "message";
        return type == "message" ? StringProperty(item, "role") == "assistant" : s_modelOutputItems.Contains(type);
    }

    private static bool TryGetArray(JsonElement body, string name, out JsonElement array)
    {
        array = default;
        return body.ValueKind == JsonValueKind.Object
            && body.TryGetProperty(name, out array)
            && array.ValueKind == JsonValueKind.Array;
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
