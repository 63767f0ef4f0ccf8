using System.Text;
using Baton.Agents;
using Baton.Agents.Pi;
using Baton.Core.Events;
using Baton.Core.Replay;
using Baton.Processes;
using Baton.Replay;
using Baton.Tests.Replay;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Agents;

/// <summary>Collects what a connection reports, and lets a test wait for an event without sleeping.</summary>
internal sealed class TestEventSink : IAgentEventSink
{
    private readonly Lock _lock = new();
    private readonly List<WorkerEvent> _events = [];
    private readonly List<string> _raw = [];
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

    /// <summary>Events and raw lines so far, for failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_lock)
            {
                var text = new StringBuilder();
                foreach (var e in _events)
                {
                    text.AppendLine($"event {e.Type} tool={e.ToolName} outcome={e.Outcome} reason={e.Reason} text={e.Text}");
                }

                foreach (var line in _raw.TakeLast(60))
                {
                    text.AppendLine(line.Length > 300 ? line[..300] + "…" : line);
                }

                return text.ToString();
            }
        }
    }

    /// <summary>Whether any raw line (message_update deltas aside) contains <paramref name="text"/>.</summary>
    public bool SawRaw(string text)
    {
        lock (_lock)
        {
            return _raw.Any(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    public void Event(WorkerEvent workerEvent)
    {
        lock (_lock)
        {
            _events.Add(workerEvent);
            Signal();
        }
    }

    public void Raw(string stream, string line)
    {
        if (line.Contains("\"message_update\"", StringComparison.Ordinal))
        {
            return;
        }

        lock (_lock)
        {
            _raw.Add($"{stream}: {line}");
        }
    }

    /// <summary>The first event matching <paramref name="match"/> (past or future), or a failure after <paramref name="timeout"/>.</summary>
    public async Task<WorkerEvent> WaitForAsync(Func<WorkerEvent, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_events.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no matching event within {timeout.TotalSeconds} s\n{Transcript}");
            }

            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    public Task<WorkerEvent> WaitForTypeAsync(string type, TimeSpan timeout) => WaitForAsync(e => e.Type == type, timeout);

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}

/// <summary>
/// A temp git repository, Baton's replay model serving a script, and a launch context for the real pi from
/// <c>.tools</c> — isolated HOME, git identity from the environment. Disposing stops the server and kills anything of
/// the run that is left.
/// </summary>
internal sealed class PiTestBed : IAsyncDisposable
{
    public static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly List<PiConnection> _connections = [];

    private PiTestBed(TempDirectory temp, ReplayServer? server)
    {
        Temp = temp;
        Server = server;
    }

    public TempDirectory Temp { get; }

    public ReplayServer? Server { get; }

    public string Workspace => Temp.Combine("workspace");

    public string RequestLog => Temp.Combine("requests.jsonl");

    public string BatonHome => Temp.Combine("baton-home");

    public TestEventSink Sink { get; } = new();

    public string Marker { get; } = $"pi-test-{Guid.NewGuid():N}";

    public static async Task<PiTestBed> StartAsync(string? script)
    {
        var temp = new TempDirectory("baton-pi-adapter-");
        try
        {
            await InitRepositoryAsync(temp.Combine("workspace"), temp.Combine("git-home")).WaitAsync(TestTimeout);
            ReplayServer? server = null;
            if (script is not null)
            {
                server = await ReplayServer.StartAsync(
                    ReplayScript.Parse(script, "pi-adapter-test"),
                    new ReplayOptions { LogPath = temp.Combine("requests.jsonl"), LogBodies = true, Lifetime = TimeSpan.FromMinutes(5) }).WaitAsync(TestTimeout);
            }

            return new PiTestBed(temp, server);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    /// <summary>PATH with the pinned agents and node, nothing from the user's own set-up.</summary>
    public static string AgentPath()
    {
        var bin = Path.GetDirectoryName(AgentBinary("pi"))!;
        var node = ExecutableLocator.Find("node", ExecutableLocator.SplitPath(Environment.GetEnvironmentVariable("PATH")));
        var nodeDirectory = node is null ? null : Path.GetDirectoryName(node);
        return string.Join(':', new[] { bin, nodeDirectory, "/usr/local/bin", "/usr/bin", "/bin" }.Where(p => p is not null).Distinct());
    }

    public AgentLaunchContext Context(string? path = null) => new()
    {
        Session = "int-1",
        Run = 1,
        Workspace = Workspace,
        SessionDirectory = Temp.Combine("session"),
        AgentHome = Temp.Combine("agent-home"),
        Model = new ModelEndpoint("replay", "fake-model", Server?.BaseUrl ?? "http://127.0.0.1:9", "replay-key", null, ModelPricing.Replay),
        Environment = new Dictionary<string, string?>
        {
            ["PATH"] = path ?? AgentPath(),
            ["GIT_AUTHOR_NAME"] = "worker",
            ["GIT_AUTHOR_EMAIL"] = "worker@example.invalid",
            ["GIT_COMMITTER_NAME"] = "worker",
            ["GIT_COMMITTER_EMAIL"] = "worker@example.invalid",
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            [ProcessTable.RunMarkerVariable] = Marker,
        },
        BatonHome = BatonHome,
    };

    public async Task<PiConnection> StartPiAsync(PiAdapterOptions? options = null, AgentLaunchContext? context = null)
    {
        var connection = (PiConnection)await new PiAdapter(options).StartAsync(context ?? Context(), Sink, CancellationToken.None).WaitAsync(StartTimeout);
        _connections.Add(connection);
        return connection;
    }

    /// <summary>Writes an executable <c>pi</c> into BATON_HOME/tools (found before PATH) with a shell script body.</summary>
    public string FakePi(string body)
    {
        var bin = Path.Combine(BatonHome, "tools", "node_modules", ".bin");
        Directory.CreateDirectory(bin);
        var path = Path.Combine(bin, "pi");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public IReadOnlyList<int> MarkedProcesses() => ProcessTable.WithEnvironment(ProcessTable.RunMarkerVariable, Marker);

    /// <summary>Live processes whose command line contains <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> ProcessesWithCommandLine(string text) => ProcessTable.WithCommandLine(text);

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        ProcessTable.KillMarked(Marker, TimeSpan.FromSeconds(5));
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Temp.Dispose();
    }
}
