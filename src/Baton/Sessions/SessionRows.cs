using Baton.Core.Configuration;
using Baton.Core.Sessions;
using Baton.Storage;

namespace Baton.Sessions;

/// <summary>A session as the state store keeps it.</summary>
public sealed record SessionRecord
{
    public required string Project { get; init; }

    public required long Number { get; init; }

    public required string Name { get; init; }

    public required string RuntimeName { get; init; }

    public required string Runtime { get; init; }

    public required string Agent { get; init; }

    public string? Model { get; init; }

    public string? TaskId { get; init; }

    public string? TaskIdentifier { get; init; }

    public required string Workspace { get; init; }

    public string? Branch { get; init; }

    public required string Directory { get; init; }

    public string? Purpose { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? ArchivedAt { get; init; }

    public SessionFiles Files => new(Directory);
}

/// <summary>Session rows: names allocated without duplicates under concurrency (one BEGIN IMMEDIATE), lookups, purpose, archive.</summary>
public static class SessionRows
{
    private const string Columns = "project, number, name, runtime_name, runtime, agent, model, task_id, task_identifier, workspace, branch, directory, purpose, created_at, archived_at";

    /// <summary>
    /// Takes the project's next session number, skipping any whose name is in <paramref name="taken"/> (a tmux session
    /// or directory left from elsewhere), and inserts the session built by <paramref name="build"/> for that name.
    /// </summary>
    public static SessionRecord Allocate(StateStore store, Project project, ISet<string> taken, Func<long, string, string, SessionRecord> build)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(taken);
        ArgumentNullException.ThrowIfNull(build);
        return store.Write(db =>
        {
            ProjectRows.Upsert(db, project, DateTimeOffset.UtcNow);
            var number = db.ScalarInt64("SELECT next_session_number FROM projects WHERE instance_id = ?1", project.InstanceId) ?? 1;
            while (true)
            {
                var name = SessionNames.Name(project.SessionPrefix, number);
                var runtimeName = SessionNames.RuntimeName(project.ConfigHash, project.SessionPrefix, number);
                var used = db.ScalarInt64("SELECT COUNT(*) FROM sessions WHERE project = ?1 AND number = ?2", project.InstanceId, number) > 0;
                if (!used && !taken.Contains(name) && !taken.Contains(runtimeName))
                {
                    var record = build(number, name, runtimeName);
                    db.Run(
                        $"INSERT INTO sessions ({Columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                        record.Project, record.Number, record.Name, record.RuntimeName, record.Runtime, record.Agent, record.Model,
                        record.TaskId, record.TaskIdentifier, record.Workspace, record.Branch, record.Directory, record.Purpose,
                        StoreTime.ToText(record.CreatedAt), null);
                    db.Run("UPDATE projects SET next_session_number = ?2 WHERE instance_id = ?1", project.InstanceId, number + 1);
                    return record;
                }

                number++;
            }
        });
    }

    public static IReadOnlyList<SessionRecord> FindByName(SqliteDb db, string name)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Query(db, $"SELECT {Columns} FROM sessions WHERE name = ?1 ORDER BY created_at DESC", name.Trim().ToLowerInvariant());
    }

    public static IReadOnlyList<SessionRecord> ForTask(SqliteDb db, string taskId)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Query(db, $"SELECT {Columns} FROM sessions WHERE task_id = ?1 ORDER BY number", taskId);
    }

    public static IReadOnlyList<SessionRecord> List(SqliteDb db, IReadOnlyCollection<string>? projects, bool includeArchived)
    {
        ArgumentNullException.ThrowIfNull(db);
        var rows = Query(db, $"SELECT {Columns} FROM sessions ORDER BY project, number");
        return rows.Where(r => (projects is null || projects.Contains(r.Project)) && (includeArchived || r.ArchivedAt is null)).ToList();
    }

    public static void SetPurpose(StateStore store, SessionRecord session, string? purpose)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(session);
        store.Write(db => db.Run("UPDATE sessions SET purpose = ?3 WHERE project = ?1 AND number = ?2", session.Project, session.Number, purpose));
    }

    public static void Archive(StateStore store, SessionRecord session, string directory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(session);
        store.Write(db => db.Run(
            "UPDATE sessions SET archived_at = ?3, directory = ?4 WHERE project = ?1 AND number = ?2",
            session.Project, session.Number, StoreTime.ToText(now), directory));
    }

    private static List<SessionRecord> Query(SqliteDb db, string sql, params object?[] parameters)
    {
        using var statement = db.Prepare(sql);
        statement.BindAll(parameters);
        var rows = new List<SessionRecord>();
        while (statement.Step())
        {
            rows.Add(new SessionRecord
            {
                Project = statement.GetString(0),
                Number = statement.GetInt64(1),
                Name = statement.GetString(2),
                RuntimeName = statement.GetString(3),
                Runtime = statement.GetString(4),
                Agent = statement.GetString(5),
                Model = statement.GetText(6),
                TaskId = statement.GetText(7),
                TaskIdentifier = statement.GetText(8),
                Workspace = statement.GetString(9),
                Branch = statement.GetText(10),
                Directory = statement.GetString(11),
                Purpose = statement.GetText(12),
                CreatedAt = StoreTime.Parse(statement.GetString(13)),
                ArchivedAt = statement.GetText(14) is { } archived ? StoreTime.Parse(archived) : null,
            });
        }

        return rows;
    }
}
