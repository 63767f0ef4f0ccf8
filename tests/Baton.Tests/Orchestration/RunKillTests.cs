using System.Diagnostics;
using Baton.Tests.TestSupport;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// Issue 5 §7: <c>kill -9</c> of the orchestrator at any moment never leaves two live agents for one task. The real
/// ReadyToRun binary is killed at staggered moments of its start-up and dispatch (before the spawn, while the worker is
/// starting in tmux, once the agent runs), restarted each time, and the agents are counted.
/// </summary>
public sealed class RunKillTests
{
    [Fact]
    public async Task KillNine_AtStaggeredMoments_NeverLeavesTwoAgentsForOneTask()
    {
        await using var w = await SessionWorld.CreateAsync();
        const string Agent = "sleep 6547";
        var starts = Path.Combine(w.World.Root, "starts.log");
        Write(w, $"""
            echo "started $BATON_SESSION" >> {starts}
            exec {Agent}
            """);
        await w.AddTaskAsync("Survive kill -9");

        foreach (var delayMs in new[] { 150, 400, 700, 1000, 1500, 2500 })
        {
            using var killed = Start(w);
            await Task.Delay(delayMs);
            Processes.Posix.Signal(killed.Id, Processes.Posix.SigKill).ShouldBeTrue();
            await killed.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var agents = SessionWorld.ProcessesWithCommandLine(Agent);
            agents.Count.ShouldBeLessThanOrEqualTo(1, $"after a kill at {delayMs} ms: {Describe(agents)}");
        }

        // The last orchestrator settles whatever the kills left: exactly one agent, in the one running session.
        await using var daemon = await RunDaemon.StartAsync(w, "--stop-sessions");
        var state = await daemon.WaitForStateAsync(s => Rows(s, "running").Any(r => r.GetProperty("session_id").ValueKind == System.Text.Json.JsonValueKind.String), "a running session", 90);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine(Agent).Count == 1, "the agent running", 60);
        await Task.Delay(3000); // three polls: a duplicate would show now

        SessionWorld.ProcessesWithCommandLine(Agent).Count.ShouldBe(1, File.Exists(starts) ? File.ReadAllText(starts) : "no starts");
        var running = Rows(await daemon.StateAsync(), "running").ToList();
        running.Count.ShouldBe(1);
        var session = running[0].GetProperty("session_id").GetString()!;
        var agentEnvironment = SessionWorld.ProcessesWithCommandLine(Agent).Select(pid => File.ReadAllText($"/proc/{pid}/environ")).Single();
        agentEnvironment.ShouldContain($"BATON_SESSION={session}\0");
        (await daemon.StopAsync()).ShouldBe(0);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine(Agent).Count == 0, "--stop-sessions stopping the agent", 30);
    }

    [Fact]
    public async Task KillNine_OfTheWorker_ReapsItsAgentBeforeTheRetryStartsAnother()
    {
        await using var w = await SessionWorld.CreateAsync();
        const string Agent = "sleep 6548";
        Write(w, $"exec {Agent}");
        await w.AddTaskAsync("Lose the worker");
        await using var daemon = await RunDaemon.StartAsync(w, "--stop-sessions");
        var first = await RunningSessionAsync(daemon);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine(Agent).Count == 1, "the agent running", 60);

        Processes.Posix.Signal(WorkerPid(w, first), Processes.Posix.SigKill).ShouldBeTrue();

        // The run fails and is retried (10 s backoff); the old agent must be gone before a new one starts.
        await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(), "the failed run being queued for retry", 60);
        SessionWorld.ProcessesWithCommandLine(Agent).Count.ShouldBe(0);
        var second = await daemon.WaitForStateAsync(s => Rows(s, "running").Any(r => r.GetProperty("session_id").GetString() is { } name && name != first), "the retry running", 60);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine(Agent).Count == 1, "the retry's agent running", 60);
        SessionWorld.ProcessesWithCommandLine(Agent).Count.ShouldBe(1);
        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task KillNine_OfOrchestratorAndWorker_TheNextOrchestratorKillsTheOrphanedAgentBeforeDispatching()
    {
        await using var w = await SessionWorld.CreateAsync();
        const string Agent = "sleep 6549";
        Write(w, $"exec {Agent}");
        await w.AddTaskAsync("Orphan the agent");
        string first;
        using (var killed = Start(w))
        {
            await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine(Agent).Count == 1, "the agent running", 90);
            Processes.Posix.Signal(killed.Id, Processes.Posix.SigKill).ShouldBeTrue();
            await killed.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        // The pane's shell would run the reaper after the worker: kill it first, so nothing reaps the agent.
        first = (await SessionsAsync(w)).Single().GetProperty("name").GetString()!;
        var worker = WorkerPid(w, first);
        Processes.Posix.Signal(ParentOf(worker), Processes.Posix.SigKill).ShouldBeTrue();
        Processes.Posix.Signal(worker, Processes.Posix.SigKill).ShouldBeTrue();
        await Task.Delay(500);
        SessionWorld.ProcessesWithCommandLine(Agent).Count.ShouldBe(1); // orphaned: its worker is gone

        await using var daemon = await RunDaemon.StartAsync(w, "--stop-sessions");
        var second = await daemon.WaitForStateAsync(s => Rows(s, "running").Any(r => r.GetProperty("session_id").GetString() is { } name && name != first), "a new run", 60);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine(Agent).Count >= 1, "the new agent running", 60);
        await Task.Delay(1000);

        SessionWorld.ProcessesWithCommandLine(Agent).Count.ShouldBe(1);
        File.ReadAllText(Path.Combine(w.SessionDirectory(first), "status.json")).ShouldContain("\"endedAt\"");
        (await daemon.StopAsync()).ShouldBe(0);
    }

    private static async Task<string> RunningSessionAsync(RunDaemon daemon)
    {
        var state = await daemon.WaitForStateAsync(s => Rows(s, "running").Any(r => r.GetProperty("session_id").ValueKind == System.Text.Json.JsonValueKind.String), "a running session", 90);
        return Rows(state, "running").Single().GetProperty("session_id").GetString()!;
    }

    private static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Describe(IEnumerable<int> pids) =>
        string.Join("; ", pids.Select(pid => $"{pid} ppid {(File.Exists($"/proc/{pid}/stat") ? ParentOf(pid) : 0)}: {(File.Exists($"/proc/{pid}/cmdline") ? File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ') : "gone")}"));

    private static int WorkerPid(SessionWorld w, string session)
    {
        using var status = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(w.SessionDirectory(session), "status.json")));
        return status.RootElement.GetProperty("workerPid").GetInt32();
    }

    private static Process Start(SessionWorld w)
    {
        var start = new ProcessStartInfo(BatonBinary.Path) { WorkingDirectory = w.World.Repo, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "run", "--port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (key, value) in w.World.Environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        return process;
    }
}
