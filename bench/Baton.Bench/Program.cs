using System.Diagnostics;
using System.Globalization;

namespace Baton.Bench;

/// <summary>
/// Baton's speed targets, each measured beside its floor in the same run (CONVENTIONS.md: never as timed asserts
/// in tests). Exit code 0 even when a target is missed (the table says so); 1 only when something failed to run.
/// The measures, their floors and targets are listed in bench/README.md.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == DashboardBench.ClientMode)
        {
            // The dashboard measure's event-stream clients, started by it as a process of their own.
            return DashboardBench.Clients(args);
        }

        try
        {
            var options = BenchOptions.Parse(args);
            using var scratch = Scratch.Create(options.Scratch);
            var notes = new List<string>();
            var rows = new List<Row>();
            bool Wanted(string name) => options.Only is null || name.Contains(options.Only, StringComparison.OrdinalIgnoreCase);
            void Phase(string name, Func<IEnumerable<Row>> measure)
            {
                if (!Wanted(name))
                {
                    return;
                }

                Console.Error.WriteLine($"{name}…");
                var watch = Stopwatch.StartNew();
                rows.AddRange(measure());
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: {watch.Elapsed.TotalSeconds:0.0} s in all, set-up included"));
            }

            Phase("start-up", () => [StartUp(options)]);
            Phase("task list", () => [TaskListBench.Run(options, scratch, notes)]);
            var template = Wanted("workspace create") || Wanted("safety analysis") || Wanted("merge queue")
                ? Fixtures.Repository(Path.Combine(scratch.Subdirectory("template"), "app"))
                : string.Empty;
            var gitLog = GitLog.Create(scratch.Subdirectory("gitlog"));
            Phase("workspace create", () => WorkspaceCreateBench.Run(options, scratch, template, gitLog, notes));
            Phase("safety analysis", () => SafetyBench.Run(options, scratch, template, gitLog, notes));
            Phase("sessions", () => SessionsBench.Run(options, scratch, gitLog, notes));
            Phase("orchestrator dispatch", () => [OrchestratorBench.DispatchLatency(options, scratch, notes)]);
            Phase("orchestrator throughput", () => OrchestratorBench.Throughput(options, scratch, notes));
            Phase("orchestrator idle", () => OrchestratorBench.Idle(options, scratch, notes));
            Phase("dashboard", () => DashboardBench.Run(options, scratch, notes));
            Phase("mail", () => MailBench.Run(options, scratch, notes));
            Phase("merge queue", () => MergeBench.Run(options, scratch, template, gitLog, notes));

            Row.Print(Console.Out, rows);
            Console.Out.WriteLine();
            foreach (var note in notes)
            {
                Console.Out.WriteLine("- " + note);
            }

            Console.Out.WriteLine($"- fixtures in {scratch.Root}; load average at the end: {Row.LoadAverage()}");
            return 0;
        }
        catch (BenchFailedException ex)
        {
            Console.Error.WriteLine($"bench failed: {ex.Message}");
            return 1;
        }
        catch (Exception ex)
        {
            // Anything else (a Baton error from a library call, a bad argument, I/O) also means a measure did not run.
            Console.Error.WriteLine($"bench failed: {ex}");
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
}

internal sealed record BenchOptions(string Baton, string Hello, int Runs, int Tasks, int ListRuns, int Workspaces, int CreateRounds, int AnalyzeWorkspaces, int AnalyzeRuns, int Sessions, int SpawnRuns, int SessionListRuns, int DispatchRuns, int OrchestratorTasks, int IdleSessions, string? Only, string? Scratch)
{
    public int DashboardSessions { get; init; } = 200;

    public int DashboardRequests { get; init; } = 500;

    public int PaintRuns { get; init; } = 50;

    public int SseClients { get; init; } = 20;

    public int SseRate { get; init; } = 2;

    public int SseSeconds { get; init; } = 10;

    public int MailRuns { get; init; } = 20;

    public int MergeTasks { get; init; } = 20;

    public int MergeRounds { get; init; } = 2;

    public static BenchOptions Parse(string[] args)
    {
        string? baton = null;
        string? hello = null;
        var runs = 20;
        var tasks = 5000;
        var listRuns = 10;
        var workspaces = 20;
        var createRounds = 3;
        var analyzeWorkspaces = 50;
        var analyzeRuns = 5;
        var sessions = 100;
        var spawnRuns = 10;
        var sessionListRuns = 10;
        var dispatchRuns = 10;
        var orchestratorTasks = 200;
        var idleSessions = 100;
        var mailRuns = 20;
        string? only = null;
        string? scratch = null;
        int dashboardSessions = 200, dashboardRequests = 500, paintRuns = 50, sseClients = 20, sseRate = 2, sseSeconds = 10;
        int mergeTasks = 20, mergeRounds = 2;
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
                case "--workspaces": workspaces = NextInt(); break;
                case "--create-rounds": createRounds = NextInt(); break;
                case "--analyze-workspaces": analyzeWorkspaces = NextInt(); break;
                case "--analyze-runs": analyzeRuns = NextInt(); break;
                case "--sessions": sessions = NextInt(); break;
                case "--spawn-runs": spawnRuns = NextInt(); break;
                case "--session-list-runs": sessionListRuns = NextInt(); break;
                case "--dispatch-runs": dispatchRuns = NextInt(); break;
                case "--orchestrator-tasks": orchestratorTasks = NextInt(); break;
                case "--idle-sessions": idleSessions = NextInt(); break;
                case "--mail-runs": mailRuns = NextInt(); break;
                case "--only": only = Next(); break;
                case "--scratch": scratch = Next(); break;
                case "--dashboard-sessions": dashboardSessions = NextInt(); break;
                case "--dashboard-requests": dashboardRequests = NextInt(); break;
                case "--paint-runs": paintRuns = NextInt(); break;
                case "--sse-clients": sseClients = NextInt(); break;
                case "--sse-rate": sseRate = NextInt(); break;
                case "--sse-seconds": sseSeconds = NextInt(); break;
                case "--merge-tasks": mergeTasks = NextInt(); break;
                case "--merge-rounds": mergeRounds = NextInt(); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}' (usage: --baton PATH --hello PATH [--runs 20] [--tasks 5000] [--list-runs 10] [--workspaces 20] [--create-rounds 3] [--analyze-workspaces 50] [--analyze-runs 5] [--sessions 100] [--spawn-runs 10] [--session-list-runs 10] [--dispatch-runs 10] [--orchestrator-tasks 200] [--idle-sessions 100] [--dashboard-sessions 200] [--dashboard-requests 500] [--paint-runs 50] [--sse-clients 20] [--sse-rate 2] [--sse-seconds 10] [--mail-runs 20] [--merge-tasks 20] [--merge-rounds 2] [--only start-up|task|create|safety|sessions|orchestrator|dispatch|throughput|idle|dashboard|mail|merge] [--scratch DIR])");
            }
        }

        return new BenchOptions(
            Path.GetFullPath(baton ?? throw new ArgumentException("--baton PATH is required")),
            Path.GetFullPath(hello ?? throw new ArgumentException("--hello PATH is required")),
            Math.Max(runs, 2),
            Math.Max(tasks, 1),
            Math.Max(listRuns, 1),
            Math.Max(workspaces, 1),
            Math.Max(createRounds, 1),
            Math.Max(analyzeWorkspaces, 5),
            Math.Max(analyzeRuns, 1),
            Math.Max(sessions, 3),
            Math.Max(spawnRuns, 2),
            Math.Max(sessionListRuns, 1),
            Math.Max(dispatchRuns, 2),
            Math.Max(orchestratorTasks, 1),
            Math.Max(idleSessions, 1),
            only,
            scratch)
        {
            DashboardSessions = Math.Max(dashboardSessions, 4),
            DashboardRequests = Math.Max(dashboardRequests, 10),
            PaintRuns = Math.Max(paintRuns, 3),
            SseClients = Math.Max(sseClients, 1),
            SseRate = Math.Max(sseRate, 1),
            SseSeconds = Math.Max(sseSeconds, 1),
            MailRuns = Math.Max(mailRuns, 2),
            MergeTasks = Math.Max(mergeTasks, 1),
            MergeRounds = Math.Max(mergeRounds, 1),
        };
    }
}

internal sealed record Row(string Measure, string Floor, string Baton, string Ratio, string Target, string Verdict)
{
    public static string FormatRatio(double value) => string.Create(CultureInfo.InvariantCulture, $"{value:0.00}×");

    /// <summary>The machine's load averages (1, 5, 15 min): the notes say how busy the machine was.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    public static string Load() => "load " + LoadAverage();

    /// <summary>A latency measure beside its floor, judged on Baton's median.</summary>
    public static Row MedianUnder(string measure, Stats floor, string floorLabel, Stats baton, double targetMs, string target) => new(
        measure,
        $"{floor} {floorLabel}",
        baton.ToString(),
        FormatRatio(baton.MedianMs / floor.MedianMs),
        target,
        baton.MedianMs < targetMs ? "ok" : "MISSED");

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
