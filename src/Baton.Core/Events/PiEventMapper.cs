using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Core.Events;

/// <summary>What one stdout line of <c>pi --mode rpc</c> turned out to be.</summary>
public enum PiLineKind
{
    /// <summary>An event (no <c>id</c>): agent_start, message_end, tool_execution_start, …</summary>
    Event,

    /// <summary>The answer to a command (<c>type: response</c>).</summary>
    Response,

    /// <summary>Not a JSON object: noise on stdout. It is kept in the raw stream and otherwise ignored.</summary>
    NotJson,
}

/// <summary>pi's answer to one command. <paramref name="Id"/> is null for parse errors and unknown commands.</summary>
public sealed record PiResponse(string? Id, string Command, bool Success, string? Error, JsonElement? Data);

/// <summary>The result of mapping one line: normalized events to publish, and what the connection must do next.</summary>
public sealed record PiMapped(PiLineKind Kind, IReadOnlyList<WorkerEvent> Events)
{
    public PiResponse? Response { get; init; }

    /// <summary>A line to write back to pi at once (the cancellation of an extension dialog).</summary>
    public string? Reply { get; init; }

    /// <summary>
    /// The turn's end is provisional (an <c>error</c> stop that pi may retry or compact away): send any command, e.g.
    /// <c>get_state</c>, so a line follows and settles it (reference/agents.md §1.5 option b).
    /// </summary>
    public bool NeedsBarrier { get; init; }
}

/// <summary>
/// Maps pi's RPC stream (reference/agents.md §1) into Baton's worker events, keeping just enough state to know when a
/// turn is over and how it ended. Pure: no I/O, the clock is injected, and it is not thread-safe (one reader feeds it).
/// </summary>
/// <remarks>
/// A Baton turn starts with a prompt (or pi starting a run on its own) and ends with the <c>agent_end</c> that pi will
/// not follow up: an <c>error</c> stop is held until the next line shows whether an auto-retry or an overflow
/// compaction carries the turn on, because pi emits those synchronously right after <c>agent_end</c>.
/// </remarks>
public sealed class PiEventMapper
{
    /// <summary>Bounds of the excerpts put into events; the full text stays in the raw stream.</summary>
    public const int MaxToolInputChars = 240;

    public const int MaxToolOutputChars = 2000;

    public const int MaxMessageChars = 16 * 1024;

    private static readonly HashSet<string> s_dialogMethods = new(StringComparer.Ordinal) { "select", "confirm", "input", "editor" };

    private readonly string _session;
    private readonly int _run;
    private readonly TimeProvider _time;
    private readonly UsageAccumulator _usage;
    private TurnState _state;
    private string? _lastStopReason;
    private string? _lastError;
    private bool _abortRequested;
    private Held? _held;

    public PiEventMapper(string session, int run, ModelPricing pricing, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(pricing);
        _session = session;
        _run = run;
        _time = time ?? TimeProvider.System;
        _usage = new UsageAccumulator(pricing);
    }

    private enum TurnState
    {
        Idle,

        /// <summary>A turn is open: a prompt was sent or a run is going.</summary>
        Open,

        /// <summary>agent_end came with an error stop; the next line decides whether the turn is over.</summary>
        Held,

        /// <summary>pi said it retries (auto-retry or overflow compaction): the next agent_start continues this turn.</summary>
        Continuing,
    }

    /// <summary>Whether a Baton turn is open (a prompt is being worked on, retried or compacted for).</summary>
    public bool TurnOpen => _state != TurnState.Idle;

    /// <summary>The run's absolute token totals and their cost at Baton's prices.</summary>
    public TokenUsage Usage => _usage.Totals;

    /// <summary>Opens a turn for a prompt Baton is about to send: <c>turn_started</c>, or null when one is open.</summary>
    public WorkerEvent? StartTurn()
    {
        if (_state != TurnState.Idle)
        {
            return null;
        }

        Open();
        return New(WorkerEventTypes.TurnStarted);
    }

    /// <summary>Baton asked pi to abort: the open turn ends as <c>aborted</c>, however pi reports it.</summary>
    public void AbortRequested()
    {
        if (_state != TurnState.Idle)
        {
            _abortRequested = true;
        }
    }

    /// <summary>Closes the open turn from outside (a rejected prompt): <c>turn_finished</c>, or null when none is open.</summary>
    public WorkerEvent? FailTurn(string reason) =>
        _state == TurnState.Idle ? null : Finish(_abortRequested ? Outcomes.Aborted : Outcomes.Failed, reason);

    /// <summary>
    /// The agent process ended. A turn still open ends now — never left hanging: <c>aborted</c> after an abort,
    /// <c>stopped</c> when Baton stopped the agent, otherwise <c>failed</c> with the exit code.
    /// </summary>
    public IReadOnlyList<WorkerEvent> AgentExited(int exitCode, bool stoppedByBaton)
    {
        if (_state == TurnState.Idle)
        {
            return [];
        }

        if (_held is { } held)
        {
            // The error agent_end was the last word: nothing can retry it now.
            return [Finish(held.Outcome, held.Reason)];
        }

        var code = exitCode.ToString(CultureInfo.InvariantCulture);
        var outcome = _abortRequested ? Outcomes.Aborted : stoppedByBaton ? Outcomes.Stopped : Outcomes.Failed;
        return [Finish(outcome, $"agent exited with code {code}")];
    }

    /// <summary>An <c>error</c> event of this session and run (for what the connection itself has to report).</summary>
    public WorkerEvent Error(string text) => New(WorkerEventTypes.Error) with { Text = text };

    /// <summary>Maps one stdout line. Never throws for bad input: what is not pi's JSON is <see cref="PiLineKind.NotJson"/>.</summary>
    public PiMapped Map(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return new PiMapped(PiLineKind.NotJson, []);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new PiMapped(PiLineKind.NotJson, []);
            }

            var type = Str(root, "type");
            var events = new List<WorkerEvent>();
            if (_held is not null && type is not ("auto_retry_start" or "compaction_start" or "compaction_end"))
            {
                // The line after an error agent_end is neither a retry nor a compaction: the error is final.
                events.Add(Finish(_held.Outcome, _held.Reason));
            }

            if (type == "response")
            {
                return MapResponse(root, events);
            }

            return MapEvent(type, root, events);
        }
    }

    private PiMapped MapResponse(JsonElement root, List<WorkerEvent> events)
    {
        var response = new PiResponse(
            Str(root, "id"),
            Str(root, "command") ?? "",
            root.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.True,
            Str(root, "error"),
            root.TryGetProperty("data", out var data) ? data.Clone() : null);
        if (response.Id is null && !response.Success)
        {
            // Parse errors and unknown commands come back without the id: a bug in what Baton sent, worth seeing.
            events.Add(New(WorkerEventTypes.Error) with { Text = $"pi rejected a command ({response.Command}): {response.Error}" });
        }

        return new PiMapped(PiLineKind.Response, events) { Response = response };
    }

    private PiMapped MapEvent(string? type, JsonElement root, List<WorkerEvent> events)
    {
        var needsBarrier = false;
        string? reply = null;
        switch (type)
        {
            case "agent_start":
                if (_state == TurnState.Idle)
                {
                    // pi started a run Baton did not prompt (a steer that arrived as it went idle, an extension).
                    Open();
                    events.Add(New(WorkerEventTypes.TurnStarted));
                }
                else
                {
                    _state = TurnState.Open;
                }

                break;

            case "message_end":
                MapMessageEnd(root, events);
                break;

            case "tool_execution_start":
                events.Add(New(WorkerEventTypes.ToolStarted) with
                {
                    ToolId = Str(root, "toolCallId"),
                    ToolName = Str(root, "toolName"),
                    ToolInput = root.TryGetProperty("args", out var args) ? ToolInput(Str(root, "toolName"), args) : null,
                });
                break;

            case "tool_execution_end":
                events.Add(New(WorkerEventTypes.ToolFinished) with
                {
                    ToolId = Str(root, "toolCallId"),
                    ToolName = Str(root, "toolName"),
                    ToolOutput = root.TryGetProperty("result", out var result) ? ToolOutput(result) : null,
                    IsError = root.TryGetProperty("isError", out var isError) && isError.ValueKind == JsonValueKind.True,
                });
                break;

            case "agent_end":
                needsBarrier = MapAgentEnd(root, events);
                break;

            case "auto_retry_start":
                if (_state != TurnState.Idle)
                {
                    _held = null;
                    _state = TurnState.Continuing;
                }

                break;

            case "auto_retry_end":
                // Success is followed by more of the same run; a failure after an agent_end already settled the turn.
                // Only a cancelled backoff (abort_retry, abort) ends a turn that is still waiting here.
                if (_state == TurnState.Continuing && Bool(root, "success") == false)
                {
                    events.Add(Finish(_abortRequested ? Outcomes.Aborted : Outcomes.Failed, Str(root, "finalError") ?? _lastError ?? "retry failed"));
                }

                break;

            case "compaction_start":
                if (_held is not null)
                {
                    // An overflow error is compacted and may be retried: wait for compaction_end to say.
                    _state = TurnState.Continuing;
                }

                break;

            case "compaction_end":
                if (_state == TurnState.Continuing && _held is { } held)
                {
                    if (Bool(root, "willRetry") == true)
                    {
                        _held = null;
                    }
                    else
                    {
                        events.Add(Finish(held.Outcome, Str(root, "errorMessage") ?? held.Reason));
                    }
                }

                break;

            case "extension_ui_request":
                reply = MapUiRequest(root, events);
                break;

            case "extension_error":
                events.Add(New(WorkerEventTypes.Error) with
                {
                    Text = $"pi extension {Str(root, "extensionPath")} failed in {Str(root, "event")}: {Str(root, "error")}",
                });
                break;

            default:
                // message_update deltas, turn_start/turn_end, queue_update, tool_execution_update: nothing Baton's
                // events need that message_end and tool_execution_end do not give whole (all of it stays in raw).
                break;
        }

        return new PiMapped(PiLineKind.Event, events) { NeedsBarrier = needsBarrier, Reply = reply };
    }

    private void MapMessageEnd(JsonElement root, List<WorkerEvent> events)
    {
        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object || Str(message, "role") != "assistant")
        {
            return;
        }

        var text = AssistantText(message);
        if (text.Length > 0)
        {
            events.Add(New(WorkerEventTypes.AgentMessage) with { Text = Clip(text, MaxMessageChars) });
        }

        if (message.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            long input = Long(usage, "input"), output = Long(usage, "output"), cacheRead = Long(usage, "cacheRead"), cacheWrite = Long(usage, "cacheWrite");
            if (input + output + cacheRead + cacheWrite > 0)
            {
                // pi reports per message; Baton sums every assistant message itself (errored attempts included) and
                // prices the tokens — pi's own cost is ignored (reference/agents.md §1.6).
                events.Add(New(WorkerEventTypes.Usage) with { Usage = _usage.AddDelta(input, output, cacheRead, cacheWrite) });
            }
        }

        _lastStopReason = Str(message, "stopReason");
        _lastError = Str(message, "errorMessage");
    }

    /// <summary>Ends the turn unless pi may still carry it on; returns whether a barrier is needed to settle it.</summary>
    private bool MapAgentEnd(JsonElement root, List<WorkerEvent> events)
    {
        if (_state == TurnState.Idle)
        {
            return false;
        }

        // The last assistant message of the run decides; message_end's copy stands in when agent_end lacks it.
        string? stopReason = _lastStopReason, error = _lastError;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && Str(message, "role") == "assistant")
                {
                    stopReason = Str(message, "stopReason");
                    error = Str(message, "errorMessage");
                }
            }
        }

        var (outcome, reason) = Classify(stopReason, error);
        if (stopReason == "error" && !_abortRequested)
        {
            _held = new Held(outcome, reason);
            _state = TurnState.Held;
            return true;
        }

        events.Add(Finish(outcome, reason));
        return false;
    }

    private (string Outcome, string? Reason) Classify(string? stopReason, string? error)
    {
        if (_abortRequested || stopReason == "aborted")
        {
            return (Outcomes.Aborted, error);
        }

        return stopReason switch
        {
            "stop" => (Outcomes.Succeeded, null),
            "length" => (Outcomes.Failed, "truncated"),
            "error" => (Outcomes.Failed, error ?? "the model call failed"),
            null => (Outcomes.Failed, error ?? "the run ended without an answer from the model"),
            _ => (Outcomes.Failed, $"unexpected stop reason '{stopReason}'"),
        };
    }

    /// <summary>
    /// Dialogs (select, confirm, input, editor) block pi until answered; Baton runs unattended, so it records the
    /// question as <c>input_requested</c> and cancels the dialog at once (the extension gets undefined / false).
    /// Fire-and-forget requests (notify, setStatus, …) need no answer and stay in the raw stream only.
    /// </summary>
    private string? MapUiRequest(JsonElement root, List<WorkerEvent> events)
    {
        var id = Str(root, "id");
        var method = Str(root, "method");
        if (id is null || method is null || !s_dialogMethods.Contains(method))
        {
            return null;
        }

        var question = new StringBuilder();
        question.Append(CultureInfo.InvariantCulture, $"{method}: {Str(root, "title")}");
        if (Str(root, "message") is { } message)
        {
            question.Append(CultureInfo.InvariantCulture, $" — {message}");
        }

        if (root.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Array)
        {
            question.Append(CultureInfo.InvariantCulture, $" [{string.Join(" | ", options.EnumerateArray().Select(o => o.ToString()))}]");
        }

        events.Add(New(WorkerEventTypes.InputRequested) with { Text = Clip(question.ToString(), MaxToolOutputChars), Reason = "cancelled: Baton answers no dialogs" });
        return new JsonObject { ["type"] = "extension_ui_response", ["id"] = id, ["cancelled"] = true }.ToJsonString();
    }

    private void Open()
    {
        _state = TurnState.Open;
        _abortRequested = false;
        _held = null;
        _lastStopReason = null;
        _lastError = null;
    }

    private WorkerEvent Finish(string outcome, string? reason)
    {
        _state = TurnState.Idle;
        _held = null;
        _abortRequested = false;
        return New(WorkerEventTypes.TurnFinished) with { Outcome = outcome, Reason = reason };
    }

    private WorkerEvent New(string type) => new() { Ts = _time.GetUtcNow(), Session = _session, Run = _run, Type = type };

    /// <summary>A short, readable form of a tool's input: the command for bash, the path for file tools.</summary>
    public static string ToolInput(string? toolName, JsonElement args)
    {
        if (args.ValueKind != JsonValueKind.Object)
        {
            return Clip(args.GetRawText(), MaxToolInputChars);
        }

        var summary = toolName switch
        {
            "bash" => Str(args, "command"),
            "read" or "write" or "edit" or "ls" => Str(args, "path"),
            "grep" or "find" => Str(args, "pattern") is { } pattern ? $"{pattern} in {Str(args, "path") ?? "."}" : null,
            _ => null,
        };
        return Clip(OneLine(summary ?? args.GetRawText()), MaxToolInputChars);
    }

    /// <summary>The start of a tool result's text parts.</summary>
    public static string? ToolOutput(JsonElement result)
    {
        if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && Str(part, "type") == "text" && Str(part, "text") is { } value)
            {
                text.Append(value);
                if (text.Length > MaxToolOutputChars)
                {
                    break;
                }
            }
        }

        return Clip(text.ToString(), MaxToolOutputChars);
    }

    private static string AssistantText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var parts = content.EnumerateArray()
            .Where(p => p.ValueKind == JsonValueKind.Object && Str(p, "type") == "text")
            .Select(p => Str(p, "text") ?? "")
            .Where(t => t.Length > 0);
        return string.Join("\n", parts).Trim();
    }

    private static string OneLine(string text) => text.Replace("\r\n", " ⏎ ", StringComparison.Ordinal).Replace('\n', '⏎').Trim();

    private static string Clip(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    private static string? Str(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool? Bool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    private static long Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;

    private sealed record Held(string Outcome, string? Reason);
}
