using Baton.Core.Configuration;

namespace Baton.Storage;

/// <summary>
/// The <c>projects</c> table: a copy of each project of every config this BATON_HOME has seen. It lets a
/// process with no baton.yaml in reach (an agent in a worktree, given only BATON_PROJECT) resolve the project.
/// </summary>
public static class ProjectRows
{
    private const string Columns = "instance_id, project_id, name, path, session_prefix, states, config_path";

    /// <summary>
    /// Brings the rows of <paramref name="projects"/> up to date. Takes the write lock only when something
    /// differs, so read-only commands stay read-only in the common case. Never touches next_task_number.
    /// </summary>
    public static void Sync(StateStore store, IReadOnlyList<Project> projects, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(projects);
        if (projects.Count == 0)
        {
            return;
        }

        var stale = store.Read(db => projects.Where(p => !IsCurrent(db, p)).ToList());
        if (stale.Count == 0)
        {
            return;
        }

        store.Write(db =>
        {
            foreach (var project in stale)
            {
                Upsert(db, project, now);
            }
        });
    }

    public static void Upsert(SqliteDb db, Project project, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(project);
        db.Run(
            """
            INSERT INTO projects (instance_id, project_id, name, path, session_prefix, states, config_path, next_task_number, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)
            ON CONFLICT (instance_id) DO UPDATE SET
                project_id = excluded.project_id, name = excluded.name, path = excluded.path,
                session_prefix = excluded.session_prefix, states = excluded.states,
                config_path = excluded.config_path, updated_at = excluded.updated_at
            """,
            project.InstanceId, project.Id, project.Name, project.Path, project.SessionPrefix,
            StorageJson.States(project.States), project.ConfigPath, StoreTime.ToText(now));
    }

    public static Project? Find(SqliteDb db, string instanceId, string batonHome)
    {
        ArgumentNullException.ThrowIfNull(db);
        using var statement = db.Prepare($"SELECT {Columns} FROM projects WHERE instance_id = ?1");
        statement.Bind(1, instanceId);
        return statement.Step() ? ReadProject(statement, batonHome) : null;
    }

    /// <summary>Every project this BATON_HOME has seen, by instance id.</summary>
    public static IReadOnlyList<Project> All(SqliteDb db, string batonHome)
    {
        ArgumentNullException.ThrowIfNull(db);
        using var statement = db.Prepare($"SELECT {Columns} FROM projects ORDER BY instance_id");
        var found = new List<Project>();
        while (statement.Step())
        {
            found.Add(ReadProject(statement, batonHome));
        }

        return found;
    }

    /// <summary>Projects whose id or session prefix is <paramref name="value"/> (case-insensitive); may be several across configs.</summary>
    public static IReadOnlyList<Project> FindByIdOrPrefix(SqliteDb db, string value, string batonHome)
    {
        ArgumentNullException.ThrowIfNull(db);
        using var statement = db.Prepare(
            $"SELECT {Columns} FROM projects WHERE instance_id = ?1 OR lower(project_id) = lower(?1) OR session_prefix = lower(?1) ORDER BY instance_id");
        statement.Bind(1, value);
        var found = new List<Project>();
        while (statement.Step())
        {
            found.Add(ReadProject(statement, batonHome));
        }

        return found;
    }

    private static bool IsCurrent(SqliteDb db, Project project)
    {
        var row = Find(db, project.InstanceId, string.Empty);
        return row is not null
            && row.Id == project.Id
            && row.Name == project.Name
            && row.Path == project.Path
            && row.SessionPrefix == project.SessionPrefix
            && row.ConfigPath == project.ConfigPath
            && StorageJson.States(row.States) == StorageJson.States(project.States);
    }

    private static Project ReadProject(SqliteStatement row, string batonHome)
    {
        var instanceId = row.GetString(0);
        var dash = instanceId.IndexOf('-', StringComparison.Ordinal);
        return new Project
        {
            InstanceId = instanceId,
            Id = row.GetString(1),
            Name = row.GetString(2),
            Path = row.GetString(3),
            SessionPrefix = row.GetString(4),
            States = StorageJson.ParseStates(row.GetString(5)),
            ConfigPath = row.GetString(6),
            ConfigHash = dash > 0 ? instanceId[..dash] : instanceId,
            InstanceDirectory = System.IO.Path.Combine(batonHome, instanceId),
        };
    }
}
