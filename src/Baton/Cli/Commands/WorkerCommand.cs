using System.CommandLine;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Core.Sessions;
using Baton.Processes;
using Baton.Sessions;
using Baton.Workers;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton worker &lt;session-dir&gt;</c> (hidden): the worker host, run by a session's runtime inside its tmux pane.
/// <c>--reap</c> runs after it however it ended and kills whatever its agent left behind.
/// </summary>
public sealed class WorkerCommand : BatonCommand
{
    private readonly Argument<string> _directory = new("session-dir") { Description = "The session's directory (holds session.json)" };
    private readonly Option<bool> _reap = new("--reap") { Description = "Clean up after a worker that has ended" };

    public WorkerCommand(CliContext context)
        : base("worker", "Run a session's worker host (used by Baton's runtimes, not by people).\n\nExamples:\n  baton worker ~/.baton/abc-app/sessions/app-1", context, printsData: false)
    {
        Hidden = true;
        Arguments.Add(_directory);
        Options.Add(_reap);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var files = new SessionFiles(Context.ResolvePath(parseResult.GetValue(_directory)!));
        if (!File.Exists(files.Manifest))
        {
            throw new BatonException("session_not_found", $"{files.Manifest} does not exist", "The worker runs in a directory that 'baton spawn' prepared.");
        }

        if (parseResult.GetValue(_reap))
        {
            Reap(files, Context.Time);
            return ExitCodes.Ok;
        }

        var keyboard = Context.IsInteractive ? Context.In : null;
        return await new WorkerHost(files, Context.Out, keyboard, Context.Environment, Context.Time).RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills every process of the last run and, when the worker died without recording an end, records one.</summary>
    public static void Reap(SessionFiles files, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(files);
        var status = files.ReadStatus();
        if (status is null)
        {
            return;
        }

        var killed = status.AgentMarker is { } marker ? ProcessTable.KillMarked(marker, TimeSpan.FromSeconds(10)) : 0;
        if (status.EndedAt is not null)
        {
            return;
        }

        var now = time.GetUtcNow();
        var reason = $"the worker host ended without finishing run {status.Run}" + (killed > 0 ? $"; {killed} leftover agent process(es) were killed" : string.Empty);
        using (var log = new EventLog(files, time))
        {
            log.Append(new WorkerEvent { Ts = now, Session = status.Session, Run = status.Run, Type = WorkerEventTypes.Error, Text = reason });
            log.Append(new WorkerEvent { Ts = now, Session = status.Session, Run = status.Run, Type = WorkerEventTypes.RunFinished, Outcome = Outcomes.Failed, Reason = reason, Usage = status.Usage });
        }

        files.WriteStatus(status with { Status = SessionStatus.Exited, EndedAt = now, Outcome = Outcomes.Failed, Reason = reason, HeartbeatAt = now });
        try
        {
            File.Delete(files.SocketPath);
        }
        catch (IOException)
        {
        }
    }
}
