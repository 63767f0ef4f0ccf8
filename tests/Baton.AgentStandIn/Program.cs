using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Baton.AgentStandIn;

/// <summary>
/// <c>baton-agent-standin --script FILE [--record FILE]</c>: a stand-in for <c>codex app-server</c> in tests. It speaks
/// the app-server's newline-delimited JSON-RPC on stdio as codex-cli 0.169 does (answers <c>initialize</c>,
/// <c>thread/start</c>, <c>turn/start</c>, <c>turn/interrupt</c>; sends <c>turn/started</c>, <c>item/*</c>,
/// <c>thread/tokenUsage/updated</c>, <c>account/rateLimits/updated</c>, <c>turn/completed</c>; asks approvals, user
/// input and dynamic tool calls as server requests) and does, on each turn, what the script says.
/// <para>
/// Script (JSON): <c>{"initialize": "answer"|"never", "turns": [{"steps": [...], "end": "complete"|"fail"|"hang"|"stuck"}]}</c>.
/// The n-th <c>turn/start</c> plays <c>turns[n]</c>; past the end, the last turn again. Steps, in order:
/// <c>{"message": text}</c>, <c>{"usage": {"input", "cached", "output"}}</c> (absolute thread totals),
/// <c>{"rateLimits": payload}</c>, <c>{"approval": "command"|"fileChange", "command"?}</c>, <c>{"userInput": question}</c>,
/// <c>{"tool": name, "arguments": json}</c>, <c>{"flood": bytes, "chunk"?: n}</c>, <c>{"marker": path, "text"?}</c>,
/// <c>{"shell": command}</c>, <c>{"sleep": ms}</c>, <c>{"exit": code}</c>, <c>{"error": message}</c>.
/// <c>hang</c> ends the turn only when the client interrupts it (as codex does); <c>stuck</c> never ends it.
/// </para>
/// <para>
/// Everything it receives and every answer it got to its own requests are appended to the record file (JSON lines,
/// each with <c>pid</c> and <c>event</c>), so a test can read prompts, continuation texts, approval decisions and tool
/// results. Variables: <c>BATON_STANDIN_SCRIPT</c>, <c>BATON_STANDIN_RECORD</c> stand for the options.
/// </para>
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var script = Environment.GetEnvironmentVariable("BATON_STANDIN_SCRIPT");
        var record = Environment.GetEnvironmentVariable("BATON_STANDIN_RECORD");
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--script":
                    script = args[i + 1];
                    break;
                case "--record":
                    record = args[i + 1];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"baton-agent-standin: unknown option {args[i]}").ConfigureAwait(false);
                    return 2;
            }
        }

        if (script is null || JsonNode.Parse(await File.ReadAllTextAsync(script).ConfigureAwait(false)) is not JsonObject plan)
        {
            await Console.Error.WriteLineAsync("usage: baton-agent-standin --script FILE.json [--record FILE.jsonl]").ConfigureAwait(false);
            return 2;
        }

        using var recorder = new Recorder(record ?? Path.Combine(Environment.CurrentDirectory, "standin-record.jsonl"));
        var agent = new StandIn(plan, recorder);
        return await agent.RunAsync().ConfigureAwait(false);
    }
}

/// <summary>Appends one JSON object a line; every line is one write, so several processes can share the file.</summary>
internal sealed class Recorder : IDisposable
{
    private readonly FileStream _file;
    private readonly int _pid = Environment.ProcessId;

    public Recorder(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    public void Write(string what, JsonObject fields)
    {
        var line = new JsonObject { ["pid"] = _pid, ["event"] = what };
        foreach (var (key, value) in fields)
        {
            line[key] = value?.DeepClone();
        }

        _file.Write(Encoding.UTF8.GetBytes(line.ToJsonString() + "\n"));
        _file.Flush();
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>Thrown when the client closed stdin: the stand-in ends like codex does, with exit code 0.</summary>
internal sealed class InputClosedException : Exception;

internal sealed class StandIn(JsonObject plan, Recorder recorder)
{
    private readonly Channel<JsonObject> _inbox = Channel.CreateUnbounded<JsonObject>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Dictionary<long, JsonObject> _answers = [];
    private readonly Stream _stdout = new BufferedStream(Console.OpenStandardOutput(), 64 * 1024);
    private readonly string _threadId = $"thread-standin-{Environment.ProcessId}";
    private long _nextRequestId = 9000;
    private int _turns;
    private int _items;
    private string? _turnId;
    private bool _interrupted;

    public async Task<int> RunAsync()
    {
        recorder.Write("started", new JsonObject { ["cwd"] = Environment.CurrentDirectory });
        _ = Task.Run(ReadInputAsync);
        try
        {
            while (true)
            {
                await HandleAsync(await NextAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false) ?? throw new InvalidOperationException()).ConfigureAwait(false);
            }
        }
        catch (InputClosedException)
        {
            recorder.Write("stdin_closed", []);
            return 0;
        }
    }

    // ------------------------------------------------------------------ input

    private async Task ReadInputAsync()
    {
        using var reader = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            JsonObject? message = null;
            try
            {
                message = JsonNode.Parse(line) as JsonObject;
            }
            catch (JsonException)
            {
            }

            if (message is null)
            {
                recorder.Write("malformed", new JsonObject { ["line"] = line });
                continue;
            }

            _inbox.Writer.TryWrite(message);
        }

        _inbox.Writer.TryComplete();
    }

    /// <summary>The next message, or null when <paramref name="timeout"/> passed first; throws when stdin is closed.</summary>
    private async Task<JsonObject?> NextAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            if (!await _inbox.Reader.WaitToReadAsync(cancel.Token).ConfigureAwait(false))
            {
                throw new InputClosedException();
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        return _inbox.Reader.TryRead(out var message) ? message : null;
    }

    /// <summary>Handles incoming messages until <paramref name="done"/> holds or <paramref name="timeout"/> passes.</summary>
    private async Task PumpAsync(Func<bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            var left = timeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : timeout - clock.Elapsed;
            if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
            {
                return;
            }

            if (await NextAsync(left).ConfigureAwait(false) is { } message)
            {
                await HandleAsync(message).ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(JsonObject message)
    {
        var method = message["method"]?.GetValue<string>();
        var id = message["id"];
        if (method is null)
        {
            // An answer to one of our requests.
            if (id is not null && long.TryParse(id.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                _answers[number] = message;
            }

            return;
        }

        var parameters = message["params"] as JsonObject ?? [];
        recorder.Write("received", new JsonObject { ["method"] = method, ["id"] = id?.DeepClone(), ["params"] = parameters.DeepClone() });
        if (id is null)
        {
            return; // a notification (initialized)
        }

        switch (method)
        {
            case "initialize":
                if (plan["initialize"]?.GetValue<string>() != "never")
                {
                    Answer(id, new JsonObject { ["userAgent"] = "baton-agent-standin/0.169.0", ["platformFamily"] = "unix", ["platformOs"] = "linux" });
                }

                break;
            case "thread/start":
                var thread = new JsonObject { ["id"] = _threadId, ["path"] = null, ["preview"] = "", ["ephemeral"] = false };
                Answer(id, new JsonObject { ["thread"] = thread, ["model"] = "standin", ["cwd"] = Environment.CurrentDirectory });
                Notify("thread/started", new JsonObject { ["thread"] = thread.DeepClone() });
                break;
            case "turn/start" when _turnId is not null:
                AnswerError(id, -32600, "a turn is already running");
                break;
            case "turn/start":
                await RunTurnAsync(id, parameters).ConfigureAwait(false);
                break;
            case "turn/interrupt":
                Answer(id, []);
                _interrupted |= _turnId is not null;
                break;
            case "turn/steer":
                Answer(id, new JsonObject { ["turnId"] = _turnId });
                break;
            case "thread/backgroundTerminals/clean":
                Answer(id, []);
                break;
            default:
                AnswerError(id, -32601, $"method not found: {method}");
                break;
        }
    }

    // ------------------------------------------------------------------ turns

    private async Task RunTurnAsync(JsonNode id, JsonObject parameters)
    {
        var index = _turns++;
        var turns = plan["turns"] as JsonArray ?? [];
        var turn = turns.Count == 0 ? new JsonObject() : turns[Math.Min(index, turns.Count - 1)] as JsonObject ?? [];
        _turnId = $"turn-{index + 1}";
        _interrupted = false;
        var text = string.Join("\n", (parameters["input"] as JsonArray ?? []).Select(i => i?["text"]?.GetValue<string>()).OfType<string>());
        recorder.Write("turn", new JsonObject { ["index"] = index + 1, ["text"] = text });

        var started = new JsonObject { ["id"] = _turnId, ["status"] = "inProgress", ["items"] = new JsonArray(), ["error"] = null };
        Answer(id, new JsonObject { ["turn"] = started });
        Notify("turn/started", new JsonObject { ["threadId"] = _threadId, ["turn"] = started.DeepClone() });

        foreach (var step in turn["steps"] as JsonArray ?? [])
        {
            if (_interrupted)
            {
                break;
            }

            if (step is JsonObject action)
            {
                await StepAsync(action).ConfigureAwait(false);
            }
        }

        var end = turn["end"]?.GetValue<string>() ?? "complete";
        if (!_interrupted && end is "hang" or "stuck")
        {
            recorder.Write("hanging", new JsonObject { ["turn"] = index + 1 });
            await PumpAsync(() => end == "hang" && _interrupted, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        }

        if (_interrupted)
        {
            EndTurn("interrupted", null);
        }
        else if (end == "fail")
        {
            EndTurn("failed", turn["error"]?.GetValue<string>() ?? "the stand-in was told to fail this turn");
        }
        else
        {
            EndTurn("completed", null);
        }
    }

    private void EndTurn(string status, string? error)
    {
        var turn = new JsonObject
        {
            ["id"] = _turnId,
            ["status"] = status,
            ["items"] = new JsonArray(),
            ["error"] = error is null ? null : new JsonObject { ["message"] = error },
        };
        Notify("turn/completed", new JsonObject { ["threadId"] = _threadId, ["turn"] = turn });
        recorder.Write("turn_end", new JsonObject { ["turn"] = _turnId, ["status"] = status });
        _turnId = null;
        _interrupted = false;
    }

    private async Task StepAsync(JsonObject step)
    {
        if (step["message"] is { } message)
        {
            Message(message.GetValue<string>());
        }
        else if (step["usage"] is JsonObject usage)
        {
            Usage(usage);
        }
        else if (step["rateLimits"] is { } limits)
        {
            Notify("account/rateLimits/updated", new JsonObject { ["rateLimits"] = limits.DeepClone() });
        }
        else if (step["approval"] is { } approval)
        {
            await ApprovalAsync(approval.GetValue<string>(), step["command"]?.GetValue<string>() ?? "touch approved.txt").ConfigureAwait(false);
        }
        else if (step["userInput"] is { } question)
        {
            await UserInputAsync(question.GetValue<string>()).ConfigureAwait(false);
        }
        else if (step["tool"] is { } tool)
        {
            await ToolCallAsync(tool.GetValue<string>(), step["arguments"]?.DeepClone()).ConfigureAwait(false);
        }
        else if (step["flood"] is { } flood)
        {
            Flood(flood.GetValue<long>(), step["chunk"]?.GetValue<int>() ?? 16 * 1024);
        }
        else if (step["marker"] is { } marker)
        {
            var path = Path.GetFullPath(marker.GetValue<string>());
            await File.WriteAllTextAsync(path, step["text"]?.GetValue<string>() ?? Environment.ProcessId.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }
        else if (step["shell"] is { } shell)
        {
            await ShellAsync(shell.GetValue<string>()).ConfigureAwait(false);
        }
        else if (step["sleep"] is { } sleep)
        {
            await PumpAsync(() => _interrupted, TimeSpan.FromMilliseconds(sleep.GetValue<int>())).ConfigureAwait(false);
        }
        else if (step["exit"] is { } exit)
        {
            recorder.Write("exit", new JsonObject { ["code"] = exit.GetValue<int>() });
            await _stdout.FlushAsync().ConfigureAwait(false);
            Environment.Exit(exit.GetValue<int>());
        }
        else if (step["error"] is { } error)
        {
            Notify("error", new JsonObject { ["threadId"] = _threadId, ["turnId"] = _turnId, ["willRetry"] = false, ["error"] = new JsonObject { ["message"] = error.GetValue<string>() } });
        }
        else
        {
            recorder.Write("unknown_step", new JsonObject { ["step"] = step.DeepClone() });
        }
    }

    private void Message(string text)
    {
        var itemId = NextItem();
        Notify("item/started", Item(new JsonObject { ["type"] = "agentMessage", ["id"] = itemId, ["text"] = "" }));
        Notify("item/completed", Item(new JsonObject { ["type"] = "agentMessage", ["id"] = itemId, ["text"] = text }));
    }

    /// <summary>Codex reports running totals of the whole thread in <c>total</c>; <c>last</c> is the latest request only.</summary>
    private void Usage(JsonObject usage)
    {
        long Count(string name) => usage[name]?.GetValue<long>() ?? 0;
        JsonObject Breakdown(long input, long cached, long output) => new()
        {
            ["totalTokens"] = input + output,
            ["inputTokens"] = input,
            ["cachedInputTokens"] = cached,
            ["cacheWriteInputTokens"] = 0,
            ["outputTokens"] = output,
            ["reasoningOutputTokens"] = 0,
        };

        Notify("thread/tokenUsage/updated", new JsonObject
        {
            ["threadId"] = _threadId,
            ["turnId"] = _turnId,
            ["tokenUsage"] = new JsonObject
            {
                ["total"] = Breakdown(Count("input"), Count("cached"), Count("output")),
                ["last"] = Breakdown(Count("lastInput"), 0, Count("lastOutput")),
                ["modelContextWindow"] = null,
            },
        });
    }

    private async Task ApprovalAsync(string kind, string command)
    {
        var itemId = NextItem();
        var parameters = new JsonObject
        {
            ["threadId"] = _threadId,
            ["turnId"] = _turnId,
            ["itemId"] = itemId,
            ["startedAtMs"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            ["reason"] = "the stand-in asks",
        };
        var method = kind == "fileChange" ? "item/fileChange/requestApproval" : "item/commandExecution/requestApproval";
        if (kind != "fileChange")
        {
            parameters["command"] = command;
            parameters["cwd"] = Environment.CurrentDirectory;
        }

        var answer = await RequestAsync(method, parameters).ConfigureAwait(false);
        recorder.Write("approval", new JsonObject { ["kind"] = kind, ["answer"] = answer?.DeepClone() });
    }

    private async Task UserInputAsync(string question)
    {
        var answer = await RequestAsync("item/tool/requestUserInput", new JsonObject
        {
            ["threadId"] = _threadId,
            ["turnId"] = _turnId,
            ["itemId"] = NextItem(),
            ["questions"] = new JsonArray(new JsonObject
            {
                ["id"] = "q1",
                ["header"] = "Question",
                ["question"] = question,
                ["isOther"] = false,
                ["isSecret"] = false,
                ["options"] = null,
            }),
            ["isBlocking"] = true,
            ["autoResolutionMs"] = null,
        }).ConfigureAwait(false);
        recorder.Write("user_input", new JsonObject { ["question"] = question, ["answer"] = answer?.DeepClone() });
    }

    private async Task ToolCallAsync(string tool, JsonNode? arguments)
    {
        var itemId = NextItem();
        JsonObject ToolItem(string status, JsonNode? contentItems, bool? success) => new()
        {
            ["type"] = "dynamicToolCall",
            ["id"] = itemId,
            ["tool"] = tool,
            ["arguments"] = arguments?.DeepClone(),
            ["status"] = status,
            ["contentItems"] = contentItems,
            ["success"] = success,
        };

        Notify("item/started", Item(ToolItem("inProgress", null, null)));
        var answer = await RequestAsync("item/tool/call", new JsonObject
        {
            ["threadId"] = _threadId,
            ["turnId"] = _turnId,
            ["callId"] = itemId,
            ["namespace"] = null,
            ["tool"] = tool,
            ["arguments"] = arguments?.DeepClone(),
        }).ConfigureAwait(false);
        recorder.Write("tool_result", new JsonObject { ["tool"] = tool, ["answer"] = answer?.DeepClone() });
        var result = answer?["result"];
        var success = result?["success"]?.GetValue<bool>() ?? false;
        Notify("item/completed", Item(ToolItem(success ? "completed" : "failed", result?["contentItems"]?.DeepClone(), success)));
    }

    /// <summary>Streams <paramref name="bytes"/> of agent text as deltas, then completes the message with all of it.</summary>
    private void Flood(long bytes, int chunk)
    {
        var itemId = NextItem();
        Notify("item/started", Item(new JsonObject { ["type"] = "agentMessage", ["id"] = itemId, ["text"] = "" }));
        var pattern = "The stand-in floods its output to see that Baton stays responsive. ";
        var piece = new StringBuilder(chunk);
        while (piece.Length < chunk)
        {
            piece.Append(pattern);
        }

        var text = piece.ToString(0, chunk);
        var whole = new StringBuilder();
        for (long sent = 0; sent < bytes; sent += chunk)
        {
            Notify("item/agentMessage/delta", new JsonObject { ["threadId"] = _threadId, ["turnId"] = _turnId, ["itemId"] = itemId, ["delta"] = text }, flush: false);
            whole.Append(text);
        }

        Notify("item/completed", Item(new JsonObject { ["type"] = "agentMessage", ["id"] = itemId, ["text"] = whole.ToString() }));
        recorder.Write("flooded", new JsonObject { ["bytes"] = whole.Length });
    }

    private async Task ShellAsync(string command)
    {
        var itemId = NextItem();
        JsonObject CommandItem(string status, string? output, int? exitCode) => new()
        {
            ["type"] = "commandExecution",
            ["id"] = itemId,
            ["command"] = $"/bin/bash -lc '{command.Replace("'", "'\\''", StringComparison.Ordinal)}'",
            ["cwd"] = Environment.CurrentDirectory,
            ["status"] = status,
            ["aggregatedOutput"] = output,
            ["exitCode"] = exitCode,
        };

        Notify("item/started", Item(CommandItem("inProgress", null, null)));
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command + " 2>&1");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        await PumpAsync(() => process.HasExited, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        var text = await output.ConfigureAwait(false);
        recorder.Write("shell", new JsonObject { ["command"] = command, ["exitCode"] = process.ExitCode, ["output"] = text });
        Notify("item/completed", Item(CommandItem(process.ExitCode == 0 ? "completed" : "failed", text, process.ExitCode)));
    }

    // ------------------------------------------------------------------ JSON-RPC out

    /// <summary>Sends a server request and handles other messages until its answer arrives (null when the turn was interrupted first).</summary>
    private async Task<JsonObject?> RequestAsync(string method, JsonObject parameters)
    {
        var id = _nextRequestId++;
        Send(new JsonObject { ["method"] = method, ["id"] = id, ["params"] = parameters });
        await PumpAsync(() => _answers.ContainsKey(id), Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        _answers.Remove(id, out var answer);
        return answer;
    }

    private JsonObject Item(JsonObject item) => new() { ["item"] = item, ["threadId"] = _threadId, ["turnId"] = _turnId };

    private string NextItem() => $"item-{++_items}";

    private void Answer(JsonNode id, JsonObject result) => Send(new JsonObject { ["id"] = id.DeepClone(), ["result"] = result });

    private void AnswerError(JsonNode id, int code, string message) =>
        Send(new JsonObject { ["id"] = id.DeepClone(), ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    private void Notify(string method, JsonObject parameters, bool flush = true) =>
        Send(new JsonObject { ["method"] = method, ["params"] = parameters }, flush);

    private void Send(JsonObject message, bool flush = true)
    {
        _stdout.Write(Encoding.UTF8.GetBytes(message.ToJsonString() + "\n"));
        if (flush)
        {
            _stdout.Flush();
        }
    }
}
