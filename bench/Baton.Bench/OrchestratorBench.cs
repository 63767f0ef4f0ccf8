using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Baton.Bench;

/// <summary>
/// <c>baton run</c> (the ReadyToRun publish, a real process) with the local tracker and the <c>command</c> agent, in a
/// tmux server of the bench's own:
/// <list type="number">
/// <item>dispatch latency: from the call to <c>baton task add</c> until the agent's command runs in its session (it
/// writes the time), with the poll interval at 10 minutes so only the wake-up can explain a fast dispatch; beside it the
/// floor <c>tmux new-session</c> of the same command, from the call until the command wrote its time. Target: median
/// under 1 s;</item>
/// <item>throughput: N tasks (default 200) at <c>max_concurrent_agents: 20</c>, each agent writing a file and moving its
/// task to Human Review with the baton CLI, against the floor of the same commands run by a shell loop 20 at a time
/// (<c>xargs -P 20</c>) on tasks of another BATON_HOME; the orchestrator's CPU time from /proc;</item>
/// <item>idle: M sessions (default 100) each running <c>sleep</c>, the orchestrator at the spec's default poll
/// interval (30 s); its CPU share over a 30 s window and its resident memory, beside the tmux server's. Targets under
/// 2 % of one core and under 200 MB.</item>
/// </list>
/// </summary>
internal static class OrchestratorBench
{
    private const int ClockTicksPerSecond = 100; // USER_HZ, the unit of /proc/PID/stat times on Linux

    // ---- Dispatch latency ---------------------------------------------------------------------------------

    public static Row DispatchLatency(BenchOptions options, Scratch scratch, List<string> notes)
    {
        using var world = World.Create(options, scratch, "dispatch");
        var marks = world.Folder("marks");
        world.Workflow(pollMs: 600_000, maxAgents: 50, command: $"date +%s%N > {marks}/$BATON_TASK; {Quote(options.Baton)} task update \"$BATON_TASK\" --state 'Human Review'");
        using var daemon = Daemon.Start(world);
        Thread.Sleep(TimeSpan.FromSeconds(2)); // the startup tick is over

        var baton = new List<TimeSpan>();
        var floor = new List<TimeSpan>();
        var adds = new List<TimeSpan>();
        for (var i = 0; i <= options.DispatchRuns; i++)
        {
            // Baton: task add, then the agent's first command writes its time.
            var start = DateTimeOffset.UtcNow;
            var added = Timing.RunOk(world.Baton("task", "add", "app", $"Dispatch {i}", "--json"));
            using var json = JsonDocument.Parse(added.Output);
            var identifier = json.RootElement.GetProperty("data").GetProperty("identifier").GetString()!;
            var mark = WaitForMark(Path.Combine(marks, identifier), TimeSpan.FromSeconds(60), $"the agent of {identifier}");
            WaitForState(world, identifier, "Human Review");

            // The floor: tmux starts the same first command.
            var floorMark = Path.Combine(marks, $"floor-{i}");
            var floorStart = DateTimeOffset.UtcNow;
            Timing.RunOk(world.Tmux("new-session", "-d", "-s", $"floor-{i}", $"date +%s%N > {floorMark}"));
            var floorAt = WaitForMark(floorMark, TimeSpan.FromSeconds(20), "the floor's command");
            if (i > 0)
            {
                baton.Add(mark - start);
                adds.Add(added.Elapsed);
                floor.Add(floorAt - floorStart);
            }
        }

        var batonStats = Stats.Of(baton);
        var floorStats = Stats.Of(floor);
        notes.Add($"dispatch latency: of it, the baton task add process itself {Stats.Of(adds)}; the orchestrator's poll interval was 10 minutes, so every dispatch came from the wake-up ({Row.Load()})");
        return Row.MedianUnder($"dispatch latency, task add → agent command running ({options.DispatchRuns} runs)", floorStats, "tmux new-session → command running", batonStats, 1000, "median < 1 s");
    }

    // ---- Throughput ---------------------------------------------------------------------------------------

    public static IEnumerable<Row> Throughput(BenchOptions options, Scratch scratch, List<string> notes)
    {
        const int Concurrency = 20;
        var count = options.OrchestratorTasks;
        string AgentCommand(string marks) =>
            $"echo \"$BATON_TASK\" > agent.txt && {Quote(options.Baton)} task update \"$BATON_TASK\" --state 'Human Review' && date +%s%N > {marks}/$BATON_TASK";

        // The floor: the agent's commands for every task, 20 at a time, each in a directory of its own.
        TimeSpan floorWall;
        using (var floorWorld = World.Create(options, scratch, "throughput-floor"))
        {
            floorWorld.Import(count);
            var marks = floorWorld.Folder("marks");
            var dirs = floorWorld.Folder("dirs");
            var script = Path.Combine(floorWorld.Root, "one.sh");
            File.WriteAllText(script, $"#!/bin/bash\nset -e\nexport BATON_TASK=\"$1\"\nmkdir -p {dirs}/$1 && cd {dirs}/$1\n{AgentCommand(marks)}\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var ids = string.Join('\n', Enumerable.Range(1, count).Select(i => $"APP-{i}"));
            var list = Path.Combine(floorWorld.Root, "ids.txt");
            File.WriteAllText(list, ids + "\n");
            var watch = Stopwatch.StartNew();
            Timing.RunOk(new Launch("bash", ["-c", $"xargs -P {Concurrency} -n 1 {script} < {list}"], floorWorld.Repository, floorWorld.Environment));
            floorWall = watch.Elapsed;
            if (Directory.GetFiles(marks).Length != count)
            {
                throw new BenchFailedException($"the throughput floor finished {Directory.GetFiles(marks).Length} of {count} tasks");
            }
        }

        using var world = World.Create(options, scratch, "throughput");
        world.Import(count);
        var done = world.Folder("marks");
        world.Workflow(pollMs: 1000, maxAgents: Concurrency, command: AgentCommand(done));
        var start = Stopwatch.StartNew();
        using var daemon = Daemon.Start(world);
        var cpuBefore = daemon.CpuTime();
        var deadline = TimeSpan.FromSeconds(60 + (count * 3));
        while (Directory.GetFiles(done).Length < count)
        {
            if (start.Elapsed > deadline)
            {
                throw new BenchFailedException($"baton run finished {Directory.GetFiles(done).Length} of {count} tasks within {deadline.TotalSeconds:0} s");
            }

            Thread.Sleep(50);
        }

        var wall = start.Elapsed;
        var cpu = daemon.CpuTime() - cpuBefore;
        var rss = daemon.RssKb();
        var perTaskOverhead = (wall - floorWall).TotalMilliseconds * Concurrency / count;
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"throughput: {count} tasks at concurrency {Concurrency}; every baton task gets a worktree, a tmux session, a worker process and the agent's bash; " +
            $"the floor runs only the agent's commands. Orchestrator resident memory at the end {rss / 1024.0:0} MB ({Row.Load()})"));
        yield return new Row(
            $"{count} tasks through the command agent, concurrency {Concurrency}: wall clock",
            string.Create(CultureInfo.InvariantCulture, $"{floorWall.TotalSeconds:0.0} s shell loop (xargs -P {Concurrency})"),
            string.Create(CultureInfo.InvariantCulture, $"{wall.TotalSeconds:0.0} s baton run"),
            Row.FormatRatio(wall / floorWall),
            "info",
            "-");
        yield return new Row(
            "  overhead per task (slot time: (baton − floor) × concurrency / tasks); orchestrator CPU per task",
            "-",
            string.Create(CultureInfo.InvariantCulture, $"{perTaskOverhead:0} ms a task; orchestrator CPU {cpu.TotalSeconds:0.0} s in all, {cpu.TotalMilliseconds / count:0.0} ms a task"),
            "-",
            "info",
            "-");
    }

    // ---- Idle ----------------------------------------------------------------------------------------------

    public static IEnumerable<Row> Idle(BenchOptions options, Scratch scratch, List<string> notes)
    {
        var count = options.IdleSessions;
        using var world = World.Create(options, scratch, "idle");
        world.Import(count);
        world.Workflow(pollMs: 30_000, maxAgents: count, command: "sleep 86400");
        var start = Stopwatch.StartNew();
        using var daemon = Daemon.Start(world);
        while (daemon.Running() < count)
        {
            if (start.Elapsed > TimeSpan.FromSeconds(60 + (count * 3)))
            {
                throw new BenchFailedException($"only {daemon.Running()} of {count} sessions were running after {start.Elapsed.TotalSeconds:0} s");
            }

            Thread.Sleep(500);
        }

        notes.Add(string.Create(CultureInfo.InvariantCulture, $"idle: {count} sessions running after {start.Elapsed.TotalSeconds:0.0} s; settling 10 s, then a 30 s window"));
        Thread.Sleep(TimeSpan.FromSeconds(10));
        var server = world.TmuxServerPid();
        var window = TimeSpan.FromSeconds(30);
        var cpuBefore = daemon.CpuTime();
        var serverBefore = CpuTime(server);
        var watch = Stopwatch.StartNew();
        Thread.Sleep(window);
        var elapsed = watch.Elapsed;
        var share = (daemon.CpuTime() - cpuBefore) / elapsed * 100;
        var serverShare = (CpuTime(server) - serverBefore) / elapsed * 100;
        var rssMb = daemon.RssKb() / 1024.0;
        var serverRssMb = RssKb(server) / 1024.0;
        if (daemon.Running() != count)
        {
            throw new BenchFailedException($"{daemon.Running()} of {count} sessions were running at the end of the idle window");
        }

        yield return new Row(
            $"orchestrator idle, {count} running sessions: CPU over {window.TotalSeconds:0} s",
            string.Create(CultureInfo.InvariantCulture, $"{serverShare:0.00} % tmux server"),
            string.Create(CultureInfo.InvariantCulture, $"{share:0.00} % of one core"),
            "-",
            "< 2 %",
            share < 2 ? "ok" : "MISSED");
        yield return new Row(
            $"orchestrator idle, {count} running sessions: resident memory",
            string.Create(CultureInfo.InvariantCulture, $"{serverRssMb:0.0} MB tmux server"),
            string.Create(CultureInfo.InvariantCulture, $"{rssMb:0.0} MB VmRSS"),
            "-",
            "< 200 MB",
            rssMb < 200 ? "ok" : "MISSED");
    }

    // ---- Helpers -----------------------------------------------------------------------------------------------

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static DateTimeOffset WaitForMark(string path, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } text)
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks(long.Parse(text, CultureInfo.InvariantCulture) / 100);
            }

            if (watch.Elapsed > timeout)
            {
                throw new BenchFailedException($"{what} did not run within {timeout.TotalSeconds:0} s");
            }

            Thread.Sleep(2);
        }
    }

    private static void WaitForState(World world, string identifier, string state)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var shown = JsonDocument.Parse(Timing.RunOk(world.Baton("task", "show", identifier, "--json")).Output);
            if (shown.RootElement.GetProperty("data").GetProperty("state").GetString() == state)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new BenchFailedException($"{identifier} did not reach {state} within 60 s");
            }

            Thread.Sleep(100);
        }
    }

    private static TimeSpan CpuTime(int pid)
    {
        // Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the command name's closing parenthesis.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((double)ticks / ClockTicksPerSecond);
    }

    private static long RssKb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>A repository with baton.yaml, a BATON_HOME and a tmux server of its own; disposing stops everything in it.</summary>
    private sealed class World : IDisposable
    {
        private World(string root, string repository, Dictionary<string, string> environment, string baton, string socket)
        {
            Root = root;
            Repository = repository;
            Environment = environment;
            BatonPath = baton;
            Socket = socket;
        }

        public string Root { get; }

        public string Repository { get; }

        public Dictionary<string, string> Environment { get; }

        public string BatonPath { get; }

        public string Socket { get; }

        public static World Create(BenchOptions options, Scratch scratch, string name)
        {
            var root = scratch.Subdirectory("orchestrator", name);
            var repository = Path.Combine(root, "app");
            Directory.CreateDirectory(repository);
            Timing.RunOk(Fixtures.Git(repository, "init", "--quiet", "--initial-branch=main"));
            File.WriteAllText(Path.Combine(repository, "README.md"), "bench\n");
            Timing.RunOk(Fixtures.Git(repository, "add", "--all"));
            Timing.RunOk(Fixtures.Git(repository, "commit", "--quiet", "-m", "one commit"));
            var socket = $"baton-bench-{System.Environment.ProcessId}-{name}";
            var environment = new Dictionary<string, string>
            {
                ["BATON_HOME"] = Path.Combine(root, "home", ".baton"),
                ["BATON_TMUX_SOCKET"] = socket,
                ["BATON_EXECUTABLE"] = options.Baton,
                [BenchTeardown.MarkerVariable] = root,
            };
            var world = new World(root, repository, environment, options.Baton, socket);
            Timing.RunOk(world.Baton("init", "--prefix", "app"));
            return world;
        }

        public Launch Baton(params string[] arguments) => new(BatonPath, arguments, Repository, Environment);

        public Launch Tmux(params string[] arguments) => new("tmux", ["-L", Socket, .. arguments], Environment: new Dictionary<string, string> { ["TMUX"] = string.Empty });

        public string Folder(string name) => System.IO.Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

        public void Import(int count) => Fixtures.ImportTasks(Baton(), Path.Combine(Root, "tasks.jsonl"), count);

        public void Workflow(int pollMs, int maxAgents, string command) =>
            File.WriteAllText(Path.Combine(Repository, "WORKFLOW.md"), $"""
                ---
                polling:
                  interval_ms: {pollMs}
                agent:
                  kind: command
                  max_concurrent_agents: {maxAgents}
                  command: {JsonSerializer.Serialize(command)}
                ---
                Work on {"{{ issue.identifier }}"}.
                """);

        public int TmuxServerPid() => int.Parse(Timing.RunOk(Tmux("display-message", "-p", "#{pid}")).Output.Trim(), CultureInfo.InvariantCulture);

        /// <summary>Kills the tmux server, then whatever still carries this world's directory in its environment.</summary>
        public void Dispose() => BenchTeardown.Stop(Socket, Root);
    }

    /// <summary><c>baton run --port 0 --stop-sessions</c> as a process; disposing sends SIGTERM and waits.</summary>
    private sealed class Daemon : IDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http;

        private Daemon(Process process, string url)
        {
            _process = process;
            _http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        }

        public static Daemon Start(World world)
        {
            var info = new ProcessStartInfo(world.BatonPath)
            {
                WorkingDirectory = world.Repository,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "run", "--port", "0", "--stop-sessions" })
            {
                info.ArgumentList.Add(argument);
            }

            foreach (var (name, value) in world.Environment)
            {
                info.Environment[name] = value;
            }

            var process = Process.Start(info) ?? throw new BenchFailedException("baton run did not start");
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            var watch = Stopwatch.StartNew();
            while (process.StandardOutput.ReadLine() is { } line)
            {
                var at = line.IndexOf("http://127.0.0.1:", StringComparison.Ordinal);
                if (at >= 0)
                {
                    var url = new string(line[at..].TakeWhile(c => !char.IsWhiteSpace(c)).ToArray());
                    _ = process.StandardOutput.ReadToEndAsync(); // keep draining
                    return new Daemon(process, url);
                }

                if (watch.Elapsed > TimeSpan.FromSeconds(60))
                {
                    break;
                }
            }

            process.Kill(entireProcessTree: true);
            throw new BenchFailedException("baton run printed no API address");
        }

        public TimeSpan CpuTime() => OrchestratorBench.CpuTime(_process.Id);

        public long RssKb() => OrchestratorBench.RssKb(_process.Id);

        public int Running()
        {
            using var state = JsonDocument.Parse(_http.GetStringAsync(new Uri("/api/v1/state", UriKind.Relative)).GetAwaiter().GetResult());
            // A row counts once its session started (a dispatch still spawning has no session yet).
            return state.RootElement.GetProperty("running").EnumerateArray().Count(r => r.TryGetProperty("session", out var session) && session.ValueKind == JsonValueKind.String);
        }

        public void Dispose()
        {
            _http.Dispose();
            if (!_process.HasExited)
            {
                Timing.Run(new Launch("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]));
                if (!_process.WaitForExit(TimeSpan.FromSeconds(60)))
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _process.Dispose();
        }
    }
}
