using Baton.Coordination;
using Baton.Core.Coordination;
using Baton.Core.Events;
using Baton.Core.Scheduling;
using Baton.Proofs;
using Baton.Sessions;
using Baton.Tracking;
using Baton.Workers;

namespace Baton.Orchestration;

/// <summary>
/// The effects of Baton's supervisor (the seeds' Witness); the decisions are the scheduler's (<see cref="Nudge"/>,
/// <see cref="CheckWorkspace"/>, <see cref="Escalate"/>). Every action is also a <c>supervisor</c> event in the
/// session's log, so the transcript, <c>baton peek</c> and the dashboard show what the supervisor did and why. Nothing
/// here throws into the orchestrator's loop: a failed effect is logged, and a failed check lets the run end as planned.
/// </summary>
public sealed class Supervisor(OrchestratorOptions options)
{
    private RunLog Log => options.Log;

    /// <summary>Steers a silent agent with <paramref name="message"/>.</summary>
    public async Task NudgeAsync(SessionRecord session, string message, long silentMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        await NoteAsync(session, "nudge", $"no agent activity for {silentMs / 1000} s; steering: {message}", cancellationToken).ConfigureAwait(false);
        try
        {
            var socket = session.Files.ReadStatus()?.Socket ?? session.Files.SocketPath;
            var reply = await WorkerClient.SendAsync(socket, new WorkerRequest(WorkerCommands.Steer, message), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            if (!reply.Ok)
            {
                Log.Warn("nudge refused", ("project", options.Project.Id), ("session", session.Name), ("error", reply.ErrorCode));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Warn("nudge not delivered", ("project", options.Project.Id), ("session", session.Name), ("error", ex.Message));
        }
    }

    /// <summary>What in the run's workspace is not committed; a workspace that cannot be read does not hold the run.</summary>
    public async Task<WorkspaceChecked> CheckWorkspaceAsync(CheckWorkspace check, SessionRecord? session, string? defaultBranch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        string? problems = null;
        if (session is not null)
        {
            try
            {
                var reading = await GitFactsReader.ReadAsync(session.Workspace, options.Project.Path, session.Branch, defaultBranch, cancellationToken).ConfigureAwait(false);
                var uncommitted = reading.Facts?.Uncommitted ?? [];
                problems = uncommitted.Count == 0 ? null : string.Join('\n', uncommitted.Select(u => $"- {u.Message}" + (u.Items.Count == 0 ? string.Empty : $": {string.Join(", ", u.Items.Take(10))}{(u.Count > 10 ? ", …" : string.Empty)}")));
                if (reading.Facts is null && reading.Problem is { } problem)
                {
                    Log.Warn("workspace check could not read git", ("project", options.Project.Id), ("session", session.Name), ("error", problem));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.Warn("workspace check failed", ("project", options.Project.Id), ("session", session.Name), ("error", ex.Message));
            }

            await NoteAsync(session, "workspace_check", problems is null ? "the workspace is committed and clean" : $"uncommitted work; asking the agent once to commit it or explain:\n{problems}", cancellationToken).ConfigureAwait(false);
            Log.Info("supervisor workspace check", ("project", options.Project.Id), ("task_id", check.TaskId), ("session", session.Name), ("clean", problems is null));
        }

        return new WorkspaceChecked(options.Time.GetUtcNow(), check.TaskId, check.RunId, problems);
    }

    /// <summary>Tells a person: a message to <c>human</c>, a comment on the task and a note in the last session's log.</summary>
    public async Task EscalateAsync(Escalate escalate, string? sessionName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(escalate);
        var text = SupervisorMessages.Escalation(escalate.Identifier, escalate.Attempts, escalate.Error, sessionName);
        if (options.Tracker is ITaskWriter writer)
        {
            try
            {
                await writer.CommentAsync(escalate.TaskId, text, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.Warn("escalation comment failed", ("project", options.Project.Id), ("task_id", escalate.TaskId), ("error", ex.Message));
            }
        }

        try
        {
            var mail = new MailService(options.Store, options.Sessions, options.BatonHome, options.Time);
            await mail.SendAsync(
                new MailDraft
                {
                    Sender = "orchestrator",
                    SenderProject = options.Project.InstanceId,
                    To = MailAddress.Human,
                    Subject = $"{escalate.Identifier} keeps failing ({escalate.Attempts} attempts)",
                    Body = text,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.Warn("escalation message failed", ("project", options.Project.Id), ("task_id", escalate.TaskId), ("error", ex.Message));
        }

        var session = sessionName is null ? null : options.Store.Read(db => SessionRows.FindByName(db, sessionName)).FirstOrDefault(s => s.Project == options.Project.InstanceId);
        if (session is not null)
        {
            await NoteAsync(session, "escalation", text, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A <c>supervisor</c> event in the session's log: through the worker when it runs, else appended directly.</summary>
    private async Task NoteAsync(SessionRecord session, string action, string text, CancellationToken cancellationToken)
    {
        try
        {
            var status = session.Files.ReadStatus();
            if (status is { EndedAt: null, Socket: { } socket } && options.Sessions.Observe(session).WorkerAlive)
            {
                // The worker owns its log while it runs: never write beside it.
                var reply = await WorkerClient.SendAsync(socket, new WorkerRequest(WorkerCommands.Note, text, action), TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                if (!reply.Ok)
                {
                    Log.Warn("supervisor note refused", ("project", options.Project.Id), ("session", session.Name), ("action", action), ("error", reply.ErrorCode));
                }

                return;
            }

            // No worker writes this log any more, so appending here cannot interleave with it.
            using var log = new EventLog(session.Files, options.Time);
            log.Append(new WorkerEvent { Ts = options.Time.GetUtcNow(), Session = session.Name, Run = status?.Run ?? 1, Type = WorkerEventTypes.Supervisor, Text = text, Reason = action });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.Warn("supervisor note not recorded", ("project", options.Project.Id), ("session", session.Name), ("action", action), ("error", ex.Message));
        }
    }
}
