using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Baton.Core.Events;
using Baton.Core.Web;
using Baton.Runtimes;
using Baton.Sessions;
using Baton.Storage;
using Baton.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Baton.Bench;

/// <summary>
/// The dashboard (<c>--only dashboard</c>), in this process against <see cref="ApiServer"/> with a crew of sessions whose
/// files are real (status.json, session.json, proof/ of every tenth) and whose orchestrator state is built afresh for
/// every request, beside floors served by the same Kestrel set-up from byte arrays:
/// <list type="number">
/// <item><c>GET /api/v1/state</c> and <c>GET /api/v1/sessions</c> with 200 sessions, one request after the other on a
/// kept-alive connection; floor: the same bytes from memory. Target p99 &lt; 50 ms;</item>
/// <item>the dashboard's first paint with those 200 sessions in Debian's headless Chromium: from navigation start until
/// the page has drawn the state and the sessions (its <c>baton-ready</c> mark); floor: the first contentful paint of a
/// static page holding the same rows, with the same stylesheet. Target p99 &lt; 50 ms;</item>
/// <item>20 live SSE clients (in a separate process) while 100 sessions each stream events and state snapshots follow
/// through the coalescer; every event carries a sequence number, so the clients report any one lost. This process's
/// CPU (server and publisher) over the window, as a share of one core; floor: the same frames encoded once and written
/// by a bare Kestrel handler. Target &lt; 10 % of a core, no event lost.</item>
/// </list>
/// </summary>
internal static class DashboardBench
{
    public const string ClientMode = "--sse-clients";
    private const string EndType = "bench-end";

    public static IEnumerable<Row> Run(BenchOptions options, Scratch scratch, List<string> notes)
    {
        var root = scratch.Subdirectory("dashboard");
        using var crew = Crew.Create(root, options.DashboardSessions);
        var api = new CrewApi(crew);
        var rows = new List<Row>();
        var server = ApiServer.StartAsync(api).GetAwaiter().GetResult();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var state = http.GetByteArrayAsync(new Uri(server.BaseUrl + "/api/v1/state")).GetAwaiter().GetResult();
            var sessions = http.GetByteArrayAsync(new Uri(server.BaseUrl + "/api/v1/sessions")).GetAwaiter().GetResult();
            var css = http.GetByteArrayAsync(new Uri(server.BaseUrl + "/assets/baton.css")).GetAwaiter().GetResult();
            using var floor = FloorServer.Start(new Dictionary<string, (byte[], string)>
            {
                ["/state"] = (state, "application/json; charset=utf-8"),
                ["/sessions"] = (sessions, "application/json; charset=utf-8"),
                ["/page"] = (StaticPage(crew), "text/html; charset=utf-8"),
                ["/assets/baton.css"] = (css, "text/css; charset=utf-8"),
            });
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"dashboard crew: {crew.Records.Count} sessions ({crew.Running} running, {crew.Retrying} in the retry queue, {crew.Blocked} waiting); /api/v1/state {state.Length / 1024.0:0} KB, /api/v1/sessions {sessions.Length / 1024.0:0} KB"));

            rows.Add(LatencyRow($"GET /api/v1/state, {crew.Records.Count} sessions ({options.DashboardRequests} requests)", http, floor.Url + "/state", server.BaseUrl + "/api/v1/state", options.DashboardRequests));
            rows.Add(LatencyRow($"GET /api/v1/sessions, {crew.Records.Count} sessions ({options.DashboardRequests} requests)", http, floor.Url + "/sessions", server.BaseUrl + "/api/v1/sessions", options.DashboardRequests));
            rows.Add(PaintRow(options, crew, floor.Url + "/page", server.BaseUrl + "/", notes));
            rows.AddRange(SseRows(options, crew, api, server, floor, notes));
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return rows;
    }

    // ---- Latency ----------------------------------------------------------------------------------------------

    private static Row LatencyRow(string measure, HttpClient http, string floorUrl, string batonUrl, int requests)
    {
        var floorTimes = new List<TimeSpan>();
        var batonTimes = new List<TimeSpan>();
        for (var i = -20; i < requests; i++)
        {
            foreach (var (url, times) in i % 2 == 0 ? new[] { (floorUrl, floorTimes), (batonUrl, batonTimes) } : [(batonUrl, batonTimes), (floorUrl, floorTimes)])
            {
                var watch = Stopwatch.StartNew();
                using var response = http.GetAsync(new Uri(url)).GetAwaiter().GetResult();
                response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                watch.Stop();
                if (!response.IsSuccessStatusCode)
                {
                    throw new BenchFailedException($"GET {url}: HTTP {(int)response.StatusCode}");
                }

                if (i >= 0)
                {
                    times.Add(watch.Elapsed);
                }
            }
        }

        return P99Row(measure, floorTimes, batonTimes, "p99 < 50 ms", 50);
    }

    private static Row P99Row(string measure, List<TimeSpan> floorTimes, List<TimeSpan> batonTimes, string target, double limitMs)
    {
        var floor = Percentiles.Of(floorTimes);
        var baton = Percentiles.Of(batonTimes);
        return new Row(measure, floor.ToString(), baton.ToString(), Row.FormatRatio(baton.P99 / floor.P99), target, baton.P99 < limitMs ? "ok" : "MISSED");
    }

    // ---- First paint ----------------------------------------------------------------------------------------

    private static Row PaintRow(BenchOptions options, Crew crew, string floorUrl, string batonUrl, List<string> notes)
    {
        if (!File.Exists("/usr/bin/chromium") || !File.Exists("/usr/bin/chromedriver"))
        {
            throw new BenchFailedException("the first-paint measure needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)");
        }

        var profile = Directory.CreateDirectory(Path.Combine(crew.Root, "chromium")).FullName;
        using var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        var chrome = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        chrome.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--window-size=1440,960");
        using var driver = new ChromeDriver(service, chrome, TimeSpan.FromSeconds(60));
        try
        {
            double Measure(string url, bool baton)
            {
                driver.Navigate().GoToUrl("about:blank");
                driver.Navigate().GoToUrl(url);
                var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30)) { PollingInterval = TimeSpan.FromMilliseconds(5) };
                var script = baton
                    ? "const m = performance.getEntriesByName('baton-ready'); return m.length ? m[0].startTime : null;"
                    : "const p = performance.getEntriesByName('first-contentful-paint'); return p.length ? p[0].startTime : null;";
                var value = wait.Until(d => ((IJavaScriptExecutor)d).ExecuteScript(script));
                return Convert.ToDouble(value, CultureInfo.InvariantCulture);
            }

            // Where Baton's time goes: the scripts parsed (DOMContentLoaded), the slower of its two API answers in.
            const string Phases = """
                const n = performance.getEntriesByType('navigation')[0];
                const api = performance.getEntriesByType('resource').filter(r => r.name.includes('/api/v1/state') || r.name.includes('/api/v1/sessions'));
                return [n.domContentLoadedEventEnd, Math.max(...api.map(r => r.responseEnd))];
                """;
            var floorTimes = new List<TimeSpan>();
            var batonTimes = new List<TimeSpan>();
            var scripts = new List<double>();
            var answers = new List<double>();
            for (var i = -3; i < options.PaintRuns; i++)
            {
                var floor = Measure(floorUrl, baton: false);
                var baton = Measure(batonUrl, baton: true);
                if (i >= 0)
                {
                    floorTimes.Add(TimeSpan.FromMilliseconds(floor));
                    batonTimes.Add(TimeSpan.FromMilliseconds(baton));
                    var phases = ((IReadOnlyCollection<object>)driver.ExecuteScript(Phases)!).Select(v => Convert.ToDouble(v, CultureInfo.InvariantCulture)).ToArray();
                    scripts.Add(phases[0]);
                    answers.Add(phases[1]);
                }
            }

            var rows = driver.FindElements(By.CssSelector("#sessions tbody tr")).Count;
            if (rows != crew.Records.Count)
            {
                throw new BenchFailedException($"the dashboard drew {rows} session rows, not {crew.Records.Count}");
            }

            notes.Add(string.Create(CultureInfo.InvariantCulture, $"first paint: Baton's from navigation start to its baton-ready mark (state and sessions fetched and drawn; scripts and stylesheet from the browser's cache after the first load, as their URLs carry their hash), medians: scripts parsed at {Stats.Median(scripts):0} ms, both API answers in at {Stats.Median(answers):0} ms; the floor's is the static page's first-contentful-paint"));
            return P99Row($"dashboard first paint, {crew.Records.Count} sessions ({options.PaintRuns} loads)", floorTimes, batonTimes, "p99 < 50 ms", 50);
        }
        finally
        {
            driver.Quit();
        }
    }

    private static byte[] StaticPage(Crew crew)
    {
        var html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"stylesheet\" href=\"/assets/baton.css\"></head><body><main><table id=\"sessions\"><tbody>");
        foreach (var record in crew.Records)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{record.Name}</td><td>{record.TaskIdentifier}</td><td>Bench task title {record.Number}</td><td>pi</td><td>working</td><td>said: step {record.Number}</td><td>12,345</td><td>$0.0420</td><td>1 min ago</td></tr>");
        }

        return Encoding.UTF8.GetBytes(html.Append("</tbody></table></main></body></html>").ToString());
    }

    // ---- Live events ----------------------------------------------------------------------------------------

    private static IEnumerable<Row> SseRows(BenchOptions options, Crew crew, CrewApi api, ApiServer server, FloorServer floor, List<string> notes)
    {
        const int Sessions = 100;
        var rate = options.SseRate;
        var seconds = options.SseSeconds;
        var clients = options.SseClients;
        var floorRun = Stream(floor.Url + "/events", clients, seconds, rate, Sessions, (id, type, json) => floor.Publish(Frame(id, type, json)), () => floor.Complete());
        var batonRun = Stream(server.BaseUrl + "/api/v1/events", clients, seconds, rate, Sessions, (id, type, json) => api.Hub.Publish(new ServerEvent(type, JsonDocument.Parse(json).RootElement.Clone(), id)), () => { });
        var snapshot = Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(api.Snapshot(), ApiJsonContext.Default.OrchestratorSnapshot));
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"live events: {Sessions} sessions × {rate} events/s for {seconds} s ({batonRun.Published} events, plus a state snapshot of {snapshot / 1024.0:0} KB at most every 200 ms) to {clients} clients in another process; latency publish → client p50 {batonRun.LatencyP50:0.0} ms, p99 {batonRun.LatencyP99:0.0} ms (floor {floorRun.LatencyP50:0.0} / {floorRun.LatencyP99:0.0} ms); the clients' process used {batonRun.ClientCpu:0.0} % of a core"));
        var lost = batonRun.Lost;
        yield return new Row(
            $"{clients} SSE clients, {Sessions} sessions streaming: server CPU",
            string.Create(CultureInfo.InvariantCulture, $"{floorRun.ServerCpu:0.0} % of a core"),
            string.Create(CultureInfo.InvariantCulture, $"{batonRun.ServerCpu:0.0} % of a core"),
            Row.FormatRatio(batonRun.ServerCpu / Math.Max(floorRun.ServerCpu, 0.01)),
            "< 10 % of a core",
            batonRun.ServerCpu < 10 ? "ok" : "MISSED");
        yield return new Row(
            $"{clients} SSE clients, {Sessions} sessions streaming: events lost",
            floorRun.Lost.ToString(CultureInfo.InvariantCulture),
            lost.ToString(CultureInfo.InvariantCulture),
            "–",
            "0",
            lost == 0 ? "ok" : "MISSED");
    }

    private static byte[] Frame(long id, string type, string json) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"id: {id}\nevent: {type}\ndata: {json}\n\n"));

    private sealed record StreamResult(long Published, long Lost, double ServerCpu, double ClientCpu, double LatencyP50, double LatencyP99);

    /// <summary>
    /// Starts the clients (another process, so their CPU is not counted), then publishes for <paramref name="seconds"/>:
    /// every 10 ms the session events due, and a state snapshot through the same coalescer the orchestrator uses.
    /// </summary>
    private static StreamResult Stream(string url, int clients, int seconds, int rate, int sessions, Action<long, string, string> publish, Action complete)
    {
        var self = Environment.ProcessPath ?? throw new BenchFailedException("cannot tell this program's path");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { ClientMode, url, clients.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new BenchFailedException("could not start the SSE clients");
        var error = process.StandardError.ReadToEndAsync();
        var ready = process.StandardOutput.ReadLine();
        if (ready != "connected")
        {
            throw new BenchFailedException($"the SSE clients did not connect: {ready} {error.GetAwaiter().GetResult()}");
        }

        long id = 0;
        var gate = new Lock();
        void Send(string type, string json)
        {
            lock (gate)
            {
                publish(++id, type, json);
            }
        }

        var words = new[] { "said: reading the code", "running bash: dotnet test", "bash done", "working", "finished a turn" };
        using var stateEvents = new Coalescer(() => Send(ServerEventTypes.State, JsonSerializer.Serialize(CrewApi.Snapshot(sessions), ApiJsonContext.Default.OrchestratorSnapshot)), Orchestration.OrchestratorApi.StateEventInterval, TimeProvider.System);
        var me = Process.GetCurrentProcess();
        var cpuBefore = me.TotalProcessorTime;
        var clientCpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        long published = 0;
        var total = (long)sessions * rate * seconds;
        while (published < total)
        {
            var due = Math.Min(total, (long)(watch.Elapsed.TotalSeconds * sessions * rate));
            for (; published < due; published++)
            {
                var session = (int)(published % sessions);
                var activity = new BenchActivity($"app-{session + 1}", WorkerEventTypes.AgentMessage, DateTimeOffset.UtcNow, words[published % words.Length], new TokenCounts(1000 + published, 200, 1200 + published), 0.01m, DateTime.UtcNow.Ticks);
                Send(ServerEventTypes.Session, JsonSerializer.Serialize(activity, BenchJson.Default.BenchActivity));
                stateEvents.Signal();
            }

            Thread.Sleep(10);
        }

        // Let the last trailing snapshot and frames go out, then tell the clients how many there were.
        Thread.Sleep(500);
        var elapsed = watch.Elapsed;
        me.Refresh();
        process.Refresh();
        var serverCpu = (me.TotalProcessorTime - cpuBefore).TotalSeconds / elapsed.TotalSeconds * 100;
        var clientCpu = (process.TotalProcessorTime - clientCpuBefore).TotalSeconds / elapsed.TotalSeconds * 100;
        stateEvents.Dispose();
        long last;
        lock (gate)
        {
            last = id + 1;
            publish(last, EndType, string.Create(CultureInfo.InvariantCulture, $"{{\"last\":{last}}}"));
        }

        complete();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new BenchFailedException("the SSE clients did not finish");
        }

        if (process.ExitCode != 0)
        {
            throw new BenchFailedException($"the SSE clients failed: {error.GetAwaiter().GetResult()}");
        }

        using var report = JsonDocument.Parse(output);
        var r = report.RootElement;
        return new StreamResult(published, r.GetProperty("lost").GetInt64(), serverCpu, clientCpu, r.GetProperty("p50").GetDouble(), r.GetProperty("p99").GetDouble());
    }

    /// <summary>
    /// The client side (this program started with <see cref="ClientMode"/>): N streams; prints "connected" once all
    /// are subscribed, then at the end event one JSON line: events lost (gaps in the ids, or a stream that ended early)
    /// and the latency from publish to receipt of the session events.
    /// </summary>
    public static int Clients(string[] args)
    {
        var url = args[1];
        var count = int.Parse(args[2], CultureInfo.InvariantCulture);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var connected = new CountdownEvent(count);
        var latencies = new List<double>();
        long lost = 0;
        var tasks = Enumerable.Range(0, count).Select(_ => Task.Run(async () =>
        {
            using var response = await http.GetAsync(new Uri(url), HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync().ConfigureAwait(false));
            var mine = new List<double>();
            long expected = 0, missing = 0;
            string? type = null, data = null;
            long id = 0;
            var signalled = false;
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (!signalled)
                {
                    signalled = true;
                    connected.Signal();
                }

                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
                else if (line.Length == 0 && type is not null)
                {
                    if (expected != 0 && id != expected)
                    {
                        missing += Math.Max(0, id - expected);
                    }

                    expected = id + 1;
                    if (type == ServerEventTypes.Session && data is not null)
                    {
                        using var doc = JsonDocument.Parse(data);
                        mine.Add((DateTime.UtcNow.Ticks - doc.RootElement.GetProperty("sent_ticks").GetInt64()) / (double)TimeSpan.TicksPerMillisecond);
                    }
                    else if (type == EndType)
                    {
                        lock (latencies)
                        {
                            latencies.AddRange(mine);
                            lost += missing;
                        }

                        return;
                    }

                    type = null;
                    data = null;
                }
            }

            // The stream ended before the end event: everything after it is lost.
            lock (latencies)
            {
                lost += 1_000_000;
            }
        })).ToArray();
        if (!connected.Wait(TimeSpan.FromSeconds(30)))
        {
            Console.Error.WriteLine("not every client connected within 30 s");
            return 1;
        }

        // The server subscribes before it sends its first line: from here on nothing published is missed.
        Console.Out.WriteLine("connected");
        Console.Out.Flush();
        Task.WaitAll(tasks, TimeSpan.FromMinutes(5));
        latencies.Sort();
        double At(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"lost\":{lost},\"p50\":{At(0.5)},\"p99\":{At(0.99)}}}"));
        return 0;
    }

    // ---- The crew -------------------------------------------------------------------------------------------

    /// <summary>Session directories as workers leave them, and the records the state store would hold.</summary>
    private sealed class Crew : IDisposable
    {
        private Crew(string root, StateStore store, IReadOnlyList<SessionRecord> records, SessionService service)
        {
            Root = root;
            Store = store;
            Records = records;
            Service = service;
        }

        public string Root { get; }

        public StateStore Store { get; }

        public IReadOnlyList<SessionRecord> Records { get; }

        public SessionService Service { get; }

        public int Running => Records.Count * 3 / 4;

        public int Retrying => Records.Count * 3 / 20;

        public int Blocked => Records.Count - Running - Retrying;

        public static Crew Create(string root, int count)
        {
            var home = Directory.CreateDirectory(Path.Combine(root, "home")).FullName;
            var store = StateStore.Open(home);
            var now = DateTimeOffset.UtcNow;
            var records = new List<SessionRecord>();
            for (var i = 1; i <= count; i++)
            {
                var name = $"app-{i}";
                var directory = Directory.CreateDirectory(Path.Combine(home, "bench-app", "sessions", name)).FullName;
                var record = new SessionRecord
                {
                    Project = "bench-app",
                    Number = i,
                    Name = name,
                    RuntimeName = "bench-" + name,
                    Runtime = "tmux",
                    Agent = "pi",
                    Model = "replay/fake-model",
                    TaskId = $"task{i}",
                    TaskIdentifier = $"APP-{i}",
                    Workspace = Path.Combine(home, "bench-app", "worktrees", $"APP-{i}"),
                    Branch = $"baton/APP-{i}",
                    Directory = directory,
                    CreatedAt = now.AddMinutes(-30),
                };
                var files = record.Files;
                files.WriteManifest(new SessionManifest
                {
                    Name = name,
                    Project = record.Project,
                    ProjectId = "app",
                    RuntimeName = record.RuntimeName,
                    Runtime = record.Runtime,
                    Agent = record.Agent,
                    Model = record.Model,
                    TaskId = record.TaskId,
                    TaskIdentifier = record.TaskIdentifier,
                    TaskTitle = $"Bench task title {i}",
                    Workspace = record.Workspace,
                    Branch = record.Branch,
                    BatonHome = home,
                    CreatedAt = record.CreatedAt,
                });
                files.WriteStatus(new WorkerStatus
                {
                    Session = name,
                    Run = 1,
                    Status = "working",
                    WorkerPid = int.MaxValue - i, // no such process: the session reads as ended, as after a crash
                    Turns = 3,
                    Usage = new TokenUsage(10_000 + i, 2_000, 0, 0, 0.0420m),
                    LastEvent = $"said: step {i}",
                    LastEventAt = now.AddSeconds(-i),
                    StartedAt = now.AddMinutes(-20),
                    HeartbeatAt = now,
                });
                if (i % 10 == 0)
                {
                    var proof = Directory.CreateDirectory(Path.Combine(directory, ProofFiles.Directory)).FullName;
                    File.WriteAllText(Path.Combine(proof, ProofFiles.Summary), $"# APP-{i}\n");
                    File.WriteAllText(Path.Combine(proof, ProofFiles.Json), "{}");
                }

                records.Add(record);
            }

            var service = new SessionService(store, home, new Dictionary<string, string>(), TmuxClient.ForHome(home, "baton-bench-none"), TimeProvider.System);
            return new Crew(root, store, records, service);
        }

        public void Dispose() => Store.Dispose();
    }

    /// <summary>An orchestrator's API over the crew: the snapshot is built afresh for each request, the sessions read from their files.</summary>
    private sealed class CrewApi(Crew crew) : IOrchestratorApi
    {
        private readonly SessionProjection _projection = new(crew.Service);

        public ServerEventHub Hub { get; } = new();

        public OrchestratorSnapshot Snapshot() => Snapshot(crew.Records.Count);

        public static OrchestratorSnapshot Snapshot(int count)
        {
            var now = DateTimeOffset.UtcNow;
            var running = count * 3 / 4;
            var retrying = count * 3 / 20;
            return new OrchestratorSnapshot
            {
                GeneratedAt = now,
                Running = [.. Enumerable.Range(1, running).Select(i => new RunningRow
                {
                    IssueId = $"task{i}",
                    IssueIdentifier = $"APP-{i}",
                    State = "In Progress",
                    SessionId = $"app-{i}",
                    Session = $"app-{i}",
                    TurnCount = 3,
                    LastEvent = WorkerEventTypes.AgentMessage,
                    LastMessage = $"step {i}",
                    Activity = $"said: step {i}",
                    StartedAt = now.AddMinutes(-20),
                    LastEventAt = now.AddSeconds(-i),
                    Tokens = new TokenCounts(10_000 + i, 2_000, 12_000 + i),
                    CostUsd = 0.042m,
                    Agent = "pi",
                    Title = $"Bench task title {i}",
                })],
                Retrying = [.. Enumerable.Range(running + 1, retrying).Select(i => new RetryRow
                {
                    IssueId = $"task{i}",
                    IssueIdentifier = $"APP-{i}",
                    Attempt = 2,
                    DueAt = now.AddSeconds(i),
                    Error = "agent run failed: exit code 1",
                    Title = $"Bench task title {i}",
                })],
                Blocked = [.. Enumerable.Range(running + retrying + 1, count - running - retrying).Select(i => new BlockedRow
                {
                    IssueId = $"task{i}",
                    IssueIdentifier = $"APP-{i}",
                    State = "In Progress",
                    Error = "May I drop the legacy table?",
                    SessionId = $"app-{i}",
                    Session = $"app-{i}",
                    BlockedAt = now.AddMinutes(-2),
                    Title = $"Bench task title {i}",
                    Agent = "pi",
                })],
                CodexTotals = new CodexTotals(2_000_000, 400_000, 2_400_000, 24_000, 8.4m),
            };
        }

        public Task<OrchestratorSnapshot> SnapshotAsync(CancellationToken cancellationToken) => Task.FromResult(Snapshot());

        public IssueDetail? Issue(string identifier) => null;

        public RefreshResult RequestRefresh() => RefreshResult.Accepted(DateTimeOffset.UtcNow, coalesced: false);

        public IReadOnlyList<SessionSummary> Sessions() => [.. crew.Records.Select(_projection.Summary)];

        public SessionDetail? Session(string name) =>
            crew.Records.FirstOrDefault(r => r.Name == name) is { } record ? new SessionDetail { Session = _projection.Summary(record) } : null;

        public TranscriptPage? Transcript(string name, long from, int max) =>
            crew.Records.FirstOrDefault(r => r.Name == name) is { } record ? TranscriptReader.Read(name, record.Files.Events, from, max) : null;

        public string? ProofDirectory(string name) =>
            crew.Records.FirstOrDefault(r => r.Name == name) is { } record ? SessionProjection.ProofDirectory(record) : null;

        public Task<AnswerOutcome> AnswerAsync(string session, string text, CancellationToken cancellationToken) => Task.FromResult(AnswerOutcome.NotFound);

        public IAsyncEnumerable<ServerEvent> EventsAsync(CancellationToken cancellationToken) => Hub.SubscribeAsync(cancellationToken);
    }

    /// <summary>The floor: Kestrel (the same embedded set-up as Baton's server) answering from byte arrays, and fanning
    /// pre-encoded event frames out to its event-stream clients.</summary>
    private sealed class FloorServer : IDisposable
    {
        private readonly WebApplication _app;
        private readonly Lock _lock = new();
        private readonly List<Channel<byte[]>> _clients = [];

        private FloorServer(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public static FloorServer Start(IReadOnlyDictionary<string, (byte[] Body, string ContentType)> routes)
        {
            var builder = EmbeddedWebHost.CreateBuilder("baton-bench-floor", IPAddress.Loopback, 0, 64 * 1024, TimeSpan.FromSeconds(2));
            var app = builder.Build();
            FloorServer? floor = null;
            app.Run(async http =>
            {
                http.Response.Headers.CacheControl = "no-store";
                if (http.Request.Path == "/events")
                {
                    await floor!.StreamAsync(http).ConfigureAwait(false);
                    return;
                }

                if (!routes.TryGetValue(http.Request.Path.Value ?? string.Empty, out var route))
                {
                    http.Response.StatusCode = 404;
                    return;
                }

                http.Response.ContentType = route.ContentType;
                await http.Response.Body.WriteAsync(route.Body).ConfigureAwait(false);
            });
            app.StartAsync().GetAwaiter().GetResult();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            floor = new FloorServer(app, address.TrimEnd('/'));
            return floor;
        }

        public void Publish(byte[] frame)
        {
            lock (_lock)
            {
                foreach (var client in _clients)
                {
                    client.Writer.TryWrite(frame);
                }
            }
        }

        public void Complete()
        {
            lock (_lock)
            {
                foreach (var client in _clients)
                {
                    client.Writer.TryComplete();
                }
            }
        }

        public void Dispose()
        {
            Complete();
            _app.StopAsync().GetAwaiter().GetResult();
            _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        private async Task StreamAsync(HttpContext http)
        {
            var channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
            lock (_lock)
            {
                _clients.Add(channel);
            }

            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            http.Response.ContentType = "text/event-stream";
            await http.Response.Body.WriteAsync(": connected\n\n"u8.ToArray()).ConfigureAwait(false);
            await http.Response.Body.FlushAsync().ConfigureAwait(false);
            while (await channel.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var frame))
                {
                    await http.Response.Body.WriteAsync(frame).ConfigureAwait(false);
                }

                await http.Response.Body.FlushAsync().ConfigureAwait(false);
            }
        }
    }
}

/// <summary>A session event as the orchestrator publishes it, plus when it was sent (for the latency).</summary>
internal sealed record BenchActivity(string Session, string Type, DateTimeOffset At, string Words, TokenCounts Tokens, decimal CostUsd, long SentTicks);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchActivity))]
internal sealed partial class BenchJson : JsonSerializerContext;

/// <summary>Median, 90th and 99th percentile (nearest rank).</summary>
internal sealed record Percentiles(double Median, double P90, double P99)
{
    public static Percentiles Of(IEnumerable<TimeSpan> samples)
    {
        var sorted = samples.Select(s => s.TotalMilliseconds).Order().ToArray();
        double At(double q) => sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Percentiles(At(0.5), At(0.9), At(0.99));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Median:0.0} ms (p90 {P90:0.0}, p99 {P99:0.0})");
}
