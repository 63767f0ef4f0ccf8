using Baton.Core.Errors;
using Baton.Core.Tasks;
using Baton.Storage;

namespace Baton.Tracking.Local;

/// <summary>
/// Reads tasks with their labels, blockers and (optionally) comments in a fixed number of queries, whatever
/// the number of tasks: one for the tasks, one for all their blockers, one for all their comments.
/// </summary>
internal static class TaskRows
{
    private const string Columns =
        "t.id, t.project, t.identifier, t.title, t.description, t.priority, t.state, t.branch_name, t.url, t.assignee, t.labels, t.created_at, t.updated_at";

    /// <param name="where">A condition on the alias <c>t</c> with positional parameters; never user text.</param>
    public static List<TaskRecord> Load(SqliteDb db, string where, IReadOnlyList<object?> parameters, bool withComments)
    {
        var tasks = new List<TaskRecord>();
        using (var statement = db.Prepare($"SELECT {Columns} FROM tasks t WHERE {where} ORDER BY t.project, t.number, t.identifier"))
        {
            statement.BindAll(parameters);
            while (statement.Step())
            {
                tasks.Add(new TaskRecord
                {
                    Id = statement.GetString(0),
                    Project = statement.GetString(1),
                    Identifier = statement.GetString(2),
                    Title = statement.GetString(3),
                    Description = statement.GetText(4),
                    Priority = (int?)statement.GetNullableInt64(5),
                    State = statement.GetString(6),
                    BranchName = statement.GetText(7),
                    Url = statement.GetText(8),
                    Assignee = statement.GetText(9),
                    Labels = StorageJson.ParseLabels(statement.GetText(10)),
                    CreatedAt = StoreTime.Parse(statement.GetString(11)),
                    UpdatedAt = StoreTime.Parse(statement.GetString(12)),
                });
            }
        }

        if (tasks.Count == 0)
        {
            return tasks;
        }

        var blockers = new Dictionary<string, List<TaskBlocker>>(StringComparer.Ordinal);
        using (var statement = db.Prepare(
            $"""
            SELECT tb.task_id, b.id, b.identifier, b.state
            FROM task_blockers tb JOIN tasks b ON b.id = tb.blocker_id
            WHERE tb.task_id IN (SELECT t.id FROM tasks t WHERE {where})
            ORDER BY tb.task_id, b.number
            """))
        {
            statement.BindAll(parameters);
            while (statement.Step())
            {
                Add(blockers, statement.GetString(0), new TaskBlocker(statement.GetString(1), statement.GetString(2), statement.GetString(3)));
            }
        }

        var comments = new Dictionary<string, List<TaskComment>>(StringComparer.Ordinal);
        if (withComments)
        {
            using var statement = db.Prepare(
                $"""
                SELECT c.task_id, c.id, c.author, c.body, c.created_at
                FROM task_comments c
                WHERE c.task_id IN (SELECT t.id FROM tasks t WHERE {where})
                ORDER BY c.task_id, c.created_at, c.rowid
                """);
            statement.BindAll(parameters);
            while (statement.Step())
            {
                Add(comments, statement.GetString(0), new TaskComment(statement.GetString(1), statement.GetString(2), statement.GetString(3), StoreTime.Parse(statement.GetString(4))));
            }
        }

        if (blockers.Count == 0 && comments.Count == 0)
        {
            return tasks;
        }

        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            var hasBlockers = blockers.TryGetValue(task.Id, out var taskBlockers);
            var hasComments = comments.TryGetValue(task.Id, out var taskComments);
            if (hasBlockers || hasComments)
            {
                tasks[i] = task with { BlockedBy = taskBlockers ?? [], Comments = taskComments ?? [] };
            }
        }

        return tasks;
    }

    /// <summary>Finds one task of a project by id or identifier.</summary>
    public static TaskRecord? Find(SqliteDb db, string project, TaskKey key, bool withComments) =>
        key.Id is not null
            ? Load(db, "t.project = ?1 AND t.id = ?2", [project, key.Id], withComments).FirstOrDefault()
            : Load(db, "t.project = ?1 AND t.identifier = ?2", [project, key.Identifier], withComments).FirstOrDefault();

    public static TaskRecord Require(SqliteDb db, string project, TaskKey key, bool withComments) =>
        Find(db, project, key, withComments) ?? throw NotFound(key.Text);

    /// <summary>The (id, project) of every task with this key, in any project.</summary>
    public static List<(string Id, string Identifier, string Project)> Owners(SqliteDb db, TaskKey key)
    {
        using var statement = db.Prepare(key.Id is not null
            ? "SELECT id, identifier, project FROM tasks WHERE id = ?1"
            : "SELECT id, identifier, project FROM tasks WHERE identifier = ?1");
        statement.Bind(1, key.Id ?? key.Identifier);
        var owners = new List<(string, string, string)>();
        while (statement.Step())
        {
            owners.Add((statement.GetString(0), statement.GetString(1), statement.GetString(2)));
        }

        return owners;
    }

    /// <summary>Every blocked-by edge in the database (task id → blocker ids), for cycle checks.</summary>
    public static Dictionary<string, IReadOnlyList<string>> BlockerGraph(SqliteDb db)
    {
        var edges = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        using var statement = db.Prepare("SELECT task_id, blocker_id FROM task_blockers");
        while (statement.Step())
        {
            Add(edges, statement.GetString(0), statement.GetString(1));
        }

        return edges.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }

    public static Dictionary<string, string> Identifiers(SqliteDb db, IEnumerable<string> ids)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        using var statement = db.Prepare("SELECT identifier FROM tasks WHERE id = ?1");
        foreach (var id in ids.Distinct())
        {
            statement.Reset();
            statement.Bind(1, id);
            if (statement.Step())
            {
                result[id] = statement.GetString(0);
            }
        }

        return result;
    }

    public static BatonException NotFound(string key) => new(
        ErrorCodes.TaskNotFound,
        $"no task {key}",
        "See 'baton task list --all' for the tasks of the project (or set BATON_PROJECT / pass the project).");

    private static void Add<T>(Dictionary<string, List<T>> map, string key, T value)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        list.Add(value);
    }
}
