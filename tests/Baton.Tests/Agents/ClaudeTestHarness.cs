using System.Collections.Concurrent;
using System.Text;
using Baton.Agents;
using Baton.Agents.Claude;
using Baton.Core.Events;
using Baton.Core.Replay;
using Baton.Processes;
using Baton.Replay;
using Baton.Tests.Replay;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Agents;

/// <summary>Collects what a connection reports, and lets a test wait for an event without sleeping.</summary>
internal sealed class RecordingSink : IAgentEventSink
{
    private readonly Lock _gate = new();
    private readonly List<WorkerEvent> _events = [];
    private readonly ConcurrentQueue<(string Stream, string Line)> _raw = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<WorkerEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyCollection<(string Stream, string Line)> RawLines => _raw;

    public void Event(WorkerEvent workerEvent)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _events.Add(workerEvent);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public void Raw(string stream, string line) => _raw.Enqueue((stream, line));

    /// <summary>Waits until <paramref name="count"/> events match, or fails with everything seen so far.</summary>
    public async Task<IReadOnlyList<WorkerEvent>> WaitForAsync(Func<WorkerEvent, bool> match, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var found = _events.Where(match).ToList();
                if (found.Count >= count)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds}s for {count} matching event(s); saw:\n{Describe()}");
            }
        }
    }

    public Task<IReadOnlyList<WorkerEvent>> WaitForTurnsAsync(int count, TimeSpan timeout) =>
        WaitForAsync(e => e.Type == WorkerEventTypes.TurnFinished, count, timeout);

    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var e in Events)
        {
            text.Append(e.Type).Append(' ').Append(e.ToolName).Append(' ').Append(e.ToolInput ?? e.Text ?? e.ToolOutput).Append(' ')
                .Append(e.Outcome).Append(' ').Append(e.Reason).AppendLine();
        }

        text.AppendLine("raw:");
        foreach (var (stream, line) in _raw.TakeLast(40))
        {
            text.Append(stream).Append(": ").AppendLine(line.Length > 400 ? line[..400] : line);
        }

        return text.ToString();
    }
}

/// <summary>A temp git workspace, the replay server with a script, and a launch context for the real Claude Code.</summary>
internal sealed class ClaudeTestHarness : IAsyncDisposable
{
    private readonly TempDirectory _temp;

    private ClaudeTestHarness(TempDirectory temp, ReplayServer server)
    {
        _temp = temp;
        Server = server;
    }

    public static TimeSpan TurnTimeout { get; } = TimeSpan.FromSeconds(90);

    public ReplayServer Server { get; }

    public RecordingSink Sink { get; } = new();

    public string Workspace => _temp.Combine("workspace");

    public string Home => _temp.Combine("home");

    public string RequestLog => _temp.Combine("requests.jsonl");

    /// <summary>Starts the server; <paramref name="scriptJson"/> may use <c>WORKSPACE</c> for the workspace path (JSON-escaped).</summary>
    public static async Task<ClaudeTestHarness> CreateAsync(string scriptJson)
    {
        var temp = new TempDirectory("baton-claude-adapter-");
        try
        {
            Directory.CreateDirectory(temp.Combine("home"));
            await InitRepositoryAsync(temp.Combine("workspace"), temp.Combine("home"));
            var escaped = System.Text.Json.JsonSerializer.Serialize(temp.Combine("workspace"))[1..^1];
            var script = ReplayScript.Parse(scriptJson.Replace("WORKSPACE", escaped, StringComparison.Ordinal), "claude-adapter-test");
            var server = await ReplayServer.StartAsync(
                script,
                new ReplayOptions { LogPath = temp.Combine("requests.jsonl"), LogBodies = true, Lifetime = TimeSpan.FromMinutes(5) }).WaitAsync(TestTimeout);
            return new ClaudeTestHarness(temp, server);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    public AgentLaunchContext Context(Action<Dictionary<string, string?>>? environment = null, string? batonHome = null)
    {
        var variables = IsolatedEnvironment(Home);

        // The agents test.sh installs, ahead of the usual PATH (git, sh).
        variables["PATH"] = Path.GetDirectoryName(AgentBinary("claude")) + ":" + Environment.GetEnvironmentVariable("PATH");
        environment?.Invoke(variables);
        return new AgentLaunchContext
        {
            Session = "cla-1",
            Run = 1,
            Workspace = Workspace,
            SessionDirectory = _temp.Combine("session"),
            AgentHome = _temp.Combine("session", "agent"),
            Model = new ModelEndpoint("replay", "fake-model", Server.BaseUrl, "sk-ant-fake", null, ModelPricing.Replay),
            Environment = variables,
            BatonHome = batonHome ?? _temp.Combine("baton-home"),
        };
    }

    public async Task<ClaudeConnection> StartAsync()
    {
        var connection = await new ClaudeAdapter().StartAsync(Context(), Sink, CancellationToken.None).WaitAsync(TestTimeout);
        return (ClaudeConnection)connection;
    }

    /// <summary>Live processes of the run whose command line contains <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> MarkedProcesses(string marker, string? text = null) =>
        ProcessTable.WithEnvironment(ProcessTable.RunMarkerVariable, marker)
            .Where(pid => text is null || CommandLine(pid).Contains(text, StringComparison.Ordinal))
            .ToList();

    public static string CommandLine(int pid)
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

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _temp.Dispose();
    }
}
