using System.Security.Cryptography;
using System.Text.Json;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Tasks;
using Baton.Storage;

namespace Baton.Tracking.Local;

/// <summary>
/// The tracker that lives in Baton's own state database: one project's tasks, with identifiers
/// <c>PREFIX-n</c> allocated from <c>projects.next_task_number</c> in the same transaction as the insert, so
/// concurrent writers never produce a gap or a duplicate.
/// </summary>
public sealed class LocalTracker : ITracker, ITaskWriter
{
    private readonly StateStore _store;
    private readonly TimeProvider _time;

    public LocalTracker(StateStore store, Project project, TimeProvider time)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        Project = project ?? throw new ArgumentNullException(nameof(project));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    public Project Project { get; }

    private TaskStates States => Project.States;

    public Task<IReadOnlyList<TaskRecord>> FetchByStatesAsync(IReadOnlyCollection<string> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        IReadOnlyList<TaskRecord> found = states.Count == 0
            ? []
            : _store.Read(db => TaskRows.Load(db, "t.project = ?1 AND lower(t.state) IN (SELECT lower(value) FROM json_each(?2))", [Project.InstanceId, JsonArray(states.Select(TaskStates.Normalize))], withComments: false));
        return Task.FromResult(found);
    }

    public Task<IReadOnlyList<TaskRecord>> FetchByIdsAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        IReadOnlyList<TaskRecord> found = ids.Count == 0
            ? []
            : _store.Read(db => TaskRows.Load(db, "t.project = ?1 AND t.id IN (SELECT value FROM json_each(?2))", [Project.InstanceId, JsonArray(ids)], withComments: false));
        return Task.FromResult(found);
    }

    /// <summary>Tasks in identifier order; terminal ones only when asked for.</summary>
    public IReadOnlyList<TaskRecord> List(TaskQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var states = query.States.Select(RequireState).Distinct().ToList();
        var tasks = _store.Read(db => states.Count > 0
            ? TaskRows.Load(db, "t.project = ?1 AND lower(t.state) IN (SELECT lower(value) FROM json_each(?2))", [Project.InstanceId, JsonArray(states.Select(TaskStates.Normalize))], withComments: false)
            : query.IncludeTerminal
                ? TaskRows.Load(db, "t.project = ?1", [Project.InstanceId], withComments: false)
                : TaskRows.Load(db, "t.project = ?1 AND lower(t.state) NOT IN (SELECT lower(value) FROM json_each(?2))", [Project.InstanceId, JsonArray(States.Terminal.Select(TaskStates.Normalize))], withComments: false));

        var labels = TaskRules.NormalizeLabels(query.Labels);
        IEnumerable<TaskRecord> result = tasks;
        if (labels.Count > 0)
        {
            result = result.Where(t => labels.All(t.Labels.Contains));
        }

        if (query.ReadyOnly)
        {
            result = result.Where(t => TaskRules.IsReady(t, States));
        }

        return result as IReadOnlyList<TaskRecord> ?? [.. result];
    }

    /// <summary>Active tasks not blocked by an unfinished task, in Symphony's dispatch order.</summary>
    public IReadOnlyList<TaskRecord> Ready() => [.. List(new TaskQuery { ReadyOnly = true }).Order(TaskOrdering.Instance)];

    public TaskRecord Get(string idOrIdentifier)
    {
        var key = TaskKey.Parse(idOrIdentifier);
        return _store.Read(db => TaskRows.Require(db, Project.InstanceId, key, withComments: true));
    }

    public TaskRecord Add(NewTask task)
    {
        using var wake = new WakeOnExit(Project);
        ArgumentNullException.ThrowIfNull(task);
        var title = RequireTitle(task.Title);
        var priority = TaskRules.ValidatePriority(task.Priority);
        var state = task.State is null ? States.Initial : RequireState(task.State);
        var labels = TaskRules.NormalizeLabels(task.Labels);
        var blockerKeys = task.BlockedBy.Select(TaskKey.Parse).ToList();
        var now = StoreTime.ToText(_time.GetUtcNow());

        return _store.Write(db =>
        {
            var number = db.ScalarInt64("SELECT next_task_number FROM projects WHERE instance_id = ?1", Project.InstanceId)
                ?? throw new BatonException(ErrorCodes.ProjectNotFound, $"project '{Project.Id}' is not in the state database", "Run the command from a directory with its baton.yaml once, so Baton records the project.");
            var blockers = blockerKeys.Select(k => ResolveBlocker(db, k)).DistinctBy(b => b.Id).ToList();

            // An imported task may already hold PREFIX-n: skip past it rather than fail.
            string identifier;
            while (true)
            {
                identifier = TaskIdentifier.Format(Project.SessionPrefix, number);
                if (db.ScalarInt64("SELECT 1 FROM tasks WHERE project = ?1 AND identifier = ?2", Project.InstanceId, identifier) is null)
                {
                    break;
                }

                number++;
            }

            var id = NewId();
            db.Run(
                """
                INSERT INTO tasks (id, project, number, identifier, title, description, priority, state, branch_name, url, assignee, labels, created_at, updated_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
                """,
                id, Project.InstanceId, number, identifier, title, Blank(task.Description), priority, state,
                Blank(task.BranchName), Blank(task.Url), Blank(task.Assignee), StorageJson.Labels(labels), now);
            foreach (var blocker in blockers)
            {
                db.Run("INSERT INTO task_blockers (task_id, blocker_id) VALUES (?1, ?2)", id, blocker.Id);
            }

            db.Run("UPDATE projects SET next_task_number = ?2 WHERE instance_id = ?1", Project.InstanceId, number + 1);
            return TaskRows.Require(db, Project.InstanceId, new TaskKey(id, null), withComments: true);
        });
    }

    public TaskRecord Update(string idOrIdentifier, TaskChanges changes)
    {
        using var wake = new WakeOnExit(Project);
        ArgumentNullException.ThrowIfNull(changes);
        var key = TaskKey.Parse(idOrIdentifier);
        var title = changes.Title is null ? null : RequireTitle(changes.Title);
        var priority = TaskRules.ValidatePriority(changes.Priority);
        var state = changes.State is null ? null : RequireState(changes.State);
        var addLabels = TaskRules.NormalizeLabels(changes.AddLabels);
        var removeLabels = TaskRules.NormalizeLabels(changes.RemoveLabels);
        var addKeys = changes.AddBlockedBy.Select(TaskKey.Parse).ToList();
        var removeKeys = changes.RemoveBlockedBy.Select(TaskKey.Parse).ToList();
        var now = StoreTime.ToText(_time.GetUtcNow());

        return _store.Write(db =>
        {
            var task = TaskRows.Require(db, Project.InstanceId, key, withComments: false);
            var labels = TaskRules.NormalizeLabels(task.Labels.Concat(addLabels).Where(l => !removeLabels.Contains(l)));
            var blockerIds = task.BlockedBy.Select(b => b.Id).ToList();
            foreach (var removed in removeKeys.Select(k => ResolveBlocker(db, k)))
            {
                blockerIds.Remove(removed.Id);
            }

            var added = addKeys.Select(k => ResolveBlocker(db, k)).Where(b => !blockerIds.Contains(b.Id)).DistinctBy(b => b.Id).ToList();
            blockerIds.AddRange(added.Select(b => b.Id));
            if (added.Count > 0)
            {
                EnsureNoCycle(db, task.Id, blockerIds);
            }

            var updated = task with
            {
                Title = title ?? task.Title,
                Description = changes.Description is null ? task.Description : Blank(changes.Description),
                Priority = priority ?? task.Priority,
                State = state ?? task.State,
                BranchName = changes.BranchName is null ? task.BranchName : Blank(changes.BranchName),
                Url = changes.Url is null ? task.Url : Blank(changes.Url),
                Assignee = changes.Assignee is null ? task.Assignee : Blank(changes.Assignee),
                Labels = labels,
            };
            var blockersChanged = !blockerIds.Order(StringComparer.Ordinal).SequenceEqual(task.BlockedBy.Select(b => b.Id).Order(StringComparer.Ordinal));
            if (!blockersChanged && SameFields(updated, task))
            {
                return task;
            }

            WriteFields(db, updated, now);
            if (blockersChanged)
            {
                ReplaceBlockers(db, task.Id, blockerIds);
            }

            return TaskRows.Require(db, Project.InstanceId, new TaskKey(task.Id, null), withComments: true);
        });
    }

    /// <summary>Moves the task to a terminal state: <paramref name="state"/>, or the project's first terminal state.</summary>
    public TaskRecord Close(string idOrIdentifier, string? state = null)
    {
        var target = state is null ? States.Closed : RequireState(state);
        if (!States.IsTerminal(target))
        {
            throw BatonException.Usage(
                ErrorCodes.UnknownState,
                $"'{target}' is not a terminal state of project '{Project.Id}'",
                $"Close with one of: {string.Join(", ", States.Terminal)} (or use 'baton task update --state {target}').");
        }

        return Update(idOrIdentifier, new TaskChanges { State = target });
    }

    public TaskComment Comment(string idOrIdentifier, string author, string body)
    {
        var key = TaskKey.Parse(idOrIdentifier);
        if (string.IsNullOrWhiteSpace(body))
        {
            throw BatonException.Usage(ErrorCodes.InvalidTaskField, "the comment is empty", "Pass the text as the second argument: baton task comment INT-3 \"Found the cause\".");
        }

        var comment = new TaskComment(NewId(), string.IsNullOrWhiteSpace(author) ? "human" : author.Trim(), body, _time.GetUtcNow());
        _store.Write(db =>
        {
            var task = TaskRows.Require(db, Project.InstanceId, key, withComments: false);
            db.Run("INSERT INTO task_comments (id, task_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                comment.Id, task.Id, comment.Author, comment.Body, StoreTime.ToText(comment.CreatedAt));
        });
        return comment;
    }

    /// <summary>The hand-off's comment, written by "baton".</summary>
    public Task<string> CommentAsync(string taskId, string body, CancellationToken cancellationToken = default) =>
        Task.FromResult(Comment(taskId, "baton", body).Id);

    public Task<string> MoveToStateAsync(string taskId, string state, CancellationToken cancellationToken = default) =>
        Task.FromResult(Update(taskId, new TaskChanges { State = state }).State);

    /// <summary>
    /// Compare-and-set: moves the task to <paramref name="to"/> and adds <paramref name="comment"/> in one transaction,
    /// only while it is still in one of <paramref name="from"/>. Returns null (and writes nothing) when it is not, so a
    /// step that is repeated after a crash never moves a task twice or comments twice.
    /// </summary>
    public TaskRecord? Transition(string idOrIdentifier, IReadOnlyCollection<string> from, string to, string author, string? comment)
    {
        using var wake = new WakeOnExit(Project);
        ArgumentNullException.ThrowIfNull(from);
        var key = TaskKey.Parse(idOrIdentifier);
        var target = RequireState(to);
        var now = _time.GetUtcNow();
        return _store.Write(db =>
        {
            var task = TaskRows.Require(db, Project.InstanceId, key, withComments: false);
            db.Run(
                "UPDATE tasks SET state = ?2, updated_at = ?3 WHERE id = ?1 AND lower(state) IN (SELECT lower(value) FROM json_each(?4))",
                task.Id, target, StoreTime.ToText(now), JsonArray(from.Select(TaskStates.Normalize)));
            if (db.Changes == 0)
            {
                return null;
            }

            if (!string.IsNullOrWhiteSpace(comment))
            {
                db.Run("INSERT INTO task_comments (id, task_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    NewId(), task.Id, string.IsNullOrWhiteSpace(author) ? "baton" : author.Trim(), comment, StoreTime.ToText(now));
            }

            return TaskRows.Require(db, Project.InstanceId, new TaskKey(task.Id, null), withComments: true);
        });
    }

    /// <summary>Every task of the project, terminal ones included, with comments, in identifier order.</summary>
    public IReadOnlyList<TaskRecord> Export() =>
        _store.Read(db => TaskRows.Load(db, "t.project = ?1", [Project.InstanceId], withComments: true));

    /// <summary>
    /// Creates or updates tasks from export lines, all in one transaction: any bad line rolls back everything.
    /// A task is matched by id, then by identifier; one whose fields equal the line's is left untouched, so
    /// importing an export changes nothing.
    /// </summary>
    public ImportResult Import(IReadOnlyList<ImportedTask> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var rows = lines.Select(ValidateLine).ToList();
        var duplicate = rows.Where(r => r.Line.Identifier is not null).GroupBy(r => r.Line.Identifier).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw ImportError(duplicate.Last().LineNumber, $"the identifier {duplicate.Key} appears twice in the file (first on line {duplicate.First().LineNumber})");
        }

        var now = _time.GetUtcNow();
        return _store.Write(db =>
        {
            var comments = 0;
            var addedIds = new HashSet<string>(StringComparer.Ordinal);
            var changedIds = new HashSet<string>(StringComparer.Ordinal);
            var ids = new Dictionary<int, string>();
            var byIdentifier = new Dictionary<string, string>(StringComparer.Ordinal);
            var maxNumber = 0L;
            var counter = db.ScalarInt64("SELECT next_task_number FROM projects WHERE instance_id = ?1", Project.InstanceId)
                ?? throw new BatonException(ErrorCodes.ProjectNotFound, $"project '{Project.Id}' is not in the state database", "Run the command from a directory with its baton.yaml once, so Baton records the project.");
            var reserved = rows.Select(r => r.Line.Identifier).OfType<string>().ToHashSet(StringComparer.Ordinal);

            foreach (var row in rows)
            {
                var line = row.Line;
                var existing = FindForImport(db, row);
                var identifier = line.Identifier ?? existing?.Identifier;
                if (identifier is null)
                {
                    do
                    {
                        identifier = TaskIdentifier.Format(Project.SessionPrefix, counter++);
                    }
                    while (reserved.Contains(identifier) || db.ScalarInt64("SELECT 1 FROM tasks WHERE project = ?1 AND identifier = ?2", Project.InstanceId, identifier) is not null);
                }

                TaskIdentifier.TryParse(identifier, out _, out var number);
                maxNumber = Math.Max(maxNumber, number);
                var record = new TaskRecord
                {
                    Id = existing?.Id ?? line.Id ?? NewId(),
                    Identifier = identifier,
                    Project = Project.InstanceId,
                    Title = line.Title!,
                    Description = Blank(line.Description),
                    Priority = line.Priority,
                    State = line.State!,
                    BranchName = Blank(line.BranchName),
                    Url = Blank(line.Url),
                    Assignee = Blank(line.Assignee),
                    Labels = TaskRules.NormalizeLabels(line.Labels ?? []),
                    CreatedAt = line.CreatedAt ?? existing?.CreatedAt ?? now,
                    UpdatedAt = line.UpdatedAt ?? now,
                };

                if (existing is null)
                {
                    db.Run(
                        """
                        INSERT INTO tasks (id, project, number, identifier, title, description, priority, state, branch_name, url, assignee, labels, created_at, updated_at)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                        """,
                        record.Id, Project.InstanceId, number, record.Identifier, record.Title, record.Description, record.Priority, record.State,
                        record.BranchName, record.Url, record.Assignee, StorageJson.Labels(record.Labels), StoreTime.ToText(record.CreatedAt), StoreTime.ToText(record.UpdatedAt));
                    addedIds.Add(record.Id);
                }
                else if (!(SameFields(record, existing) && record.Identifier == existing.Identifier && record.CreatedAt == existing.CreatedAt
                    && (line.UpdatedAt is null || record.UpdatedAt == existing.UpdatedAt)))
                {
                    db.Run("UPDATE tasks SET identifier = ?2, number = ?3, created_at = ?4 WHERE id = ?1", record.Id, record.Identifier, number, StoreTime.ToText(record.CreatedAt));
                    WriteFields(db, record, StoreTime.ToText(record.UpdatedAt));
                    changedIds.Add(record.Id);
                }

                ids[row.LineNumber] = record.Id;
                byIdentifier[record.Identifier] = record.Id;
                comments += ImportComments(db, record.Id, line.Comments ?? [], now);
            }

            // Blockers once every task of the file exists, so a line may name a task further down.
            var importedIds = ids.Values.ToHashSet(StringComparer.Ordinal);
            var graph = TaskRows.BlockerGraph(db);
            var rewired = new List<string>();
            foreach (var row in rows.Where(r => r.Line.BlockedBy is not null))
            {
                var taskId = ids[row.LineNumber];
                var blockerIds = row.Line.BlockedBy!
                    .Select(b => ResolveImportedBlocker(db, row.LineNumber, b, importedIds, byIdentifier))
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                var current = graph.GetValueOrDefault(taskId) ?? [];
                if (!blockerIds.Order(StringComparer.Ordinal).SequenceEqual(current.Order(StringComparer.Ordinal)))
                {
                    ReplaceBlockers(db, taskId, blockerIds);
                    graph[taskId] = blockerIds;
                    rewired.Add(taskId);
                    if (!addedIds.Contains(taskId))
                    {
                        changedIds.Add(taskId);
                    }
                }
            }

            if (rewired.Count > 0)
            {
                // One search from a root that blocks on every rewired task finds any cycle they are part of.
                EnsureNoCycle(db, "\0import", rewired, graph);
            }

            counter = Math.Max(counter, maxNumber + 1);
            db.Run("UPDATE projects SET next_task_number = max(next_task_number, ?2) WHERE instance_id = ?1", Project.InstanceId, counter);
            return new ImportResult(addedIds.Count, changedIds.Count, rows.Count - addedIds.Count - changedIds.Count, comments);
        });
    }

    /// <summary>The project's own spelling of <paramref name="state"/>, or <c>unknown_state</c> listing the states it has.</summary>
    public string RequireState(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return States.Canonical(state) ?? throw BatonException.Usage(
            ErrorCodes.UnknownState,
            $"project '{Project.Id}' has no state '{state}'",
            $"Use one of: {string.Join(", ", States.All)} (any case). States are set per project under 'states:' in baton.yaml.");
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string JsonArray(IEnumerable<string> values) =>
        JsonSerializer.Serialize(values.ToList(), StorageJsonContext.Default.ListString);

    private static string RequireTitle(string title) =>
        string.IsNullOrWhiteSpace(title)
            ? throw BatonException.Usage(ErrorCodes.InvalidTaskField, "the title is empty", "Give the task a title: baton task add <project> \"Fix the login bug\".")
            : title.Trim();

    private static bool SameFields(TaskRecord a, TaskRecord b) =>
        a.Title == b.Title && a.Description == b.Description && a.Priority == b.Priority && a.State == b.State
        && a.BranchName == b.BranchName && a.Url == b.Url && a.Assignee == b.Assignee && a.Labels.SequenceEqual(b.Labels);

    private static void WriteFields(SqliteDb db, TaskRecord task, string updatedAt) =>
        db.Run(
            """
            UPDATE tasks SET title = ?2, description = ?3, priority = ?4, state = ?5, branch_name = ?6, url = ?7,
                assignee = ?8, labels = ?9, updated_at = ?10
            WHERE id = ?1
            """,
            task.Id, task.Title, task.Description, task.Priority, task.State, task.BranchName, task.Url, task.Assignee,
            StorageJson.Labels(task.Labels), updatedAt);

    private static void ReplaceBlockers(SqliteDb db, string taskId, IReadOnlyList<string> blockerIds)
    {
        db.Run("DELETE FROM task_blockers WHERE task_id = ?1", taskId);
        foreach (var blocker in blockerIds)
        {
            db.Run("INSERT INTO task_blockers (task_id, blocker_id) VALUES (?1, ?2)", taskId, blocker);
        }
    }

    private static void EnsureNoCycle(SqliteDb db, string taskId, IReadOnlyList<string> blockerIds, IReadOnlyDictionary<string, IReadOnlyList<string>>? graph = null)
    {
        var cycle = TaskRules.FindCycle(taskId, blockerIds, graph ?? TaskRows.BlockerGraph(db));
        if (cycle is null)
        {
            return;
        }

        var names = TaskRows.Identifiers(db, cycle);
        var path = string.Join(" → ", cycle.Select(id => names.GetValueOrDefault(id, id)));
        throw BatonException.Usage(
            ErrorCodes.BlockedByCycle,
            $"blocked-by cycle: {path} (each is blocked by the next); nothing was changed",
            "Remove one of these blocked-by links, e.g. with 'baton task update <ID> --remove-blocked-by <OTHER>'.");
    }

    /// <summary>A blocker named on the command line: same project first, then any project.</summary>
    private (string Id, string Identifier) ResolveBlocker(SqliteDb db, TaskKey key)
    {
        var owners = TaskRows.Owners(db, key);
        var match = owners.FirstOrDefault(o => o.Project == Project.InstanceId);
        if (match.Id is null && owners.Count == 1)
        {
            match = owners[0];
        }

        if (match.Id is null)
        {
            throw owners.Count > 1
                ? new BatonException(ErrorCodes.ProjectAmbiguous, $"{key.Text} names a task in several projects", "Name the blocker by its 16-hex id (see 'baton task show <ID> --json').")
                : new BatonException(ErrorCodes.TaskNotFound, $"blocked-by task {key.Text} does not exist", "Create it first, or check the id with 'baton task list --all'.");
        }

        return (match.Id, match.Identifier);
    }

    private ImportedTask ValidateLine(ImportedTask row)
    {
        var line = row.Line;
        if (string.IsNullOrWhiteSpace(line.Title))
        {
            throw ImportError(row.LineNumber, "the task has no title");
        }

        if (line.Priority is not null and not (>= TaskRules.MinPriority and <= TaskRules.MaxPriority))
        {
            throw ImportError(row.LineNumber, $"priority {line.Priority} is outside 1–4");
        }

        if (line.Identifier is not null && !TaskKey.IsValidIdentifier(line.Identifier))
        {
            throw ImportError(row.LineNumber, $"'{line.Identifier}' is not an identifier like INT-12");
        }

        if (line.Id is not null && (line.Id.Length is 0 or > 64 || line.Id.Any(char.IsWhiteSpace)))
        {
            throw ImportError(row.LineNumber, $"'{line.Id}' is not a task id");
        }

        var state = line.State is null ? States.Initial : States.Canonical(line.State)
            ?? throw ImportError(row.LineNumber, $"project '{Project.Id}' has no state '{line.State}' (it has {string.Join(", ", States.All)})");
        if (line.Comments?.FirstOrDefault(c => string.IsNullOrWhiteSpace(c.Body)) is not null)
        {
            throw ImportError(row.LineNumber, "a comment has no body");
        }

        var identifier = line.Identifier is null ? null : TaskKey.Parse(line.Identifier).Identifier;
        return row with { Line = line with { Title = line.Title.Trim(), State = state, Identifier = identifier } };
    }

    private TaskRecord? FindForImport(SqliteDb db, ImportedTask row)
    {
        if (row.Line.Id is not null)
        {
            var owners = TaskRows.Owners(db, new TaskKey(row.Line.Id, null));
            if (owners.Count > 0)
            {
                return owners[0].Project == Project.InstanceId
                    ? TaskRows.Find(db, Project.InstanceId, new TaskKey(row.Line.Id, null), withComments: false)
                    : throw ImportError(row.LineNumber, $"the task id {row.Line.Id} belongs to another project ({owners[0].Project})");
            }
        }

        return row.Line.Identifier is null ? null : TaskRows.Find(db, Project.InstanceId, new TaskKey(null, row.Line.Identifier), withComments: false);
    }

    private static string ResolveImportedBlocker(SqliteDb db, int lineNumber, TaskLineBlocker blocker, HashSet<string> importedIds, Dictionary<string, string> byIdentifier)
    {
        if (blocker.Id is not null && (importedIds.Contains(blocker.Id) || TaskRows.Owners(db, new TaskKey(blocker.Id, null)).Count > 0))
        {
            return blocker.Id;
        }

        if (blocker.Identifier is not null && TaskKey.IsValidIdentifier(blocker.Identifier))
        {
            var identifier = TaskKey.Parse(blocker.Identifier).Identifier!;
            if (byIdentifier.TryGetValue(identifier, out var id))
            {
                return id;
            }

            var owners = TaskRows.Owners(db, new TaskKey(null, identifier));
            if (owners.Count == 1)
            {
                return owners[0].Id;
            }
        }

        throw ImportError(lineNumber, $"blocked by {blocker.Identifier ?? blocker.Id ?? "(nothing)"}, which is neither in the file nor in the database");
    }

    private static int ImportComments(SqliteDb db, string taskId, IReadOnlyList<TaskLineComment> comments, DateTimeOffset now)
    {
        var added = 0;
        foreach (var comment in comments)
        {
            var createdAt = StoreTime.ToText(comment.CreatedAt ?? now);
            var author = string.IsNullOrWhiteSpace(comment.Author) ? "human" : comment.Author.Trim();

            // A comment without an id (written by hand) is matched by its content, so re-importing does not repeat it.
            var exists = comment.Id is not null
                ? db.ScalarInt64("SELECT 1 FROM task_comments WHERE id = ?1", comment.Id) is not null
                : db.ScalarInt64("SELECT 1 FROM task_comments WHERE task_id = ?1 AND author = ?2 AND body = ?3 AND created_at = ?4", taskId, author, comment.Body, createdAt) is not null;
            if (exists)
            {
                continue;
            }

            db.Run("INSERT INTO task_comments (id, task_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                comment.Id ?? NewId(), taskId, author, comment.Body, createdAt);
            added++;
        }

        return added;
    }

    internal static BatonException ImportError(int lineNumber, string problem) => BatonException.Usage(
        ErrorCodes.ImportInvalid,
        $"line {lineNumber}: {problem}; nothing was imported",
        "Fix that line (one JSON object per line, as 'baton task export' writes them) and import again.");
}

/// <summary>
/// Touches <c>{instance}/wake</c> after a task changed, so a running <c>baton run</c> polls at once instead of at its
/// next interval (the orchestrator watches the file; its one-second stamp poll is the fallback). Best effort: a
/// missing instance directory or a read-only home never fails the change itself.
/// </summary>
internal readonly struct WakeOnExit(Project project) : IDisposable
{
    public const string FileName = "wake";

    public static string PathFor(Project project) => System.IO.Path.Combine(project.InstanceDirectory, FileName);

    public void Dispose() => Touch(project.InstanceDirectory);

    /// <summary>Wakes the orchestrator of the project whose instance directory is <paramref name="instanceDirectory"/>.</summary>
    public static void Touch(string instanceDirectory)
    {
        try
        {
            Directory.CreateDirectory(instanceDirectory);
            File.WriteAllText(System.IO.Path.Combine(instanceDirectory, FileName), DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
