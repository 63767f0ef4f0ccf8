using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Baton.Tests.TestSupport;
using Baton.Tests.Tracking;
using Xunit.Abstractions;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// Bad input for <c>baton run</c> (issue 5): a tracker that hangs or answers garbage, a hook that hangs, an agent that
/// never answers <c>initialize</c>, an agent that floods its output. Each time the service stays up, the error is
/// visible, reconciliation goes on and nothing is dispatched twice.
/// </summary>
public sealed class ConformanceBadInputTests(ITestOutputHelper output)
{
    private const string Token = "lin_api_badinput_secret_0123456789";

    [Fact]
    public async Task Tracker_HangsThenAnswersGarbageThenFails_ServiceStaysUpLogsItAndDispatchesEachIssueOnce()
    {
        await using var w = await SessionWorld.CreateAsync();
        await using var linear = await FakeLinearServer.StartAsync(Token);
        linear.AddIssue(FakeLinearServer.NewIssue(1));
        w.World.Environment["LINEAR_API_KEY"] = Token;
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """{"turns": [{"steps": [{"message": "Working."}], "end": "hang"}]}""");
        var path = ConformanceWorkflows.WriteLinear(w, linear, agent, provider: "timeout_ms: 1500");
        await using var daemon = await RunDaemon.StartAsync(w, path);
        await daemon.WaitForStateAsync(s => Rows(s, "running").Any(r => r.GetProperty("session_id").ValueKind == JsonValueKind.String), "ENG-1 running", 60);

        // The next poll hangs past timeout_ms, the one after gets cut-off JSON, a reconciliation refresh gets HTTP 500.
        linear.InjectFault(FakeLinearFault.Hang, "SymphonyLinearPoll");
        linear.InjectFault(FakeLinearFault.GarbageJson, "SymphonyLinearPoll");
        linear.InjectFault(FakeLinearFault.ServerError, "SymphonyLinearIssuesById");
        linear.AddIssue(FakeLinearServer.NewIssue(2));

        // The API answers throughout, and the new issue is dispatched once the tracker recovers.
        var state = await daemon.WaitForStateAsync(s => Rows(s, "running").Count(r => r.GetProperty("session_id").ValueKind == JsonValueKind.String) == 2, "ENG-2 running after the faults", 60);
        Rows(state, "running").Select(r => r.GetProperty("issue_identifier").GetString()).Order().ShouldBe(["ENG-1", "ENG-2"]);
        Rows(state, "retrying").ShouldBeEmpty();
        await Task.Delay(1500); // more polls: a duplicate dispatch would show now
        agent.Pids.Count.ShouldBe(2);
        agent.Events("started").Select(r => Path.GetFileName(r.GetProperty("cwd").GetString())).Order().ShouldBe(["ENG-1", "ENG-2"]);

        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
        var log = File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log"));
        log.ShouldContain("candidate fetch failed");
        log.ShouldContain("did not answer SymphonyLinearPoll within 1.5 s");
        log.ShouldContain("reconciliation refresh failed");
        log.ShouldNotContain(Token);
        linear.Requests.Count(r => r.OperationName == "SymphonyLinearPoll").ShouldBeGreaterThanOrEqualTo(4);
    }

    /// <summary>§9.4, <c>hooks.timeout_ms</c>: a hook that hangs is killed with its process group and fails the attempt, which is retried; the agent never starts.</summary>
    [Theory]
    [InlineData("after_create")]
    [InlineData("before_run")]
    public async Task Hook_Hangs_IsKilledAtTheTimeoutAndTheAttemptIsRetried(string hook)
    {
        await using var w = await SessionWorld.CreateAsync();
        var sleeper = $"sleep {6600 + (hook == "after_create" ? 1 : 2)}";
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """{"turns": [{"steps": [{"message": "Should not run."}]}]}""");
        ConformanceWorkflows.WriteLocal(w, agent, extra: $"""
            hooks:
              timeout_ms: 1000
              {hook}: {sleeper}
            """);
        var task = await w.AddTaskAsync("Slow hook");
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(), "a retry after the hook timed out", 60);

        var retry = Rows(state, "retrying").Single();
        retry.GetProperty("issue_identifier").GetString().ShouldBe(task);
        retry.GetProperty("attempt").GetInt32().ShouldBe(1);
        retry.GetProperty("error").GetString().ShouldBe("failed to spawn agent"); // §16.4; the hook's own error is in the log
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine(sleeper).Count == 0, "the hung hook being killed", 15);
        agent.Pids.ShouldBeEmpty();
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
        File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log")).ShouldContain($"hook_failed: hook {hook} timed out after");
    }

    /// <summary>§10.6 <c>read_timeout_ms</c> (<c>response_timeout</c>): an app-server that never answers <c>initialize</c> fails the start within the timeout, is killed, and the task is retried.</summary>
    [Fact]
    public async Task Agent_NeverAnswersInitialize_FailsAtTheReadTimeoutIsKilledAndRetried()
    {
        await using var w = await SessionWorld.CreateAsync();
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """{"initialize": "never", "turns": []}""");
        ConformanceWorkflows.WriteLocal(w, agent, codex: "read_timeout_ms: 1000", agentKeys: "max_retry_backoff_ms: 3000");
        var task = await w.AddTaskAsync("Silent agent");
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(), "a retry after the handshake timed out", 60);

        var retry = Rows(state, "retrying").Single();
        retry.GetProperty("issue_identifier").GetString().ShouldBe(task);
        retry.GetProperty("error").GetString().ShouldBe("failed to spawn agent"); // §16.4
        agent.Received("initialize").ShouldNotBeEmpty();
        agent.Received("thread/start").ShouldBeEmpty();
        await agent.WaitForAsync(a => a.Pids.Count >= 2, "the retry starting a new agent", 30);
        await agent.WaitForAsync(a => !StandIn.IsAlive(a.Pids[0]), "the silent agent being killed", 15);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
        File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log")).ShouldContain("no answer to 'initialize' within 1 s (response_timeout)");
    }

    /// <summary>An agent that streams megabytes of text: the API stays responsive, the worker's memory stays bounded, and the run completes.</summary>
    [Fact]
    public async Task Agent_FloodsItsOutput_ApiStaysResponsiveAndTheRunCompletes()
    {
        const long Bytes = 16 * 1024 * 1024;
        await using var w = await SessionWorld.CreateAsync();
        var update = JsonSerializer.Serialize($"{BatonCli} task update \"$BATON_TASK\" --state 'Human Review'");
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), $$$"""
            {"turns": [{"steps": [{"flood": {{{Bytes}}}, "chunk": 16384}, {"message": "Flooded."}, {"usage": {"input": 10, "output": 5}}, {"sleep": 2000}, {"shell": {{{update}}} }]}]}
            """);
        ConformanceWorkflows.WriteLocal(w, agent);
        var task = await w.AddTaskAsync("Chatty");
        await using var daemon = await RunDaemon.StartAsync(w);

        // Poll the API all along; keep the slowest answer for the report.
        var slowest = TimeSpan.Zero;
        long workerPeakKb = 0;
        int? worker = null;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (await TaskStateAsync(w, task) != "Human Review")
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "the flooding run did not complete");
            var clock = Stopwatch.StartNew();
            await daemon.StateAsync();
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            if (worker is null && agent.Pids.Count == 1 && StandIn.IsAlive(agent.Pids[0]))
            {
                worker = WorkerOf(agent.Pids[0]);
            }

            if (worker is { } pid && PeakKb(pid) is { } peak)
            {
                workerPeakKb = Math.Max(workerPeakKb, peak);
            }

            await Task.Delay(100);
        }

        agent.Events("flooded").Single().GetProperty("bytes").GetInt64().ShouldBe(Bytes);
        output.WriteLine($"slowest /api/v1/state answer during the flood: {slowest.TotalMilliseconds:0} ms; worker peak RSS: {workerPeakKb / 1024} MB");
        worker.ShouldNotBeNull();
        workerPeakKb.ShouldBeGreaterThan(0);
        workerPeakKb.ShouldBeLessThan(1024 * 1024, "the worker's peak RSS grew past 1 GB for 16 MB of agent text");
        var state = await daemon.WaitForStateAsync(s => !Rows(s, "running").Any() && !Rows(s, "retrying").Any(), "the task being released", 60);
        state.GetProperty("codex_totals").GetProperty("output_tokens").GetInt64().ShouldBe(5);
        agent.Pids.Count.ShouldBe(1);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    private static int? WorkerOf(int agentPid)
    {
        try
        {
            for (var current = StandIn.ParentOf(agentPid); current > 1; current = StandIn.ParentOf(current))
            {
                if (File.ReadAllText($"/proc/{current}/cmdline").Contains("\0worker\0", StringComparison.Ordinal))
                {
                    return current;
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    /// <summary>VmHWM (peak resident set) of a live process, in kB.</summary>
    private static long? PeakKb(int pid)
    {
        try
        {
            var line = File.ReadAllLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
