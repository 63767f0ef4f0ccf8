using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Baton.Workspaces;

namespace Baton.Bench;

/// <summary>
/// Sessions and their worker hosts, all in one tmux server of the bench's own (a unique <c>BATON_TMUX_SOCKET</c>),
/// every session the <c>command</c> agent running <c>sleep</c>, every workspace created before its session:
/// <list type="number">
/// <item><c>baton spawn</c> when the workspace exists, from the CLI call until it returns (it returns when the worker
/// reports the agent started), against the floor <c>tmux new-session -d -s NAME 'sleep …'</c> plus waiting until that
/// <c>sleep</c> exists, alternated, after one warm-up of each; <c>baton --version</c> takes turns with them, as the cost
/// of one .NET process start under the same conditions. Target ≤ 1.3× the floor. The phases of each spawn are worked
/// out from the worker's own records (its start time in /proc, the status.json it writes first, its first events);</item>
/// <item>worker host memory with those sessions idle, and again with all of them: VmRSS, RssAnon, RssFile of
/// /proc/PID/status and Pss of /proc/PID/smaps_rollup per worker, so what is shared shows. Target under 40 MB a session;</item>
/// <item><c>baton list</c> with all sessions (default 100) live, against the floor: the same <c>tmux list-panes</c> and
/// the same git commands per workspace (SessionCommands.cs, GitFactsAsync) started directly with the same
/// parallelism. Targets under 300 ms and ≤ 1.5× the floor.</item>
/// </list>
/// Everything started is stopped at the end: the tmux server is killed (its panes get SIGHUP and the workers end
/// their runs), then any process still carrying the scratch directory in its command line or environment is killed by pid.
/// </summary>
internal static class SessionsBench
{
    private const string AgentCommand = "sleep 86400";
    private const int ClockTicksPerSecond = 100; // USER_HZ, the unit of /proc/PID/stat start times on Linux

    public static IEnumerable<Row> Run(BenchOptions options, Scratch scratch, GitLog gitLog, List<string> notes)
    {
        var root = scratch.Subdirectory("sessions");
        var batonHome = Path.Combine(root, "home", ".baton");
        using var fleet = new Fleet($"baton-bench-{Environment.ProcessId}", scratch.Root, batonHome, notes);
        var repository = SmallRepository(Path.Combine(root, "app"));
        var environment = new Dictionary<string, string>
        {
            ["BATON_HOME"] = batonHome,
            ["BATON_TMUX_SOCKET"] = fleet.Socket,
            ["BATON_EXECUTABLE"] = options.Baton,
        };
        Launch Baton(params string[] arguments) => new(options.Baton, arguments, repository, environment);
        Launch Spawn(int i) => Baton("spawn", "app", $"APP-{i}", "--agent", "command", "--command", AgentCommand, "--runtime", "tmux", "--idle-timeout", "86400", "--silence-timeout", "86400", "--json");

        var setUp = Stopwatch.StartNew();
        var count = options.Sessions;
        Timing.RunOk(Baton("init", "--prefix", "app"));
        Fixtures.ImportTasks(Baton(), Path.Combine(root, "tasks.jsonl"), count);
        CreateWorkspaces(Baton, count);
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"sessions set-up: {count} tasks and their workspaces (a repository of {SmallFiles} files with an origin; ¼ with a modified file, ¼ with a commit not pushed) in {setUp.Elapsed.TotalSeconds:0.0} s"));

        var rows = new List<Row>();
        var spawned = SpawnMeasure(options, Spawn, Baton, fleet, notes, rows);
        rows.Add(MemoryRow(fleet, spawned, notes));

        // The rest, untimed, four at a time (each spawn is a CLI process and a worker process starting).
        var rest = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(4);
        var more = Task.WhenAll(Enumerable.Range(spawned.Count + 1, Math.Max(0, count - spawned.Count)).Select(async i =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                return await Timing.RunOkAsync(Spawn(i)).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).GetAwaiter().GetResult();
        var all = spawned.Concat(more.Select(o => SpawnedSession.From(o.Output))).ToList();
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"spawning sessions {spawned.Count + 1}–{count}, 4 at a time: {rest.Elapsed.TotalSeconds:0.0} s ({Row.Load()})"));

        // The same project and tmux server seen from a BATON_HOME without sessions: what baton list costs before any git.
        var empty = new Dictionary<string, string>(environment) { ["BATON_HOME"] = Path.Combine(root, "empty", ".baton") };
        Launch EmptyBaton(params string[] arguments) => new(options.Baton, arguments, repository, empty);
        rows.Add(ListMeasure(options, Baton, EmptyBaton, fleet, all, gitLog, notes));
        rows.Add(MemoryRow(fleet, all, notes));
        return rows;
    }

    private const int SmallFiles = 20;

    /// <summary>
    /// A small repository (20 files, one commit) with an origin remote, so git's own work per workspace is small and the
    /// list measure is about processes: how many Baton starts, and what it adds around them.
    /// </summary>
    private static string SmallRepository(string path)
    {
        Directory.CreateDirectory(path);
        Timing.RunOk(Fixtures.Git(path, "init", "--quiet", "--initial-branch=main"));
        for (var f = 0; f < SmallFiles; f++)
        {
            File.WriteAllText(Path.Combine(path, $"file{f:00}.txt"), $"file {f}\n");
        }

        Timing.RunOk(Fixtures.Git(path, "add", "--all"));
        Timing.RunOk(Fixtures.Git(path, "commit", "--quiet", "-m", "one commit"));
        var origin = Path.Combine(Path.GetDirectoryName(path)!, "origin.git");
        Timing.RunOk(Fixtures.Git(path, "clone", "--quiet", "--bare", path, origin));
        Timing.RunOk(Fixtures.Git(path, "remote", "add", "origin", origin));
        Timing.RunOk(Fixtures.Git(path, "fetch", "--quiet", "origin"));
        Timing.RunOk(Fixtures.Git(path, "branch", "--quiet", "--set-upstream-to=origin/main", "main"));
        return path;
    }

    /// <summary>
    /// The first workspace through the CLI (to learn where baton keeps them), the rest through the library; every 4th
    /// (from APP-1) gets a modified file, every 4th from APP-2 a commit not pushed, the rest stay clean. Then the index of
    /// each is refreshed a second later, so no file is "racily clean" (git would re-read every file on every status,
    /// which a workspace an agent has worked in for a while does not cost).
    /// </summary>
    private static void CreateWorkspaces(Func<string[], Launch> baton, int count)
    {
        using var created = JsonDocument.Parse(Timing.RunOk(baton(["workspace", "create", "APP-1", "--json"])).Output);
        var path = created.RootElement.GetProperty("data").GetProperty("path").GetString()!;
        var repository = baton([]).WorkingDirectory!;
        var layout = new WorkspaceLayout { Strategy = WorkspaceLayout.Worktree, Root = Path.GetDirectoryName(path)!, RepositoryPath = repository, DefaultBranch = "main" };
        var paths = new List<string> { path };
        for (var i = 2; i <= count; i++)
        {
            paths.Add(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask($"id{i}", $"APP-{i}")).GetAwaiter().GetResult().Path);
        }

        for (var i = 1; i <= count; i++)
        {
            var workspace = paths[i - 1];
            switch (i % 4)
            {
                case 1:
                    File.AppendAllText(Path.Combine(workspace, "file00.txt"), $"changed in APP-{i}\n");
                    break;
                case 2:
                    File.AppendAllText(Path.Combine(workspace, "file01.txt"), $"committed in APP-{i}\n");
                    Timing.RunOk(Fixtures.Git(workspace, "commit", "--quiet", "--all", "-m", $"APP-{i}: not pushed"));
                    break;
            }
        }

        Thread.Sleep(TimeSpan.FromSeconds(1.1));
        foreach (var workspace in paths)
        {
            Timing.Run(Fixtures.Git(workspace, "update-index", "-q", "--refresh"));
        }
    }

    private static List<SpawnedSession> SpawnMeasure(BenchOptions options, Func<int, Launch> spawn, Func<string[], Launch> baton, Fleet fleet, List<string> notes, List<Row> rows)
    {
        var runs = Math.Min(options.SpawnRuns, options.Sessions - 1);
        var version = baton(["--version"]);
        var floorTimes = new List<TimeSpan>();
        var batonTimes = new List<TimeSpan>();
        var versionTimes = new List<TimeSpan>();
        var phases = new List<SpawnPhases>();
        var sessions = new List<SpawnedSession>();
        fleet.StartServer();
        for (var i = 0; i <= runs; i++)
        {
            var floor = () => floorTimes.Add(fleet.FloorSpawn($"floor-{i}"));
            var ours = () =>
            {
                var before = DateTimeOffset.UtcNow;
                var outcome = Timing.RunOk(spawn(i + 1));
                var session = SpawnedSession.From(outcome.Output);
                sessions.Add(session);
                batonTimes.Add(outcome.Elapsed);
                phases.Add(SpawnPhases.Of(session, before, outcome.Elapsed, fleet));
            };
            var start = () => versionTimes.Add(Timing.RunOk(version).Elapsed);
            Action[] order = (i % 3) switch { 0 => [floor, ours, start], 1 => [ours, start, floor], _ => [start, floor, ours] };
            foreach (var step in order)
            {
                step();
            }

            if (i == 0)
            {
                floorTimes.Clear();
                batonTimes.Clear();
                versionTimes.Clear();
                phases.Clear();
            }
        }

        fleet.KillFloorSessions();
        var floorStats = Stats.Of(floorTimes);
        var batonStats = Stats.Of(batonTimes);
        var ratio = batonStats.MedianMs / floorStats.MedianMs;
        rows.Add(new Row(
            $"baton spawn, workspace exists, command agent, tmux ({runs} runs)",
            floorStats + " tmux new-session + sleep up",
            batonStats.ToString(),
            Row.FormatRatio(ratio),
            "≤ 1.3× tmux",
            ratio <= 1.3 ? "ok" : "MISSED"));
        var versionStats = Stats.Of(versionTimes);
        rows.Add(new Row(
            "  of which .NET process start (baton --version, same turns; spawn starts two: the CLI and the worker)",
            "-",
            versionStats.ToString(),
            Row.FormatRatio(versionStats.MedianMs / floorStats.MedianMs),
            "info",
            "-"));
        static string Median(IEnumerable<double> values) => Stats.Median(values).ToString("0", CultureInfo.InvariantCulture);
        notes.Add($"baton spawn phases, medians in ms (10 ms resolution: /proc start times are in clock ticks): " +
            $"CLI until the worker process is forked {Median(phases.Select(p => p.CliMs))}, " +
            $"worker process start until it writes status.json {Median(phases.Select(p => p.WorkerStartMs))}, " +
            $"worker until run_started (its socket, the model endpoint) {Median(phases.Select(p => p.WorkerInitMs))}, " +
            $"run_started until spawn exits (agent adapter, status.json says working; the CLI polls it every 50 ms, describes, prints, exits) {Median(phases.Select(p => p.TailMs))}; " +
            $"spawn does not wait for the command agent's process (bash -lc '{AgentCommand}'): it runs {Median(phases.Select(p => p.AgentUpMs))} ms after the call");
        return sessions;
    }

    private static Row ListMeasure(BenchOptions options, Func<string[], Launch> baton, Func<string[], Launch> emptyBaton, Fleet fleet, IReadOnlyList<SpawnedSession> sessions, GitLog gitLog, List<string> notes)
    {
        var list = baton(["list"]);
        var listJson = baton(["list", "--json"]);
        var emptyList = emptyBaton(["list", "--json"]);
        Timing.RunOk(emptyList);
        using (var document = JsonDocument.Parse(Timing.RunOk(listJson).Output))
        {
            var items = document.RootElement.GetProperty("data").EnumerateArray().ToList();
            var live = items.Count(s => s.GetProperty("workerAlive").GetBoolean() && s.GetProperty("runtimeAlive").GetBoolean() && s.GetProperty("dirty").ValueKind != JsonValueKind.Null);
            if (items.Count != sessions.Count || live != sessions.Count)
            {
                throw new BenchFailedException($"baton list --json shows {items.Count} sessions, {live} with a live worker and pane and git facts; {sessions.Count} were spawned");
            }

            static int Positive(JsonElement s, string name) => s.GetProperty(name).ValueKind == JsonValueKind.Number && s.GetProperty(name).GetInt32() > 0 ? 1 : 0;
            notes.Add($"baton list shows {items.Count(s => s.GetProperty("dirty").GetBoolean())} dirty, {items.Sum(s => Positive(s, "ahead"))} ahead, {items.Sum(s => Positive(s, "unpushed"))} with unpushed commits (the fixture: ¼, ¼, ¼)");
        }

        var floor = new ListFloor(fleet, sessions.Select(s => s.Workspace).ToList());
        var listGit = gitLog.Record(list);
        notes.Add($"processes per baton list of {sessions.Count}: floor tmux ×1, git ×{floor.GitCount} ({floor.Commands}); baton tmux ×1, git ×{listGit.Count} ({WorkspaceCreateBench.Commands(listGit)})");

        var variants = new (Func<TimeSpan> Measure, List<TimeSpan> Times)[]
        {
            (() => Timing.Time(floor.RunAsync), []),
            (() => Timing.RunOk(list).Elapsed, []),
            (() => Timing.RunOk(listJson).Elapsed, []),
            (() => Timing.RunOk(emptyList).Elapsed, []),
        };
        for (var run = 0; run <= options.SessionListRuns; run++)
        {
            for (var turn = 0; turn < variants.Length; turn++)
            {
                var (measure, times) = variants[(turn + run) % variants.Length];
                var elapsed = measure();
                if (run > 0)
                {
                    times.Add(elapsed);
                }
            }
        }

        var floorStats = Stats.Of(variants[0].Times);
        var table = Stats.Of(variants[1].Times);
        var json = Stats.Of(variants[2].Times);
        notes.Add($"baton list --json with {sessions.Count} sessions: {json} ({Row.FormatRatio(json.MedianMs / floorStats.MedianMs)} the floor); " +
            $"with none (an empty BATON_HOME, same project and tmux server: start-up, config, state.db, tmux list-panes): {Stats.Of(variants[3].Times)}");
        var ratio = table.MedianMs / floorStats.MedianMs;
        return new Row(
            $"baton list, {sessions.Count} live sessions ({options.SessionListRuns} runs)",
            string.Create(CultureInfo.InvariantCulture, $"{floorStats} tmux + git ×{floor.GitCount}"),
            table.ToString(),
            Row.FormatRatio(ratio),
            "< 300 ms and ≤ 1.5× floor",
            table.MedianMs < 300 && ratio <= 1.5 ? "ok" : "MISSED");
    }

    /// <summary>Per worker host (median over the sessions): the four numbers, and the whole session's PSS.</summary>
    private static Row MemoryRow(Fleet fleet, IReadOnlyList<SpawnedSession> sessions, List<string> notes)
    {
        // Let the workers settle: a fresh one is still reading its files and running its first heartbeats.
        Thread.Sleep(TimeSpan.FromSeconds(3));
        var samples = sessions.Select(s => fleet.Memory(s)).ToList();
        double Median(Func<SessionMemory, double> field) => Stats.Median(samples.Select(field));
        var rss = Median(s => s.Worker.RssKb) / 1024;
        var anon = Median(s => s.Worker.AnonKb) / 1024;
        var file = Median(s => s.Worker.FileKb) / 1024;
        var pss = Median(s => s.Worker.PssKb) / 1024;
        var sessionPss = Median(s => s.SessionPssKb) / 1024;
        var sessionRss = Median(s => s.SessionRssKb) / 1024;
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"memory with {sessions.Count} sessions: per session (worker + pane sh + pipe-pane sh and cat, agent not counted) PSS {sessionPss:0.0} MB, RSS {sessionRss:0.0} MB; " +
            $"the tmux server {fleet.ServerMemory().RssKb / 1024.0:0.0} MB RSS ({Row.Load()})"));
        return new Row(
            $"worker host memory, {sessions.Count} sessions up, median per worker",
            "-",
            string.Create(CultureInfo.InvariantCulture, $"VmRSS {rss:0.0} · RssAnon {anon:0.0} · RssFile {file:0.0} · PSS {pss:0.0} MB"),
            "-",
            "< 40 MB a session (PSS)",
            sessionPss < 40 ? "ok" : "MISSED");
    }

    /// <summary>What spawn --json printed, and what the session's worker wrote.</summary>
    private sealed record SpawnedSession(string Name, string Directory, string Workspace)
    {
        public static SpawnedSession From(string json)
        {
            using var document = JsonDocument.Parse(json);
            var data = document.RootElement.GetProperty("data");
            return new SpawnedSession(data.GetProperty("name").GetString()!, data.GetProperty("directory").GetString()!, data.GetProperty("workspace").GetString()!);
        }

        public JsonDocument Status() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "status.json")));

        public int WorkerPid()
        {
            using var status = Status();
            return status.RootElement.GetProperty("workerPid").GetInt32();
        }

        public DateTimeOffset EventTime(string type)
        {
            foreach (var line in File.ReadLines(Path.Combine(Directory, "events.jsonl")))
            {
                using var e = JsonDocument.Parse(line);
                if (e.RootElement.GetProperty("type").GetString() == type)
                {
                    return e.RootElement.GetProperty("ts").GetDateTimeOffset();
                }
            }

            throw new BenchFailedException($"{Name} has no {type} event in events.jsonl");
        }
    }

    private sealed record SpawnPhases(double CliMs, double WorkerStartMs, double WorkerInitMs, double TailMs, double AgentUpMs)
    {
        /// <summary>
        /// Splits one spawn at the worker's fork (its /proc start time, in status.json), its first status.json and its
        /// run_started event; and times, after spawn returned, until the agent's command runs (spawn does not wait for it).
        /// </summary>
        public static SpawnPhases Of(SpawnedSession session, DateTimeOffset called, TimeSpan elapsed, Fleet fleet)
        {
            var agentUp = fleet.WaitForAgent(session.WorkerPid(), called);
            using var status = session.Status();
            var forked = fleet.BootTime + TimeSpan.FromSeconds(status.RootElement.GetProperty("workerStartTime").GetInt64() / (double)ClockTicksPerSecond);
            var started = status.RootElement.GetProperty("startedAt").GetDateTimeOffset();
            var runStarted = session.EventTime("run_started");
            var returned = called + elapsed;
            return new SpawnPhases(
                (forked - called).TotalMilliseconds,
                (started - forked).TotalMilliseconds,
                (runStarted - started).TotalMilliseconds,
                (returned - runStarted).TotalMilliseconds,
                (agentUp - called).TotalMilliseconds);
        }
    }

    private sealed record ProcessMemory(long RssKb, long AnonKb, long FileKb, long PssKb)
    {
        public static ProcessMemory Of(int pid)
        {
            long Field(string file, string name) => File.ReadLines($"/proc/{pid}/{file}")
                .Where(l => l.StartsWith(name + ":", StringComparison.Ordinal))
                .Select(l => long.Parse(l[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture))
                .FirstOrDefault();
            return new ProcessMemory(Field("status", "VmRSS"), Field("status", "RssAnon"), Field("status", "RssFile"), Field("smaps_rollup", "Pss"));
        }
    }

    private sealed record SessionMemory(ProcessMemory Worker, long SessionRssKb, long SessionPssKb);

    /// <summary>The bench's tmux server and everything started in it; disposing stops it all.</summary>
    private sealed class Fleet(string socket, string marker, string batonHome, List<string> notes) : IDisposable
    {
        // Baton's server config (remain-on-exit, history-limit, …), written where baton writes it, so the server the
        // bench starts first is configured as if a spawn had started it.
        private readonly string _config = Runtimes.TmuxClient.ForHome(batonHome).AttachCommand("x")[4];
        private readonly List<string> _floorSessions = [];
        private int _serverPid;
        private string? _socketPath;

        public string Socket { get; } = socket;

        /// <summary>When the clock of /proc/PID/stat start times began, on the wall clock (±10 ms).</summary>
        public DateTimeOffset BootTime { get; } = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture));

        private Launch Tmux(params string[] arguments) => new("tmux", ["-L", Socket, "-f", _config, .. arguments], Environment: new Dictionary<string, string> { ["TMUX"] = string.Empty });

        /// <summary>Starts the server with one session of its own, the way the first spawn would, and learns its pid.</summary>
        public void StartServer()
        {
            Timing.RunOk(Tmux("new-session", "-d", "-s", "bench-keepalive", AgentCommand));
            _floorSessions.Add("bench-keepalive");
            var server = Timing.RunOk(Tmux("display-message", "-p", "#{pid}\t#{socket_path}")).Output.Trim().Split('\t');
            _serverPid = int.Parse(server[0], CultureInfo.InvariantCulture);
            _socketPath = server[1];
        }

        /// <summary>The spawn floor: <c>tmux new-session -d</c> of a shell command, then waiting until its process runs.</summary>
        public TimeSpan FloorSpawn(string name)
        {
            var known = Children(_serverPid).ToHashSet();
            var watch = Stopwatch.StartNew();
            var created = Timing.RunOk(Tmux("new-session", "-d", "-s", name, AgentCommand));
            _floorSessions.Add(name);
            while (!Children(_serverPid).Where(pid => !known.Contains(pid)).Any(IsAgent))
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(20))
                {
                    throw new BenchFailedException($"the floor's {AgentCommand} in tmux session {name} did not start within 20 s");
                }

                Thread.Sleep(1);
            }

            return watch.Elapsed;
        }

        /// <summary>Waits until <c>sleep</c> runs below <paramref name="parent"/>; returns when it was first seen (polled every ms).</summary>
        public DateTimeOffset WaitForAgent(int parent, DateTimeOffset since)
        {
            while (!Children(parent).Any(IsAgent))
            {
                if (DateTimeOffset.UtcNow - since > TimeSpan.FromSeconds(20))
                {
                    throw new BenchFailedException($"the agent's {AgentCommand} under worker {parent} did not start within 20 s");
                }

                Thread.Sleep(1);
            }

            return DateTimeOffset.UtcNow;
        }

        private static bool IsAgent(int pid) => CommandLine(pid) == AgentCommand.Replace(' ', '\0') + "\0" || Children(pid).Any(IsAgent);

        public void KillFloorSessions()
        {
            foreach (var name in _floorSessions)
            {
                Timing.Run(Tmux("kill-session", "-t", "=" + name));
            }

            _floorSessions.Clear();
        }

        public Launch ListPanes() => Tmux("list-panes", "-a", "-F", "#{session_name}\t#{session_created}\t#{session_attached}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}");

        public SessionMemory Memory(SpawnedSession session)
        {
            var worker = session.WorkerPid();
            var pane = Parent(worker);
            var paneLog = Path.Combine(session.Directory, "pane.log");
            var pipe = Children(_serverPid).Where(pid => CommandLine(pid).Contains(paneLog, StringComparison.Ordinal)).ToList();
            var others = new[] { pane }.Concat(pipe).Concat(pipe.SelectMany(Children)).Select(ProcessMemory.Of).ToList();
            var own = ProcessMemory.Of(worker);
            return new SessionMemory(own, own.RssKb + others.Sum(m => m.RssKb), own.PssKb + others.Sum(m => m.PssKb));
        }

        public ProcessMemory ServerMemory() => ProcessMemory.Of(_serverPid);

        /// <summary>
        /// Kills the server (its panes get SIGHUP: each worker ends its run and its reaper cleans up), waits for the
        /// workers, then kills by pid whatever still carries the scratch directory in its command line or environment.
        /// </summary>
        public void Dispose()
        {
            var watch = Stopwatch.StartNew();
            Timing.Run(Tmux("kill-server"));
            var deadline = Stopwatch.StartNew();
            while (Ours().Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(200);
            }

            var left = Ours();
            foreach (var pid in left)
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }
            }

            // The socket file stays behind after kill-server (seen with tmux 3.3a); the directory is shared with everyone.
            if (_socketPath is not null)
            {
                File.Delete(_socketPath);
            }

            notes.Add(string.Create(CultureInfo.InvariantCulture, $"sessions teardown (tmux kill-server; the workers end their runs and reap): {watch.Elapsed.TotalSeconds:0.0} s, {left.Count} processes left to kill by pid ({Row.Load()})"));
        }

        private List<int> Ours()
        {
            var ours = new List<int>();
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
                {
                    continue;
                }

                try
                {
                    if (CommandLine(pid).Contains(marker, StringComparison.Ordinal)
                        || Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/environ")).Contains(marker, StringComparison.Ordinal))
                    {
                        ours.Add(pid);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Gone meanwhile, or a kernel thread.
                }
            }

            return ours;
        }

        private static string CommandLine(int pid)
        {
            try
            {
                return Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/cmdline"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return string.Empty;
            }
        }

        /// <summary>The children of every thread of a process (a .NET process forks from whichever thread starts it).</summary>
        private static List<int> Children(int pid)
        {
            var children = new List<int>();
            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    children.AddRange(File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }

            return children;
        }

        private static int Parent(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// What <c>baton list</c> asks of tmux and git (SessionCommands.cs, GitFactsAsync), run directly with its
    /// parallelism: tmux list-panes; then, at most max(4, 4 × cores) workspaces at a time, status beside the unpushed
    /// count, followed by the ahead count where something is unpushed; and one <c>git remote</c> for the repository.
    /// Which workspaces need the third is found out before the clock starts.
    /// </summary>
    private sealed class ListFloor
    {
        private static readonly string[] s_status = ["status", "--porcelain", "--untracked-files=normal"];
        private static readonly string[] s_unpushed = ["rev-list", "--count", "HEAD", "--not", "--remotes"];
        private static readonly string[] s_ahead = ["rev-list", "--count", "HEAD", "--not", "--exclude=baton/*", "--branches", "--remotes"];

        private readonly Fleet _fleet;
        private readonly (string Path, bool Unpushed)[] _workspaces;

        public ListFloor(Fleet fleet, IReadOnlyList<string> workspaces)
        {
            _fleet = fleet;
            _workspaces = [.. workspaces.Select(w => (w, Timing.RunOk(Git(w, s_unpushed)).Output.Trim() != "0"))];
        }

        public int GitCount => 1 + (2 * _workspaces.Length) + _workspaces.Count(w => w.Unpushed);

        public string Commands => $"status ×{_workspaces.Length}, rev-list ×{_workspaces.Length + _workspaces.Count(w => w.Unpushed)}, remote ×1";

        private static Launch Git(string workspace, string[] arguments) => new("git", arguments, workspace, Fixtures.GitEnvironment);

        public async Task RunAsync()
        {
            await Timing.RunOkAsync(_fleet.ListPanes()).ConfigureAwait(false);
            var remote = Timing.RunOkAsync(Git(_workspaces[0].Path, ["remote"]));
            using var gate = new SemaphoreSlim(Math.Max(4, Environment.ProcessorCount * 4));
            await Task.WhenAll(_workspaces.Select(async workspace =>
            {
                await gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    var status = Timing.RunOkAsync(Git(workspace.Path, s_status));
                    await Timing.RunOkAsync(Git(workspace.Path, s_unpushed)).ConfigureAwait(false);
                    if (workspace.Unpushed)
                    {
                        await Timing.RunOkAsync(Git(workspace.Path, s_ahead)).ConfigureAwait(false);
                    }

                    await status.ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
            await remote.ConfigureAwait(false);
        }
    }
}
