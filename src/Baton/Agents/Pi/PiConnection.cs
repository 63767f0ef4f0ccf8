using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Processes;

namespace Baton.Agents.Pi;

/// <summary>
/// A running <c>pi --mode rpc</c>. One reader loop takes every stdout line: answers go to the request waiting for that
/// <c>id</c>, events go through <see cref="PiEventMapper"/> to the sink. Commands are never awaited inside the loop,
/// because pi sends events (e.g. the aborted <c>agent_end</c>) before the answer that caused them.
/// </summary>
public sealed class PiConnection : IAgentConnection, IContextUsageSource
{
    public const string StartFailed = "agent_start_failed";
    public const string AgentExited = "agent_exited";
    public const string AgentTimeout = "agent_timeout";
    public const string AgentBusy = "agent_busy";

    private readonly AgentProcess _process;
    private readonly IAgentEventSink _sink;
    private readonly PiEventMapper _mapper;
    private readonly PiAdapterOptions _options;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<PiResponse>> _pending = new(StringComparer.Ordinal);
    private readonly Task _reader;
    private TaskCompletionSource _turnEnded = Completed();
    private long _nextId;
    private volatile bool _closed;
    private volatile bool _stopping;
    private int _disposed;

    internal PiConnection(AgentProcess process, IAgentEventSink sink, PiEventMapper mapper, PiAdapterOptions options)
    {
        _process = process;
        _sink = sink;
        _mapper = mapper;
        _options = options;
        _reader = Task.Run(ReadAsync);
    }

    public int ProcessId => _process.Pid;

    public Task<int> Exited => _process.Exited;

    /// <summary>The value of <see cref="ProcessTable.RunMarkerVariable"/> every process of this run carries.</summary>
    public string RunMarker => _process.Marker;

    /// <summary>pi's session JSONL (from the handshake's <c>get_state</c>): the transcript as pi writes it.</summary>
    public string? SessionFile { get; internal set; }

    /// <summary>The run's token totals so far, priced by Baton.</summary>
    public TokenUsage Usage
    {
        get
        {
            lock (_gate)
            {
                return _mapper.Usage;
            }
        }
    }

    /// <summary>Whether a turn is open: a prompt is being worked on.</summary>
    public bool TurnOpen
    {
        get
        {
            lock (_gate)
            {
                return _mapper.TurnOpen;
            }
        }
    }

    public async Task SendPromptAsync(string prompt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        lock (_gate)
        {
            ThrowIfClosed();
            if (_mapper.TurnOpen)
            {
                // A bare prompt while pi works is refused by pi too; say so before anything is sent.
                throw new BatonException(AgentBusy, "pi is working on a turn", "Steer it, queue a follow-up, or abort the turn first.");
            }

            Publish([_mapper.StartTurn()!]);
        }

        await DeliverAsync(new JsonObject { ["type"] = "prompt", ["message"] = prompt }, openedTurn: true, cancellationToken).ConfigureAwait(false);
    }

    public Task SteerAsync(string message, CancellationToken cancellationToken) => QueueAsync(message, "steer", cancellationToken);

    public Task FollowUpAsync(string message, CancellationToken cancellationToken) => QueueAsync(message, "followUp", cancellationToken);

    public async Task AbortAsync(CancellationToken cancellationToken)
    {
        if (await AbortCoreAsync(_options.AbortGrace, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // pi did not end the turn: SIGTERM makes it kill its tracked tool processes and exit; then kill whatever is
        // left of the run (reference/agents.md §5.5). The exit ends the turn as aborted.
        Posix.SignalGroup(_process.Pid, Posix.SigTerm);
        if (await WaitAsync(TurnEnded(), _options.AbortGrace / 2, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        _process.Kill();
        await WaitAsync(TurnEnded(), _options.AbortGrace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> ExportTranscriptAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        try
        {
            var response = await RequestAsync(new JsonObject { ["type"] = "export_html", ["outputPath"] = fullPath }, _options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            return response.Success && File.Exists(fullPath);
        }
        catch (BatonException ex) when (ex.Code is AgentExited or AgentTimeout)
        {
            return false;
        }
    }

    /// <summary><c>get_session_stats</c>'s <c>contextUsage.percent</c> (reference/agents.md §1.6): how close pi is to compaction.</summary>
    public async Task<double?> ContextUsagePercentAsync(CancellationToken cancellationToken)
    {
        var response = await RequestAsync(new JsonObject { ["type"] = "get_session_stats" }, _options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        return response is { Success: true, Data: { ValueKind: JsonValueKind.Object } data }
            && data.TryGetProperty("contextUsage", out var usage) && usage.ValueKind == JsonValueKind.Object
            && usage.TryGetProperty("percent", out var percent) && percent.ValueKind == JsonValueKind.Number
            ? percent.GetDouble()
            : null;
    }

    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        _stopping = true;
        var started = DateTime.UtcNow;
        if (TurnOpen && !_process.Exited.IsCompleted)
        {
            // Abort first: closing stdin while a tool runs leaves the tool's detached process tree behind
            // (reference/agents.md §5.5); an abort kills it, and lets the turn end as aborted.
            var abortWait = grace / 2 < _options.AbortGrace ? grace / 2 : _options.AbortGrace;
            await AbortCoreAsync(abortWait, cancellationToken).ConfigureAwait(false);
        }

        // Closes stdin (pi exits 0 on EOF), waits, SIGTERMs the group, then kills every process with the run's marker.
        var remaining = grace - (DateTime.UtcNow - started);
        await _process.StopAsync(remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1)).WaitAsync(cancellationToken).ConfigureAwait(false);
        await WaitAsync(_reader, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping = true;
        await _process.DisposeAsync().ConfigureAwait(false);
        await WaitAsync(_reader, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Sends one command and waits for its answer (correlated by a fresh <c>id</c>).</summary>
    /// <exception cref="BatonException"><c>agent_exited</c> when pi is gone; <c>agent_timeout</c> when it does not answer in time.</exception>
    internal async Task<PiResponse> RequestAsync(JsonObject command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = $"baton-{Interlocked.Increment(ref _nextId)}";
        command["id"] = id;
        var waiter = new TaskCompletionSource<PiResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = waiter;
        try
        {
            // Checked after registering: the reader fails every waiter it can see once pi's output has ended.
            if (_closed)
            {
                throw ExitedError();
            }

            await _process.WriteLineAsync(command.ToJsonString(), cancellationToken).ConfigureAwait(false);
            return await waiter.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new BatonException(
                AgentTimeout,
                $"pi did not answer '{command["type"]}' within {PiConfig.Seconds(timeout)} s",
                "See the session's raw output (baton logs <session> --raw).");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task QueueAsync(string message, string behavior, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        bool opened;
        lock (_gate)
        {
            ThrowIfClosed();
            var started = _mapper.StartTurn();
            opened = started is not null;
            if (started is not null)
            {
                Publish([started]);
            }
        }

        // A prompt with a streamingBehavior lets pi decide atomically: queued when it is busy, a new run when it is
        // idle — no race between Baton's view of "busy" and pi's.
        var command = new JsonObject { ["type"] = "prompt", ["message"] = message, ["streamingBehavior"] = behavior };
        await DeliverAsync(command, opened, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a prompt. Failures on pi's side never throw here: they end the turn (rejected, exited) or are reported as
    /// an error event, so a caller waits on <c>turn_finished</c> alone.
    /// </summary>
    private async Task DeliverAsync(JsonObject command, bool openedTurn, CancellationToken cancellationToken)
    {
        PiResponse response;
        try
        {
            response = await RequestAsync(command, _options.PromptTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (BatonException ex) when (ex.Code == AgentExited)
        {
            // The reader closes the turn with the exit code.
            return;
        }
        catch (BatonException ex) when (ex.Code == AgentTimeout)
        {
            PublishLocked([Error($"{ex.Message}; the turn stays open")]);
            return;
        }

        if (response.Success)
        {
            return;
        }

        lock (_gate)
        {
            if (openedTurn)
            {
                Publish([_mapper.FailTurn($"pi rejected the prompt: {response.Error}")]);
            }
            else
            {
                // A steer or follow-up pi would not queue: the running turn goes on without it.
                Publish([Error($"pi rejected the message: {response.Error}")]);
            }
        }
    }

    /// <summary>Sends <c>abort</c> and waits for the turn to end; returns whether it did (or none was open).</summary>
    private async Task<bool> AbortCoreAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        Task ended;
        lock (_gate)
        {
            _mapper.AbortRequested();
            ended = TurnEndedLocked();
        }

        try
        {
            // The aborted agent_end comes before this answer (reference/agents.md §1.3).
            await RequestAsync(new JsonObject { ["type"] = "abort" }, wait, cancellationToken).ConfigureAwait(false);
        }
        catch (BatonException ex) when (ex.Code is AgentExited or AgentTimeout)
        {
        }

        return await WaitAsync(ended, wait, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var line in _process.Lines.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    Handle(line);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // One bad line or a failing sink must not stop the loop: pi would then hang waiting on nobody.
                    TryPublish(Error($"pi adapter failed on a line: {ex.GetType().Name}: {ex.Message}"));
                }
            }
        }
        finally
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    private void Handle(string line)
    {
        PiMapped mapped;
        lock (_gate)
        {
            mapped = _mapper.Map(line);
            Publish(mapped.Events);
        }

        if (mapped.Response is { Id: { } id } response && _pending.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult(response);
        }

        if (mapped.Reply is { } reply)
        {
            _ = WriteQuietlyAsync(reply);
        }

        if (mapped.NeedsBarrier)
        {
            // Any answer settles a provisional end: pi emits auto_retry_start / compaction_start right after agent_end.
            _ = BarrierAsync();
        }
    }

    private async Task FinishAsync()
    {
        // stdout is closed; the exit code follows (a child holding stdout open is not waited for forever).
        if (!await WaitAsync(_process.Exited, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false))
        {
            _process.Kill();
        }

        var code = await _process.Exited.ConfigureAwait(false);
        lock (_gate)
        {
            // Under the gate: a prompt either opened its turn before this (and the exit closes it) or sees the exit.
            _closed = true;
            Publish(_mapper.AgentExited(code, _stopping));
        }

        foreach (var (id, waiter) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                waiter.TrySetException(ExitedError(code));
            }
        }
    }

    private async Task BarrierAsync()
    {
        try
        {
            await RequestAsync(new JsonObject { ["type"] = "get_state" }, _options.CommandTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BatonException)
        {
            // Exited: the exit settles the turn. Timed out: the supervisor's stall detection will.
        }
    }

    private async Task WriteQuietlyAsync(string line)
    {
        try
        {
            await _process.WriteLineAsync(line, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BatonException)
        {
        }
    }

    /// <summary>Publishes in order and tracks the turn; the caller holds <see cref="_gate"/>.</summary>
    private void Publish(IEnumerable<WorkerEvent?> events)
    {
        foreach (var workerEvent in events)
        {
            if (workerEvent is null)
            {
                continue;
            }

            if (workerEvent.Type == WorkerEventTypes.TurnStarted)
            {
                _turnEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            try
            {
                _sink.Event(workerEvent);
            }
            finally
            {
                if (workerEvent.Type == WorkerEventTypes.TurnFinished)
                {
                    _turnEnded.TrySetResult();
                }
            }
        }
    }

    private void PublishLocked(IEnumerable<WorkerEvent> events)
    {
        lock (_gate)
        {
            Publish(events);
        }
    }

    private void TryPublish(WorkerEvent workerEvent)
    {
        try
        {
            PublishLocked([workerEvent]);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The sink itself is failing; there is nowhere left to report to.
        }
    }

    /// <summary>A prompt after the exit would open a turn nothing can close: refuse it.</summary>
    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw ExitedError(_process.Exited.IsCompletedSuccessfully ? _process.Exited.Result : null);
        }
    }

    private Task TurnEnded()
    {
        lock (_gate)
        {
            return TurnEndedLocked();
        }
    }

    private Task TurnEndedLocked() => _mapper.TurnOpen ? _turnEnded.Task : Task.CompletedTask;

    private WorkerEvent Error(string text) => _mapper.Error(text);

    private static BatonException ExitedError(int? code = null) => new(
        AgentExited,
        code is { } c ? $"pi exited with code {c}" : "pi has exited",
        "See the session's raw output (baton logs <session> --raw).");

    private static TaskCompletionSource Completed()
    {
        var completed = new TaskCompletionSource();
        completed.SetResult();
        return completed;
    }

    private static async Task<bool> WaitAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
