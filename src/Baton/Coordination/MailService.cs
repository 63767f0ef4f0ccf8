using Baton.Core.Coordination;
using Baton.Core.Errors;
using Baton.Sessions;
using Baton.Storage;
using Baton.Workers;

namespace Baton.Coordination;

/// <summary>A message to send: who from, to which address, what it says.</summary>
public sealed record MailDraft
{
    /// <summary>A session name (the sender's BATON_SESSION) or <c>human</c>.</summary>
    public required string Sender { get; init; }

    /// <summary>The sending session's project (BATON_PROJECT).</summary>
    public string? SenderProject { get; init; }

    public required MailAddress To { get; init; }

    public required string Subject { get; init; }

    public required string Body { get; init; }

    public bool Urgent { get; init; }

    /// <summary>Projects (instance ids) whose sessions win when a session name exists in several (the config's projects).</summary>
    public IReadOnlyCollection<string> PreferredProjects { get; init; } = [];
}

/// <summary>What became of one stored message.</summary>
/// <param name="State"><c>delivered</c> (into a live agent), <c>waiting</c> (for the task's next run) or <c>inbox</c> (human, orchestrator).</param>
/// <param name="Delivery">steer or follow_up when delivered.</param>
/// <param name="Note">In plain words, for people.</param>
public sealed record MailSent(long Id, string To, string? Via, string State, string? Delivery, string? DeliveredTo, string Note);

/// <summary>What <c>baton handoff</c> did.</summary>
/// <param name="Stopping">Whether the session's worker agreed to end the run (after the current turn).</param>
public sealed record HandoffResult(long Id, string Session, string? Task, bool Stopping, string Note);

/// <summary>
/// Sends messages: stores them (one row per recipient) and delivers each at once into a live agent through its worker's
/// socket — a follow-up, or steering with <c>--urgent</c>. A message whose session has no live run waits for the next
/// run of the session's task (a later session), which gets it in its prompt (<see cref="PendingMessages"/>).
/// </summary>
public sealed class MailService(StateStore store, SessionService sessions, string batonHome, TimeProvider time)
{
    public const string Delivered = "delivered";
    public const string Waiting = "waiting";
    public const string Inbox = "inbox";

    /// <summary>How long a delivery waits for an agent that is still starting before the message waits for the next run.</summary>
    private static readonly TimeSpan s_notReadyWait = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<MailSent>> SendAsync(MailDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        MessageRules.Validate(draft.Subject, draft.Body);
        var now = time.GetUtcNow();
        var template = new MailMessage
        {
            Sender = draft.Sender,
            SenderProject = draft.SenderProject,
            Recipient = draft.To.Value,
            Subject = draft.Subject,
            Body = draft.Body,
            Urgent = draft.Urgent,
            CreatedAt = now,
        };

        switch (draft.To.Kind)
        {
            case MailAddressKind.Human:
                return [Store(template with { RecipientProject = draft.SenderProject }, "in the human inbox: 'baton mail inbox' lists it")];
            case MailAddressKind.Orchestrator:
                return [Store(template with { RecipientProject = draft.SenderProject }, "a running 'baton run' logs it on its next tick")];
            case MailAddressKind.Session:
                var session = FindSession(draft.To.Value, draft);
                var stored = store.Write(db => MessageRows.Insert(db, template with { Recipient = session.Name, RecipientProject = session.Project, TaskId = session.TaskId }));
                return [await DeliverAsync(stored, session, cancellationToken).ConfigureAwait(false)];
            default:
                var live = LiveSessionsOf(draft.To.Value, draft);
                var rows = store.Write(db => live
                    .Select(s => MessageRows.Insert(db, template with { Recipient = s.Name, RecipientProject = s.Project, TaskId = s.TaskId, Via = draft.To.ToString() }))
                    .ToList());
                return await Task.WhenAll(rows.Zip(live).Select(pair => DeliverAsync(pair.First, pair.Second, cancellationToken))).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes <paramref name="session"/>'s hand-off note (a message to itself, for its task's next run) and asks its worker
    /// to end the run after the current turn.
    /// </summary>
    public async Task<HandoffResult> HandOffAsync(SessionRecord session, string note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        MessageRules.ValidateBody(note, "hand-off note", ErrorCodes.HandoffNoteMissing, "Write what the next run needs: baton handoff -m \"Done: … Left: … Watch out: …\".");
        var message = store.Write(db => MessageRows.Insert(db, new MailMessage
        {
            Kind = MessageKinds.Handoff,
            Sender = session.Name,
            SenderProject = session.Project,
            Recipient = session.Name,
            RecipientProject = session.Project,
            TaskId = session.TaskId,
            Subject = $"Hand-off from {session.Name}",
            Body = note,
            CreatedAt = time.GetUtcNow(),
        }));

        var forTask = session.TaskIdentifier is { } task ? $"the next run of {task} starts with it" : "this session has no task, so no next run will read it ('baton mail read' shows it)";
        var state = sessions.Observe(session);
        if (!state.WorkerAlive || state.Reported?.Socket is not { } socket)
        {
            return new HandoffResult(message.Id, session.Name, session.TaskIdentifier, false, $"note #{message.Id} saved; {session.Name} has no live run to end; {forTask}");
        }

        var reply = await WorkerClient.SendAsync(socket, new WorkerRequest(WorkerCommands.Handoff, message.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
        if (!reply.Ok)
        {
            throw new BatonException(
                reply.ErrorCode ?? WorkerClient.Unreachable,
                $"note #{message.Id} is saved, but the worker of {session.Name} did not agree to end the run: {reply.Message}",
                $"The note waits for the task's next run; end this one with 'baton kill {session.Name}'.");
        }

        return new HandoffResult(message.Id, session.Name, session.TaskIdentifier, true, $"note #{message.Id} saved; this run ends after the current turn, and {forTask}");
    }

    private MailSent Store(MailMessage message, string note)
    {
        var stored = store.Write(db => MessageRows.Insert(db, message));
        return new MailSent(stored.Id, stored.Recipient, null, Inbox, null, null, note);
    }

    /// <summary>
    /// Delivers into the recipient's live run or, when it has ended, into a live later session of its task (the task's
    /// next run, already started); otherwise the message waits for the next run.
    /// </summary>
    private async Task<MailSent> DeliverAsync(MailMessage message, SessionRecord recipient, CancellationToken cancellationToken)
    {
        var target = LiveTarget(recipient);
        if (target is null)
        {
            var waits = recipient.TaskIdentifier is { } task
                ? $"{recipient.Name} has no live run: the message waits for the next run of {task}"
                : $"{recipient.Name} has no live run and no task: the message stays in its inbox";
            return new MailSent(message.Id, message.Recipient, message.Via, Waiting, null, null, waits);
        }

        var (session, socket) = target.Value;
        var command = message.Urgent ? WorkerCommands.Send : WorkerCommands.FollowUp;
        var request = new WorkerRequest(command, MessageText.ForAgent(message));
        var deadline = time.GetUtcNow() + s_notReadyWait;
        WorkerReply reply;
        while (true)
        {
            reply = await WorkerClient.SendAsync(socket, request, TimeSpan.FromSeconds(25), cancellationToken).ConfigureAwait(false);
            if (reply.Ok || reply.ErrorCode != SessionNotReady || time.GetUtcNow() > deadline)
            {
                break;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        if (!reply.Ok)
        {
            return new MailSent(message.Id, message.Recipient, message.Via, Waiting, null, null, $"{session.Name} did not take it ({reply.ErrorCode}: {reply.Message}): it waits for the next run");
        }

        var delivery = reply.Message == WorkerCommands.Steer ? Deliveries.Steer : Deliveries.FollowUp;
        var at = time.GetUtcNow();
        store.Write(db => MessageRows.MarkDelivered(db, message.Id, session.Name, delivery, at));
        var how = delivery == Deliveries.Steer ? "as steering (before its next model call)" : "as a follow-up";
        var where = session.Name == recipient.Name ? session.Name : $"{session.Name} (the run after {recipient.Name})";
        return new MailSent(message.Id, message.Recipient, message.Via, Delivered, delivery, session.Name, $"delivered to {where} {how}");
    }

    private const string SessionNotReady = "session_not_ready";

    private (SessionRecord Session, string Socket)? LiveTarget(SessionRecord recipient)
    {
        if (Live(recipient) is { } socket)
        {
            return (recipient, socket);
        }

        if (recipient.TaskId is not { } taskId)
        {
            return null;
        }

        var later = store.Read(db => SessionRows.ForTask(db, taskId))
            .Where(s => s.Project == recipient.Project && s.Number > recipient.Number && s.ArchivedAt is null)
            .OrderByDescending(s => s.Number);
        foreach (var candidate in later)
        {
            if (Live(candidate) is { } laterSocket)
            {
                return (candidate, laterSocket);
            }
        }

        return null;
    }

    private string? Live(SessionRecord session)
    {
        var state = sessions.Observe(session);
        return state.WorkerAlive && state.Reported is { EndedAt: null, Socket: { } socket } ? socket : null;
    }

    private SessionRecord FindSession(string name, MailDraft draft) => FindSession(name, draft.SenderProject, draft.PreferredProjects);

    /// <summary>
    /// The session named <paramref name="name"/>: in the caller's project first, then in <paramref name="preferred"/>
    /// projects, then a live one; <c>unknown_address</c> when there is none.
    /// </summary>
    public SessionRecord FindSession(string name, string? callerProject, IReadOnlyCollection<string> preferred)
    {
        ArgumentNullException.ThrowIfNull(preferred);
        var candidates = store.Read(db => SessionRows.FindByName(db, name));
        return candidates.FirstOrDefault(s => s.Project == callerProject)
            ?? candidates.FirstOrDefault(s => preferred.Contains(s.Project))
            ?? candidates.FirstOrDefault(s => s.ArchivedAt is null)
            ?? candidates.FirstOrDefault()
            ?? throw new BatonException(
                ErrorCodes.UnknownAddress,
                $"no session '{name}'",
                $"'baton list --all' shows the sessions; other addresses: human, orchestrator, project:<id>.");
    }

    private List<SessionRecord> LiveSessionsOf(string projectId, MailDraft draft)
    {
        var projects = store.Read(db => ProjectRows.FindByIdOrPrefix(db, projectId, batonHome));
        var project = projects.FirstOrDefault(p => p.InstanceId == draft.SenderProject)
            ?? projects.FirstOrDefault(p => draft.PreferredProjects.Contains(p.InstanceId))
            ?? projects.FirstOrDefault()
            ?? throw new BatonException(
                ErrorCodes.UnknownAddress,
                $"no project '{MessageText.TerminalSafe(projectId, multiline: false)}'",
                "'baton project list' shows the projects; address one as project:<id>.");
        var live = store.Read(db => SessionRows.List(db, [project.InstanceId], includeArchived: false))
            .Where(s => !(s.Name == draft.Sender && s.Project == draft.SenderProject) && Live(s) is not null)
            .ToList();
        if (live.Count == 0)
        {
            throw new BatonException(
                ErrorCodes.NoLiveSessions,
                $"project {project.Id} has no live session to receive the message; nothing was sent",
                $"'baton list {project.Id}' shows its sessions; address one session (it gets the message on its task's next run) or human.");
        }

        return live;
    }
}
