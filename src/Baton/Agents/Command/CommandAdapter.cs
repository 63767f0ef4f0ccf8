using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Processes;
using Baton.Core.Workspaces;

namespace Baton.Agents.Command;

/// <summary>
/// Any command-line program as an agent: each turn runs the command once with <c>bash -lc</c> in the workspace. The
/// prompt is passed as <c>{prompt}</c> where the command line has that placeholder (shell-quoted), otherwise on stdin
/// and in <c>$BATON_PROMPT</c>. Each output line is an agent message; the exit code is the outcome. The directory of the
/// baton executable comes first on PATH, after the login shell's profile.
/// </summary>
public sealed class CommandAdapter : IAgentAdapter
{
    public const string PromptPlaceholder = "{prompt}";

    public string Kind => "command";

    /// <summary>No steering into a running program; a follow-up is the next run of the command; abort kills it.</summary>
    public AgentCapabilities Capabilities { get; } = new(Steer: false, FollowUp: false, Abort: true, ExportTranscript: false);

    public Task<IAgentConnection> StartAsync(AgentLaunchContext context, IAgentEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(context.Command))
        {
            throw BatonException.Usage("agent_command_missing", "the command agent needs a command line", "Pass --command \"your-agent --flag {prompt}\" to baton spawn.");
        }

        Directory.CreateDirectory(Path.Combine(context.AgentHome, "tmp"));
        return Task.FromResult<IAgentConnection>(new CommandConnection(context, sink));
    }

    private sealed class CommandConnection(AgentLaunchContext context, IAgentEventSink sink) : IAgentConnection
    {
        private readonly TaskCompletionSource<int> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private AgentProcess? _current;
        private int _turn;
        private bool _aborted;

        public int ProcessId => _current?.Pid ?? Environment.ProcessId;

        /// <summary>The connection ends when it is stopped; each turn's process coming and going is normal.</summary>
        public Task<int> Exited => _ended.Task;

        public Task SendPromptAsync(string prompt, CancellationToken cancellationToken)
        {
            if (_current is not null)
            {
                throw new BatonException("agent_busy", "the command is still running", "Wait for it to finish or abort it.");
            }

            _turn++;
            _aborted = false;
            var command = context.Command!;
            var line = command.Contains(PromptPlaceholder, StringComparison.Ordinal)
                ? command.Replace(PromptPlaceholder, ShellQuote.Quote(prompt), StringComparison.Ordinal)
                : command;

            var environment = new Dictionary<string, string?>(context.Environment)
            {
                ["BATON_PROMPT"] = prompt,
                ["TMPDIR"] = Path.Combine(context.AgentHome, "tmp"),
            };
            var process = AgentProcess.Start(
                new AgentProcessSpec("bash", LoginShell.Arguments(line, context.Environment.GetValueOrDefault("PATH") ?? System.Environment.GetEnvironmentVariable("PATH")), context.Workspace) { Environment = environment, RunMarker = MarkerOf(context) },
                sink,
                "command");
            _current = process;
            sink.Event(Event(WorkerEventTypes.TurnStarted));
            _ = Task.Run(async () =>
            {
                if (!command.Contains(PromptPlaceholder, StringComparison.Ordinal))
                {
                    try
                    {
                        await process.WriteLineAsync(prompt, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (BatonException)
                    {
                        // The program does not read stdin; the prompt is in $BATON_PROMPT too.
                    }
                }

                process.CloseInput();
                await foreach (var text in process.Lines.ReadAllAsync().ConfigureAwait(false))
                {
                    sink.Event(Event(WorkerEventTypes.AgentMessage) with { Text = text });
                }

                var code = await process.Exited.ConfigureAwait(false);
                await process.DisposeAsync().ConfigureAwait(false);
                _current = null;
                var outcome = _aborted ? Outcomes.Aborted : code == 0 ? Outcomes.Succeeded : Outcomes.Failed;
                sink.Event(Event(WorkerEventTypes.TurnFinished) with { Outcome = outcome, Reason = code == 0 ? null : $"exit code {code}" });
            }, CancellationToken.None);
            return Task.CompletedTask;
        }

        public Task SteerAsync(string message, CancellationToken cancellationToken) => SendPromptAsync(message, cancellationToken);

        public Task FollowUpAsync(string message, CancellationToken cancellationToken) => SendPromptAsync(message, cancellationToken);

        public Task AbortAsync(CancellationToken cancellationToken)
        {
            _aborted = true;
            _current?.Kill();
            return Task.CompletedTask;
        }

        public Task<bool> ExportTranscriptAsync(string path, CancellationToken cancellationToken) => Task.FromResult(false);

        public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
        {
            if (_current is { } running)
            {
                await running.StopAsync(grace).ConfigureAwait(false);
            }

            _ended.TrySetResult(0);
        }

        public async ValueTask DisposeAsync()
        {
            if (_current is { } running)
            {
                await running.DisposeAsync().ConfigureAwait(false);
            }

            _ended.TrySetResult(0);
        }

        private WorkerEvent Event(string type) => new() { Ts = context.Time.GetUtcNow(), Session = context.Session, Run = context.Run, Type = type };

        private static string MarkerOf(AgentLaunchContext context) =>
            context.Environment.TryGetValue(Processes.ProcessTable.RunMarkerVariable, out var marker) && marker is not null ? marker : $"{context.Session}-{context.Run}";
    }
}
