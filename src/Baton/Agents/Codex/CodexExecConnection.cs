using System.Globalization;
using System.Text.Json;
using Baton.Core.Events;

namespace Baton.Agents.Codex;

/// <summary>
/// The fallback protocol: one <c>codex exec --json</c> process per turn, the first turn starting the thread and each
/// later one continuing it with <c>exec resume &lt;thread_id&gt;</c>. The prompt goes in on stdin (<c>-</c>), so its size
/// is not bounded by the argument limit. Nothing can be delivered into a running turn (steering becomes a follow-up),
/// and Codex cannot ask for approvals here: it runs with the same config.toml, non-interactively.
/// Abort and stop kill the turn's process and everything carrying the run marker.
/// <see cref="Exited"/> completes when the connection is stopped or disposed, since no process outlives a turn.
/// </summary>
internal sealed class CodexExecConnection : IAgentConnection
{
    private readonly string _codex;
    private readonly CodexSetup _setup;
    private readonly CodexSink _sink;
    private readonly AgentLaunchContext _context;
    private readonly CodexEventMapper _mapper;
    private readonly Queue<string> _followUps = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AgentProcess? _current;
    private Task _pump = Task.CompletedTask;
    private int _lastPid;
    private int _lastExitCode;
    private string? _lastOutcome;
    private volatile bool _stopping;

    public CodexExecConnection(string codex, CodexSetup setup, CodexSink sink, AgentLaunchContext context)
    {
        _codex = codex;
        _setup = setup;
        _sink = sink;
        _context = context;
        _mapper = new CodexEventMapper(context.Session, context.Run, context.Model.Pricing);
    }

    /// <summary>The running turn's process, or the last one.</summary>
    public int ProcessId => Volatile.Read(ref _lastPid);

    public Task<int> Exited => _exited.Task;

    public string RunMarker => _setup.RunMarker;

    public string? ThreadId => _mapper.ThreadId;

    public async Task SendPromptAsync(string prompt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        List<string> arguments = ["exec", "--json", "--skip-git-repo-check", "-C", _context.Workspace];
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            if (_mapper.TurnActive)
            {
                _followUps.Enqueue(prompt);
                return;
            }

            Emit(_mapper.BeginTurn(Now()));
            if (_mapper.ThreadId is { } thread)
            {
                arguments.AddRange(["resume", thread]);
            }
        }

        arguments.Add("-");
        AgentProcess process;
        try
        {
            process = AgentProcess.Start(
                new AgentProcessSpec(_codex, arguments, _context.Workspace) { Environment = _setup.Environment, RunMarker = _setup.RunMarker },
                _sink,
                "codex");
        }
        catch (Exception ex) when (ex is Core.Errors.BatonException or IOException)
        {
            lock (_gate)
            {
                Emit(_mapper.FinishTurn(Outcomes.Failed, $"could not start codex exec: {ex.Message}", Now()));
            }

            return;
        }

        lock (_gate)
        {
            _current = process;
            Volatile.Write(ref _lastPid, process.Pid);
            _pump = Task.Run(() => PumpAsync(process), CancellationToken.None);
        }

        try
        {
            await process.WriteLineAsync(prompt, cancellationToken).ConfigureAwait(false);
        }
        catch (Core.Errors.BatonException)
        {
            // It exited before reading the prompt; the pump reports how the turn ended.
        }

        process.CloseInput();
    }

    public Task SteerAsync(string message, CancellationToken cancellationToken) => FollowUpAsync(message, cancellationToken);

    public Task FollowUpAsync(string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            if (_mapper.TurnActive)
            {
                _followUps.Enqueue(message);
                return Task.CompletedTask;
            }
        }

        return SendPromptAsync(message, cancellationToken);
    }

    public async Task AbortAsync(CancellationToken cancellationToken)
    {
        AgentProcess? process;
        Task pump;
        lock (_gate)
        {
            if (!_mapper.TurnActive)
            {
                return;
            }

            _mapper.ExpectOutcome(Outcomes.Aborted, "aborted by Baton");
            process = _current;
            pump = _pump;
        }

        process?.Kill();
        await pump.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        lock (_gate)
        {
            Emit(_mapper.FinishTurn(Outcomes.Aborted, "aborted by Baton", Now()));
        }
    }

    public Task<bool> ExportTranscriptAsync(string path, CancellationToken cancellationToken) => Task.FromResult(false);

    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        AgentProcess? process;
        Task pump;
        lock (_gate)
        {
            _stopping = true;
            process = _current;
            pump = _pump;
        }

        if (process is not null)
        {
            await process.StopAsync(grace).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await pump.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        lock (_gate)
        {
            Emit(_mapper.FinishTurn(Outcomes.Stopped, "the agent was stopped", Now()));
        }

        _exited.TrySetResult(_lastExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        AgentProcess? process;
        lock (_gate)
        {
            _stopping = true;
            process = _current;
        }

        if (process is not null)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }

        await _pump.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        _exited.TrySetResult(_lastExitCode);
    }

    private async Task PumpAsync(AgentProcess process)
    {
        await foreach (var line in process.Lines.ReadAllAsync().ConfigureAwait(false))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                lock (_gate)
                {
                    Emit(_mapper.MapExecEvent(document.RootElement, Now()));
                }
            }
            catch (JsonException)
            {
                // Not a protocol line; it is in the raw stream.
            }
        }

        var exitCode = await process.Exited.ConfigureAwait(false);
        string? next = null;
        lock (_gate)
        {
            _lastExitCode = exitCode;
            var outcome = _stopping ? Outcomes.Stopped : Outcomes.Failed;
            var events = _mapper.FinishTurn(outcome, string.Create(
                CultureInfo.InvariantCulture, $"codex exec exited with code {exitCode} before the turn ended{_sink.StderrSuffix()}"), Now());
            Emit(events);
            if (ReferenceEquals(_current, process))
            {
                _current = null;
            }

            if (ThreadId is { } thread && _mapper.RolloutPath is null)
            {
                CodexThreadRecord.Write(_context, "exec", thread, CodexThreadRecord.FindRollout(_setup.CodexHome, thread));
            }

            if (!_stopping && _followUps.Count > 0 && _lastOutcome == Outcomes.Succeeded)
            {
                next = string.Join("\n\n", _followUps);
                _followUps.Clear();
            }
        }

        await process.DisposeAsync().ConfigureAwait(false);
        if (next is not null)
        {
            await SendPromptAsync(next, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private void Emit(IReadOnlyList<WorkerEvent> events)
    {
        foreach (var workerEvent in events)
        {
            if (workerEvent.Type == WorkerEventTypes.TurnFinished)
            {
                _lastOutcome = workerEvent.Outcome;
            }

            _sink.Event(workerEvent);
        }
    }

    private DateTimeOffset Now() => _context.Time.GetUtcNow();
}
