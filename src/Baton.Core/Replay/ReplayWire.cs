using System.Globalization;
using System.Text.Json;

namespace Baton.Core.Replay;

/// <summary>
/// The response bodies of the three dialects, streaming (a list of server-sent events) and not (one JSON document).
/// The streaming sequences are the minimal ones pi, Claude Code and Codex were seen to accept
/// (reference/agents.md §2); each dialect reports usage in its own shape so the client reads back the script's counts.
/// </summary>
public static class ReplayWire
{
    private const int TextChunk = 16;

    public static string Json(ReplayDialect dialect, ReplayAnswer answer) => dialect switch
    {
        ReplayDialect.ChatCompletions => ChatJson(answer),
        ReplayDialect.Responses => ResponsesJson(answer),
        _ => AnthropicJson(answer),
    };

    public static IReadOnlyList<SseEvent> Stream(ReplayDialect dialect, ReplayAnswer answer) => dialect switch
    {
        ReplayDialect.ChatCompletions => ChatStream(answer),
        ReplayDialect.Responses => ResponsesStream(answer),
        _ => AnthropicStream(answer),
    };

    /// <summary>An error body in the dialect's own shape; both shapes carry <c>error.message</c>, which clients print.</summary>
    public static string Error(ReplayDialect? dialect, int status, string message) => ReplayJson.Write(w =>
    {
        w.WriteStartObject();
        if (dialect == ReplayDialect.AnthropicMessages)
        {
            w.WriteString("type", "error");
            w.WriteStartObject("error");
            w.WriteString("type", AnthropicErrorType(status));
            w.WriteString("message", message);
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartObject("error");
            w.WriteString("message", message);
            w.WriteString("type", OpenAIErrorType(status));
            w.WriteNull("param");
            w.WriteNull("code");
            w.WriteEndObject();
        }

        w.WriteEndObject();
    });

    /// <summary>A one-model list readable as both an OpenAI and an Anthropic model list.</summary>
    public static string Models(string model, long createdUnixSeconds) => ReplayJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        w.WriteStartObject();
        w.WriteString("id", model);
        w.WriteString("object", "model");
        w.WriteString("type", "model");
        w.WriteString("display_name", model);
        w.WriteNumber("created", createdUnixSeconds);
        w.WriteString("created_at", DateTimeOffset.FromUnixTimeSeconds(createdUnixSeconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteString("owned_by", "baton");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteBoolean("has_more", false);
        w.WriteString("first_id", model);
        w.WriteString("last_id", model);
        w.WriteEndObject();
    });

    /// <summary>Anthropic's <c>count_tokens</c> answer: an estimate of about four bytes a token.</summary>
    public static string CountTokens(int requestBytes) => ReplayJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("input_tokens", Math.Max(1, requestBytes / 4));
        w.WriteEndObject();
    });

    // ---------------------------------------------------------------- OpenAI chat completions

    private static string ChatJson(ReplayAnswer a) => ReplayJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("id", a.Id);
        w.WriteString("object", "chat.completion");
        w.WriteNumber("created", a.CreatedUnixSeconds);
        w.WriteString("model", a.Model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        if (a.Text.Length > 0)
        {
            w.WriteString("content", a.Text);
        }
        else
        {
            w.WriteNull("content");
        }

        if (a.HasToolCalls)
        {
            w.WriteStartArray("tool_calls");
            foreach (var call in a.ToolCalls)
            {
                w.WriteStartObject();
                w.WriteString("id", call.Id);
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", call.Name);
                w.WriteString("arguments", call.ArgumentsJson);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteString("finish_reason", ChatFinishReason(a));
        w.WriteEndObject();
        w.WriteEndArray();
        WriteChatUsage(w, a.Tokens);
        w.WriteEndObject();
    });

    private static List<SseEvent> ChatStream(ReplayAnswer a)
    {
        var events = new List<SseEvent>
        {
            ChatChunk(a, w =>
            {
                w.WriteString("role", "assistant");
                w.WriteString("content", "");
            }),
        };
        foreach (var piece in Pieces(a.Text, TextChunk))
        {
            events.Add(ChatChunk(a, w => w.WriteString("content", piece)));
        }

        for (var i = 0; i < a.ToolCalls.Count; i++)
        {
            var index = i;
            var call = a.ToolCalls[i];
            // The id and name come first with empty arguments, then the arguments: the way OpenAI streams them.
            events.Add(ChatChunk(a, w =>
            {
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                w.WriteNumber("index", index);
                w.WriteString("id", call.Id);
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", call.Name);
                w.WriteString("arguments", "");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
            }));
            events.Add(ChatChunk(a, w =>
            {
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                w.WriteNumber("index", index);
                w.WriteStartObject("function");
                w.WriteString("arguments", call.ArgumentsJson);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
            }));
        }

        events.Add(ChatChunk(a, _ => { }, ChatFinishReason(a)));
        events.Add(new SseEvent(null, ReplayJson.Write(w =>
        {
            w.WriteStartObject();
            WriteChatChunkHeader(w, a);
            w.WriteStartArray("choices");
            w.WriteEndArray();
            WriteChatUsage(w, a.Tokens);
            w.WriteEndObject();
        })));
        events.Add(new SseEvent(null, "[DONE]"));
        return events;
    }

    private static SseEvent ChatChunk(ReplayAnswer a, Action<Utf8JsonWriter> delta, string? finishReason = null) => new(null, ReplayJson.Write(w =>
    {
        w.WriteStartObject();
        WriteChatChunkHeader(w, a);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        delta(w);
        w.WriteEndObject();
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }));

    private static void WriteChatChunkHeader(Utf8JsonWriter w, ReplayAnswer a)
    {
        w.WriteString("id", a.Id);
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", a.CreatedUnixSeconds);
        w.WriteString("model", a.Model);
    }

    private static void WriteChatUsage(Utf8JsonWriter w, ReplayTokens t)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", t.Prompt);
        w.WriteNumber("completion_tokens", t.Output);
        w.WriteNumber("total_tokens", t.Total);
        w.WriteStartObject("prompt_tokens_details");
        // Chat completions has no standard cache-write count. pi reads OpenRouter's cache_write_tokens and takes it
        // to be included in cached_tokens, subtracting it back out; reporting both that way gives it the script's numbers.
        w.WriteNumber("cached_tokens", t.CacheRead + t.CacheWrite);
        if (t.CacheWrite > 0)
        {
            w.WriteNumber("cache_write_tokens", t.CacheWrite);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string ChatFinishReason(ReplayAnswer a) => a.HasToolCalls ? "tool_calls" : "stop";

    // ---------------------------------------------------------------- Anthropic messages

    private static string AnthropicJson(ReplayAnswer a) => ReplayJson.Write(w =>
    {
        w.WriteStartObject();
        WriteAnthropicMessageHead(w, a);
        w.WriteStartArray("content");
        foreach (var block in AnthropicBlocks(a))
        {
            block(w);
        }

        w.WriteEndArray();
        w.WriteString("stop_reason", AnthropicStopReason(a));
        w.WriteNull("stop_sequence");
        WriteAnthropicUsage(w, a.Tokens, a.Tokens.Output);
        w.WriteEndObject();
    });

    private static List<SseEvent> AnthropicStream(ReplayAnswer a)
    {
        var events = new List<SseEvent>
        {
            Named("message_start", w =>
            {
                w.WriteString("type", "message_start");
                w.WriteStartObject("message");
                WriteAnthropicMessageHead(w, a);
                w.WriteStartArray("content");
                w.WriteEndArray();
                w.WriteNull("stop_reason");
                w.WriteNull("stop_sequence");
                // The real API reports output tokens as they grow; the final count comes in message_delta.
                WriteAnthropicUsage(w, a.Tokens, 1);
                w.WriteEndObject();
            }),
        };
        var index = 0;
        if (a.Text.Length > 0)
        {
            var at = index++;
            events.Add(Named("content_block_start", w =>
            {
                w.WriteString("type", "content_block_start");
                w.WriteNumber("index", at);
                w.WriteStartObject("content_block");
                w.WriteString("type", "text");
                w.WriteString("text", "");
                w.WriteEndObject();
            }));
            events.Add(Named("content_block_delta", w =>
            {
                w.WriteString("type", "content_block_delta");
                w.WriteNumber("index", at);
                w.WriteStartObject("delta");
                w.WriteString("type", "text_delta");
                w.WriteString("text", a.Text);
                w.WriteEndObject();
            }));
            events.Add(BlockStop(at));
        }

        foreach (var call in a.ToolCalls)
        {
            var at = index++;
            events.Add(Named("content_block_start", w =>
            {
                w.WriteString("type", "content_block_start");
                w.WriteNumber("index", at);
                w.WriteStartObject("content_block");
                w.WriteString("type", "tool_use");
                w.WriteString("id", call.Id);
                w.WriteString("name", call.Name);
                w.WriteStartObject("input");
                w.WriteEndObject();
                w.WriteEndObject();
            }));
            events.Add(Named("content_block_delta", w =>
            {
                w.WriteString("type", "content_block_delta");
                w.WriteNumber("index", at);
                w.WriteStartObject("delta");
                w.WriteString("type", "input_json_delta");
                w.WriteString("partial_json", call.ArgumentsJson);
                w.WriteEndObject();
            }));
            events.Add(BlockStop(at));
        }

        events.Add(Named("message_delta", w =>
        {
            w.WriteString("type", "message_delta");
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", AnthropicStopReason(a));
            w.WriteNull("stop_sequence");
            w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("output_tokens", a.Tokens.Output);
            w.WriteEndObject();
        }));
        events.Add(Named("message_stop", w => w.WriteString("type", "message_stop")));
        return events;
    }

    private static IEnumerable<Action<Utf8JsonWriter>> AnthropicBlocks(ReplayAnswer a)
    {
        if (a.Text.Length > 0)
        {
            yield return w =>
            {
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", a.Text);
                w.WriteEndObject();
            };
        }

        foreach (var call in a.ToolCalls)
        {
            yield return w =>
            {
                w.WriteStartObject();
                w.WriteString("type", "tool_use");
                w.WriteString("id", call.Id);
                w.WriteString("name", call.Name);
                w.WritePropertyName("input");
                w.WriteRawValue(call.ArgumentsJson);
                w.WriteEndObject();
            };
        }
    }

    private static void WriteAnthropicMessageHead(Utf8JsonWriter w, ReplayAnswer a)
    {
        w.WriteString("id", a.Id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", a.Model);
    }

    private static void WriteAnthropicUsage(Utf8JsonWriter w, ReplayTokens t, int output)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", t.Input);
        w.WriteNumber("output_tokens", output);
        w.WriteNumber("cache_creation_input_tokens", t.CacheWrite);
        w.WriteNumber("cache_read_input_tokens", t.CacheRead);
        w.WriteEndObject();
    }

    private static SseEvent BlockStop(int index) => Named("content_block_stop", w =>
    {
        w.WriteString("type", "content_block_stop");
        w.WriteNumber("index", index);
    });

    private static string AnthropicStopReason(ReplayAnswer a) => a.HasToolCalls ? "tool_use" : "end_turn";

    // ---------------------------------------------------------------- OpenAI responses

    private static string ResponsesJson(ReplayAnswer a) => ReplayJson.Write(w => WriteResponse(w, a, completed: true));

    private static List<SseEvent> ResponsesStream(ReplayAnswer a)
    {
        var events = new List<SseEvent>
        {
            Named("response.created", w =>
            {
                w.WriteString("type", "response.created");
                w.WritePropertyName("response");
                WriteResponse(w, a, completed: false);
            }),
        };
        var index = 0;
        if (a.Text.Length > 0)
        {
            var at = index++;
            var itemId = MessageItemId(a);
            events.Add(Named("response.output_item.added", w =>
            {
                w.WriteString("type", "response.output_item.added");
                w.WriteNumber("output_index", at);
                w.WritePropertyName("item");
                WriteMessageItem(w, a, completed: false);
            }));
            events.Add(Named("response.output_text.delta", w =>
            {
                w.WriteString("type", "response.output_text.delta");
                w.WriteString("item_id", itemId);
                w.WriteNumber("output_index", at);
                w.WriteNumber("content_index", 0);
                w.WriteString("delta", a.Text);
            }));
            events.Add(Named("response.output_item.done", w =>
            {
                w.WriteString("type", "response.output_item.done");
                w.WriteNumber("output_index", at);
                w.WritePropertyName("item");
                WriteMessageItem(w, a, completed: true);
            }));
        }

        foreach (var call in a.ToolCalls)
        {
            var at = index++;
            events.Add(Named("response.output_item.added", w =>
            {
                w.WriteString("type", "response.output_item.added");
                w.WriteNumber("output_index", at);
                w.WritePropertyName("item");
                WriteFunctionCallItem(w, call, completed: false);
            }));
            events.Add(Named("response.output_item.done", w =>
            {
                w.WriteString("type", "response.output_item.done");
                w.WriteNumber("output_index", at);
                w.WritePropertyName("item");
                WriteFunctionCallItem(w, call, completed: true);
            }));
        }

        events.Add(Named("response.completed", w =>
        {
            w.WriteString("type", "response.completed");
            w.WritePropertyName("response");
            WriteResponse(w, a, completed: true);
        }));
        return events;
    }

    private static void WriteResponse(Utf8JsonWriter w, ReplayAnswer a, bool completed)
    {
        w.WriteStartObject();
        w.WriteString("id", a.Id);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", a.CreatedUnixSeconds);
        w.WriteString("model", a.Model);
        w.WriteString("status", completed ? "completed" : "in_progress");
        w.WriteStartArray("output");
        if (completed)
        {
            if (a.Text.Length > 0)
            {
                WriteMessageItem(w, a, completed: true);
            }

            foreach (var call in a.ToolCalls)
            {
                WriteFunctionCallItem(w, call, completed: true);
            }
        }

        w.WriteEndArray();
        if (completed)
        {
            // input_tokens includes cached tokens here (pi and Codex subtract cached_tokens back out). The Responses
            // API has no cache-write count, so cache writes are reported as plain input.
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", a.Tokens.Prompt);
            w.WriteStartObject("input_tokens_details");
            w.WriteNumber("cached_tokens", a.Tokens.CacheRead);
            w.WriteEndObject();
            w.WriteNumber("output_tokens", a.Tokens.Output);
            w.WriteStartObject("output_tokens_details");
            w.WriteNumber("reasoning_tokens", 0);
            w.WriteEndObject();
            w.WriteNumber("total_tokens", a.Tokens.Total);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("usage");
        }

        w.WriteEndObject();
    }

    private static void WriteMessageItem(Utf8JsonWriter w, ReplayAnswer a, bool completed)
    {
        w.WriteStartObject();
        w.WriteString("type", "message");
        w.WriteString("id", MessageItemId(a));
        w.WriteString("role", "assistant");
        w.WriteString("status", completed ? "completed" : "in_progress");
        w.WriteStartArray("content");
        if (completed)
        {
            w.WriteStartObject();
            w.WriteString("type", "output_text");
            w.WriteString("text", a.Text);
            w.WriteStartArray("annotations");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteFunctionCallItem(Utf8JsonWriter w, ReplayAnsweredCall call, bool completed)
    {
        w.WriteStartObject();
        w.WriteString("type", "function_call");
        w.WriteString("id", "fc_" + (call.Id.StartsWith("call_", StringComparison.Ordinal) ? call.Id[5..] : call.Id));
        w.WriteString("call_id", call.Id);
        w.WriteString("name", call.Name);
        w.WriteString("arguments", completed ? call.ArgumentsJson : "");
        w.WriteString("status", completed ? "completed" : "in_progress");
        w.WriteEndObject();
    }

    private static string MessageItemId(ReplayAnswer a) =>
        "msg_" + (a.Id.StartsWith("resp_", StringComparison.Ordinal) ? a.Id[5..] : a.Id);

    // ---------------------------------------------------------------- shared

    private static SseEvent Named(string name, Action<Utf8JsonWriter> body) => new(name, ReplayJson.Write(w =>
    {
        w.WriteStartObject();
        body(w);
        w.WriteEndObject();
    }));

    /// <summary>Splits text into pieces of about <paramref name="size"/> chars without cutting a surrogate pair.</summary>
    private static IEnumerable<string> Pieces(string text, int size)
    {
        var start = 0;
        while (start < text.Length)
        {
            var length = Math.Min(size, text.Length - start);
            if (start + length < text.Length && char.IsHighSurrogate(text[start + length - 1]))
            {
                length++;
            }

            yield return text.Substring(start, length);
            start += length;
        }
    }

    private static string AnthropicErrorType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };

    private static string OpenAIErrorType(int status) => status switch
    {
        400 or 404 or 413 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_exceeded",
        _ => "server_error",
    };
}
