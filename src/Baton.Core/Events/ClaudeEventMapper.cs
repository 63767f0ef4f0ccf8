using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Core.Events;

/// <summary>What one line of Claude Code's stream-json output asks of the connection, beside its normalized events.</summary>
public enum ClaudeSignal
{
    None,

    /// <summary><c>system/init</c>: a turn has begun inside Claude (it prints one per user message).</summary>
    Init,

    /// <summary>A <c>result</c> line: the turn is over.</summary>
    TurnFinished,

    /// <summary>Claude answered one of Baton's control requests (initialize, interrupt).</summary>
    ControlResponse,

    /// <summary>Claude asked Baton something (can_use_tool, a hook callback…) and waits for an answer.</summary>
    ControlRequest,
}

/// <summary>The outcome of mapping one stdout line.</summary>
/// <param name="RequestId">For control lines: the request id being answered or asked.</param>
/// <param name="Subtype">For control lines: <c>success</c>/<c>error</c> (response) or the request's subtype.</param>
public sealed record ClaudeMapped(IReadOnlyList<WorkerEvent> Events, ClaudeSignal Signal = ClaudeSignal.None, string? RequestId = null, string? Subtype = null, string? Detail = null)
{
    public static ClaudeMapped Nothing { get; } = new([]);
}

/// <summary>
/// Maps Claude Code's <c>--output-format stream-json</c> lines (2.1.x) into Baton's worker events. Pure: no I/O, the
/// clock is injected. Stateful only where the stream needs it: the open turn, tool names by id (a tool_result names
/// only the id), whether Baton asked for an interrupt, and the run's token totals.
/// </summary>
/// <remarks>
/// Facts this relies on, observed with Claude Code 2.1.197 against Baton's replay model:
/// <list type="bullet">
/// <item><c>result.usage</c> counts one turn (one user message); <c>result.modelUsage</c> holds the process's running
/// totals per model (side calls and subagents included). Totals come from <c>modelUsage</c> when present, else the
/// per-turn <c>usage</c> is added. The <c>usage</c> on <c>assistant</c> lines is a streaming snapshot (output_tokens 1)
/// and is never counted. Cost is Baton's own pricing, never <c>total_cost_usd</c>.</item>
/// <item>An API error ends the turn with <c>is_error:true</c> and <c>api_error_status</c> while <c>subtype</c> stays
/// <c>success</c>; an interrupt ends it with <c>subtype:error_during_execution</c>.</item>
/// </list>
/// </remarks>
public sealed class ClaudeEventMapper
{
    /// <summary>Tool output kept in a tool_finished event; the raw stream keeps all of it.</summary>
    public const int MaxToolOutputChars = 2000;

    /// <summary>A tool input summary (a command, a path) kept in a tool_started event.</summary>
    public const int MaxToolInputChars = 500;

    private readonly string _session;
    private readonly int _run;
    private readonly TimeProvider _time;
    private readonly UsageAccumulator _usage;
    private readonly Dictionary<string, string> _toolNames = new(StringComparer.Ordinal);

    public ClaudeEventMapper(string session, int run, ModelPricing pricing, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(pricing);
        _session = session;
        _run = run;
        _time = time ?? TimeProvider.System;
        _usage = new UsageAccumulator(pricing);
    }

    /// <summary>True between <see cref="StartTurn"/> and the turn's end (a result, or the agent's exit).</summary>
    public bool InTurn { get; private set; }

    /// <summary>Baton asked Claude to interrupt the open turn: its error result is then an abort, not a failure.</summary>
    public bool AbortRequested { get; private set; }

    /// <summary>The <c>session_id</c> from <c>system/init</c>.</summary>
    public string? SessionId { get; private set; }

    public TokenUsage Totals => _usage.Totals;

    /// <summary>Baton is about to send a user message: the turn starts now.</summary>
    public WorkerEvent StartTurn()
    {
        InTurn = true;
        AbortRequested = false;
        return Create(WorkerEventTypes.TurnStarted);
    }

    public void RequestAbort()
    {
        if (InTurn)
        {
            AbortRequested = true;
        }
    }

    /// <summary>
    /// The agent process ended. An open turn ends with it: <c>stopped</c> when Baton stopped it, <c>aborted</c> when an
    /// interrupt was pending, otherwise <c>failed</c> with the exit code as the reason.
    /// </summary>
    public IReadOnlyList<WorkerEvent> AgentExited(int exitCode, bool stopRequested)
    {
        if (!InTurn)
        {
            return [];
        }

        var outcome = stopRequested ? Outcomes.Stopped : AbortRequested ? Outcomes.Aborted : Outcomes.Failed;
        return [EndTurn(outcome, $"claude exited with code {exitCode.ToString(CultureInfo.InvariantCulture)} before the turn's result")];
    }

    /// <summary>Maps one stdout line. Lines that are not JSON objects, or of types Baton does not use, map to nothing.</summary>
    public ClaudeMapped Map(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return ClaudeMapped.Nothing;
        }

        if (root is null)
        {
            return ClaudeMapped.Nothing;
        }

        return Str(root, "type") switch
        {
            "system" => MapSystem(root),
            "assistant" => new ClaudeMapped(MapAssistant(root)),
            "user" => new ClaudeMapped(MapUser(root)),
            "result" => MapResult(root),
            "control_response" => MapControlResponse(root),
            "control_request" => MapControlRequest(root),
            _ => ClaudeMapped.Nothing, // stream_event, rate_limit_event, keep_alive, tool_progress…: the raw log has them
        };
    }

    private ClaudeMapped MapSystem(JsonObject root)
    {
        if (Str(root, "subtype") != "init")
        {
            return ClaudeMapped.Nothing;
        }

        SessionId = Str(root, "session_id") ?? SessionId;
        return new ClaudeMapped([], ClaudeSignal.Init, Detail: Str(root, "model"));
    }

    private List<WorkerEvent> MapAssistant(JsonObject root)
    {
        var events = new List<WorkerEvent>();
        if (root["message"] is not JsonObject message || message["content"] is not JsonArray content)
        {
            return events;
        }

        // An API failure arrives as a synthetic assistant message ("API Error: 400 …") marked with a top-level
        // "error": it is Claude reporting, not the model speaking.
        var type = root["error"] is null ? WorkerEventTypes.AgentMessage : WorkerEventTypes.Error;
        foreach (var block in content.OfType<JsonObject>())
        {
            switch (Str(block, "type"))
            {
                case "text" when Str(block, "text") is { Length: > 0 } text:
                    events.Add(Create(type) with { Text = text });
                    break;
                case "tool_use":
                    var id = Str(block, "id");
                    var name = Str(block, "name") ?? "tool";
                    if (id is not null)
                    {
                        _toolNames[id] = name;
                    }

                    events.Add(Create(WorkerEventTypes.ToolStarted) with
                    {
                        ToolId = id,
                        ToolName = name,
                        ToolInput = SummarizeInput(name, block["input"] as JsonObject),
                    });
                    break;
            }
        }

        return events;
    }

    private List<WorkerEvent> MapUser(JsonObject root)
    {
        // A user line is either Claude echoing input (a string, or text blocks such as "[Request interrupted…]")
        // or tool results; only the latter are events.
        var events = new List<WorkerEvent>();
        if (root["message"] is not JsonObject message || message["content"] is not JsonArray content)
        {
            return events;
        }

        foreach (var block in content.OfType<JsonObject>())
        {
            if (Str(block, "type") != "tool_result")
            {
                continue;
            }

            var id = Str(block, "tool_use_id");
            events.Add(Create(WorkerEventTypes.ToolFinished) with
            {
                ToolId = id,
                ToolName = id is not null && _toolNames.Remove(id, out var name) ? name : null,
                ToolOutput = Bound(ContentText(block["content"]), MaxToolOutputChars),
                IsError = block["is_error"] is JsonValue error && error.TryGetValue<bool>(out var isError) && isError,
            });
        }

        return events;
    }

    private ClaudeMapped MapResult(JsonObject root)
    {
        var events = new List<WorkerEvent> { Create(WorkerEventTypes.Usage) with { Usage = AddUsage(root) } };
        if (!InTurn)
        {
            // A result Baton did not start a turn for (should not happen: Baton sends one message per turn). The
            // tokens still count; no turn_finished, so the host's turn bookkeeping stays right.
            return new ClaudeMapped(events);
        }

        var isError = root["is_error"] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
        var subtype = Str(root, "subtype") ?? "result";
        string outcome;
        string? reason;
        if (!isError)
        {
            outcome = Outcomes.Succeeded;
            reason = Str(root, "stop_reason") ?? Str(root, "terminal_reason");
        }
        else if (AbortRequested && subtype == "error_during_execution")
        {
            outcome = Outcomes.Aborted;
            reason = "interrupted";
        }
        else
        {
            outcome = Outcomes.Failed;
            reason = FailureReason(root, subtype);
        }

        events.Add(EndTurn(outcome, reason));
        return new ClaudeMapped(events, ClaudeSignal.TurnFinished, Detail: outcome);
    }

    private static ClaudeMapped MapControlResponse(JsonObject root)
    {
        if (root["response"] is not JsonObject response)
        {
            return ClaudeMapped.Nothing;
        }

        return new ClaudeMapped([], ClaudeSignal.ControlResponse, Str(response, "request_id"), Str(response, "subtype"), Str(response, "error"));
    }

    private ClaudeMapped MapControlRequest(JsonObject root)
    {
        var request = root["request"] as JsonObject;
        var subtype = request is null ? null : Str(request, "subtype");
        var tool = request is null ? null : Str(request, "tool_name");
        var what = tool is null ? subtype ?? "a request" : $"{subtype} ({tool})";
        var text = $"Claude asked for {what}; Baton runs it unattended, so the request was refused";
        return new ClaudeMapped([Create(WorkerEventTypes.InputRequested) with { Text = text, ToolName = tool }], ClaudeSignal.ControlRequest, Str(root, "request_id"), subtype);
    }

    private TokenUsage AddUsage(JsonObject root)
    {
        if (root["modelUsage"] is JsonObject models && models.Count > 0)
        {
            long input = 0, output = 0, cacheRead = 0, cacheWrite = 0;
            foreach (var (_, node) in models)
            {
                if (node is JsonObject model)
                {
                    input += Long(model, "inputTokens");
                    output += Long(model, "outputTokens");
                    cacheRead += Long(model, "cacheReadInputTokens");
                    cacheWrite += Long(model, "cacheCreationInputTokens");
                }
            }

            return _usage.SetAbsolute(input, output, cacheRead, cacheWrite);
        }

        if (root["usage"] is JsonObject usage)
        {
            return _usage.AddDelta(Long(usage, "input_tokens"), Long(usage, "output_tokens"), Long(usage, "cache_read_input_tokens"), Long(usage, "cache_creation_input_tokens"));
        }

        return _usage.Totals;
    }

    private WorkerEvent EndTurn(string outcome, string? reason)
    {
        InTurn = false;
        AbortRequested = false;
        _toolNames.Clear();
        return Create(WorkerEventTypes.TurnFinished) with { Outcome = outcome, Reason = reason };
    }

    private static string FailureReason(JsonObject root, string subtype)
    {
        var text = Str(root, "result");
        if (text is null && root["errors"] is JsonArray errors)
        {
            text = string.Join("; ", errors.Select(e => e?.ToString()).Where(e => !string.IsNullOrEmpty(e)));
        }

        var status = root["api_error_status"] is JsonValue s && s.TryGetValue<int>(out var code) ? code.ToString(CultureInfo.InvariantCulture) : null;
        var reason = string.IsNullOrEmpty(text) ? subtype : text;
        if (status is not null && !reason.Contains(status, StringComparison.Ordinal))
        {
            reason = $"{reason} (HTTP {status})";
        }

        return Bound(reason, MaxToolOutputChars);
    }

    /// <summary>A readable one-glance form of a tool call: the command for Bash, the path for file tools.</summary>
    public static string? SummarizeInput(string tool, JsonObject? input)
    {
        if (input is null)
        {
            return null;
        }

        var key = tool switch
        {
            "Bash" => "command",
            "Write" or "Edit" or "MultiEdit" or "Read" => "file_path",
            "NotebookEdit" => "notebook_path",
            "Glob" or "Grep" => "pattern",
            "WebFetch" => "url",
            "WebSearch" => "query",
            "Task" or "Agent" => "description",
            _ => null,
        };
        var text = key is not null && Str(input, key) is { } value ? value : input.ToJsonString();
        return Bound(text, MaxToolInputChars);
    }

    private static string ContentText(JsonNode? content)
    {
        switch (content)
        {
            case JsonValue value when value.TryGetValue<string>(out var text):
                return text;
            case JsonArray blocks:
                var builder = new StringBuilder();
                foreach (var block in blocks.OfType<JsonObject>())
                {
                    var part = Str(block, "type") == "text" ? Str(block, "text") : $"[{Str(block, "type")}]";
                    if (part is not null)
                    {
                        builder.Append(builder.Length > 0 ? "\n" : "").Append(part);
                    }
                }

                return builder.ToString();
            default:
                return "";
        }
    }

    private static string Bound(string text, int max) =>
        text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $"…({(text.Length - max).ToString(CultureInfo.InvariantCulture)} more chars)");

    private static string? Str(JsonObject node, string name) =>
        node[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static long Long(JsonObject node, string name) =>
        node[name] is JsonValue value && value.TryGetValue<long>(out var number) ? number : 0;

    private WorkerEvent Create(string type) => new() { Ts = _time.GetUtcNow(), Session = _session, Run = _run, Type = type };
}

/// <summary>The lines Baton writes to Claude Code's stream-json input.</summary>
public static class ClaudeProtocol
{
    /// <summary>One user message: Claude runs one turn for it and ends that turn with a <c>result</c>.</summary>
    public static string UserMessage(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        JsonNode content = texts.Count == 1
            ? JsonValue.Create(texts[0])
            : new JsonArray([.. texts.Select(t => (JsonNode)new JsonObject { ["type"] = "text", ["text"] = t })]);
        return new JsonObject
        {
            ["type"] = "user",
            ["message"] = new JsonObject { ["role"] = "user", ["content"] = content },
        }.ToJsonString();
    }

    public static string ControlRequest(string requestId, string subtype) => new JsonObject
    {
        ["type"] = "control_request",
        ["request_id"] = requestId,
        ["request"] = new JsonObject { ["subtype"] = subtype },
    }.ToJsonString();

    /// <summary>
    /// The answer to a request from Claude: a tool-permission request is denied (so the model sees why), anything
    /// else gets an error response. Either way Claude goes on instead of waiting for a person who is not there.
    /// </summary>
    public static string Refusal(string requestId, string? subtype, string message)
    {
        var response = subtype == "can_use_tool"
            ? new JsonObject
            {
                ["subtype"] = "success",
                ["request_id"] = requestId,
                ["response"] = new JsonObject { ["behavior"] = "deny", ["message"] = message },
            }
            : new JsonObject { ["subtype"] = "error", ["request_id"] = requestId, ["error"] = message };
        return new JsonObject { ["type"] = "control_response", ["response"] = response }.ToJsonString();
    }
}
