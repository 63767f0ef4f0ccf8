using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Baton.Bench;

/// <summary>
/// <c>baton task list --all --json</c> on a project of N tasks (default 5,000) seeded with one <c>task import</c> of
/// lines in <c>task export</c>'s format: two labels on every task, a blocker on every 10th, a comment on every 50th,
/// every 7th Done (hence --all). The floor is the sqlite3 CLI running the two queries Baton runs for it (tasks,
/// then their blockers; see Tracking/Local/TaskRows.cs) as JSON on the same state.db. Target: under 150 ms.
/// </summary>
internal static class TaskListBench
{
    private const string Sqlite = "/usr/bin/sqlite3";

    public static Row Run(BenchOptions options, Scratch scratch, List<string> notes)
    {
        var batonHome = Path.Combine(scratch.Subdirectory("tasks", "home"), ".baton");
        var repo = scratch.Subdirectory("tasks", "bench");
        var environment = new Dictionary<string, string> { ["BATON_HOME"] = batonHome };
        Launch Baton(params string[] arguments) => new(options.Baton, arguments, repo, environment);

        Timing.RunOk(Fixtures.Git(repo, "init", "--quiet", "--initial-branch=main"));
        Timing.RunOk(Fixtures.Git(repo, "commit", "--quiet", "--allow-empty", "-m", "initial"));
        Timing.RunOk(Baton("init", "--prefix", "bench"));

        var input = Path.Combine(scratch.Root, "tasks", "tasks.jsonl");
        WriteTasks(input, options.Tasks);
        var import = Timing.RunOk(Baton("task", "import", "--input", input));
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"task import of {options.Tasks:N0} tasks (one launch): {import.Elapsed.TotalMilliseconds:0} ms"));

        var list = Baton("task", "list", "--all", "--json");
        var listed = Timing.RunOk(list);
        var count = CountTasks(listed.Output);
        if (count != options.Tasks)
        {
            throw new BenchFailedException($"task list --all --json listed {count} tasks, not the {options.Tasks} imported");
        }

        notes.Add(string.Create(CultureInfo.InvariantCulture, $"task list --all --json prints {count:N0} tasks, {Encoding.UTF8.GetByteCount(listed.Output):N0} bytes"));

        var floor = FloorLaunch(Path.Combine(batonHome, "state.db"));
        var measure = $"task list --all --json, {options.Tasks:N0} tasks ({options.ListRuns} runs)";
        if (floor is null)
        {
            var alone = Stats.Of(Enumerable.Range(0, options.ListRuns).Select(_ => Timing.RunOk(list).Elapsed));
            return new Row(measure, "n/a (no sqlite3)", alone.ToString(), "-", "< 150 ms", alone.MedianMs < 150 ? "ok" : "MISSED");
        }

        // Alternated, after one warm-up of each, so drift hits both alike.
        var floorTimes = new List<TimeSpan>();
        var batonTimes = new List<TimeSpan>();
        for (var i = 0; i <= options.ListRuns; i++)
        {
            var pair = i % 2 == 0 ? new[] { (floor, floorTimes), (list, batonTimes) } : [(list, batonTimes), (floor, floorTimes)];
            foreach (var (launch, times) in pair)
            {
                var elapsed = Timing.RunOk(launch).Elapsed;
                if (i > 0)
                {
                    times.Add(elapsed);
                }
            }
        }

        var measured = Stats.Of(batonTimes);
        var floorStats = Stats.Of(floorTimes);
        return new Row(measure, floorStats + " sqlite3", measured.ToString(), Row.FormatRatio(measured.MedianMs / floorStats.MedianMs), "< 150 ms", measured.MedianMs < 150 ? "ok" : "MISSED");
    }

    /// <summary>The lines <c>task export</c> would print for such a project (the import format).</summary>
    private static void WriteTasks(string path, int count)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        for (var i = 1; i <= count; i++)
        {
            var priority = i % 5 == 0 ? "null" : ((i % 4) + 1).ToString(CultureInfo.InvariantCulture);
            var blockers = i % 10 == 0 ? $"[{{\"identifier\":\"BENCH-{i - 1}\"}}]" : "[]";
            var comments = i % 50 == 0
                ? string.Create(CultureInfo.InvariantCulture, $"[{{\"id\":\"c{i:D15}\",\"author\":\"bench\",\"body\":\"note {i}\",\"createdAt\":\"2025-01-01T00:00:00+00:00\"}}]")
                : "[]";
            var state = i % 7 == 0 ? "Done" : i % 3 == 0 ? "In Progress" : "Todo";
            writer.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{{\"identifier\":\"BENCH-{i}\",\"title\":\"Task number {i} with a reasonably long title\",\"description\":\"Some description text for task {i}.\",\"priority\":{priority},\"state\":\"{state}\",\"labels\":[\"area-{i % 9}\",\"kind-{i % 4}\"],\"blockedBy\":{blockers},\"createdAt\":\"2025-01-01T00:{i / 60 % 60:00}:{i % 60:00}+00:00\",\"comments\":{comments}}}"));
        }
    }

    private static int CountTasks(string json)
    {
        using var document = JsonDocument.Parse(json);
        var data = document.RootElement.GetProperty("data");
        return data.ValueKind == JsonValueKind.Array ? data.GetArrayLength() : -1;
    }

    /// <summary>sqlite3 running Baton's two queries for <c>task list --all</c> of the one project, as JSON.</summary>
    private static Launch? FloorLaunch(string database)
    {
        if (!File.Exists(Sqlite))
        {
            return null;
        }

        const string Project = "(SELECT instance_id FROM projects LIMIT 1)";
        const string Sql =
            $"SELECT t.id, t.project, t.identifier, t.title, t.description, t.priority, t.state, t.branch_name, t.url, t.assignee, t.labels, t.created_at, t.updated_at " +
            $"FROM tasks t WHERE t.project = {Project} ORDER BY t.project, t.number, t.identifier; " +
            $"SELECT tb.task_id, b.id, b.identifier, b.state FROM task_blockers tb JOIN tasks b ON b.id = tb.blocker_id " +
            $"WHERE tb.task_id IN (SELECT t.id FROM tasks t WHERE t.project = {Project}) ORDER BY tb.task_id, b.number;";
        var launch = new Launch(Sqlite, ["-readonly", "-json", database, Sql]);
        var probe = Timing.RunOk(launch);
        return probe.Output.Length > 0 ? launch : throw new BenchFailedException("the sqlite3 floor selected no rows");
    }
}
