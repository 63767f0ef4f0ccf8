using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Errors;
using Baton.Core.Events;

namespace Baton.Agents.Codex;

/// <summary>A request to the app-server that got an error answer, no answer in time, or no answer before it exited.</summary>
internal sealed class CodexRpcException(string message) : Exception(message);

/// <summary>
/// Codex's app-server over stdio: newline-delimited JSON-RPC without a <c>"jsonrpc"</c> field (Symphony §10.2, as its
/// reference runner sends it). Startup is <c>initialize</c> (answer within the read timeout) → <c>initialized</c> →
/// <c>thread/start</c>; each prompt is a <c>turn/start</c> on the same thread, so continuation turns keep the
/// conversation. One reader task owns stdout: answers complete pending requests by id, server requests are answered
/// at once (see <see cref="CodexEventMapper.DecideServerRequest"/>), notifications become worker events.
/// Lines that are not JSON objects (a wrapper's banner, shell noise) are skipped; they stay in the raw stream.
/// </summary>
internal sealed class CodexAppServerConnection : IAgentConnection
{
    private readonly AgentProcess _process;
    private readonly CodexSink _sink;
    private readonly CodexEventMapper _mapper;
    private readonly AgentLaunchContext _context;
    private readonly CodexAdapterOptions _options;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Queue<string> _followUps = new();
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _pump = Task.CompletedTask;
    private Task _watchdog = Task.CompletedTask;
    private long _nextId;
    private long _lastActivityTicks;
    private volatile bool _stopping;
    private volatile bool _closed;

    private CodexAppServerConnection(AgentProcess process, CodexSink sink, AgentLaunchContext context, CodexAdapterOptions options)
    {
        _process = process;
        _sink = sink;
        _context = context;
        _options = options;
        _mapper = new CodexEventMapper(context.Session, context.Run, context.Model.Pricing);
        Touch();
    }

    public int ProcessId => _process.Pid;

    public Task<int> Exited => _process.Exited;

    /// <summary>Every process of this run carries <c>BATON_RUN_MARKER=&lt;this&gt;</c>.</summary>
    public string RunMarker => _process.Marker;

    public string? ThreadId => _mapper.ThreadId;

    /// <summary>Codex's own JSONL transcript of the thread (also written to <c>codex-thread.json</c> in the session directory).</summary>
    public string? RolloutPath => _mapper.RolloutPath;

    /// <summary>Starts the app-server and completes the handshake; on any failure the process is killed and <c>agent_start_failed</c> thrown.</summary>
    public static async Task<CodexAppServerConnection> StartAsync(
        AgentLaunchContext context, AgentProcessSpec spec, CodexSink sink, CodexAdapterOptions options, CancellationToken cancellationToken)
    {
        var process = AgentProcess.Start(spec, sink, "codex");
        var connection = new CodexAppServerConnection(process, sink, context, options);
        connection._pump = Task.Run(connection.PumpAsync, CancellationToken.None);
        try
        {
            await connection.RequestAsync("initialize", new JsonObject
            {
                ["clientInfo"] = new JsonObject { ["name"] = "baton", ["title"] = "Baton", ["version"] = BatonVersion() },
                // Opts into the experimental methods Baton uses (thread/backgroundTerminals/clean).
                ["capabilities"] = new JsonObject { ["experimentalApi"] = true },
            }, cancellationToken).ConfigureAwait(false);
            await connection.NotifyAsync("initialized", new JsonObject(), cancellationToken).ConfigureAwait(false);
            var threadStart = new JsonObject
            {
                ["cwd"] = context.Workspace,
                ["approvalPolicy"] = options.ApprovalPolicyObject?.DeepClone() ?? options.ApprovalPolicy,
                ["sandbox"] = options.Sandbox,
            };
            if (context.HostTools is { Specs.Count: > 0 } tools)
            {
                // Host-side tools are Codex's dynamic tools: Codex sends item/tool/call and waits for our answer.
                threadStart["dynamicTools"] = new JsonArray([.. tools.Specs.Select(t => (JsonNode)new JsonObject
                {
                    ["type"] = "function",
                    ["name"] = t.Name,
                    ["description"] = t.Description,
                    ["inputSchema"] = t.InputSchema.DeepClone(),
                })]);
            }

            var started = await connection.RequestAsync("thread/start", threadStart, cancellationToken).ConfigureAwait(false);
            lock (connection._gate)
            {
                if (started.TryGetProperty("thread", out var thread))
                {
                    connection._mapper.ThreadStarted(thread);
                }
            }

            if (connection._mapper.ThreadId is null)
            {
                throw new CodexRpcException("thread/start answered without a thread id");
            }

            CodexThreadRecord.Write(context, "app-server", connection._mapper.ThreadId, connection._mapper.RolloutPath);
            connection._watchdog = Task.Run(connection.WatchdogAsync, CancellationToken.None);
            return connection;
        }
        catch (Exception ex) when (ex is CodexRpcException or BatonException or IOException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new BatonException(
                "agent_start_failed",
                $"codex app-server did not start: {ex.Message}{sink.StderrSuffix()}",
                "Check the codex command and its config (CODEX_HOME/config.toml in the session's agent home); 'baton doctor' checks the installation.");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task SendPromptAsync(string prompt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        lock (_gate)
        {
            if (_mapper.TurnActive)
            {
                // One turn at a time on a thread: a prompt during a turn waits for its end, like a follow-up.
                _followUps.Enqueue(prompt);
                return;
            }

            Emit(_mapper.BeginTurn(Now()));
        }

        try
        {
            var result = await RequestAsync("turn/start", new JsonObject
            {
                ["threadId"] = _mapper.ThreadId,
                ["input"] = TextInput(prompt),
                ["cwd"] = _context.Workspace,
            }, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _mapper.TurnAccepted(result.TryGetProperty("turn", out var turn) && turn.TryGetProperty("id", out var id) ? id.GetString() : null);
                Pulse();
            }
        }
        catch (CodexRpcException ex)
        {
            lock (_gate)
            {
                Emit(_mapper.FinishTurn(Outcomes.Failed, $"turn/start failed: {ex.Message}", Now()));
            }
        }
    }

    /// <summary>Uses <c>turn/steer</c> (codex-cli 0.169) while a turn runs; when none does, or it just ended, the message becomes a follow-up.</summary>
    public async Task SteerAsync(string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        string? turnId;
        lock (_gate)
        {
            turnId = _mapper.TurnActive ? _mapper.TurnId : null;
        }

        if (turnId is null)
        {
            await FollowUpAsync(message, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await RequestAsync("turn/steer", new JsonObject
            {
                ["threadId"] = _mapper.ThreadId,
                ["expectedTurnId"] = turnId,
                ["input"] = TextInput(message),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (CodexRpcException)
        {
            // The turn ended between the check and the request (expectedTurnId no longer matches): deliver it next.
            await FollowUpAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task FollowUpAsync(string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            if (_mapper.TurnActive)
            {
                _followUps.Enqueue(message);
                return;
            }
        }

        await SendPromptAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>turn/interrupt</c>, then <c>thread/backgroundTerminals/clean</c>: in codex-cli 0.169 an interrupt ends the
    /// turn but leaves a running <c>exec_command</c> process alive (observed with <c>sleep</c>); cleaning the thread's
    /// terminals kills it. If Codex does not confirm the end within the read timeout, Baton ends the turn itself.
    /// </summary>
    public async Task AbortAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_mapper.TurnActive)
            {
                return;
            }

            _mapper.ExpectOutcome(Outcomes.Aborted, "aborted by Baton");
        }

        var turnId = await WaitForTurnIdAsync(cancellationToken).ConfigureAwait(false);
        if (turnId is not null)
        {
            await TryRequestAsync("turn/interrupt", new JsonObject { ["threadId"] = _mapper.ThreadId, ["turnId"] = turnId }, cancellationToken).ConfigureAwait(false);
        }

        await TryRequestAsync("thread/backgroundTerminals/clean", new JsonObject { ["threadId"] = _mapper.ThreadId }, cancellationToken).ConfigureAwait(false);
        if (!await WaitForTurnEndAsync(_options.ReadTimeout, cancellationToken).ConfigureAwait(false))
        {
            lock (_gate)
            {
                Emit(_mapper.FinishTurn(Outcomes.Aborted, "aborted by Baton; Codex did not confirm the interrupt", Now()));
            }
        }
    }

    /// <summary>Codex has no HTML export; its transcript is the rollout file (<see cref="RolloutPath"/>, recorded in the session directory).</summary>
    public Task<bool> ExportTranscriptAsync(string path, CancellationToken cancellationToken) => Task.FromResult(false);

    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        _stopping = true;
        await _process.StopAsync(grace).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _pump.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await _closing.CancelAsync().ConfigureAwait(false);
        await _process.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_pump, _watchdog).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        _closing.Dispose();
    }

    // ------------------------------------------------------------------ JSON-RPC

    private async Task<JsonElement> RequestAsync(string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            if (_closed)
            {
                throw new CodexRpcException($"codex has exited; cannot send '{method}'{_sink.StderrSuffix()}");
            }

            var message = new JsonObject { ["method"] = method, ["id"] = id, ["params"] = parameters };
            await _process.WriteLineAsync(message.ToJsonString(), cancellationToken).ConfigureAwait(false);
            JsonElement response;
            try
            {
                response = await answer.Task.WaitAsync(_options.ReadTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new CodexRpcException(string.Create(
                    CultureInfo.InvariantCulture, $"no answer to '{method}' within {_options.ReadTimeout.TotalSeconds:0.#} s (response_timeout)"));
            }

            if (response.TryGetProperty("error", out var error))
            {
                var text = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.ToString() : error.GetRawText();
                throw new CodexRpcException($"'{method}' failed: {text}");
            }

            return response.TryGetProperty("result", out var result) ? result : default;
        }
        catch (BatonException ex) when (ex.Code == "agent_exited")
        {
            throw new CodexRpcException($"codex stopped reading its input before '{method}'");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task TryRequestAsync(string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        try
        {
            await RequestAsync(method, parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (CodexRpcException ex)
        {
            lock (_gate)
            {
                Emit([Event(WorkerEventTypes.Error) with { Text = ex.Message, Reason = method }]);
            }
        }
    }

    private Task NotifyAsync(string method, JsonObject parameters, CancellationToken cancellationToken) =>
        _process.WriteLineAsync(new JsonObject { ["method"] = method, ["params"] = parameters }.ToJsonString(), cancellationToken);

    private async Task PumpAsync()
    {
        await foreach (var line in _process.Lines.ReadAllAsync().ConfigureAwait(false))
        {
            Touch();
            try
            {
                await HandleLineAsync(line).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One bad message must not stop the reader: every later answer and turn end depends on it.
                lock (_gate)
                {
                    Emit([Event(WorkerEventTypes.Error) with { Text = $"could not handle a Codex message: {ex.Message}", Reason = "malformed" }]);
                }
            }
        }

        var exitCode = await _process.Exited.ConfigureAwait(false);
        _closed = true;
        foreach (var (_, pending) in _pending)
        {
            pending.TrySetException(new CodexRpcException(string.Create(CultureInfo.InvariantCulture, $"codex exited with code {exitCode} before answering{_sink.StderrSuffix()}")));
        }

        lock (_gate)
        {
            Emit(_stopping
                ? _mapper.FinishTurn(Outcomes.Stopped, "the agent was stopped", Now())
                : _mapper.FinishTurn(Outcomes.Failed, string.Create(CultureInfo.InvariantCulture, $"codex app-server exited with code {exitCode} during the turn{_sink.StderrSuffix()}"), Now()));
        }
    }

    private async Task HandleLineAsync(string line)
    {
        if (!line.StartsWith('{'))
        {
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return;
        }

        using (document)
        {
            var message = document.RootElement;
            var hasId = message.TryGetProperty("id", out var id);
            var method = message.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var parameters = message.TryGetProperty("params", out var p) ? p : default;
            if (method is null)
            {
                if (hasId && id.TryGetInt64(out var number) && _pending.TryGetValue(number, out var pending))
                {
                    pending.TrySetResult(message.Clone());
                }

                return;
            }

            if (hasId)
            {
                await AnswerServerRequestAsync(method, id.Clone(), parameters).ConfigureAwait(false);
                return;
            }

            string? finished = null;
            lock (_gate)
            {
                var events = _mapper.MapNotification(method, parameters, Now());
                Emit(events);
                finished = events.LastOrDefault(e => e.Type == WorkerEventTypes.TurnFinished)?.Outcome;
            }

            if (finished is not null)
            {
                AfterTurn(finished);
            }
        }
    }

    private async Task AnswerServerRequestAsync(string method, JsonElement id, JsonElement parameters)
    {
        if (method == "item/tool/call" && HostToolFor(parameters) is { } hostTools)
        {
            // Off the reader task: the call may take seconds (a Linear request), and every other answer waits on the reader.
            var callId = id.Clone();
            var call = parameters.Clone();
            _ = Task.Run(() => CallHostToolAsync(hostTools, callId, call));
            return;
        }

        CodexServerReply reply;
        string? turnId;
        lock (_gate)
        {
            reply = _mapper.DecideServerRequest(method, parameters, AutoApprove, Now());
            Emit(reply.Events);
            turnId = _mapper.TurnId;
        }

        var answer = new JsonObject { ["id"] = JsonNode.Parse(id.GetRawText()) };
        if (reply.Result is not null)
        {
            answer["result"] = reply.Result;
        }
        else
        {
            answer["error"] = new JsonObject
            {
                ["code"] = reply.InterruptTurn ? -32000 : CodexServerReply.MethodNotFoundCode,
                ["message"] = reply.ErrorMessage ?? "refused",
            };
        }

        await _process.WriteLineAsync(answer.ToJsonString(), _closing.Token).ConfigureAwait(false);
        if (reply.InterruptTurn && turnId is not null)
        {
            // Never wait for an answer on the reader task (the answer is read by this very task).
            _ = Task.Run(() => TryRequestAsync("turn/interrupt", new JsonObject { ["threadId"] = _mapper.ThreadId, ["turnId"] = turnId }, _closing.Token));
        }
    }

    /// <summary>Approvals are granted only when Codex itself was told never to ask (approval policy "never").</summary>
    private bool AutoApprove => _options.AutoApprove;

    /// <summary>The run's host tools when they offer the tool this <c>item/tool/call</c> names; else the call is unsupported.</summary>
    private IHostTools? HostToolFor(JsonElement parameters) =>
        _context.HostTools is { } tools && parameters.ValueKind == JsonValueKind.Object
        && parameters.TryGetProperty("tool", out var tool) && tool.ValueKind == JsonValueKind.String
        && tools.Specs.Any(s => s.Name == tool.GetString())
            ? tools
            : null;

    /// <summary>
    /// Runs a host tool for Codex and answers with <c>{success, contentItems}</c>. Whatever happens, Codex gets an
    /// answer, so a failing tool never leaves the turn waiting (Symphony §10.5: failures are tool results, not crashes).
    /// </summary>
    private async Task CallHostToolAsync(IHostTools tools, JsonElement id, JsonElement parameters)
    {
        var name = parameters.GetProperty("tool").GetString()!;
        HostToolResult result;
        try
        {
            var arguments = parameters.TryGetProperty("arguments", out var a) ? JsonNode.Parse(a.GetRawText()) : null;
            result = await tools.CallAsync(name, arguments, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            result = HostToolResult.Failure($"{name} failed inside Baton: {ex.Message}");
        }

        Touch();
        var answer = new JsonObject
        {
            ["id"] = JsonNode.Parse(id.GetRawText()),
            ["result"] = new JsonObject
            {
                ["success"] = result.Success,
                ["contentItems"] = new JsonArray(new JsonObject { ["type"] = "inputText", ["text"] = result.Output }),
            },
        };
        try
        {
            await _process.WriteLineAsync(answer.ToJsonString(), _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or BatonException)
        {
            // Codex is gone or going: its exit is reported by the reader.
        }
    }

    private void AfterTurn(string outcome)
    {
        string? next = null;
        lock (_gate)
        {
            // Follow-ups wait for a turn that ended well; after a failure or an abort the caller decides what comes next.
            if (outcome == Outcomes.Succeeded && _followUps.Count > 0 && !_stopping)
            {
                next = string.Join("\n\n", _followUps);
                _followUps.Clear();
            }
        }

        if (next is not null)
        {
            // Off the reader task: starting a turn waits for an answer that the reader must deliver.
            _ = Task.Run(() => SendPromptAsync(next, _closing.Token));
        }
    }

    /// <summary>
    /// Symphony's <c>turn_timeout_ms</c>: a turn that prints nothing for <see cref="CodexAdapterOptions.TurnSilenceTimeout"/>
    /// is interrupted and ends <c>timed_out</c>. Any output resets the clock, so long turns that make progress are fine.
    /// </summary>
    private async Task WatchdogAsync()
    {
        var period = TimeSpan.FromSeconds(Math.Clamp(_options.TurnSilenceTimeout.TotalSeconds / 10, 0.2, 5));
        using var timer = new PeriodicTimer(period, _context.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token).ConfigureAwait(false))
            {
                var silent = _context.Time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastActivityTicks);
                bool expired;
                lock (_gate)
                {
                    expired = _mapper.TurnActive && silent > _options.TurnSilenceTimeout.Ticks;
                    if (expired)
                    {
                        _mapper.ExpectOutcome(Outcomes.TimedOut, string.Create(
                            CultureInfo.InvariantCulture, $"no output from Codex for {_options.TurnSilenceTimeout.TotalSeconds:0.#} s (turn_timeout)"));
                    }
                }

                if (expired)
                {
                    Touch();
                    await AbortAsync(_closing.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<string?> WaitForTurnIdAsync(CancellationToken cancellationToken)
    {
        var deadline = _context.Time.GetUtcNow() + _options.ReadTimeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (!_mapper.TurnActive || _mapper.TurnId is not null)
                {
                    return _mapper.TurnId;
                }

                changed = _changed.Task;
            }

            var left = deadline - _context.Time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            await changed.WaitAsync(left, _context.Time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private async Task<bool> WaitForTurnEndAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _context.Time.GetUtcNow() + timeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (!_mapper.TurnActive)
                {
                    return true;
                }

                changed = _changed.Task;
            }

            var left = deadline - _context.Time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            cancellationToken.ThrowIfCancellationRequested();
            await changed.WaitAsync(left, _context.Time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Hands events to the sink in order; callers hold <see cref="_gate"/>, so events of different tasks never interleave.</summary>
    private void Emit(IReadOnlyList<WorkerEvent> events)
    {
        foreach (var workerEvent in events)
        {
            _sink.Event(workerEvent);
        }

        if (events.Count > 0)
        {
            Pulse();
        }
    }

    private void Pulse()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivityTicks, _context.Time.GetUtcNow().UtcTicks);

    private WorkerEvent Event(string type) => new() { Ts = Now(), Session = _context.Session, Run = _context.Run, Type = type };

    private DateTimeOffset Now() => _context.Time.GetUtcNow();

    private static JsonArray TextInput(string text) => new(new JsonObject { ["type"] = "text", ["text"] = text });

    private static string BatonVersion() =>
        typeof(CodexAppServerConnection).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
