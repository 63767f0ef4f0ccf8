using Baton.Core.Coordination;
using Baton.Storage;

namespace Baton.Coordination;

/// <summary>
/// Message rows. Every change of state is compare-and-set (<c>… WHERE delivered_at IS NULL</c>, <c>… WHERE read_at IS
/// NULL</c>) inside the caller's write transaction, so two processes never deliver or claim the same message twice.
/// </summary>
public static class MessageRows
{
    private const string Columns = "id, kind, sender, sender_project, recipient, recipient_project, task_id, via, subject, body, urgent, created_at, delivered_at, delivered_to, delivery, read_at";

    /// <summary>Stores a new message and returns it with its id.</summary>
    public static MailMessage Insert(SqliteDb db, MailMessage message)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(message);
        db.Run(
            "INSERT INTO messages (kind, sender, sender_project, recipient, recipient_project, task_id, via, subject, body, urgent, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            message.Kind, message.Sender, message.SenderProject, message.Recipient, message.RecipientProject, message.TaskId, message.Via,
            message.Subject, message.Body, message.Urgent, StoreTime.ToText(message.CreatedAt));
        var id = db.ScalarInt64("SELECT last_insert_rowid()") ?? throw new InvalidOperationException("SQLite gave no row id for the new message");
        return message with { Id = id };
    }

    public static MailMessage? Get(SqliteDb db, long id)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Query(db, $"SELECT {Columns} FROM messages WHERE id = ?1", id).FirstOrDefault();
    }

    /// <summary>
    /// A session's inbox: what was addressed to it and what it received for an earlier session of its task (hand-off
    /// notes and messages in its prompt), newest first.
    /// </summary>
    public static IReadOnlyList<MailMessage> SessionInbox(SqliteDb db, string session, string project, bool unreadOnly, int limit)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Query(
            db,
            $"SELECT {Columns} FROM messages WHERE recipient_project = ?2 AND (recipient = ?1 OR delivered_to = ?1){(unreadOnly ? " AND read_at IS NULL" : string.Empty)} ORDER BY id DESC LIMIT ?3",
            session, project, limit);
    }

    /// <summary>What a session sent (its <c>BATON_SESSION</c> was the sender), newest first.</summary>
    public static IReadOnlyList<MailMessage> SentBy(SqliteDb db, string session, string project, int limit)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Query(db, $"SELECT {Columns} FROM messages WHERE sender = ?1 AND sender_project = ?2 ORDER BY id DESC LIMIT ?3", session, project, limit);
    }

    /// <summary>The inbox of <c>human</c> or <c>orchestrator</c>, newest first.</summary>
    public static IReadOnlyList<MailMessage> NamedInbox(SqliteDb db, string recipient, bool unreadOnly, int limit)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Query(
            db,
            $"SELECT {Columns} FROM messages WHERE recipient = ?1{(unreadOnly ? " AND read_at IS NULL" : string.Empty)} ORDER BY id DESC LIMIT ?2",
            recipient, limit);
    }

    /// <summary>Records a delivery, once: false when the message was already delivered (by another process).</summary>
    public static bool MarkDelivered(SqliteDb db, long id, string? deliveredTo, string delivery, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(db);
        var now = StoreTime.ToText(at);

        // Delivered into an agent means its recipient has it in its conversation: that is reading it.
        return db.Run(
            "UPDATE messages SET delivered_at = ?2, delivered_to = ?3, delivery = ?4, read_at = COALESCE(read_at, ?2) WHERE id = ?1 AND delivered_at IS NULL",
            id, now, deliveredTo, delivery) == 1;
    }

    /// <summary>Marks a message read, once: false when it was already read.</summary>
    public static bool MarkRead(SqliteDb db, long id, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Run("UPDATE messages SET read_at = ?2 WHERE id = ?1 AND read_at IS NULL", id, StoreTime.ToText(at)) == 1;
    }

    /// <summary>
    /// Claims the messages that wait for a task's next run (addressed to an earlier session of <paramref name="taskId"/>
    /// in <paramref name="project"/>, never delivered) for <paramref name="session"/>, and returns them.
    /// </summary>
    public static IReadOnlyList<MailMessage> ClaimPendingForTask(SqliteDb db, string project, string taskId, string session, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(db);
        var pending = Query(
            db,
            $"SELECT {Columns} FROM messages WHERE task_id = ?1 AND recipient_project = ?2 AND recipient <> ?3 AND delivered_at IS NULL ORDER BY id",
            taskId, project, session);
        var claimed = new List<MailMessage>(pending.Count);
        foreach (var message in pending)
        {
            if (MarkDelivered(db, message.Id, session, Deliveries.Prompt, at))
            {
                claimed.Add(message with { DeliveredAt = at, DeliveredTo = session, Delivery = Deliveries.Prompt, ReadAt = message.ReadAt ?? at });
            }
        }

        return claimed;
    }

    /// <summary>Gives back what <see cref="ClaimPendingForTask"/> took for a session that never started: it waits for the next one.</summary>
    public static int ReleaseClaim(SqliteDb db, string project, string session, IReadOnlyCollection<long> ids)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(ids);
        var released = 0;
        foreach (var id in ids)
        {
            released += db.Run(
                "UPDATE messages SET delivered_at = NULL, delivered_to = NULL, delivery = NULL, read_at = NULL WHERE id = ?1 AND recipient_project = ?2 AND delivered_to = ?3 AND delivery = ?4",
                id, project, session, Deliveries.Prompt);
        }

        return released;
    }

    /// <summary>Whether any message to <c>orchestrator</c> waits for this project's orchestrator (a read: ticks stay off the write lock).</summary>
    public static bool AnyForOrchestrator(SqliteDb db, string project)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.ScalarInt64(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE recipient = ?1 AND delivered_at IS NULL AND (recipient_project IS NULL OR recipient_project = ?2))",
            MailAddress.OrchestratorName, project) == 1;
    }

    /// <summary>Claims the messages to <c>orchestrator</c> that this project's orchestrator should log (its own, and those of no project).</summary>
    public static IReadOnlyList<MailMessage> ClaimForOrchestrator(SqliteDb db, string project, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(db);
        var pending = Query(
            db,
            $"SELECT {Columns} FROM messages WHERE recipient = ?1 AND delivered_at IS NULL AND (recipient_project IS NULL OR recipient_project = ?2) ORDER BY id",
            MailAddress.OrchestratorName, project);
        return [.. pending.Where(m => MarkDelivered(db, m.Id, null, Deliveries.Log, at)).Select(m => m with { DeliveredAt = at, Delivery = Deliveries.Log })];
    }

    private static List<MailMessage> Query(SqliteDb db, string sql, params object?[] parameters)
    {
        using var statement = db.Prepare(sql);
        statement.BindAll(parameters);
        var rows = new List<MailMessage>();
        while (statement.Step())
        {
            rows.Add(new MailMessage
            {
                Id = statement.GetInt64(0),
                Kind = statement.GetString(1),
                Sender = statement.GetString(2),
                SenderProject = statement.GetText(3),
                Recipient = statement.GetString(4),
                RecipientProject = statement.GetText(5),
                TaskId = statement.GetText(6),
                Via = statement.GetText(7),
                Subject = statement.GetString(8),
                Body = statement.GetString(9),
                Urgent = statement.GetInt64(10) != 0,
                CreatedAt = StoreTime.Parse(statement.GetString(11)),
                DeliveredAt = statement.GetText(12) is { } delivered ? StoreTime.Parse(delivered) : null,
                DeliveredTo = statement.GetText(13),
                Delivery = statement.GetText(14),
                ReadAt = statement.GetText(15) is { } read ? StoreTime.Parse(read) : null,
            });
        }

        return rows;
    }
}
