using System.Text.Json;
using Baton.Processes;
using Baton.Runtimes;

namespace Baton.Tests.TestSupport;

/// <summary>
/// A <see cref="TempWorld"/> whose sessions run for real: the baton executable as the worker, a tmux server of its
/// own (killed on dispose), and every agent process swept by its run marker at the end.
/// </summary>
public sealed class SessionWorld : IAsyncDisposable
{
    private SessionWorld(TempWorld world, string socket)
    {
        World = world;
        TmuxSocket = socket;
    }

    public TempWorld World { get; }

    public string TmuxSocket { get; }

    public TmuxClient Tmux => TmuxClient.ForHome(World.Home, TmuxSocket);

    public static async Task<SessionWorld> CreateAsync()
    {
        var world = await TempWorld.CreateAsync();
        var socket = $"bt-{Guid.NewGuid():N}"[..16];
        world.Environment["BATON_EXECUTABLE"] = BatonBinary.Path;
        world.Environment["BATON_TMUX_SOCKET"] = socket;
        world.Environment["GIT_AUTHOR_NAME"] = "Agent";
        world.Environment["GIT_AUTHOR_EMAIL"] = "agent@example.com";
        world.Environment["GIT_COMMITTER_NAME"] = "Agent";
        world.Environment["GIT_COMMITTER_EMAIL"] = "agent@example.com";
        return new SessionWorld(world, socket);
    }

    public Task<CliResult> RunAsync(params string[] args) => World.RunAsync(args);

    public async Task<string> AddTaskAsync(string title)
    {
        var added = await World.RunAsync("task", "add", "app", title, "--json");
        added.ExitCode.ShouldBe(0, added.ToString());
        return added.Data.GetProperty("identifier").GetString()!;
    }

    /// <summary>Spawns a command-agent session and returns its name.</summary>
    public async Task<string> SpawnCommandAsync(string task, string command, params string[] extra)
    {
        var spawned = await World.RunAsync(["spawn", "app", task, "--agent", "command", "--command", command, "--json", .. extra]);
        spawned.ExitCode.ShouldBe(0, spawned.ToString());
        return spawned.Data.GetProperty("name").GetString()!;
    }

    public async Task<JsonElement> SessionAsync(string name)
    {
        var info = await World.RunAsync("info", name, "--json");
        info.ExitCode.ShouldBe(0, info.ToString());
        return info.Data;
    }

    /// <summary>Polls the session (via <c>baton info --json</c>) until <paramref name="condition"/> holds.</summary>
    public async Task<JsonElement> WaitForAsync(string name, Func<JsonElement, bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var session = await SessionAsync(name);
            if (condition(session))
            {
                return session;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"session {name} did not reach the condition in {seconds} s; last: {session}");
            await Task.Delay(100);
        }
    }

    public Task<JsonElement> WaitForStatusAsync(string name, string status, int seconds = 30) =>
        WaitForAsync(name, s => s.GetProperty("status").GetString() == status, seconds);

    public string SessionDirectory(string name) => Directory.GetDirectories(World.Home, name, SearchOption.AllDirectories).Single(d => Path.GetFileName(Path.GetDirectoryName(d)) == "sessions");

    public static Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 15) =>
        Poll.UntilAsync(condition, TimeSpan.FromSeconds(seconds), what);

    /// <summary>Live processes whose command line contains <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> ProcessesWithCommandLine(string text) => ProcessTable.WithCommandLine(text);

    public async ValueTask DisposeAsync()
    {
        await Tmux.KillServerAsync();
        foreach (var status in Directory.Exists(World.Home) ? Directory.GetFiles(World.Home, "status.json", SearchOption.AllDirectories) : [])
        {
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(status));
            if (document.RootElement.TryGetProperty("agentMarker", out var marker))
            {
                ProcessTable.KillMarked(marker.GetString()!, TimeSpan.FromSeconds(5));
            }

            if (document.RootElement.TryGetProperty("workerPid", out var worker)
                && document.RootElement.TryGetProperty("workerStartTime", out var started)
                && ProcessTable.IsAlive(worker.GetInt32(), started.GetInt64()))
            {
                Posix.Signal(worker.GetInt32(), Posix.SigKill);
            }
        }

        World.Dispose();
    }
}
