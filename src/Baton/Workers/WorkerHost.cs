using System.Runtime.InteropServices;
using System.Threading.Channels;
using Baton.Agents;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Core.Replay;
using Baton.Core.Sessions;
using Baton.Processes;
using Baton.Replay;
using Baton.Sessions;
using Baton.Workspaces;

namespace Baton.Workers;

/// <summary>
/// The worker host (<c>baton worker &lt;session-dir&gt;</c>): runs inside the session's tmux pane (or headless), starts
/// the agent through its adapter, renders a readable transcript, turns typed lines into steering, appends events,
/// keeps <c>status.json</c> fresh with a heartbeat, answers commands on its unix socket, and leaves no process of
/// its agent behind on any way out.
/// </summary>
/// <remarks>
/// Everything that changes the run's state happens on one loop that reads a channel of signals (agent events,
/// socket commands, typed lines, ticks), so there are no races between, say, a turn ending and a steer arriving.
/// </remarks>
public sealed class WorkerHost
{
    private static readonly TimeSpan s_tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_heartbeat = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_abortGrace = TimeSpan.FromSeconds(10);

    private readonly SessionFiles _files;
    private readonly TextWriter _pane;
    private readonly TextReader? _keyboard;
    private readonly TimeProvider _time;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly Channel<Signal> _signals = Channel.CreateUnbounded<Signal>();
    private readonly Queue<string> _pendingFollowUps = new();

    private SessionManifest _manifest = null!;
    private WorkerStatus _status = null!;
    private EventLog _log = null!;
    private IAgentConnection? _agent;
    private AgentCapabilities _capabilities = new(false, false, false, false);
    private int _run;
    private bool _inTurn;
    private string? _lastTurnOutcome;
    private string? _lastTurnReason;
    private DateTimeOffset _lastActivity;
    private DateTimeOffset _idleSince;
    private DateTimeOffset _lastHeartbeat;
    private DateTimeOffset? _abortedForSilenceAt;
    private bool _stopRequested;
    private bool _workspaceReady;

    /// <summary>The hand-off note's message id once <c>baton handoff</c> asked to end the run; null until then.</summary>
    private string? _handoffMessage;
    private int _handoffThreshold;
    private bool _handoffAsked;
    private bool _contextCheckRunning;

    public WorkerHost(SessionFiles files, TextWriter pane, TextReader? keyboard, IReadOnlyDictionary<string, string> environment, TimeProvider? time = null)
    {
        _files = files;
        _pane = pane;
        _keyboard = keyboard;
        _environment = environment;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Runs one run of the session to its end. Returns 0 when it succeeded.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        _manifest = _files.ReadManifest();
        _handoffThreshold = _manifest.HandoffThresholdPercent ?? Core.Coordination.ContextHandoff.DefaultThresholdPercent;
        var previous = _files.ReadStatus();
        _run = (previous?.Run ?? 0) + 1;
        var now = _time.GetUtcNow();
        var marker = $"{_manifest.RuntimeName}-r{_run}-{Guid.NewGuid().ToString("N")[..12]}";
        _status = new WorkerStatus
        {
            Session = _manifest.Name,
            Run = _run,
            Status = SessionStatus.Starting,
            WorkerPid = Environment.ProcessId,
            WorkerStartTime = ProcessTable.StartTime(Environment.ProcessId),
            AgentMarker = marker,
            Socket = _files.SocketPath,
            StartedAt = now,
            HeartbeatAt = now,
            PreviousRunsUsage = previous?.TotalUsage ?? TokenUsage.Zero,
        };
        _files.WriteStatus(_status);

        using var log = new EventLog(_files, _time);
        _log = log;
        using var signals = RegisterSignals();
        ReplayServer? replay = null;
        WorkerSocketServer? socket = null;
        try
        {
            socket = await WorkerSocketServer.StartAsync(_files.SocketPath, HandleRequestAsync).ConfigureAwait(false);
            var (endpoint, server) = await ModelEndpoints.StartAsync(_manifest, _files, _environment, cancellationToken).ConfigureAwait(false);
            replay = server;
            var adapter = AdapterFor(_manifest) ?? throw new BatonException(
                "unknown_agent", $"no agent adapter '{_manifest.Agent}'", $"Use one of: {string.Join(", ", AgentRegistry.Kinds)}.");
            _capabilities = adapter.Capabilities;
            Emit(new WorkerEvent { Ts = _time.GetUtcNow(), Session = _manifest.Name, Run = _run, Type = WorkerEventTypes.RunStarted, Agent = adapter.Kind, Model = endpoint.Display });
            _workspaceReady = true;
            if (await RunHookAsync(HookNames.BeforeRun, _manifest.BeforeRunHook, cancellationToken).ConfigureAwait(false) is { Succeeded: false } beforeRun)
            {
                // Symphony §9.4: a before_run failure fails the attempt; the agent is not launched.
                return await FinishAsync($"hook_failed: {beforeRun.Describe()}").ConfigureAwait(false);
            }

            var context = new AgentLaunchContext
            {
                Session = _manifest.Name,
                Run = _run,
                Workspace = _manifest.Workspace,
                SessionDirectory = _files.Directory,
                AgentHome = _files.AgentHome,
                Model = endpoint,
                Environment = AgentEnvironment(marker),
                BatonHome = _manifest.BatonHome,
                Command = _manifest.Command,
                HostTools = HostToolsFor(_manifest),
                Time = _time,
            };
            _agent = await adapter.StartAsync(context, new Sink(this), cancellationToken).ConfigureAwait(false);
            _status = _status with { AgentPid = _agent.ProcessId };
            _ = _agent.Exited.ContinueWith(t => _signals.Writer.TryWrite(new Signal.AgentExited(t.IsCompletedSuccessfully ? t.Result : -1)), TaskScheduler.Default);
            StartKeyboard(cancellationToken);

            var prompt = await File.ReadAllTextAsync(_files.Prompt, cancellationToken).ConfigureAwait(false);
            await StartTurnAsync(prompt, cancellationToken).ConfigureAwait(false);
            await LoopAsync(cancellationToken).ConfigureAwait(false);
            return await FinishAsync(null).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _stopRequested = true;
            return await FinishAsync(null).ConfigureAwait(false);
        }
        catch (BatonException error)
        {
            return await FinishAsync($"{error.Code}: {error.Message}").ConfigureAwait(false);
        }
        finally
        {
            if (_agent is not null)
            {
                await _agent.DisposeAsync().ConfigureAwait(false);
            }

            // Belt and braces: nothing that carries this run's marker outlives the worker.
            ProcessTable.KillMarked(marker, TimeSpan.FromSeconds(5));
            if (socket is not null)
            {
                await socket.DisposeAsync().ConfigureAwait(false);
            }

            if (replay is not null)
            {
                await replay.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The adapter of the manifest's agent; Codex gets the workflow's <c>codex.*</c> settings when the manifest has them.</summary>
    private static IAgentAdapter? AdapterFor(SessionManifest manifest) =>
        manifest.Codex is { } codex && string.Equals(manifest.Agent.Trim(), "codex", StringComparison.OrdinalIgnoreCase)
            ? new Agents.Codex.CodexAdapter(Agents.Codex.CodexAdapterOptions.From(codex.ApprovalPolicy, codex.ThreadSandbox, codex.ReadTimeoutMs))
            : AgentRegistry.Find(manifest.Agent);

    /// <summary>The host tools the orchestrator serves for this run (only names Baton knows are offered).</summary>
    private static HostToolClient? HostToolsFor(SessionManifest manifest)
    {
        if (manifest.HostTools is not { } access)
        {
            return null;
        }

        var specs = access.Tools.Select(HostToolCatalog.Find).OfType<HostToolSpec>().ToList();
        return specs.Count == 0 ? null : new HostToolClient(access.Socket, manifest.Name, specs);
    }

    private IReadOnlyDictionary<string, string?> AgentEnvironment(string marker)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["BATON_HOME"] = _manifest.BatonHome,
            ["BATON_PROJECT"] = _manifest.Project,
            ["BATON_SESSION"] = _manifest.Name,
            ["BATON_TASK"] = _manifest.TaskIdentifier,
            [ProcessTable.RunMarkerVariable] = marker,
            ["PATH"] = AgentPath(_environment),
            ["BATON_EXECUTABLE"] = _environment.GetValueOrDefault("BATON_EXECUTABLE"),
        };

        // Tracker credentials never reach the agent: it asks Baton instead.
        foreach (var secret in SecretVariables.WellKnown.Concat(_manifest.SecretEnvironmentNames ?? []))
        {
            environment[secret] = null;
        }

        return environment;
    }

    /// <summary>
    /// The agent's PATH: the directory of the baton executable first, so an agent can call <c>baton</c> to move its own
    /// task (Symphony's model), then the worker's PATH.
    /// </summary>
    public static string? AgentPath(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var path = environment.GetValueOrDefault("PATH");
        if (environment.GetValueOrDefault("BATON_EXECUTABLE") is not { Length: > 0 } executable || !System.IO.Path.IsPathRooted(executable))
        {
            return path;
        }

        var directory = System.IO.Path.GetDirectoryName(executable);
        if (string.IsNullOrEmpty(directory))
        {
            return path;
        }

        return string.IsNullOrEmpty(path) ? directory : $"{directory}{System.IO.Path.PathSeparator}{path}";
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var ticker = new PeriodicTimer(s_tick, _time);
        _ = Task.Run(async () =>
        {
            while (await ticker.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                _signals.Writer.TryWrite(new Signal.Tick());
            }
        }, cancellationToken);

        while (!_stopRequested)
        {
            var signal = await _signals.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            switch (signal)
            {
                case Signal.AgentEvent(var e):
                    await OnEventAsync(e, cancellationToken).ConfigureAwait(false);
                    break;
                case Signal.Command(var request, var reply):
                    reply.TrySetResult(await OnCommandAsync(request, cancellationToken).ConfigureAwait(false));
                    break;
                case Signal.Typed(var line):
                    await OnTypedAsync(line, cancellationToken).ConfigureAwait(false);
                    break;
                case Signal.AgentExited(var code):
                    if (!_stopRequested)
                    {
                        _lastTurnOutcome = _inTurn || _lastTurnOutcome is null ? Outcomes.Failed : _lastTurnOutcome;
                        _lastTurnReason = _inTurn ? $"the agent exited with code {code} in the middle of a turn" : _lastTurnReason;
                        if (_inTurn)
                        {
                            EmitError(_lastTurnReason!);
                        }

                        return;
                    }

                    break;
                case Signal.Stop:
                    _stopRequested = true;
                    break;
                case Signal.ContextUsage(var percent):
                    await OnContextUsageAsync(percent, cancellationToken).ConfigureAwait(false);
                    break;
                case Signal.Tick:
                    await OnTickAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task OnEventAsync(WorkerEvent e, CancellationToken cancellationToken)
    {
        _lastActivity = _time.GetUtcNow();
        if (e.Type == WorkerEventTypes.TurnFinished && _abortedForSilenceAt is not null && e.Outcome == Outcomes.Aborted)
        {
            // The worker aborted the turn for its silence: what events.jsonl (and so the orchestrator) reads is Symphony's
            // turn_timeout (§10.6), not an abort a person asked for.
            e = e with { Outcome = Outcomes.TimedOut, Reason = $"turn_timeout: no event from the agent for {_manifest.SilenceTimeoutSeconds} s" };
        }

        Emit(e);
        switch (e.Type)
        {
            case WorkerEventTypes.TurnStarted:
                _inTurn = true;
                SetStatus(SessionStatus.Working);
                break;
            case WorkerEventTypes.Usage when e.Usage is { } usage:
                _status = _status with { Usage = usage };
                CheckContextUsage(cancellationToken);
                break;
            case WorkerEventTypes.TurnFinished:
                _inTurn = false;
                _status = _status with { Turns = _status.Turns + 1 };
                _lastTurnOutcome = e.Outcome;
                _lastTurnReason = _abortedForSilenceAt is not null && e.Outcome != Outcomes.TimedOut ? $"no event from the agent for {_manifest.SilenceTimeoutSeconds} s" : e.Reason;
                _abortedForSilenceAt = null;
                _idleSince = _time.GetUtcNow();
                if (_handoffMessage is not null)
                {
                    // baton handoff: the turn that wrote the note was the last one.
                    _stopRequested = true;
                }
                else if (_pendingFollowUps.Count > 0)
                {
                    await StartTurnAsync(_pendingFollowUps.Dequeue(), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    SetStatus(e.Outcome == Outcomes.InputRequired ? SessionStatus.WaitingForInput : SessionStatus.Idle);
                    Pane("  (idle: type a message to continue, /stop to end the run)");
                }

                break;
        }

        _status = _status with { LastEvent = TranscriptRenderer.Summary(e), LastEventAt = e.Ts };
        WriteStatus();
    }

    private async Task<WorkerReply> OnCommandAsync(WorkerRequest request, CancellationToken cancellationToken)
    {
        try
        {
            switch (request.Command)
            {
                case WorkerCommands.Status:
                    break;
                case WorkerCommands.Note:
                    Emit(Event(WorkerEventTypes.Supervisor) with { Text = request.Text, Reason = request.Reason });
                    break;
                case WorkerCommands.Stop:
                    _stopRequested = true;
                    break;
                case WorkerCommands.Abort:
                    if (_inTurn && _agent is not null)
                    {
                        await AbortAsync(cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case WorkerCommands.Handoff:
                    _handoffMessage = string.IsNullOrWhiteSpace(request.Text) ? "?" : request.Text.Trim();
                    Emit(Event(WorkerEventTypes.HandoffRequested) with { Text = _handoffMessage });
                    _stopRequested |= !_inTurn;

                    return new WorkerReply(true, Message: _inTurn ? "after_turn" : "now", Status: _status);
                case WorkerCommands.Steer:
                case WorkerCommands.FollowUp:
                case WorkerCommands.Send:
                    if (_handoffMessage is not null)
                    {
                        // The agent already wrote its note: what it is told now would be lost with its conversation.
                        return WorkerReply.Fail(HandingOff, "the run is ending with a hand-off; the message belongs to the task's next run");
                    }

                    if (string.IsNullOrWhiteSpace(request.Text))
                    {
                        return WorkerReply.Fail("empty_message", "there is no message to send");
                    }

                    var kind = request.Command == WorkerCommands.FollowUp ? WorkerCommands.FollowUp
                        : request.Command == WorkerCommands.Steer || _inTurn ? WorkerCommands.Steer
                        : WorkerCommands.FollowUp;
                    var delivered = kind == WorkerCommands.Steer && _inTurn ? WorkerCommands.Steer : WorkerCommands.FollowUp;
                    await DeliverAsync(request.Text, kind, cancellationToken).ConfigureAwait(false);
                    return new WorkerReply(true, Message: delivered, Status: _status);
            }

            return new WorkerReply(true, Status: _status);
        }
        catch (BatonException error)
        {
            return WorkerReply.Fail(error.Code, error.Message);
        }
    }

    /// <summary>The reply's error code for a message that arrives after a hand-off: it waits for the next run.</summary>
    public const string HandingOff = "session_handing_off";

    /// <summary>
    /// After each usage report, asks an agent that can tell (pi) how full its context is, unless automatic hand-off is
    /// off, was already asked for, or a question is on its way. The answer comes back as a signal, so the loop never waits.
    /// </summary>
    private void CheckContextUsage(CancellationToken cancellationToken)
    {
        if (_handoffThreshold <= Core.Coordination.ContextHandoff.Off || _handoffAsked || _handoffMessage is not null || _contextCheckRunning || _agent is not IContextUsageSource source)
        {
            return;
        }

        _contextCheckRunning = true;
        _ = Task.Run(async () =>
        {
            double? percent = null;
            try
            {
                percent = await source.ContextUsagePercentAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is BatonException or OperationCanceledException or IOException)
            {
                // The agent is busy ending or gone: the next usage report asks again.
            }

            _signals.Writer.TryWrite(new Signal.ContextUsage(percent));
        }, cancellationToken);
    }

    /// <summary>Automatic hand-off: past the threshold, the agent is asked (steering) to write its note with <c>baton handoff</c>.</summary>
    private async Task OnContextUsageAsync(double? percent, CancellationToken cancellationToken)
    {
        _contextCheckRunning = false;
        if (_handoffMessage is not null || _stopRequested || !Core.Coordination.ContextHandoff.ShouldAsk(percent, _handoffThreshold, _handoffAsked))
        {
            return;
        }

        _handoffAsked = true;
        await DeliverAsync(Core.Coordination.ContextHandoff.SteeringText(percent!.Value, _handoffThreshold), _inTurn ? WorkerCommands.Steer : WorkerCommands.FollowUp, cancellationToken).ConfigureAwait(false);
    }

    private async Task OnTypedAsync(string line, CancellationToken cancellationToken)
    {
        var text = line.Trim();
        if (text.Length == 0)
        {
            return;
        }

        switch (text)
        {
            case "/stop":
                _stopRequested = true;
                return;
            case "/abort":
                await AbortAsync(cancellationToken).ConfigureAwait(false);
                return;
            case "/help":
                Pane("  type a line to steer the agent (or continue when idle); /abort stops the turn; /stop ends the run");
                return;
        }

        await DeliverAsync(text, _inTurn ? WorkerCommands.Steer : WorkerCommands.FollowUp, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Steering goes into the running turn; a follow-up waits for the turn to end, or starts one when idle.</summary>
    private async Task DeliverAsync(string text, string kind, CancellationToken cancellationToken)
    {
        if (_agent is null)
        {
            throw new BatonException("session_not_ready", "the agent has not started yet", "Try again in a moment.");
        }

        if (kind == WorkerCommands.Steer && _inTurn)
        {
            Emit(Event(WorkerEventTypes.SteerReceived) with { Text = text });
            if (_capabilities.Steer)
            {
                await _agent.SteerAsync(text, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _pendingFollowUps.Enqueue(text);
            }

            return;
        }

        Emit(Event(WorkerEventTypes.FollowUpReceived) with { Text = text });
        if (!_inTurn)
        {
            await StartTurnAsync(text, cancellationToken).ConfigureAwait(false);
        }
        else if (_capabilities.FollowUp)
        {
            await _agent.FollowUpAsync(text, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _pendingFollowUps.Enqueue(text);
        }
    }

    private async Task StartTurnAsync(string prompt, CancellationToken cancellationToken)
    {
        _inTurn = true;
        _lastActivity = _time.GetUtcNow();
        SetStatus(SessionStatus.Working);
        WriteStatus();
        await _agent!.SendPromptAsync(prompt, cancellationToken).ConfigureAwait(false);
    }

    private async Task AbortAsync(CancellationToken cancellationToken)
    {
        if (_capabilities.Abort)
        {
            await _agent!.AbortAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // An agent without an abort command ends its turn by ending: the run is over.
            _lastTurnOutcome = Outcomes.Aborted;
            _stopRequested = true;
        }
    }

    private async Task OnTickAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_inTurn && _abortedForSilenceAt is null && now - _lastActivity > TimeSpan.FromSeconds(_manifest.SilenceTimeoutSeconds))
        {
            EmitError($"no event from the agent for {_manifest.SilenceTimeoutSeconds} s: aborting the turn");
            _abortedForSilenceAt = now;
            await AbortAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (_abortedForSilenceAt is { } abortedAt && now - abortedAt > s_abortGrace)
        {
            // The agent ignored the abort: end the run, which kills it.
            _lastTurnOutcome = Outcomes.TimedOut;
            _lastTurnReason = $"no event from the agent for {_manifest.SilenceTimeoutSeconds} s, and it ignored the abort";
            _stopRequested = true;
        }
        else if (!_inTurn && _pendingFollowUps.Count == 0 && now - _idleSince > TimeSpan.FromSeconds(_manifest.IdleTimeoutSeconds))
        {
            Pane($"  (idle for {_manifest.IdleTimeoutSeconds} s: ending the run)");
            _stopRequested = true;
        }

        if (now - _lastHeartbeat >= s_heartbeat)
        {
            WriteStatus();
            Emit(Event(WorkerEventTypes.Heartbeat) with { Status = _status.Status }, render: false);
        }
    }

    /// <summary>Exports the transcript, stops the agent cleanly, records the run's outcome. Never throws.</summary>
    private async Task<int> FinishAsync(string? failure)
    {
        var outcome = failure is not null ? Outcomes.Failed
            : _handoffMessage is not null ? Outcomes.HandedOff
            : _stopRequested && _inTurn ? Outcomes.Stopped
            : _lastTurnOutcome ?? (_stopRequested ? Outcomes.Stopped : Outcomes.Failed);
        var reason = failure ?? outcome switch
        {
            Outcomes.Stopped => "stopped",
            Outcomes.HandedOff => long.TryParse(_handoffMessage, System.Globalization.CultureInfo.InvariantCulture, out var note) ? Core.Coordination.ContextHandoff.Reason(note) : "handed off",
            _ => _lastTurnReason,
        };
        if (failure is not null)
        {
            EmitError(failure);
        }

        if (_agent is not null)
        {
            try
            {
                if (_capabilities.ExportTranscript)
                {
                    Directory.CreateDirectory(_files.Transcripts);
                    using var export = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                    await _agent.ExportTranscriptAsync(Path.Combine(_files.Transcripts, $"run-{_run}.html"), export.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is BatonException or OperationCanceledException or IOException)
            {
                EmitError($"could not export the transcript: {ex.Message}");
            }

            try
            {
                using var stop = new CancellationTokenSource(s_stopGrace * 2);
                await _agent.StopAsync(s_stopGrace, stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is BatonException or OperationCanceledException or IOException)
            {
                EmitError($"stopping the agent: {ex.Message}");
            }
        }

        if (_workspaceReady && await RunHookAsync(HookNames.AfterRun, _manifest.AfterRunHook, CancellationToken.None).ConfigureAwait(false) is { Succeeded: false } afterRun)
        {
            // §9.4: after_run failures are logged and ignored.
            EmitError($"{afterRun.Describe()} (ignored): {afterRun.Excerpt.Trim()}");
        }

        var status = outcome switch
        {
            Outcomes.Succeeded or Outcomes.HandedOff => SessionStatus.Finished,
            Outcomes.Stopped => SessionStatus.Exited,
            _ => SessionStatus.Failed,
        };
        var end = _time.GetUtcNow();
        Emit(Event(WorkerEventTypes.RunFinished) with { Outcome = outcome, Reason = reason, Usage = _status.Usage });
        _status = _status with { Status = status, EndedAt = end, Outcome = outcome, Reason = reason, HeartbeatAt = end };
        _files.WriteStatus(_status);
        return outcome is Outcomes.Succeeded or Outcomes.HandedOff ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private async Task<HookResult?> RunHookAsync(string name, string? script, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(script) || !Directory.Exists(_manifest.Workspace))
        {
            return null;
        }

        Pane($"  ⚙ hook {name}");
        var environment = new Dictionary<string, string?>
        {
            ["BATON_HOME"] = _manifest.BatonHome,
            ["BATON_PROJECT"] = _manifest.Project,
            ["BATON_SESSION"] = _manifest.Name,
            ["BATON_TASK_ID"] = _manifest.TaskId,
            ["BATON_TASK_IDENTIFIER"] = _manifest.TaskIdentifier,
            ["BATON_TASK_BRANCH"] = _manifest.Branch,
            ["BATON_WORKSPACE"] = _manifest.Workspace,
        };
        var result = await HookRunner.RunAsync(name, script, _manifest.Workspace, environment, TimeSpan.FromMilliseconds(_manifest.HookTimeoutMs), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            Pane($"  ✗ {result.Describe()}: {TranscriptRenderer.OneLine(result.Excerpt, 300)}");
        }

        return result;
    }

    private void SetStatus(string status) => _status = _status with { Status = status };

    private void WriteStatus()
    {
        _lastHeartbeat = _time.GetUtcNow();
        _status = _status with { HeartbeatAt = _lastHeartbeat };
        try
        {
            _files.WriteStatus(_status);
        }
        catch (IOException ex)
        {
            Pane($"  ✗ could not write status.json: {ex.Message}");
        }
    }

    private WorkerEvent Event(string type) => new() { Ts = _time.GetUtcNow(), Session = _manifest.Name, Run = _run, Type = type };

    private void EmitError(string message) => Emit(Event(WorkerEventTypes.Error) with { Text = message });

    private void Emit(WorkerEvent e, bool render = true)
    {
        _log.Append(e);
        if (render)
        {
            foreach (var line in TranscriptRenderer.Render(e))
            {
                Pane(line);
            }
        }
    }

    private void Pane(string line)
    {
        try
        {
            _pane.WriteLine(line);
            _pane.Flush();
        }
        catch (IOException)
        {
            // The pane went away (tmux killed); the run goes on headless.
        }
    }

    private void StartKeyboard(CancellationToken cancellationToken)
    {
        if (_keyboard is null)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                while (await _keyboard.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    _signals.Writer.TryWrite(new Signal.Typed(line));
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }, cancellationToken);
    }

    private async Task<WorkerReply> HandleRequestAsync(WorkerRequest request)
    {
        var reply = new TaskCompletionSource<WorkerReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_signals.Writer.TryWrite(new Signal.Command(request, reply)))
        {
            return WorkerReply.Fail("session_finished", "the run is ending");
        }

        try
        {
            return await reply.Task.WaitAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return WorkerReply.Fail("worker_busy", "the worker did not answer within 20 s");
        }
    }

    /// <summary>SIGTERM, SIGHUP (the tmux pane closing) and Ctrl-C end the run cleanly instead of killing the worker outright.</summary>
    private DisposableGroup RegisterSignals()
    {
        var registrations = new DisposableGroup();
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGINT })
        {
            registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                _signals.Writer.TryWrite(new Signal.Stop());
            }));
        }

        return registrations;
    }

    private sealed class Sink(WorkerHost host) : IAgentEventSink
    {
        public void Event(WorkerEvent workerEvent) => host._signals.Writer.TryWrite(new Signal.AgentEvent(workerEvent));

        public void Raw(string stream, string line) => host._log.AppendRaw(stream, line);
    }

    private sealed class DisposableGroup : IDisposable
    {
        private readonly List<IDisposable> _items = [];

        public void Add(IDisposable item) => _items.Add(item);

        public void Dispose()
        {
            foreach (var item in _items)
            {
                item.Dispose();
            }
        }
    }

    private abstract record Signal
    {
        public sealed record AgentEvent(WorkerEvent Event) : Signal;

        public sealed record Command(WorkerRequest Request, TaskCompletionSource<WorkerReply> Reply) : Signal;

        public sealed record Typed(string Line) : Signal;

        public sealed record AgentExited(int Code) : Signal;

        public sealed record Stop : Signal;

        public sealed record ContextUsage(double? Percent) : Signal;

        public sealed record Tick : Signal;
    }
}

/// <summary>Turns a session's <c>--model</c> into an endpoint an adapter can use, starting the replay model when asked.</summary>
public static class ModelEndpoints
{
    public static async Task<(ModelEndpoint Endpoint, ReplayServer? Server)> StartAsync(
        SessionManifest manifest, SessionFiles files, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(environment);
        if (manifest.Model is null)
        {
            return (new ModelEndpoint("default", string.Empty, null, null, null, ModelPricing.Free), null);
        }

        var spec = ModelSpec.Parse(manifest.Model, p => p);
        if (spec.IsReplay)
        {
            var script = ReplayScriptFile.Load(spec.ReplayScript!);
            var server = await ReplayServer.StartAsync(
                script,
                new ReplayOptions
                {
                    LogPath = Path.Combine(files.Directory, "replay-requests.jsonl"),
                    LogBodies = true,
                    MaxRequests = 500,
                    Lifetime = TimeSpan.FromHours(24),
                },
                cancellationToken).ConfigureAwait(false);
            return (new ModelEndpoint(ModelSpec.ReplayProvider, ModelSpec.ReplayModelId, server.BaseUrl, "replay-key", null, ModelPricing.Replay), server);
        }

        var key = spec.ApiKeyVariable is { } variable ? environment.GetValueOrDefault(variable) : null;
        if (string.IsNullOrEmpty(key))
        {
            throw new BatonException(
                "model_key_missing",
                $"the model {spec} needs ${spec.ApiKeyVariable}, which is not set",
                $"Export {spec.ApiKeyVariable} before spawning, or use --model replay:<script.json> to rehearse offline.");
        }

        return (new ModelEndpoint(spec.Provider, spec.Model, null, key, spec.ApiKeyVariable, ModelPricing.For(spec.Provider, spec.Model)), null);
    }
}
