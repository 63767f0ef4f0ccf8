using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Baton.Bench;

/// <summary>
/// Baton's speed targets, each measured beside its floor in the same run (CONVENTIONS.md: never as timed asserts
/// in tests). Exit code 0 even when a target is missed (the table says so); 1 only when something failed to run.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            var options = BenchOptions.Parse(args);
            var rows = new List<Row> { StartUp(options) };
            rows.AddRange(TaskList(options));
            Row.Print(Console.Out, rows);
            return 0;
        }
        catch (Exception ex) when (ex is BenchFailedException or ArgumentException or IOException or InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"bench failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// <c>baton --version</c> against the smallest .NET program published the same way, interleaved so drift (CPU
    /// frequency, other load) hits both alike; the first run of each is a warm-up for the page cache and dropped.
    /// </summary>
    private static Row StartUp(BenchOptions options)
    {
        var hello = new Launch(options.Hello, []);
        var baton = new Launch(options.Baton, ["--version"]);
        var helloTimes = new List<TimeSpan>();
        var batonTimes = new List<TimeSpan>();
        for (var i = 0; i <= options.Runs; i++)
        {
            var pair = i % 2 == 0 ? new[] { (hello, helloTimes), (baton, batonTimes) } : new[] { (baton, batonTimes), (hello, helloTimes) };
            foreach (var (launch, times) in pair)
            {
                var outcome = Timing.RunOk(launch);
                if (i > 0)
                {
                    times.Add(outcome.Elapsed);
                }
            }
        }

        var floor = Stats.Of(helloTimes);
        var measured = Stats.Of(batonTimes);
        var ratio = measured.MedianMs / floor.MedianMs;
        return new Row(
            $"baton --version, cold start ({options.Runs} runs)",
            floor.ToString() + " hello",
            measured.ToString(),
            Row.FormatRatio(ratio),
            "≤ 1.5× hello",
            ratio <= 1.5 ? "ok" : "MISSED");
    }

    /// <summary>
    /// <c>baton task list --json</c> on 5,000 imported tasks, against sqlite3 selecting the same rows as JSON. The task
    /// commands land in another branch; until then this row says the command is not available in this build.
    /// </summary>
    private static IEnumerable<Row> TaskList(BenchOptions options)
    {
        var measure = $"task list --json, {options.Tasks:N0} tasks";
        var root = Directory.CreateTempSubdirectory("baton-bench-").FullName;
        try
        {
            var home = Directory.CreateDirectory(Path.Combine(root, "home")).FullName;
            var batonHome = Path.Combine(home, ".baton");
            var repo = Directory.CreateDirectory(Path.Combine(root, "app")).FullName;
            var environment = new Dictionary<string, string>
            {
                ["HOME"] = home,
                ["BATON_HOME"] = batonHome,
                ["NO_COLOR"] = "1",
                ["GIT_CONFIG_NOSYSTEM"] = "1",
            };
            Launch Git(params string[] arguments) => new("git", arguments, repo, environment);
            Launch Baton(params string[] arguments) => new(options.Baton, arguments, repo, environment);

            Timing.RunOk(Git("init", "--quiet", "--initial-branch=main"));
            Timing.RunOk(Git("-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "--quiet", "--allow-empty", "-m", "initial"));
            Timing.RunOk(Baton("init", "--prefix", "app"));

            var probe = Timing.Run(Baton("task", "list", "--json"));
            // Only an unknown 'task' command means "not in this build"; any other usage error is a real failure below.
            if (probe.ExitCode == 2 && probe.Output.Contains("Unrecognized command or argument 'task'", StringComparison.Ordinal))
            {
                Console.Error.WriteLine("task list: not available in this build");
                return [new Row(measure, "-", "not available in this build", "-", "< 150 ms", "n/a")];
            }

            var input = Path.Combine(root, "tasks.jsonl");
            WriteTasks(input, options.Tasks);
            var import = Timing.Run(Baton("task", "import", "--input", input));
            if (import.ExitCode == 2)
            {
                // The importer may want the project named; there is exactly one.
                import = Timing.Run(Baton("task", "import", "app", "--input", input));
            }

            if (import.ExitCode != 0)
            {
                throw new BenchFailedException($"baton task import exited with {import.ExitCode}: {Timing.FirstLine(import.Error + import.Output)}");
            }

            var listed = Timing.RunOk(Baton("task", "list", "--json"));
            var count = CountTasks(listed.Output);
            var times = Enumerable.Range(0, options.ListRuns).Select(_ => Timing.RunOk(Baton("task", "list", "--json")).Elapsed).ToList();
            var measured = Stats.Of(times);
            var floor = SqliteFloor(Path.Combine(batonHome, "state.db"), options.ListRuns);
            return
            [
                new Row(
                    measure + (count == options.Tasks ? string.Empty : $" (listed {count})"),
                    floor is null ? "n/a (sqlite3 missing or no 'tasks' table)" : floor + " sqlite3",
                    measured.ToString(),
                    floor is null ? "-" : Row.FormatRatio(measured.MedianMs / floor.MedianMs),
                    "< 150 ms",
                    measured.MedianMs < 150 ? "ok" : "MISSED"),
            ];
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory must not turn a finished benchmark into a failure.
            }
        }
    }

    private static void WriteTasks(string path, int count)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        var areas = new[] { "api", "web", "cli", "docs", "infra" };
        for (var i = 1; i <= count; i++)
        {
            // One JSON object per line: title, priority 1 (urgent) to 4 (low), labels.
            var line = JsonSerializer.Serialize(
                new BenchTask($"Bench task {i}: make the thing number {i} faster", (i % 4) + 1, ["bench", areas[i % areas.Length]]),
                BenchJsonContext.Default.BenchTask);
            writer.WriteLine(line);
        }
    }

    private static int CountTasks(string json)
    {
        using var document = JsonDocument.Parse(json);
        var data = document.RootElement.GetProperty("data");
        if (data.ValueKind == JsonValueKind.Array)
        {
            return data.GetArrayLength();
        }

        // Tolerate a wrapped list ({"tasks":[…]}) until the task commands' shape is settled.
        foreach (var property in data.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Array)
            {
                return property.Value.GetArrayLength();
            }
        }

        return -1;
    }

    /// <summary>The floor: the sqlite3 CLI reading the same rows as JSON from the same database file.</summary>
    private static Stats? SqliteFloor(string database, int runs)
    {
        const string Sqlite = "/usr/bin/sqlite3";
        if (!File.Exists(Sqlite) || !File.Exists(database))
        {
            return null;
        }

        var launch = new Launch(Sqlite, ["-readonly", "-json", database, "SELECT * FROM tasks;"]);
        if (Timing.Run(launch).ExitCode != 0)
        {
            return null;
        }

        return Stats.Of(Enumerable.Range(0, runs).Select(_ => Timing.RunOk(launch).Elapsed));
    }
}

internal sealed record BenchTask(string Title, int Priority, IReadOnlyList<string> Labels);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BenchTask))]
internal sealed partial class BenchJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

internal sealed record BenchOptions(string Baton, string Hello, int Runs, int Tasks, int ListRuns)
{
    public static BenchOptions Parse(string[] args)
    {
        string? baton = null;
        string? hello = null;
        var runs = 20;
        var tasks = 5000;
        var listRuns = 10;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.Parse(Next(), NumberStyles.None, CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--baton": baton = Next(); break;
                case "--hello": hello = Next(); break;
                case "--runs": runs = NextInt(); break;
                case "--tasks": tasks = NextInt(); break;
                case "--list-runs": listRuns = NextInt(); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}' (usage: --baton PATH --hello PATH [--runs 20] [--tasks 5000] [--list-runs 10])");
            }
        }

        return new BenchOptions(
            Path.GetFullPath(baton ?? throw new ArgumentException("--baton PATH is required")),
            Path.GetFullPath(hello ?? throw new ArgumentException("--hello PATH is required")),
            Math.Max(runs, 2),
            Math.Max(tasks, 1),
            Math.Max(listRuns, 1));
    }
}

internal sealed record Row(string Measure, string Floor, string Baton, string Ratio, string Target, string Verdict)
{
    public static string FormatRatio(double value) => string.Create(CultureInfo.InvariantCulture, $"{value:0.00}×");

    public static void Print(TextWriter writer, IReadOnlyList<Row> rows)
    {
        var header = new Row("measure", "floor", "baton", "ratio", "target", "verdict");
        var all = new[] { header }.Concat(rows).Select(r => new[] { r.Measure, r.Floor, r.Baton, r.Ratio, r.Target, r.Verdict }).ToList();
        var widths = Enumerable.Range(0, 6).Select(c => all.Max(r => r[c].Length)).ToArray();
        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((cell, c) => cell.PadRight(widths[c]))) + " |";
        writer.WriteLine(Line(all[0]));
        writer.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var row in all.Skip(1))
        {
            writer.WriteLine(Line(row));
        }
    }
}
