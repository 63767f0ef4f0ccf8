using System.Collections.Concurrent;
using System.Globalization;
using Baton.Core.Errors;
using Baton.Core.Events;

namespace Baton.Agents.Claude;

/// <summary>
/// A running Claude Code speaking stream-json: one reader loop maps every stdout line through
/// <see cref="ClaudeEventMapper"/>; at most one user message is in Claude's hands at a time.
/// </summary>
/// <remarks>
/// <para>Steering and follow-ups: Claude 2.1.197 does take a user message written while it is busy, but where it
/// lands depends on timing — during a tool it is attached to the running turn before the next model call; during the
/// turn's last model call it becomes a turn of its own after the <c>result</c>. Either way the number of results no
/// longer matches the messages sent. So Baton holds every message that arrives during a turn and sends them together
/// as the next turn when the <c>result</c> comes: one message, one turn, one <c>turn_finished</c>. Hence
/// <c>Steer=false</c>: a steer is delivered as a follow-up.</para>
/// <para>Abort: an <c>interrupt</c> control request; Claude kills the running tool's process (verified for a Bash
/// <c>sleep</c>) and ends the turn with <c>error_during_execution</c>, mapped to <c>aborted</c>. Messages held for the
/// next turn are dropped (an abort means stop). If no result comes within the abort timeout the whole agent is
/// killed, which ends the turn as aborted too. Background processes a tool started on purpose are not hunted down
/// here; the run marker kills them when the run stops.</para>
/// </remarks>
public sealed class ClaudeConnection : IAgentConnection
{
    private const int StderrTailLines = 20;

    private readonly AgentProcess _process;
    private readonly IAgentEventSink _sink;
    private readonly ClaudeEventMapper _mapper;
    private readonly TimeProvider _time;
    private readonly TimeSpan _abortTimeout;
    private readonly Lock _gate = new();
    private readonly List<string> _held = [];
    private readonly ConcurrentDictionary<string, TaskCompletionSource<(string? Subtype, string? Error)>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _stderrTail;
    private readonly string _session;
    private readonly int _run;
    private readonly Task<int> _reader;
    private TaskCompletionSource _turnEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stopRequested;
    private bool _exited;
    private int _requestCounter;

    private ClaudeConnection(AgentProcess process, IAgentEventSink sink, AgentLaunchContext context, string sessionId, string transcriptPath, TimeSpan abortTimeout, ConcurrentQueue<string> stderrTail)
    {
        _process = process;
        _sink = sink;
        _time = context.Time;
        _session = context.Session;
        _run = context.Run;
        _mapper = new ClaudeEventMapper(context.Session, context.Run, context.Model.Pricing, context.Time);
        _abortTimeout = abortTimeout;
        _stderrTail = stderrTail;
        SessionId = sessionId;
        ExpectedTranscriptPath = transcriptPath;
        _turnEnded.SetResult();
        _reader = Task.Run(ReadAsync);
    }

    public int ProcessId => _process.Pid;

    /// <summary>The value of <c>BATON_RUN_MARKER</c> every process of this run carries.</summary>
    public string RunMarker => _process.Marker;

    /// <summary>Completes with the exit code once the process has ended and every event it caused has been emitted.</summary>
    public Task<int> Exited => _reader;

    /// <summary>Claude's session id (passed with <c>--session-id</c>).</summary>
    public string SessionId { get; }

    /// <summary>Where Claude keeps this session's transcript (JSONL) when its name was not shortened.</summary>
    public string ExpectedTranscriptPath { get; }

    /// <summary>The transcript JSONL Claude writes for this session (the proof copies it; Claude has no HTML export).</summary>
    public string TranscriptPath
    {
        get
        {
            if (File.Exists(ExpectedTranscriptPath))
            {
                return ExpectedTranscriptPath;
            }

            // Claude shortens long project folder names with a hash of its own: find the file by session id.
            var projects = Path.GetDirectoryName(Path.GetDirectoryName(ExpectedTranscriptPath))!;
            try
            {
                return Directory.Exists(projects)
                    ? Directory.EnumerateFiles(projects, SessionId + ".jsonl", SearchOption.AllDirectories).FirstOrDefault() ?? ExpectedTranscriptPath
                    : ExpectedTranscriptPath;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return ExpectedTranscriptPath;
            }
        }
    }

    internal static ClaudeConnection Start(AgentProcessSpec spec, AgentLaunchContext context, IAgentEventSink sink, string sessionId, string transcriptPath, TimeSpan abortTimeout)
    {
        var tail = new ConcurrentQueue<string>();
        var process = AgentProcess.Start(spec, new TailingSink(sink, tail), "claude");
        return new ClaudeConnection(process, sink, context, sessionId, transcriptPath, abortTimeout, tail);
    }

    /// <summary>Sends <c>initialize</c> and waits for Claude's answer, its exit, or the timeout.</summary>
    internal async Task HandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (id, answer) = Register("initialize");
        try
        {
            await _process.WriteLineAsync(ClaudeProtocol.ControlRequest(id, "initialize"), cancellationToken).ConfigureAwait(false);
        }
        catch (BatonException)
        {
            // It exited before reading its input: the exit code and stderr below say why.
        }

        // Whichever comes first: the answer, the exit, the timeout (or cancellation); the checks below tell which.
        await Task.WhenAny(answer.Task, _reader).WaitAsync(timeout, _time, cancellationToken)
            .ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (answer.Task.IsCompletedSuccessfully && answer.Task.Result.Subtype == "success")
        {
            return;
        }

        // The reader cancels pending requests when the process ends, so an exit may surface as either task.
        if (answer.Task.IsCanceled && !_reader.IsCompleted)
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(2), _time, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        var why = _reader.IsCompletedSuccessfully
            ? $"it exited with code {_reader.Result.ToString(CultureInfo.InvariantCulture)} during start-up"
            : answer.Task.IsCompletedSuccessfully
                ? $"it refused the initialize request: {answer.Task.Result.Error}"
                : $"it did not answer the initialize request within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        var stderr = string.Join(" | ", _stderrTail);
        throw new BatonException(
            "agent_start_failed",
            $"claude did not start: {why}{(stderr.Length > 0 ? $"; stderr: {stderr}" : "")}",
            "Run 'baton doctor' to check the agent's installation, and see the session's raw log.");
    }

    public Task SendPromptAsync(string prompt, CancellationToken cancellationToken) => DeliverAsync(prompt, cancellationToken);

    /// <summary>Claude cannot be steered reliably (see the class remarks): the message becomes the next turn.</summary>
    public Task SteerAsync(string message, CancellationToken cancellationToken) => DeliverAsync(message, cancellationToken);

    public Task FollowUpAsync(string message, CancellationToken cancellationToken) => DeliverAsync(message, cancellationToken);

    public async Task AbortAsync(CancellationToken cancellationToken)
    {
        Task ended;
        lock (_gate)
        {
            if (!_mapper.InTurn)
            {
                return;
            }

            _mapper.RequestAbort();
            DropHeld("the turn was aborted");
            ended = _turnEnded.Task;
        }

        var (id, _) = Register("interrupt");
        try
        {
            await _process.WriteLineAsync(ClaudeProtocol.ControlRequest(id, "interrupt"), cancellationToken).ConfigureAwait(false);
            await ended.WaitAsync(_abortTimeout, _time, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (BatonException)
        {
            // Not reading its input any more: it is exiting, and its exit ends the turn.
        }
        catch (TimeoutException)
        {
            Emit(Event(WorkerEventTypes.Error) with { Text = $"claude did not end the turn within {_abortTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s of an interrupt; killing it" });
            _process.Kill();
        }

        await ended.WaitAsync(TimeSpan.FromSeconds(15), _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Claude Code cannot export HTML; its transcript is the JSONL at <see cref="TranscriptPath"/>.</summary>
    public Task<bool> ExportTranscriptAsync(string path, CancellationToken cancellationToken) => Task.FromResult(false);

    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _stopRequested = true;
            DropHeld("the agent was stopped");
        }

        // Claude exits when its input closes; AgentProcess then escalates to SIGTERM and kills everything marked.
        await _process.StopAsync(grace).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _reader.WaitAsync(TimeSpan.FromSeconds(10), _time, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _stopRequested = true;
        }

        await _process.DisposeAsync().ConfigureAwait(false);
        await _reader.WaitAsync(TimeSpan.FromSeconds(10), _time).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private async Task DeliverAsync(string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        string line;
        lock (_gate)
        {
            if (_exited || _stopRequested)
            {
                throw new BatonException("agent_exited", "the claude agent is no longer running", "See the session's logs (baton logs <session> --raw).");
            }

            if (_mapper.InTurn)
            {
                _held.Add(text);
                return;
            }

            line = BeginTurn([text]);
        }

        await _process.WriteLineAsync(line, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a turn (under the gate): the event first, so turn_started precedes everything the turn causes.</summary>
    private string BeginTurn(IReadOnlyList<string> texts)
    {
        _turnEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Emit(_mapper.StartTurn());
        return ClaudeProtocol.UserMessage(texts);
    }

    private async Task<int> ReadAsync()
    {
        await foreach (var line in _process.Lines.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await HandleAsync(line).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One bad line must not end the loop: say so and go on with the next.
                Emit(Event(WorkerEventTypes.Error) with { Text = $"could not handle a line from claude: {ex.Message}" });
            }
        }

        var code = await _process.Exited.ConfigureAwait(false);
        lock (_gate)
        {
            _exited = true;
            foreach (var finished in _mapper.AgentExited(code, _stopRequested))
            {
                Emit(finished);
            }

            DropHeld($"claude exited with code {code.ToString(CultureInfo.InvariantCulture)}");
            _turnEnded.TrySetResult();
        }

        foreach (var pending in _pending.Values)
        {
            pending.TrySetCanceled();
        }

        return code;
    }

    private async Task HandleAsync(string line)
    {
        string? next = null;
        ClaudeMapped mapped;
        lock (_gate)
        {
            mapped = _mapper.Map(line);
            foreach (var workerEvent in mapped.Events)
            {
                Emit(workerEvent);
            }

            if (mapped.Signal == ClaudeSignal.TurnFinished)
            {
                _turnEnded.TrySetResult();
                if (_held.Count > 0 && !_stopRequested)
                {
                    var texts = _held.ToList();
                    _held.Clear();
                    next = BeginTurn(texts);
                }
            }
        }

        switch (mapped.Signal)
        {
            case ClaudeSignal.ControlResponse when mapped.RequestId is { } id && _pending.TryRemove(id, out var pending):
                pending.TrySetResult((mapped.Subtype, mapped.Detail));
                break;
            case ClaudeSignal.ControlRequest when mapped.RequestId is { } id:
                // Nobody is there to answer: refuse at once so Claude never waits on a person.
                next = ClaudeProtocol.Refusal(id, mapped.Subtype, "Baton runs this agent unattended; ask in your final message instead.");
                break;
        }

        if (next is not null)
        {
            try
            {
                await _process.WriteLineAsync(next, CancellationToken.None).ConfigureAwait(false);
            }
            catch (BatonException)
            {
                // The agent is exiting; its exit ends the open turn.
            }
        }
    }

    private (string Id, TaskCompletionSource<(string? Subtype, string? Error)> Answer) Register(string what)
    {
        var id = $"baton-{what}-{Interlocked.Increment(ref _requestCounter).ToString(CultureInfo.InvariantCulture)}";
        var answer = new TaskCompletionSource<(string? Subtype, string? Error)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        return (id, answer);
    }

    /// <summary>Held messages that will never be sent are reported, never lost silently (called under the gate).</summary>
    private void DropHeld(string why)
    {
        if (_held.Count == 0)
        {
            return;
        }

        Emit(Event(WorkerEventTypes.Error) with
        {
            Text = $"{_held.Count.ToString(CultureInfo.InvariantCulture)} queued message(s) not delivered: {why}",
            Reason = string.Join("\n---\n", _held),
        });
        _held.Clear();
    }

    private void Emit(WorkerEvent workerEvent)
    {
        lock (_gate)
        {
            _sink.Event(workerEvent);
        }
    }

    private WorkerEvent Event(string type) => new() { Ts = _time.GetUtcNow(), Session = _session, Run = _run, Type = type };

    /// <summary>Passes everything on and keeps the last stderr lines, for a start-up failure's message.</summary>
    private sealed class TailingSink(IAgentEventSink inner, ConcurrentQueue<string> tail) : IAgentEventSink
    {
        public void Event(WorkerEvent workerEvent) => inner.Event(workerEvent);

        public void Raw(string stream, string line)
        {
            if (stream == "stderr" && line.Length > 0)
            {
                tail.Enqueue(line.Length > 500 ? line[..500] : line);
                while (tail.Count > StderrTailLines && tail.TryDequeue(out _))
                {
                }
            }

            inner.Raw(stream, line);
        }
    }
}
