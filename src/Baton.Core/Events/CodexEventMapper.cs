using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Core.Events;

/// <summary>
/// What to answer a request the Codex app-server sent us (an approval, a user-input question, a dynamic tool call),
/// and what it means for the run. Exactly one of <see cref="Result"/> and <see cref="ErrorMessage"/> is set: every
/// request gets an answer, so none can leave a turn waiting for ever (Symphony §10.5).
/// </summary>
/// <param name="InterruptTurn">The turn cannot go on without a person: the caller also sends <c>turn/interrupt</c>.</param>
public sealed record CodexServerReply(JsonNode? Result, string? ErrorMessage, bool InterruptTurn, IReadOnlyList<WorkerEvent> Events)
{
    /// <summary>JSON-RPC's "method not found", for requests Baton does not serve.</summary>
    public const int MethodNotFoundCode = -32601;
}

/// <summary>
/// Maps Codex's two machine-readable streams into Baton's worker events: the app-server's JSON-RPC notifications
/// (<c>turn/started</c>, <c>item/started</c>, <c>item/completed</c>, <c>thread/tokenUsage/updated</c>,
/// <c>account/rateLimits/updated</c>, <c>turn/completed</c>, <c>error</c>…) and <c>codex exec --json</c> lines (<c>thread.started</c>,
/// <c>item.completed</c>, <c>turn.completed</c>, <c>turn.failed</c>…). Verified against codex-cli 0.169.0.
/// <para>
/// Stateful but pure: it tracks the open turn, the open tools and the token totals of one run, and never does I/O.
/// The turn's outcome comes from <c>turn.status</c> inside <c>turn/completed</c> — a failed or interrupted turn also
/// arrives as <c>turn/completed</c>, and reading it as success is the retry-loop bug of Symphony's Elixir runner
/// (reference/symphony-checklist.md §1.24 item 4).
/// </para>
/// <para>
/// Codex reports running totals for the whole thread (<c>tokenUsage.total</c>, and <c>turn.completed.usage</c> of
/// <c>exec resume</c>), so usage goes through <see cref="UsageAccumulator.SetAbsolute"/> and a repeated report is
/// never counted twice. OpenAI's <c>input_tokens</c> include the cached ones; Baton's <see cref="TokenUsage.Input"/>
/// does not, so cached (and cache-write) tokens are taken out of it.
/// </para>
/// </summary>
public sealed class CodexEventMapper
{
    /// <summary>How much of a tool's output goes into <c>tool_finished</c>; the full output stays in the raw stream.</summary>
    public const int MaxToolOutputChars = 4000;

    private readonly string _session;
    private readonly int _run;
    private readonly UsageAccumulator _usage;
    private readonly Dictionary<string, string> _openTools = new(StringComparer.Ordinal);
    private readonly HashSet<string> _finishedTurns = new(StringComparer.Ordinal);
    private TokenUsage? _lastReported;
    private string? _lastRateLimits;
    private string? _expectedOutcome;
    private string? _expectedReason;
    private bool _expectedEvenOnSuccess;

    public CodexEventMapper(string session, int run, ModelPricing pricing)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(pricing);
        _session = session;
        _run = run;
        _usage = new UsageAccumulator(pricing);
    }

    /// <summary>The Codex thread (conversation) id, once known: continuation turns and <c>exec resume</c> use it.</summary>
    public string? ThreadId { get; private set; }

    /// <summary>Codex's own transcript of the thread (<c>$CODEX_HOME/sessions/…/rollout-….jsonl</c>), once known.</summary>
    public string? RolloutPath { get; private set; }

    public bool TurnActive { get; private set; }

    /// <summary>The app-server's id of the running turn (needed by <c>turn/steer</c> and <c>turn/interrupt</c>).</summary>
    public string? TurnId { get; private set; }

    public TokenUsage Totals => _usage.Totals;

    /// <summary>Starts a turn (Baton is about to send the prompt): <c>turn_started</c>, once.</summary>
    public IReadOnlyList<WorkerEvent> BeginTurn(DateTimeOffset now)
    {
        if (TurnActive)
        {
            return [];
        }

        TurnActive = true;
        TurnId = null;
        _expectedOutcome = null;
        _expectedReason = null;
        _expectedEvenOnSuccess = false;
        return [Make(now, WorkerEventTypes.TurnStarted)];
    }

    /// <summary>
    /// Says how the running turn is going to end because of something Baton did (an abort, a refused approval), so
    /// the <c>interrupted</c> status Codex then reports is read as that. <paramref name="evenOnSuccess"/>: also when
    /// the turn still reports <c>completed</c> (the agent asked for a person; its turn did not do what it wanted).
    /// The first expectation of a turn wins.
    /// </summary>
    public void ExpectOutcome(string outcome, string reason, bool evenOnSuccess = false)
    {
        if (!TurnActive || _expectedOutcome is not null)
        {
            return;
        }

        _expectedOutcome = outcome;
        _expectedReason = reason;
        _expectedEvenOnSuccess = evenOnSuccess;
    }

    /// <summary>Ends the running turn (from a status, or because the process died or Baton stopped it): open tools are closed first.</summary>
    public IReadOnlyList<WorkerEvent> FinishTurn(string outcome, string? reason, DateTimeOffset now)
    {
        if (!TurnActive)
        {
            return [];
        }

        var events = new List<WorkerEvent>();
        if (_expectedOutcome is not null && (outcome != Outcomes.Succeeded || _expectedEvenOnSuccess))
        {
            outcome = _expectedOutcome;
            reason = _expectedReason;
        }

        foreach (var (id, name) in _openTools)
        {
            // A tool the turn left running never reports its end; say it ended with the turn.
            events.Add(Make(now, WorkerEventTypes.ToolFinished) with { ToolId = id, ToolName = name, IsError = true, Reason = $"turn ended ({outcome})" });
        }

        _openTools.Clear();
        events.Add(Make(now, WorkerEventTypes.TurnFinished) with { Outcome = outcome, Reason = reason });
        if (TurnId is not null)
        {
            _finishedTurns.Add(TurnId);
        }

        TurnActive = false;
        TurnId = null;
        _expectedOutcome = null;
        _expectedReason = null;
        return events;
    }

    /// <summary>Records the thread the app-server answered <c>thread/start</c> with (<c>result.thread</c>).</summary>
    public void ThreadStarted(JsonElement thread)
    {
        ThreadId = Str(thread, "id") ?? ThreadId;
        RolloutPath = Str(thread, "path") ?? RolloutPath;
    }

    /// <summary>Records the turn id from the <c>turn/start</c> answer, before its notifications may have arrived.</summary>
    public void TurnAccepted(string? turnId)
    {
        if (TurnActive && turnId is not null)
        {
            TurnId = turnId;
        }
    }

    // ------------------------------------------------------------------ app-server (JSON-RPC notifications)

    /// <summary>Maps one app-server notification (a message with <c>method</c> and no <c>id</c>).</summary>
    public IReadOnlyList<WorkerEvent> MapNotification(string method, JsonElement parameters, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(method);
        switch (method)
        {
            case "thread/started":
                if (parameters.TryGetProperty("thread", out var thread))
                {
                    ThreadStarted(thread);
                }

                return [];
            case "turn/started":
            {
                var events = BeginTurn(now);
                TurnAccepted(parameters.TryGetProperty("turn", out var turn) ? Str(turn, "id") : null);
                return events;
            }

            case "turn/completed":
                return TurnCompleted(parameters, now);
            case "turn/failed":
                // Older app-servers; 0.169 reports failures as turn/completed with status "failed".
                return FinishTurn(Outcomes.Failed, ErrorMessage(parameters) ?? "the turn failed", now);
            case "turn/cancelled":
            case "turn/interrupted":
                return FinishTurn(Outcomes.Aborted, "the turn was cancelled", now);
            case "item/started":
                return parameters.TryGetProperty("item", out var started) ? ItemStarted(started, now) : [];
            case "item/completed":
                return parameters.TryGetProperty("item", out var completed) ? ItemCompleted(completed, now) : [];
            case "thread/tokenUsage/updated":
                return parameters.TryGetProperty("tokenUsage", out var tokenUsage) && tokenUsage.TryGetProperty("total", out var total)
                    ? Usage(total, now)
                    : [];
            case "codex/event/token_count":
            {
                // The legacy event wrapper: the absolute total sits in msg.info.total_token_usage, limits in msg.rate_limits.
                if (!parameters.TryGetProperty("msg", out var msg) || msg.ValueKind != JsonValueKind.Object)
                {
                    return [];
                }

                var events = new List<WorkerEvent>();
                if (msg.TryGetProperty("info", out var info) && info.ValueKind == JsonValueKind.Object && info.TryGetProperty("total_token_usage", out var legacyTotal))
                {
                    events.AddRange(Usage(legacyTotal, now));
                }

                if (msg.TryGetProperty("rate_limits", out var legacyLimits))
                {
                    events.AddRange(RateLimits(legacyLimits, now));
                }

                return events;
            }

            case "account/rateLimits/updated":
                return parameters.TryGetProperty("rateLimits", out var limits) ? RateLimits(limits, now) : [];
            case "error":
            {
                var message = ErrorMessage(parameters) ?? "Codex reported an error";
                var willRetry = parameters.TryGetProperty("willRetry", out var retry) && retry.ValueKind == JsonValueKind.True;
                return [Make(now, WorkerEventTypes.Error) with { Text = message, Reason = willRetry ? "will_retry" : ErrorInfo(parameters) }];
            }

            default:
                return [];
        }
    }

    private IReadOnlyList<WorkerEvent> TurnCompleted(JsonElement parameters, DateTimeOffset now)
    {
        if (!parameters.TryGetProperty("turn", out var turn))
        {
            return FinishTurn(Outcomes.Failed, "turn/completed without a turn", now);
        }

        var id = Str(turn, "id");
        if (id is not null && (_finishedTurns.Contains(id) || (TurnId is not null && TurnId != id)))
        {
            return []; // a late report of a turn Baton already ended
        }

        var status = Str(turn, "status");
        var error = turn.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? Str(e, "message") : null;
        return status switch
        {
            "completed" => FinishTurn(Outcomes.Succeeded, null, now),
            "interrupted" => FinishTurn(Outcomes.Aborted, error ?? "the turn was interrupted", now),
            "failed" => FinishTurn(Outcomes.Failed, error ?? "the turn failed", now),
            _ => FinishTurn(Outcomes.Failed, $"the turn ended with status '{status ?? "none"}'", now),
        };
    }

    private IReadOnlyList<WorkerEvent> ItemStarted(JsonElement item, DateTimeOffset now)
    {
        var tool = DescribeTool(item, exec: false);
        return tool is null ? [] : StartTool(tool, now);
    }

    private IReadOnlyList<WorkerEvent> ItemCompleted(JsonElement item, DateTimeOffset now)
    {
        if (Str(item, "type") == "agentMessage")
        {
            return AgentMessage(Str(item, "text"), now);
        }

        var tool = DescribeTool(item, exec: false);
        return tool is null ? [] : EndTool(tool, now);
    }

    // ------------------------------------------------------------------ app-server requests (server → client)

    /// <summary>
    /// Decides the answer to an app-server request. Approvals are granted for the session only when Baton runs Codex
    /// with approval policy <c>never</c> (<paramref name="autoApprove"/>); otherwise nobody is there to approve, so
    /// the request is refused, <c>input_requested</c> is emitted and the turn ends as <c>input_required</c> (the
    /// same posture as Symphony's reference runner). Questions for the user always end the turn that way. A dynamic
    /// tool call that reaches here (the run offers no such host tool) gets a structured failure and the turn goes on.
    /// </summary>
    public CodexServerReply DecideServerRequest(string method, JsonElement parameters, bool autoApprove, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(method);
        switch (method)
        {
            case "item/commandExecution/requestApproval":
            case "item/fileChange/requestApproval":
                return autoApprove
                    ? new CodexServerReply(new JsonObject { ["decision"] = "acceptForSession" }, null, false, [])
                    // "cancel" declines and interrupts the turn at once.
                    : NeedsPerson(new JsonObject { ["decision"] = "cancel" }, null, $"Codex asks for approval: {ApprovalSubject(method, parameters)}", now);
            case "execCommandApproval":
            case "applyPatchApproval":
                return autoApprove
                    ? new CodexServerReply(new JsonObject { ["decision"] = "approved_for_session" }, null, false, [])
                    : NeedsPerson(new JsonObject { ["decision"] = "abort" }, null, $"Codex asks for approval: {ApprovalSubject(method, parameters)}", now);
            case "item/permissions/requestApproval":
                return NeedsPerson(null, "Baton cannot grant extra permissions during a run", $"Codex asks for more permissions: {Compact(parameters, "permissions")}", now);
            case "item/tool/requestUserInput":
                return NeedsPerson(null, "no person is attached to this run", $"Codex asks: {Questions(parameters)}", now);
            case "mcpServer/elicitation/request":
                return NeedsPerson(new JsonObject { ["action"] = "cancel" }, null, $"MCP server '{Str(parameters, "serverName") ?? "?"}' asks for input: {Str(parameters, "message") ?? ""}".TrimEnd(' ', ':'), now);
            case "item/tool/call":
            {
                var tool = Str(parameters, "tool") ?? "?";
                var text = $"Unsupported dynamic tool '{tool}': this run offers no such tool.";
                var result = new JsonObject
                {
                    ["success"] = false,
                    ["contentItems"] = new JsonArray(new JsonObject { ["type"] = "inputText", ["text"] = text }),
                };
                return new CodexServerReply(result, null, false, [Make(now, WorkerEventTypes.Error) with { Text = text, Reason = "unsupported_tool_call" }]);
            }

            default:
                return new CodexServerReply(null, $"Baton does not handle '{method}'", false, []);
        }
    }

    private CodexServerReply NeedsPerson(JsonNode? result, string? error, string text, DateTimeOffset now)
    {
        ExpectOutcome(Outcomes.InputRequired, text, evenOnSuccess: true);
        return new CodexServerReply(result, error, true, [Make(now, WorkerEventTypes.InputRequested) with { Text = text }]);
    }

    private static string ApprovalSubject(string method, JsonElement parameters)
    {
        if (method is "item/commandExecution/requestApproval" or "execCommandApproval")
        {
            var command = parameters.TryGetProperty("command", out var c) && c.ValueKind == JsonValueKind.Array
                ? string.Join(' ', c.EnumerateArray().Select(a => a.ToString()))
                : UnwrapShell(Str(parameters, "command") ?? "");
            var reason = Str(parameters, "reason");
            return reason is null ? $"run `{command}`" : $"run `{command}` ({reason})";
        }

        var paths = parameters.TryGetProperty("fileChanges", out var changes) && changes.ValueKind == JsonValueKind.Object
            ? string.Join(", ", changes.EnumerateObject().Select(p => p.Name))
            : null;
        return paths is { Length: > 0 } ? $"change {paths}" : $"change files ({Str(parameters, "reason") ?? Str(parameters, "itemId") ?? "no details"})";
    }

    private static string Questions(JsonElement parameters) =>
        parameters.TryGetProperty("questions", out var questions) && questions.ValueKind == JsonValueKind.Array
            ? string.Join(" / ", questions.EnumerateArray().Select(q => Str(q, "question") ?? Str(q, "header") ?? "?"))
            : "(no question text)";

    // ------------------------------------------------------------------ codex exec --json

    /// <summary>Maps one <c>codex exec --json</c> line (an object with <c>type</c>).</summary>
    public IReadOnlyList<WorkerEvent> MapExecEvent(JsonElement line, DateTimeOffset now)
    {
        switch (Str(line, "type"))
        {
            case "thread.started":
                ThreadId = Str(line, "thread_id") ?? ThreadId;
                return [];
            case "turn.started":
                return BeginTurn(now);
            case "item.started":
                return line.TryGetProperty("item", out var started) && DescribeTool(started, exec: true) is { } startedTool ? StartTool(startedTool, now) : [];
            case "item.completed":
            {
                if (!line.TryGetProperty("item", out var item))
                {
                    return [];
                }

                // An "error" item is a warning (e.g. "Model metadata for … not found"); fatal errors come as a top-level "error".
                if (Str(item, "type") == "agent_message")
                {
                    return AgentMessage(Str(item, "text"), now);
                }

                return DescribeTool(item, exec: true) is { } tool ? EndTool(tool, now) : [];
            }

            case "turn.completed":
            {
                var events = new List<WorkerEvent>();
                if (line.TryGetProperty("usage", out var usage))
                {
                    events.AddRange(Usage(usage, now));
                }

                events.AddRange(FinishTurn(Outcomes.Succeeded, null, now));
                return events;
            }

            case "turn.failed":
                return FinishTurn(Outcomes.Failed, ErrorMessage(line) ?? "the turn failed", now);
            case "error":
                return [Make(now, WorkerEventTypes.Error) with { Text = Str(line, "message") ?? "Codex reported an error" }];
            default:
                return [];
        }
    }

    // ------------------------------------------------------------------ shared pieces

    private sealed record ToolFacts(string Id, string Name, string? Input, string? Output, bool Done, bool IsError);

    private IReadOnlyList<WorkerEvent> StartTool(ToolFacts tool, DateTimeOffset now)
    {
        // Outside a turn a tool report is an echo of one the turn's end already closed (a terminal cleaned after an interrupt).
        if (!TurnActive || _openTools.ContainsKey(tool.Id))
        {
            return [];
        }

        _openTools[tool.Id] = tool.Name;
        return [Make(now, WorkerEventTypes.ToolStarted) with { ToolId = tool.Id, ToolName = tool.Name, ToolInput = tool.Input }];
    }

    private IReadOnlyList<WorkerEvent> EndTool(ToolFacts tool, DateTimeOffset now)
    {
        if (!TurnActive)
        {
            return [];
        }

        // Some items (a web search, a declined command) complete without a start; every end still gets its start.
        var events = new List<WorkerEvent>(StartTool(tool, now));
        _openTools.Remove(tool.Id);
        events.Add(Make(now, WorkerEventTypes.ToolFinished) with
        {
            ToolId = tool.Id,
            ToolName = tool.Name,
            ToolOutput = Excerpt(tool.Output),
            IsError = tool.IsError,
        });
        return events;
    }

    /// <summary>
    /// A rate-limit snapshot, passed on as Codex sent it (§13.5 keeps the latest payload). Codex's updates are sparse
    /// (fields it does not know are null); the orchestrator shows the latest one rather than guessing a merge.
    /// </summary>
    private IReadOnlyList<WorkerEvent> RateLimits(JsonElement payload, DateTimeOffset now)
    {
        // Codex repeats the same snapshot several times a turn; only a change is worth an event.
        if (payload.ValueKind != JsonValueKind.Object || payload.GetRawText() == _lastRateLimits)
        {
            return [];
        }

        _lastRateLimits = payload.GetRawText();
        return [Make(now, WorkerEventTypes.RateLimits) with { RateLimits = payload.Clone() }];
    }

    private IReadOnlyList<WorkerEvent> AgentMessage(string? text, DateTimeOffset now) =>
        string.IsNullOrEmpty(text) ? [] : [Make(now, WorkerEventTypes.AgentMessage) with { Text = text }];

    private IReadOnlyList<WorkerEvent> Usage(JsonElement breakdown, DateTimeOffset now)
    {
        if (breakdown.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        var input = Count(breakdown, "inputTokens", "input_tokens", "prompt_tokens");
        var cached = Count(breakdown, "cachedInputTokens", "cached_input_tokens");
        var cacheWrite = Count(breakdown, "cacheWriteInputTokens", "cache_write_input_tokens");
        var output = Count(breakdown, "outputTokens", "output_tokens", "completion_tokens");
        var totals = _usage.SetAbsolute(Math.Max(0, input - cached - cacheWrite), output, cached, cacheWrite);
        if (totals == _lastReported)
        {
            return [];
        }

        _lastReported = totals;
        return [Make(now, WorkerEventTypes.Usage) with { Usage = totals }];
    }

    private static ToolFacts? DescribeTool(JsonElement item, bool exec)
    {
        var id = Str(item, "id");
        if (id is null)
        {
            return null;
        }

        var status = Str(item, "status");
        var done = status is not null && status is not ("inProgress" or "in_progress");
        var failed = status is "failed" or "declined";
        switch (Str(item, "type"))
        {
            case "commandExecution":
            case "command_execution":
            {
                var exitCode = Int(item, exec ? "exit_code" : "exitCode");
                var output = Str(item, exec ? "aggregated_output" : "aggregatedOutput");
                return new ToolFacts(id, "command", CommandText(item), output, done, failed || exitCode is not (null or 0));
            }

            case "fileChange":
            case "file_change":
            {
                var paths = item.TryGetProperty("changes", out var changes) && changes.ValueKind == JsonValueKind.Array
                    ? string.Join(", ", changes.EnumerateArray().Select(c => Str(c, "path")).OfType<string>())
                    : null;
                return new ToolFacts(id, "file_change", paths, status, done, failed);
            }

            case "mcpToolCall":
            case "mcp_tool_call":
            {
                var name = $"mcp:{Str(item, "server") ?? "?"}/{Str(item, "tool") ?? "?"}";
                var error = item.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? Str(e, "message") : null;
                return new ToolFacts(id, name, Compact(item, "arguments"), error ?? Compact(item, "result"), done, failed || error is not null);
            }

            case "dynamicToolCall":
            {
                var success = item.TryGetProperty("success", out var s) && s.ValueKind == JsonValueKind.True;
                return new ToolFacts(id, Str(item, "tool") ?? "dynamic_tool", Compact(item, "arguments"), Compact(item, "contentItems"), done, done && !success);
            }

            case "webSearch":
            case "web_search":
                return new ToolFacts(id, "web_search", Str(item, "query"), null, true, false);
            case "imageView":
                return new ToolFacts(id, "view_image", Str(item, "path"), null, true, false);
            default:
                return null;
        }
    }

    /// <summary>The command as the model wrote it: the parsed action when there is exactly one, else the shell line unwrapped.</summary>
    private static string? CommandText(JsonElement item)
    {
        if (item.TryGetProperty("commandActions", out var actions) && actions.ValueKind == JsonValueKind.Array && actions.GetArrayLength() == 1
            && Str(actions[0], "command") is { } single)
        {
            return single;
        }

        return Str(item, "command") is { } command ? UnwrapShell(command) : null;
    }

    /// <summary>Codex runs every command as <c>/bin/bash -lc '…'</c>; the wrapper is noise in a transcript.</summary>
    public static string UnwrapShell(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var prefix in new[] { "/bin/bash -lc ", "bash -lc ", "/bin/sh -c ", "sh -c ", "/bin/zsh -lc " })
        {
            if (!command.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = command[prefix.Length..];
            if (rest.Length >= 2 && rest[0] == '\'' && rest[^1] == '\'' && rest.IndexOf('\'', 1) == rest.Length - 1)
            {
                return rest[1..^1];
            }

            if (rest.Length >= 2 && rest[0] == '"' && rest[^1] == '"')
            {
                var inner = new StringBuilder();
                for (var i = 1; i < rest.Length - 1; i++)
                {
                    if (rest[i] == '\\' && i + 1 < rest.Length - 1 && rest[i + 1] is '\\' or '"' or '$' or '`')
                    {
                        i++;
                    }

                    inner.Append(rest[i]);
                }

                return inner.ToString();
            }

            return rest;
        }

        return command;
    }

    private static string? Excerpt(string? text) =>
        text is null || text.Length <= MaxToolOutputChars ? text : string.Concat(text.AsSpan(0, MaxToolOutputChars), "…");

    private static string? ErrorMessage(JsonElement parameters) =>
        parameters.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object ? Str(error, "message") : Str(parameters, "message");

    private static string? ErrorInfo(JsonElement parameters) =>
        parameters.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
            && error.TryGetProperty("codexErrorInfo", out var info) && info.ValueKind == JsonValueKind.String
            ? info.GetString()
            : null;

    private static string? Compact(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? value.GetRawText()
            : null;

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Int(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static long Count(JsonElement element, params string[] names)
    {
        foreach (var name in names)
        {
            if (Int(element, name) is { } n)
            {
                return n;
            }
        }

        return 0;
    }

    private WorkerEvent Make(DateTimeOffset now, string type) => new() { Ts = now, Session = _session, Run = _run, Type = type };
}
