using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Baton.Bench;

/// <summary>
/// Message delivery to a live session (<c>--only mail</c>): from the call to <c>baton mail send &lt;session&gt;</c>
/// until the agent has the message, beside the floor of writing the worker's own follow-up request to its unix socket
/// with a raw client (what <c>mail send</c> does at its end, without the process, state.db and the lookups). Both go
/// through the same worker into the same agent, taking turns:
/// <list type="number">
/// <item>a <c>command</c> agent whose command appends the time (<c>date +%s%N</c>) to a file on every turn: a follow-up
/// to an idle session starts a turn, so the new line is the moment the agent got the message;</item>
/// <item>pi with the replay model (when pi is installed): the moment the message is in a request the model received
/// (the replay server's request log).</item>
/// </list>
/// Target: median under 1 s.
/// </summary>
internal static class MailBench
{
    public static IEnumerable<Row> Run(BenchOptions options, Scratch scratch, List<string> notes)
    {
        var rows = new List<Row>();
        using (var world = MailWorld.Create(options, scratch, "command"))
        {
            rows.Add(CommandAgent(options, world, notes));
        }

        if (MailWorld.FindPi() is { } pi)
        {
            using var world = MailWorld.Create(options, scratch, "pi", Path.GetDirectoryName(pi));
            rows.Add(Pi(options, world, notes));
        }
        else
        {
            notes.Add("mail delivery to pi: skipped, pi is not installed (PATH or .tools/node_modules/.bin; ./test.sh installs it)");
        }

        return rows;
    }

    private static Row CommandAgent(BenchOptions options, MailWorld world, List<string> notes)
    {
        var marks = Path.Combine(world.Root, "marks.txt");
        var session = world.Spawn("--agent", "command", "--command", $"cat > /dev/null; date +%s%N >> {marks}");
        WaitFor(() => Lines(marks) >= 1, TimeSpan.FromSeconds(60), "the command agent's first turn");
        world.WaitForIdle(session);

        DateTimeOffset Deliver(Action send)
        {
            var before = Lines(marks);
            send();
            WaitFor(() => Lines(marks) > before, TimeSpan.FromSeconds(60), "the agent's turn with the message");
            var at = FromUnixNanoseconds(File.ReadAllLines(marks)[before]);
            world.WaitForIdle(session);
            return at;
        }

        return Measure(options, world, session, "command agent (its turn starts: date +%s%N)", Deliver, notes);
    }

    private static Row Pi(BenchOptions options, MailWorld world, List<string> notes)
    {
        // One scripted turn; every later request gets the replay model's "script exhausted" answer, which is still logged.
        var script = Path.Combine(world.Root, "script.json");
        File.WriteAllText(script, """[{"text": "Ready."}]""");
        var session = world.Spawn("--model", $"replay:{script}");
        var requests = Path.Combine(world.SessionDirectory(session), "replay-requests.jsonl");
        WaitFor(() => File.Exists(requests) && Lines(requests) >= 1, TimeSpan.FromSeconds(90), "pi's first model request");
        world.WaitForIdle(session);

        var round = 0;
        DateTimeOffset Deliver(Action send)
        {
            var before = Lines(requests);
            send();
            DateTimeOffset? seen = null;
            WaitFor(
                () =>
                {
                    if (Lines(requests) > before)
                    {
                        seen ??= DateTimeOffset.UtcNow;
                        return true;
                    }

                    return false;
                },
                TimeSpan.FromSeconds(90),
                "the model request with the message");
            round++;
            world.WaitForIdle(session);
            return seen!.Value;
        }

        var row = Measure(options, world, session, "pi + replay model (the message in a model request)", Deliver, notes);
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"mail delivery to pi: {round} deliveries; the time includes pi turning the message into a request to the model (the replay server answers at once)"));
        return row;
    }

    /// <summary>Alternates <c>baton mail send</c> and the raw socket write, one warm-up each dropped.</summary>
    private static Row Measure(BenchOptions options, MailWorld world, string session, string agent, Func<Action, DateTimeOffset> deliver, List<string> notes)
    {
        var socket = world.Socket(session);
        var baton = new List<TimeSpan>();
        var floor = new List<TimeSpan>();
        var sendProcess = new List<TimeSpan>();
        for (var i = 0; i <= options.MailRuns; i++)
        {
            var body = $"BENCH-{i}: the shared helper moved to utils/parse.py";
            var batonFirst = i % 2 == 0;
            for (var turn = 0; turn < 2; turn++)
            {
                if ((turn == 0) == batonFirst)
                {
                    Outcome? sent = null;
                    var start = DateTimeOffset.UtcNow;
                    var at = deliver(() => sent = Timing.RunOk(world.Baton("mail", "send", session, "-s", $"Bench {i}", "-m", body, "--json")));
                    if (!sent!.Output.Contains("\"delivered\"", StringComparison.Ordinal))
                    {
                        throw new BenchFailedException($"mail send did not deliver: {sent.Output}");
                    }

                    if (i > 0)
                    {
                        baton.Add(at - start);
                        sendProcess.Add(sent.Elapsed);
                    }
                }
                else
                {
                    var start = DateTimeOffset.UtcNow;
                    var at = deliver(() => RawFollowUp(socket, $"[floor message] {body}"));
                    if (i > 0)
                    {
                        floor.Add(at - start);
                    }
                }
            }
        }

        var batonStats = Stats.Of(baton);
        var floorStats = Stats.Of(floor);
        notes.Add($"mail delivery to a {agent}: the baton mail send process alone took {Stats.Of(sendProcess)} (start, state.db, the session's status, the socket round trip); {Row.Load()}");
        return Row.MedianUnder($"mail send → {agent} ({options.MailRuns} runs)", floorStats, "raw socket follow_up", batonStats, 1000, "median < 1 s");
    }

    /// <summary>The floor: the worker's follow-up request, one JSON line on its unix socket, and its one-line reply.</summary>
    private static void RawFollowUp(string socketPath, string text)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        socket.Send(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, string> { ["command"] = "follow_up", ["text"] = text }) + "\n"));
        var buffer = new byte[4096];
        var reply = new StringBuilder();
        while (!reply.ToString().Contains('\n', StringComparison.Ordinal))
        {
            var read = socket.Receive(buffer);
            if (read == 0)
            {
                break;
            }

            reply.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        if (!reply.ToString().Contains("\"ok\":true", StringComparison.Ordinal))
        {
            throw new BenchFailedException($"the worker refused the raw follow-up: {reply}");
        }
    }

    private static int Lines(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var count = 0;
            var buffer = new byte[65536];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                count += buffer.AsSpan(0, read).Count((byte)'\n');
            }

            return count;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    private static DateTimeOffset FromUnixNanoseconds(string text) =>
        DateTimeOffset.UnixEpoch.AddTicks(long.Parse(text.Trim(), CultureInfo.InvariantCulture) / 100);

    /// <summary>Polls every millisecond (a measure's end), failing the bench after <paramref name="timeout"/>.</summary>
    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new BenchFailedException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>A repository with baton.yaml, one task, a BATON_HOME and a tmux server of its own; disposing stops it all.</summary>
    private sealed class MailWorld : IDisposable
    {
        private readonly string _batonPath;

        private MailWorld(string root, string repository, Dictionary<string, string> environment, string baton, string socket)
        {
            Root = root;
            Repository = repository;
            Environment = environment;
            _batonPath = baton;
            TmuxSocket = socket;
        }

        public string Root { get; }

        public string Repository { get; }

        public Dictionary<string, string> Environment { get; }

        public string TmuxSocket { get; }

        public static MailWorld Create(BenchOptions options, Scratch scratch, string name, string? extraPath = null)
        {
            var root = scratch.Subdirectory("mail", name);
            var repository = Path.Combine(root, "app");
            Directory.CreateDirectory(repository);
            Timing.RunOk(Fixtures.Git(repository, "init", "--quiet", "--initial-branch=main"));
            File.WriteAllText(Path.Combine(repository, "README.md"), "bench\n");
            Timing.RunOk(Fixtures.Git(repository, "add", "--all"));
            Timing.RunOk(Fixtures.Git(repository, "commit", "--quiet", "-m", "one commit"));
            var socket = $"baton-bench-{System.Environment.ProcessId}-mail-{name}";
            var path = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
            var environment = new Dictionary<string, string>
            {
                ["BATON_HOME"] = Path.Combine(root, "home", ".baton"),
                ["BATON_TMUX_SOCKET"] = socket,
                ["BATON_EXECUTABLE"] = options.Baton,
                [BenchTeardown.MarkerVariable] = root,
                ["PATH"] = extraPath is null ? path : $"{extraPath}:{path}",
            };
            var world = new MailWorld(root, repository, environment, options.Baton, socket);
            Timing.RunOk(world.Baton("init", "--prefix", "app"));
            Timing.RunOk(world.Baton("task", "add", "app", "Listen for mail"));
            return world;
        }

        /// <summary>pi on PATH, else the one ./test.sh installs under .tools.</summary>
        public static string? FindPi()
        {
            var candidates = (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Append(Path.Combine(System.Environment.CurrentDirectory, ".tools", "node_modules", ".bin"))
                .Select(d => Path.Combine(d, "pi"));
            return candidates.FirstOrDefault(File.Exists);
        }

        public Launch Baton(params string[] arguments) => new(_batonPath, arguments, Repository, Environment);

        /// <summary>Spawns the session of APP-1 that stays idle between messages, and returns its name.</summary>
        public string Spawn(params string[] arguments)
        {
            var spawned = Timing.RunOk(Baton(["spawn", "app", "APP-1", "--idle-timeout", "3600", "--json", .. arguments]));
            using var json = JsonDocument.Parse(spawned.Output);
            return json.RootElement.GetProperty("data").GetProperty("name").GetString()!;
        }

        public string SessionDirectory(string session) =>
            Directory.GetDirectories(Environment["BATON_HOME"], session, SearchOption.AllDirectories).Single(d => Path.GetFileName(Path.GetDirectoryName(d)) == "sessions");

        public string Socket(string session)
        {
            using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(SessionDirectory(session), "status.json")));
            return status.RootElement.GetProperty("socket").GetString()!;
        }

        /// <summary>Waits until the worker reports the agent idle again (status.json), so every delivery starts a turn.</summary>
        public void WaitForIdle(string session)
        {
            var file = Path.Combine(SessionDirectory(session), "status.json");
            WaitFor(
                () =>
                {
                    try
                    {
                        using var status = JsonDocument.Parse(File.ReadAllText(file));
                        return status.RootElement.GetProperty("status").GetString() == "idle";
                    }
                    catch (Exception ex) when (ex is IOException or JsonException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(60),
                $"{session} to be idle");
        }

        /// <summary>Kills the tmux server, then whatever still carries this world's directory in its environment.</summary>
        public void Dispose() => BenchTeardown.Stop(TmuxSocket, Root);
    }
}
