using Baton.Tests.TestSupport;
using System.Diagnostics;
using System.Text.Json;
using Baton.Agents;
using Baton.Agents.Codex;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Processes;
using static Baton.Tests.Agents.CodexTestBed;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Agents;

/// <summary>The real Codex CLI (0.169.0) driven by <see cref="CodexAdapter"/> against the real replay server.</summary>
public class CodexAdapterTests
{
    // Codex offers exec_command{cmd, …} for an unknown model and no apply_patch, so files are written by shell.
    private const string WriteCommitScript =
        """
        [
          {"text": "Creating the file.",
           "tool_calls": [{"name": "exec_command", "arguments": {"cmd": "printf 'Hello from the replay model\\n' > hello.txt && cat hello.txt"}}],
           "usage": {"input": 1000, "output": 40}},
          {"tool_calls": [{"name": "exec_command", "arguments": {"cmd": "git add -A && git commit -q -m 'Add hello.txt' && git log --oneline -1"}}],
           "usage": {"input": 1100, "output": 30}},
          {"text": "Created hello.txt and committed it.", "usage": {"input": 1200, "output": 12}}
        ]
        """;

    // yield_time_ms keeps exec_command waiting for the command instead of handing the model a background session.
    private const string LongCommandScript =
        """
        [
          {"tool_calls": [{"name": "exec_command", "arguments": {"cmd": "sleep 6543", "yield_time_ms": 600000}}], "usage": {"input": 500, "output": 5}},
          {"text": "The sleep ended.", "usage": {"input": 600, "output": 5}}
        ]
        """;

    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(6);

    private static CodexAdapterOptions AppServer => new() { Mode = CodexMode.AppServer, ReadTimeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task AppServer_WriteCommitScript_CommitsWithOrderedEventsAndScriptUsage()
    {
        await using var bed = await StartAsync(WriteCommitScript);
        var context = bed.Context();
        await using var connection = await new CodexAdapter(AppServer).StartAsync(context, bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        await connection.SendPromptAsync("Create hello.txt and commit it.", CancellationToken.None).WaitAsync(TurnTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Describe());
        File.ReadAllText(Path.Combine(bed.Workspace, "hello.txt")).ShouldBe("Hello from the replay model\n");
        (await GitAsync(bed.Workspace, bed.Home, "log", "--format=%s")).ShouldStartWith("Add hello.txt");

        var events = bed.Sink.Events;
        events.Where(e => e.Type is not (WorkerEventTypes.Usage or WorkerEventTypes.RateLimits)).Select(e => e.Type).ShouldBe(
        [
            WorkerEventTypes.TurnStarted,
            WorkerEventTypes.AgentMessage,
            WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished,
            WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished,
            WorkerEventTypes.AgentMessage,
            WorkerEventTypes.TurnFinished,
        ], bed.Sink.Describe());
        events.ShouldAllBe(e => e.Session == "cx-1" && e.Run == 1);
        events.Single(e => e.Type == WorkerEventTypes.RateLimits).RateLimits!.Value.GetProperty("limitId").GetString().ShouldBe("codex");
        var tools = events.Where(e => e.Type == WorkerEventTypes.ToolFinished).ToList();
        events.First(e => e.Type == WorkerEventTypes.ToolStarted).ToolInput.ShouldBe("printf 'Hello from the replay model\\n' > hello.txt && cat hello.txt");
        tools[0].ToolOutput.ShouldBe("Hello from the replay model\n");
        tools.ShouldAllBe(t => t.IsError == false);
        events.Last(e => e.Type == WorkerEventTypes.AgentMessage).Text.ShouldBe("Created hello.txt and committed it.");

        var usage = events.Last(e => e.Type == WorkerEventTypes.Usage).Usage!;
        (usage.Input, usage.Output, usage.CacheRead).ShouldBe((3300L, 82L, 0L));
        usage.CostUsd.ShouldBe(((3300 * 3m) + (82 * 15m)) / 1_000_000m);

        // The rollout file (Codex's full transcript) is recorded beside the session's events.
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(context.SessionDirectory, "codex-thread.json")));
        File.Exists(record.RootElement.GetProperty("rolloutPath").GetString()).ShouldBeTrue();
        (await connection.ExportTranscriptAsync(bed.Combine("t.html"), CancellationToken.None).WaitAsync(TestTimeout)).ShouldBeFalse();

        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task AppServer_TwoTurnsOnOneThread_UsageAccumulatesWithoutDoubleCounting()
    {
        await using var bed = await StartAsync(
            """
            [
              {"text": "First answer.", "usage": {"input": 1000, "output": 10}},
              {"text": "Second answer.", "usage": {"input": 2000, "output": 20}}
            ]
            """);
        await using var connection = await new CodexAdapter(AppServer).StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        await connection.SendPromptAsync("First.", CancellationToken.None).WaitAsync(TurnTimeout);
        (await bed.Sink.TurnFinishedAsync(TurnTimeout)).Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Describe());
        var afterFirst = bed.Sink.Events.Count;
        var firstUsage = bed.Sink.Events.Last(e => e.Type == WorkerEventTypes.Usage).Usage!;

        await connection.SendPromptAsync("Continue.", CancellationToken.None).WaitAsync(TurnTimeout);
        (await bed.Sink.TurnFinishedAsync(TurnTimeout, after: afterFirst)).Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Describe());

        (firstUsage.Input, firstUsage.Output).ShouldBe((1000L, 10L));
        var usages = bed.Sink.Events.Where(e => e.Type == WorkerEventTypes.Usage).Select(e => e.Usage!).ToList();
        usages.Zip(usages.Skip(1)).ShouldAllBe(p => p.Second.Total > p.First.Total);
        (usages[^1].Input, usages[^1].Output).ShouldBe((3000L, 30L));
        // The second request carried the first turn's history: one thread, not two conversations.
        bed.Sink.Events.Where(e => e.Type == WorkerEventTypes.AgentMessage).Select(e => e.Text).ShouldBe(["First answer.", "Second answer."]);
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task AppServer_AbortDuringLongCommand_AbortsAndKillsTheCommand()
    {
        await using var bed = await StartAsync(LongCommandScript);
        await using var connection = await new CodexAdapter(AppServer).StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);
        await connection.SendPromptAsync("Sleep.", CancellationToken.None).WaitAsync(TurnTimeout);
        await bed.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted && e.ToolInput == "sleep 6543", TurnTimeout);
        (await Poll.UntilAsync(() => bed.TaggedProcesses("sleep 6543").Count > 0, TestTimeout)).ShouldBeTrue("the sleep never started");

        var clock = Stopwatch.StartNew();
        await connection.AbortAsync(CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TestTimeout);

        finished.Outcome.ShouldBe(Outcomes.Aborted, bed.Sink.Describe());
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        (await Poll.UntilAsync(() => bed.TaggedProcesses("sleep 6543").Count == 0, TimeSpan.FromSeconds(10))).ShouldBeTrue("sleep 6543 outlived the abort");
        // The app-server itself lives on for the next turn.
        connection.Exited.IsCompleted.ShouldBeFalse();
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task AppServer_TurnSilentLongerThanTurnTimeout_TimesOutAndKillsTheCommand()
    {
        await using var bed = await StartAsync(LongCommandScript);
        var options = AppServer with { TurnSilenceTimeout = TimeSpan.FromSeconds(2) };
        await using var connection = await new CodexAdapter(options).StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        await connection.SendPromptAsync("Sleep.", CancellationToken.None).WaitAsync(TurnTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.TimedOut, bed.Sink.Describe());
        finished.Reason!.ShouldContain("turn_timeout");
        (await Poll.UntilAsync(() => bed.TaggedProcesses("sleep 6543").Count == 0, TimeSpan.FromSeconds(10))).ShouldBeTrue("sleep 6543 outlived the timeout");
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task AppServer_ModelAnswers500_TurnFailsInsteadOfHanging()
    {
        await using var bed = await StartAsync("""[{"error": {"status": 500, "message": "replay boom", "times": 20}}]""");
        await using var connection = await new CodexAdapter(AppServer).StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        await connection.SendPromptAsync("Anything.", CancellationToken.None).WaitAsync(TurnTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Failed, bed.Sink.Describe());
        finished.Reason.ShouldNotBeNullOrWhiteSpace();
        bed.Sink.Events.ShouldContain(e => e.Type == WorkerEventTypes.Error);
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task StopAsync_DuringLongCommand_LeavesNoProcessWithTheRunMarker()
    {
        await using var bed = await StartAsync(LongCommandScript);
        var connection = (CodexAppServerConnection)await new CodexAdapter(AppServer).StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);
        await using (connection)
        {
            await connection.SendPromptAsync("Sleep.", CancellationToken.None).WaitAsync(TurnTimeout);
            await bed.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted, TurnTimeout);
            (await Poll.UntilAsync(() => bed.TaggedProcesses("sleep 6543").Count > 0, TestTimeout)).ShouldBeTrue("the sleep never started");
            ProcessTable.WithEnvironment(ProcessTable.RunMarkerVariable, connection.RunMarker).ShouldNotBeEmpty();

            await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);

            connection.Exited.IsCompleted.ShouldBeTrue();
            ProcessTable.WithEnvironment(ProcessTable.RunMarkerVariable, connection.RunMarker).ShouldBeEmpty();
            bed.TaggedProcesses().ShouldBeEmpty();
            (await bed.Sink.TurnFinishedAsync(TestTimeout)).Outcome.ShouldBe(Outcomes.Stopped);
        }
    }

    [Fact]
    public async Task StartAsync_CommandNeverAnswersInitialize_FailsWithinReadTimeoutAndKillsIt()
    {
        await using var bed = await StartAsync("[]");
        var script = bed.Combine("silent-codex.sh");
        File.WriteAllText(script, "#!/bin/bash\necho 'starting up' >&2\nexec sleep 600\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = AppServer with { ReadTimeout = TimeSpan.FromSeconds(1.5) };

        var clock = Stopwatch.StartNew();
        var failure = await Should.ThrowAsync<BatonException>(
            new CodexAdapter(options).StartAsync(bed.Context(command: script), bed.Sink, CancellationToken.None).WaitAsync(TestTimeout));

        failure.Code.ShouldBe("agent_start_failed");
        failure.Message.ShouldContain("initialize");
        failure.Message.ShouldContain("starting up"); // what the program said on stderr
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(8));
        (await Poll.UntilAsync(() => bed.TaggedProcesses().Count == 0, TimeSpan.FromSeconds(5))).ShouldBeTrue("the silent program was left running");
    }

    [Fact]
    public async Task StartAsync_CommandPrintsNoiseBeforeTheProtocol_Works()
    {
        await using var bed = await StartAsync("""[{"text": "Hello through the wrapper.", "usage": {"input": 100, "output": 5}}]""");
        var script = bed.Combine("noisy-codex.sh");
        File.WriteAllText(script, $"#!/bin/bash\necho 'Welcome to the codex wrapper'\necho '{{not json'\necho '[1,2,3]'\nexec '{AgentBinary("codex")}' app-server\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var connection = await new CodexAdapter(AppServer).StartAsync(bed.Context(command: script), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        await connection.SendPromptAsync("Say hello.", CancellationToken.None).WaitAsync(TurnTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Describe());
        bed.Sink.Events.ShouldContain(e => e.Type == WorkerEventTypes.AgentMessage && e.Text == "Hello through the wrapper.");
        bed.Sink.RawLines.ShouldContain(("stdout", "Welcome to the codex wrapper"));
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task AppServer_ApprovalRequestedUnderOnRequestPolicy_EndsTurnInputRequired()
    {
        // A command asking to leave the read-only sandbox makes Codex ask for approval; nobody is there to give it.
        await using var bed = await StartAsync(
            """
            [
              {"tool_calls": [{"name": "exec_command", "arguments": {"cmd": "touch approved.txt", "sandbox_permissions": "require_escalated", "justification": "write a file"}}]},
              {"text": "Done."}
            ]
            """);
        var options = AppServer with { ApprovalPolicy = "on-request", Sandbox = "read-only" };
        await using var connection = await new CodexAdapter(options).StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        await connection.SendPromptAsync("Touch a file.", CancellationToken.None).WaitAsync(TurnTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.InputRequired, bed.Sink.Describe());
        bed.Sink.Events.ShouldContain(e => e.Type == WorkerEventTypes.InputRequested && e.Text!.Contains("touch approved.txt"));
        File.Exists(Path.Combine(bed.Workspace, "approved.txt")).ShouldBeFalse();
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task SteerAsync_DuringACommand_ReachesTheModelInTheSameTurn()
    {
        await using var bed = await StartAsync(
            """
            [
              {"tool_calls": [{"name": "exec_command", "arguments": {"cmd": "sleep 3", "yield_time_ms": 600000}}], "usage": {"input": 100, "output": 5}},
              {"text": "Noted.", "usage": {"input": 200, "output": 5}}
            ]
            """,
            logBodies: true);
        var adapter = new CodexAdapter(AppServer);
        adapter.Capabilities.Steer.ShouldBeTrue();
        await using var connection = await adapter.StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);
        await connection.SendPromptAsync("Wait a moment.", CancellationToken.None).WaitAsync(TurnTimeout);
        await bed.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted, TurnTimeout);

        await connection.SteerAsync("Also mention bananas.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Describe());
        bed.Sink.Events.Count(e => e.Type == WorkerEventTypes.TurnStarted).ShouldBe(1);
        var requests = ReadLog(bed.RequestLog).Where(r => r.GetProperty("turn").GetInt32() >= 0).ToList();
        requests.Count.ShouldBe(2);
        requests[1].GetProperty("body").GetRawText().ShouldContain("Also mention bananas.");
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task StartAsync_AutoModeAndAppServerHandshakeFails_FallsBackToExec()
    {
        await using var bed = await StartAsync(WriteCommitScript);
        // No app-server answers initialize within a millisecond: the handshake fails like a broken app-server would.
        var adapter = new CodexAdapter(new CodexAdapterOptions { Mode = CodexMode.Auto, ReadTimeout = TimeSpan.FromMilliseconds(1) });
        await using var connection = await adapter.StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        connection.ShouldBeOfType<CodexExecConnection>();
        bed.Sink.Events.ShouldContain(e => e.Type == WorkerEventTypes.Error && e.Reason == "app_server_fallback");
        await connection.SendPromptAsync("Create hello.txt and commit it.", CancellationToken.None).WaitAsync(TurnTimeout);
        (await bed.Sink.TurnFinishedAsync(TurnTimeout)).Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Describe());
        (await GitAsync(bed.Workspace, bed.Home, "log", "--format=%s")).ShouldStartWith("Add hello.txt");
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task Exec_WriteCommitScript_CommitsWithEventsAndUsage()
    {
        await using var bed = await StartAsync(WriteCommitScript + "\n");
        var adapter = new CodexAdapter(new CodexAdapterOptions { Mode = CodexMode.Exec });
        adapter.Capabilities.Steer.ShouldBeFalse();
        await using var connection = await adapter.StartAsync(bed.Context(), bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        await connection.SendPromptAsync("Create hello.txt and commit it.", CancellationToken.None).WaitAsync(TurnTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Describe());
        (await GitAsync(bed.Workspace, bed.Home, "log", "--format=%s")).ShouldStartWith("Add hello.txt");
        bed.Sink.Events.Where(e => e.Type is WorkerEventTypes.ToolStarted or WorkerEventTypes.ToolFinished).Count().ShouldBe(4);
        var usage = bed.Sink.Events.Last(e => e.Type == WorkerEventTypes.Usage).Usage!;
        (usage.Input, usage.Output).ShouldBe((3300L, 82L));
        await connection.StopAsync(s_stopGrace, CancellationToken.None).WaitAsync(TestTimeout);
        (await connection.Exited.WaitAsync(TestTimeout)).ShouldBe(0);
        bed.TaggedProcesses().ShouldBeEmpty();
    }
}
