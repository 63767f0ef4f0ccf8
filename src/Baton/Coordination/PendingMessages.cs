using Baton.Core.Coordination;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Orchestration;
using Baton.Sessions;
using Baton.Storage;

namespace Baton.Coordination;

/// <summary>
/// Messages that wait for a task's next run: a new session of the task takes them into its prompt (hand-off notes
/// first), and gives them back if it never starts, so none is lost.
/// </summary>
public static class PendingMessages
{
    /// <summary>Claims for <paramref name="session"/> what waits for its task; nothing for a session without a task.</summary>
    public static IReadOnlyList<MailMessage> Claim(StateStore store, SessionRecord session, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(session);
        return session.TaskId is not { } taskId
            ? []
            : store.Write(db => MessageRows.ClaimPendingForTask(db, session.Project, taskId, session.Name, now));
    }

    /// <summary>Gives back what <see cref="Claim"/> took, for a session whose run never started.</summary>
    public static void Release(StateStore store, SessionRecord session, IReadOnlyList<MailMessage> claimed)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(claimed);
        if (claimed.Count > 0)
        {
            store.Write(db => MessageRows.ReleaseClaim(db, session.Project, session.Name, [.. claimed.Select(m => m.Id)]));
        }
    }
}

/// <summary>Messages to <c>orchestrator</c>: a running <c>baton run</c> logs them on its tick, each once.</summary>
public static class OrchestratorMail
{
    /// <summary>Logs the messages this project's orchestrator has not seen yet. Never throws: a failure is logged and retried next tick.</summary>
    public static int LogNew(StateStore store, Project project, RunLog log, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(log);
        IReadOnlyList<MailMessage> claimed;
        try
        {
            claimed = store.Read(db => MessageRows.AnyForOrchestrator(db, project.InstanceId))
                ? store.Write(db => MessageRows.ClaimForOrchestrator(db, project.InstanceId, now))
                : [];
        }
        catch (BatonException error)
        {
            log.Warn("could not read the orchestrator's messages", ("project", project.Id), ("error", error.Message));
            return 0;
        }

        foreach (var message in claimed)
        {
            log.Info(
                "message for the orchestrator",
                ("project", project.Id),
                ("id", message.Id),
                ("from", message.Sender),
                ("subject", MessageText.Preview(message.Subject, MessageRules.MaxSubjectChars)),
                ("body", MessageText.Preview(message.Body, 500)));
        }

        return claimed.Count;
    }
}
