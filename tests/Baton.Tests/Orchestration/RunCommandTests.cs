using System.Net;
using Baton.Tests.TestSupport;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// <c>baton run</c> end to end with the local tracker and the command agent: real tmux sessions, real workers, the
/// live HTTP API. Every wait is bounded and generous: the machine is shared.
/// </summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task Run_ReadyTask_IsDispatchedOnceAndReachesHumanReview()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, $"""
            echo work >> notes.txt
            git add notes.txt && git commit -qm "work on $BATON_TASK"
            {BatonCli} task update "$BATON_TASK" --state "Human Review"
            """);
        var task = await w.AddTaskAsync("Write notes");
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitForTaskStateAsync(w, task, "Human Review");

        // The run ends, the 1 s continuation re-checks the task and releases it: nothing is left claimed.
        await daemon.WaitForStateAsync(s => !Rows(s, "running").Any() && !Rows(s, "retrying").Any(), "the task being released", 60);
        await Task.Delay(2500); // two more polls: a second dispatch would show now
        var sessions = await SessionsAsync(w);
        sessions.Count.ShouldBe(1);
        var workspace = sessions[0].GetProperty("workspace").GetString()!;
        File.ReadAllText(Path.Combine(workspace, "notes.txt")).ShouldBe("work\n");
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
        File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log")).ShouldContain($"identifier={task}");
    }

    [Fact]
    public async Task TaskAdd_WhileRunning_WakesTheOrchestratorBeforeThePollInterval()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, $"""{BatonCli} task update "$BATON_TASK" --state "Human Review" """, pollMs: 600_000);
        await using var daemon = await RunDaemon.StartAsync(w);
        await daemon.WaitForStateAsync(_ => true, "the API answering");
        await Task.Delay(1000); // the startup tick is over

        var started = DateTime.UtcNow;
        var task = await w.AddTaskAsync("Wake up");
        await WaitForTaskStateAsync(w, task, "Human Review", 60);

        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(60));
        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Run_MaxConcurrentAgentsOne_NeverRunsTwoAgentsAtOnce()
    {
        await using var w = await SessionWorld.CreateAsync();
        var log = Path.Combine(w.World.Root, "agents.log");
        Write(w, $"""
            echo "start $BATON_TASK" >> {log}
            sleep 1
            echo "end $BATON_TASK" >> {log}
            {BatonCli} task update "$BATON_TASK" --state "Human Review"
            """, maxAgents: 1);
        var tasks = new[] { await w.AddTaskAsync("One"), await w.AddTaskAsync("Two"), await w.AddTaskAsync("Three") };
        await using var daemon = await RunDaemon.StartAsync(w);

        var maxRunning = 0;
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            var state = await daemon.StateAsync();
            maxRunning = Math.Max(maxRunning, Rows(state, "running").Count());
            var states = await Task.WhenAll(tasks.Select(t => TaskStateAsync(w, t)));
            if (states.All(s => s == "Human Review"))
            {
                break;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"not every task reached Human Review: {string.Join(", ", states)}\n{daemon.Stderr}");
            await Task.Delay(150);
        }

        maxRunning.ShouldBe(1);
        var lines = File.ReadAllLines(log);
        lines.Length.ShouldBe(6);
        for (var i = 0; i < lines.Length; i += 2)
        {
            // Each agent ends before the next one starts.
            lines[i].ShouldStartWith("start ");
            lines[i + 1].ShouldBe("end " + lines[i]["start ".Length..]);
        }

        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Run_FailingAgent_IsRetriedWithBackoffVisibleInTheApi()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, "echo failing; exit 3");
        var task = await w.AddTaskAsync("Fail");
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(r => r.GetProperty("issue_identifier").GetString() == task), "a retry", 90);

        var retry = Rows(state, "retrying").Single();
        retry.GetProperty("attempt").GetInt32().ShouldBe(1);
        retry.GetProperty("error").GetString()!.ShouldContain("failed");
        var due = retry.GetProperty("due_at").GetDateTimeOffset();
        due.ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddSeconds(2)); // §8.4: 10 s for the first failure, not the 1 s continuation
        var detail = await daemon.Http.GetAsync($"/api/v1/{task}");
        detail.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await detail.Content.ReadAsStringAsync()).ShouldContain("\"status\":\"retrying\"");
        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Reconcile_RunningTaskMovedToDone_StopsTheSessionAndCleansOnlyAWorkspaceWithoutWork()
    {
        await using var w = await SessionWorld.CreateAsync();
        var clean = await w.AddTaskAsync("Nothing to keep");
        var dirty = await w.AddTaskAsync("Uncommitted work");
        Write(w, $"""
            if [ "$BATON_TASK" = "{dirty}" ]; then echo wip > wip.txt; fi
            sleep 6543
            """);
        await using var daemon = await RunDaemon.StartAsync(w);
        await daemon.WaitForStateAsync(s => Rows(s, "running").Count(r => r.GetProperty("session_id").ValueKind == System.Text.Json.JsonValueKind.String) == 2, "both sessions running");
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6543").Count == 2, "both agents sleeping", 60);
        var workspaces = (await SessionsAsync(w)).ToDictionary(s => s.GetProperty("task").GetString()!, s => s.GetProperty("workspace").GetString()!);

        (await w.RunAsync("task", "update", clean, "--state", "Done")).ExitCode.ShouldBe(0);
        (await w.RunAsync("task", "update", dirty, "--state", "Done")).ExitCode.ShouldBe(0);

        await daemon.WaitForStateAsync(s => !Rows(s, "running").Any(), "both runs stopped", 90);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6543").Count == 0, "the agents ending", 30);
        await SessionWorld.WaitUntilAsync(() => !Directory.Exists(workspaces[clean]), "the clean workspace being removed", 60);
        Directory.Exists(workspaces[dirty]).ShouldBeTrue();
        File.Exists(Path.Combine(workspaces[dirty], "wip.txt")).ShouldBeTrue();
        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Sigterm_RealProcess_ExitsZeroAndLeavesTheSessionRunning()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, "sleep 6545");
        await w.AddTaskAsync("Keep running");
        var start = new System.Diagnostics.ProcessStartInfo(BatonBinary.Path) { WorkingDirectory = w.World.Repo, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "run", "--port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (key, value) in w.World.Environment)
        {
            start.Environment[key] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6545").Count == 1, "the agent starting", 90);

            Processes.Posix.Signal(process.Id, Processes.Posix.SigTerm).ShouldBeTrue();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(45));

            process.ExitCode.ShouldBe(0, await stderr);
            (await stdout).ShouldContain("dashboard and API at http://127.0.0.1:");
            SessionWorld.ProcessesWithCommandLine("sleep 6545").Count.ShouldBe(1); // sessions outlive the orchestrator
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Run_InvalidWorkflowAtStart_FailsWithTheError()
    {
        await using var w = await SessionWorld.CreateAsync();
        File.WriteAllText(Path.Combine(w.World.Repo, "WORKFLOW.md"), "---\npolling: [1, 2\n---\nprompt\n");

        var (code, _, stderr) = await RunDaemon.RunToEndAsync(w);

        code.ShouldNotBe(0);
        stderr.ShouldContain("workflow_parse_error");
    }

    [Fact]
    public async Task Run_ProjectWithoutWorkflow_FailsWithMissingWorkflowFile()
    {
        await using var w = await SessionWorld.CreateAsync();

        var (code, _, stderr) = await RunDaemon.RunToEndAsync(w);

        code.ShouldNotBe(0);
        stderr.ShouldContain("has no WORKFLOW.md");
        stderr.ShouldContain("missing_workflow_file");
    }

    [Fact]
    public async Task Reload_InvalidEditWhileRunning_KeepsRunningAndShowsTheError()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, "true");
        await using var daemon = await RunDaemon.StartAsync(w);
        var path = Path.Combine(w.World.Repo, "WORKFLOW.md");
        var good = File.ReadAllText(path);

        File.WriteAllText(path, "---\n- just\n- a list\n---\nprompt\n");
        var broken = await daemon.WaitForStateAsync(s => s.TryGetProperty("errors", out var e) && e.GetArrayLength() > 0, "the reload error showing", 30);

        broken.GetProperty("errors")[0].GetString()!.ShouldContain("workflow_front_matter_not_a_map");
        daemon.Run.IsCompleted.ShouldBeFalse();
        File.WriteAllText(path, good.Replace("interval_ms: 1000", "interval_ms: 1200", StringComparison.Ordinal));
        await daemon.WaitForStateAsync(s => !s.TryGetProperty("errors", out _), "the error clearing after a valid edit", 30);
        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Api_AgainstTheLiveDaemon_AnswersStateNotFoundAndRefresh()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, "true", pollMs: 600_000);
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.StateAsync();
        using var missing = await daemon.Http.GetAsync("/api/v1/NOPE-404");
        using var refresh = await daemon.Http.PostAsync("/api/v1/refresh", null);

        state.GetProperty("counts").GetProperty("running").GetInt32().ShouldBe(0);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        refresh.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await refresh.Content.ReadAsStringAsync()).ShouldContain("\"queued\":true");
        (await daemon.StopAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Restart_WhileASessionRuns_AdoptsItInsteadOfStartingAnother()
    {
        await using var w = await SessionWorld.CreateAsync();
        var starts = Path.Combine(w.World.Root, "starts.log");
        Write(w, $"""
            echo "started $BATON_TASK" >> {starts}
            sleep 6544
            """);
        var task = await w.AddTaskAsync("Long job");
        string session;
        await using (var first = await RunDaemon.StartAsync(w))
        {
            var running = await first.WaitForStateAsync(s => Rows(s, "running").Any(r => r.GetProperty("session_id").ValueKind == System.Text.Json.JsonValueKind.String), "the session running");
            session = Rows(running, "running").Single().GetProperty("session_id").GetString()!;
            await SessionWorld.WaitUntilAsync(() => File.Exists(starts), "the agent starting", 60);
            (await first.StopAsync()).ShouldBe(0);
        }

        // Shutdown left the agent running (the shell running the agent's script matches too; duplicates are judged by starts.log).
        SessionWorld.ProcessesWithCommandLine("sleep 6544").ShouldNotBeEmpty();

        await using var second = await RunDaemon.StartAsync(w, "--stop-sessions");
        var adopted = await second.WaitForStateAsync(s => Rows(s, "running").Any(), "the session being adopted", 30);
        Rows(adopted, "running").Single().GetProperty("session_id").GetString().ShouldBe(session);
        await Task.Delay(3000); // three polls: a duplicate dispatch would show now

        File.ReadAllLines(starts).Length.ShouldBe(1);
        (await SessionsAsync(w)).Count.ShouldBe(1);
        (await second.StopAsync()).ShouldBe(0);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6544").Count == 0, "--stop-sessions stopping the agent", 30);
    }
}
