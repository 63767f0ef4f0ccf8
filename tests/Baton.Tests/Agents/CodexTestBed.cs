using System.Text;
using Baton.Agents;
using Baton.Core.Events;
using Baton.Core.Replay;
using Baton.Processes;
using Baton.Replay;
using Baton.Tests.Replay;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Agents;

/// <summary>Collects what an adapter reports; waits for an event by being signalled, never by sleeping.</summary>
internal sealed class TestAgentSink : IAgentEventSink
{
    private readonly Lock _lock = new();
    private readonly List<WorkerEvent> _events = [];
    private readonly List<(string Stream, string Line)> _raw = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<WorkerEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyList<(string Stream, string Line)> RawLines
    {
        get
        {
            lock (_lock)
            {
                return [.. _raw];
            }
        }
    }

    public void Event(WorkerEvent workerEvent)
    {
        lock (_lock)
        {
            _events.Add(workerEvent);
            var previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            previous.TrySetResult();
        }
    }

    public void Raw(string stream, string line)
    {
        lock (_lock)
        {
            _raw.Add((stream, line));
        }
    }

    /// <summary>The first event (counting from <paramref name="after"/>) that matches, or a failure naming what did come.</summary>
    public async Task<WorkerEvent> WaitForAsync(Func<WorkerEvent, bool> match, TimeSpan timeout, int after = 0)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var found = _events.Skip(after).FirstOrDefault(match);
                if (found is not null)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching event within {timeout}; got:\n{Describe()}");
            }
        }
    }

    public Task<WorkerEvent> TurnFinishedAsync(TimeSpan timeout, int after = 0) =>
        WaitForAsync(e => e.Type == WorkerEventTypes.TurnFinished, timeout, after);

    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var e in Events)
        {
            text.Append(e.Type).Append(' ').Append(e.Outcome).Append(' ').Append(e.ToolInput).Append(' ').Append(e.Text).Append(' ').Append(e.Reason).AppendLine();
        }

        text.AppendLine("-- stderr:");
        foreach (var (stream, line) in RawLines.Where(r => r.Stream == "stderr").TakeLast(15))
        {
            text.Append(stream).Append(": ").AppendLine(line.Length > 300 ? line[..300] : line);
        }

        return text.ToString();
    }
}

/// <summary>
/// One real Codex run's world: a git repository with an isolated HOME and git identity, a real replay server with a
/// script, and the launch context the worker host would build. Everything is deleted on dispose.
/// </summary>
internal sealed class CodexTestBed : IAsyncDisposable
{
    public static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _temp;

    private CodexTestBed(TempDirectory temp, ReplayServer server, string workspace, string home)
    {
        _temp = temp;
        Server = server;
        Workspace = workspace;
        Home = home;
    }

    public ReplayServer Server { get; }

    public string Workspace { get; }

    public string Home { get; }

    public string RequestLog => _temp.Combine("requests.jsonl");

    public TestAgentSink Sink { get; } = new();

    /// <summary>Set in every agent process's environment, so a test can find any process the run left behind.</summary>
    public string Tag { get; } = Guid.NewGuid().ToString("N");

    public string Combine(params string[] parts) => _temp.Combine(parts);

    public static async Task<CodexTestBed> StartAsync(string script, bool logBodies = false)
    {
        var temp = new TempDirectory("baton-codex-adapter-");
        try
        {
            var home = temp.Combine("home");
            Directory.CreateDirectory(home);
            var workspace = temp.Combine("workspace");
            await InitRepositoryAsync(workspace, home);
            var server = await ReplayServer.StartAsync(
                ReplayScript.Parse(script, "codex-adapter"),
                new ReplayOptions { LogPath = temp.Combine("requests.jsonl"), LogBodies = logBodies, Lifetime = TimeSpan.FromMinutes(5) }).WaitAsync(TestTimeout);
            return new CodexTestBed(temp, server, workspace, home);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    public AgentLaunchContext Context(string? command = null)
    {
        var environment = IsolatedEnvironment(Home);
        var bin = Path.GetDirectoryName(AgentBinary("codex"))!;
        environment["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";
        environment["BATON_TEST_TAG"] = Tag;
        return new AgentLaunchContext
        {
            Session = "cx-1",
            Run = 1,
            Workspace = Workspace,
            SessionDirectory = _temp.Combine("session"),
            AgentHome = _temp.Combine("agent"),
            Model = new ModelEndpoint("replay", "fake-model", Server.BaseUrl, "replay-key", null, ModelPricing.Replay),
            Environment = environment,
            BatonHome = _temp.Combine("baton-home"),
            Command = command,
        };
    }

    /// <summary>Processes that carry this bed's tag (the agent and anything it started).</summary>
    public IReadOnlyList<int> TaggedProcesses() => ProcessTable.WithEnvironment("BATON_TEST_TAG", Tag);

    /// <summary>Tagged processes whose command line contains <paramref name="text"/>.</summary>
    public IReadOnlyList<int> TaggedProcesses(string text) => [.. TaggedProcesses().Where(pid => CommandLine(pid).Contains(text, StringComparison.Ordinal))];

    public async ValueTask DisposeAsync()
    {
        // Only matters when a test failed half-way: nothing of a run may outlive its test.
        foreach (var pid in TaggedProcesses())
        {
            Posix.Signal(pid, Posix.SigKill);
        }

        await Server.DisposeAsync();
        _temp.Dispose();
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }
}
