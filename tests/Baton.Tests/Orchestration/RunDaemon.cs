using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Baton.Cli;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Orchestration;

/// <summary>
/// <c>baton run</c> started in-process on a <see cref="SessionWorld"/> (real tmux, real workers, real command agents)
/// with the system clock, stopped through its cancellation token like Ctrl-C. The URL it prints gives the live API.
/// </summary>
public sealed partial class RunDaemon : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();
    private readonly TextWriter _syncOut;
    private readonly TextWriter _syncErr;

    private RunDaemon(SessionWorld world, string[] args)
    {
        World = world;
        _syncOut = TextWriter.Synchronized(_out);
        _syncErr = TextWriter.Synchronized(_err);
        var context = new CliContext(_syncOut, _syncErr, new StringReader(string.Empty), world.World.Environment, world.World.Repo, TimeProvider.System);
        Run = Task.Run(() => BatonApp.RunAsync(["run", .. args], context, _stop.Token));
    }

    public SessionWorld World { get; }

    public Task<int> Run { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string Stdout
    {
        get
        {
            lock (_syncOut)
            {
                return _out.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_syncErr)
            {
                return _err.ToString();
            }
        }
    }

    /// <summary>Starts the daemon and waits for its API to answer.</summary>
    public static async Task<RunDaemon> StartAsync(SessionWorld world, params string[] args)
    {
        var daemon = new RunDaemon(world, ["--port", "0", .. args]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (UrlPattern().Match(daemon.Stdout) is not { Success: true } match)
        {
            if (daemon.Run.IsCompleted)
            {
                throw new ShouldAssertException($"baton run ended early: exit {await daemon.Run}\n{daemon.Stdout}\n{daemon.Stderr}");
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"baton run printed no URL: {daemon.Stdout}\n{daemon.Stderr}");
            await Task.Delay(100);
        }

        daemon.Http.BaseAddress = new Uri(UrlPattern().Match(daemon.Stdout).Value);
        return daemon;
    }

    /// <summary>Runs <c>baton run</c> expecting it to fail at once.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(SessionWorld world, params string[] args)
    {
        await using var daemon = new RunDaemon(world, args);
        var code = await daemon.Run.WaitAsync(TimeSpan.FromSeconds(60));
        return (code, daemon.Stdout, daemon.Stderr);
    }

    public async Task<JsonElement> StateAsync()
    {
        using var response = await Http.GetAsync("/api/v1/state");
        response.IsSuccessStatusCode.ShouldBeTrue($"GET /api/v1/state: {(int)response.StatusCode}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
    }

    /// <summary>Polls /api/v1/state until <paramref name="condition"/> holds.</summary>
    public async Task<JsonElement> WaitForStateAsync(Func<JsonElement, bool> condition, string what, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var state = await StateAsync();
            if (condition(state))
            {
                return state;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"{what} did not happen within {seconds} s; state: {state}\nstderr: {Stderr}");
            await Task.Delay(200);
        }
    }

    /// <summary>Ctrl-C: cancels the invocation and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await Run.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (!Run.IsCompleted)
        {
            await _stop.CancelAsync();
            try
            {
                await Run.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
            }
        }

        Http.Dispose();
        _stop.Dispose();
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex UrlPattern();
}

/// <summary>Helpers for a workflow and the tasks of one test.</summary>
public static class RunWorkflows
{
    /// <summary>Writes WORKFLOW.md for the command agent; <paramref name="command"/> is a bash script.</summary>
    public static void Write(SessionWorld w, string command, int pollMs = 1000, int maxAgents = 10, string extra = "")
    {
        var indented = string.Join("\n", command.Split('\n').Select(l => "    " + l));
        File.WriteAllText(Path.Combine(w.World.Repo, "WORKFLOW.md"), $"""
            ---
            polling:
              interval_ms: {pollMs}
            agent:
              kind: command
              max_concurrent_agents: {maxAgents}
              command: |-
            {indented}
            {extra}
            ---
            Work on {"{{ issue.identifier }}"}: {"{{ issue.title }}"}
            """);
    }

    /// <summary>The shell words that run this build of baton (the agent's PATH does not have it).</summary>
    public static string BatonCli => $"\"{BatonBinary.Path}\"";

    public static async Task<string> TaskStateAsync(SessionWorld w, string identifier)
    {
        var shown = await w.RunAsync("task", "show", identifier, "--json");
        shown.ExitCode.ShouldBe(0, shown.ToString());
        return shown.Data.GetProperty("state").GetString()!;
    }

    public static async Task WaitForTaskStateAsync(SessionWorld w, string identifier, string state, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        string current;
        while ((current = await TaskStateAsync(w, identifier)) != state)
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"{identifier} stayed {current}, never {state}, within {seconds} s");
            await Task.Delay(200);
        }
    }

    public static async Task<IReadOnlyList<JsonElement>> SessionsAsync(SessionWorld w)
    {
        var listed = await w.RunAsync("list", "--json");
        listed.ExitCode.ShouldBe(0, listed.ToString());
        return [.. listed.Data.EnumerateArray().Select(e => e.Clone())];
    }

    public static IEnumerable<JsonElement> Rows(JsonElement state, string list) => state.GetProperty(list).EnumerateArray();
}
