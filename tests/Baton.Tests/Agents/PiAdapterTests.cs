using Baton.Tests.TestSupport;
using System.Diagnostics;
using System.Globalization;
using Baton.Agents.Pi;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Processes;
using static Baton.Tests.Agents.PiTestBed;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Agents;

/// <summary>The real pi (RPC mode) driven through <see cref="PiAdapter"/> against Baton's replay model, in a temp repository.</summary>
public class PiAdapterTests
{
    private const string WriteCommitScript =
        """
        [
          {"text": "I'll create the file.",
           "tool_calls": [{"name": "write", "arguments": {"path": "hello.txt", "content": "Hello from the replay model\n"}}],
           "usage": {"input": 1200, "output": 40, "cacheRead": 100}},
          {"tool_calls": [{"name": "bash", "arguments": {"command": "git add -A && git commit -q -m 'Add hello.txt' && git log --oneline -1"}}],
           "usage": {"input": 1300, "output": 30}},
          {"text": "Created hello.txt and committed it.", "usage": {"input": 1400, "output": 12}}
        ]
        """;

    private const string HelloScript = """[{"text": "Hello there.", "usage": {"input": 10, "output": 2}}]""";

    [Fact]
    public async Task SendPromptAsync_WriteCommitScript_CommitsTheFileWithEventsInOrderAndPricedUsage()
    {
        await using var bed = await PiTestBed.StartAsync(WriteCommitScript);
        await using var pi = await bed.StartPiAsync();

        await pi.SendPromptAsync("Create hello.txt and commit it.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Transcript);
        File.ReadAllText(Path.Combine(bed.Workspace, "hello.txt")).ShouldBe("Hello from the replay model\n");
        (await GitAsync(bed.Workspace, bed.Temp.Combine("git-home"), "log", "--format=%s")).ShouldStartWith("Add hello.txt");
        (await GitAsync(bed.Workspace, bed.Temp.Combine("git-home"), "status", "--porcelain")).ShouldBeEmpty();

        var events = bed.Sink.Events;
        var types = events.Select(e => e.Type).ToList();
        var started = types.IndexOf(WorkerEventTypes.TurnStarted);
        var writeStarted = events.ToList().FindIndex(e => e.Type == WorkerEventTypes.ToolStarted && e.ToolName == "write");
        var writeFinished = events.ToList().FindIndex(e => e.Type == WorkerEventTypes.ToolFinished && e.ToolName == "write");
        var end = types.IndexOf(WorkerEventTypes.TurnFinished);
        started.ShouldBe(0, bed.Sink.Transcript);
        writeStarted.ShouldBeGreaterThan(started);
        writeFinished.ShouldBeGreaterThan(writeStarted);
        end.ShouldBe(types.Count - 1);
        events[writeStarted].ToolInput.ShouldBe("hello.txt");
        events[writeFinished].IsError.ShouldBe(false);
        events.ShouldContain(e => e.Type == WorkerEventTypes.ToolStarted && e.ToolName == "bash" && e.ToolInput!.StartsWith("git add -A", StringComparison.Ordinal));
        events.Where(e => e.Type == WorkerEventTypes.AgentMessage).Select(e => e.Text).ShouldBe(["I'll create the file.", "Created hello.txt and committed it."]);
        events.ShouldAllBe(e => e.Session == "int-1" && e.Run == 1);

        // Absolute totals of the script's numbers, priced by Baton: 3900 in, 82 out, 100 cache reads.
        var usage = events.Last(e => e.Type == WorkerEventTypes.Usage).Usage!;
        (usage.Input, usage.Output, usage.CacheRead, usage.CacheWrite).ShouldBe((3900L, 82L, 100L, 0L));
        usage.CostUsd.ShouldBe(((3900m * 3m) + (82m * 15m) + (100m * 0.3m)) / 1_000_000m);
        pi.Usage.ShouldBe(usage);
    }

    [Fact]
    public async Task SteerAsync_DuringABashTool_ReachesTheNextModelRequest()
    {
        const string steer = "STEER-7f3a: also mention the weather";
        await using var bed = await PiTestBed.StartAsync("""
            [{"tool_calls": [{"name": "bash", "arguments": {"command": "sleep 2; echo slept"}}]},
             {"text": "Done after the steer."}]
            """);
        await using var pi = await bed.StartPiAsync();

        await pi.SendPromptAsync("Run the command.", CancellationToken.None).WaitAsync(TestTimeout);
        await bed.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted && e.ToolName == "bash", TurnTimeout);
        await pi.SteerAsync(steer, CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Transcript);
        bed.Sink.Events.Count(e => e.Type == WorkerEventTypes.TurnStarted).ShouldBe(1);
        var requests = ReadLog(bed.RequestLog).Where(r => r.GetProperty("turn").GetInt32() >= 0).ToList();
        requests.Count.ShouldBe(2);
        requests[0].GetProperty("body").GetRawText().ShouldNotContain("STEER-7f3a");
        requests[1].GetProperty("body").GetRawText().ShouldContain("STEER-7f3a");
    }

    [Fact]
    public async Task FollowUpAsync_WhenIdle_StartsATurn()
    {
        await using var bed = await PiTestBed.StartAsync(HelloScript);
        await using var pi = await bed.StartPiAsync();

        await pi.FollowUpAsync("Say hello.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Transcript);
        bed.Sink.Events.Select(e => e.Type).ShouldBe([WorkerEventTypes.TurnStarted, WorkerEventTypes.AgentMessage, WorkerEventTypes.Usage, WorkerEventTypes.TurnFinished]);
    }

    [Fact]
    public async Task SendPromptAsync_WhileATurnIsOpen_ThrowsAgentBusy()
    {
        var sleep = UniqueSleep();
        await using var bed = await PiTestBed.StartAsync(LongBashScript(sleep));
        await using var pi = await bed.StartPiAsync();
        await pi.SendPromptAsync("Run it.", CancellationToken.None).WaitAsync(TestTimeout);

        var error = await Should.ThrowAsync<BatonException>(() => pi.SendPromptAsync("Another.", CancellationToken.None).WaitAsync(TestTimeout));

        error.Code.ShouldBe(PiConnection.AgentBusy);
        await pi.AbortAsync(CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task AbortAsync_DuringALongBashTool_EndsTheTurnAbortedAndKillsTheTool()
    {
        var sleep = UniqueSleep();
        await using var bed = await PiTestBed.StartAsync(LongBashScript(sleep));
        await using var pi = await bed.StartPiAsync();
        await pi.SendPromptAsync("Run it.", CancellationToken.None).WaitAsync(TestTimeout);
        await bed.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted && e.ToolName == "bash", TurnTimeout);
        await Poll.UntilAsync(() => ProcessesWithCommandLine(sleep).Count > 0, TimeSpan.FromSeconds(30), $"'{sleep}' running");

        var clock = Stopwatch.StartNew();
        await pi.AbortAsync(CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TimeSpan.FromSeconds(10));
        clock.Stop();

        finished.Outcome.ShouldBe(Outcomes.Aborted, bed.Sink.Transcript);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        bed.Sink.Events.ShouldContain(e => e.Type == WorkerEventTypes.ToolFinished && e.ToolName == "bash" && e.IsError == true);
        await Poll.UntilAsync(() => ProcessesWithCommandLine(sleep).Count == 0, TimeSpan.FromSeconds(5), $"'{sleep}' gone after the abort");
        pi.Exited.IsCompleted.ShouldBeFalse("an abort ends the turn, not the agent");
    }

    [Fact]
    public async Task AbortAsync_PiIgnoresTheAbortAndSigterm_EscalatesToKillAndEndsTheTurnAborted()
    {
        await using var bed = await PiTestBed.StartAsync(script: null);
        // A stand-in pi that answers every command but never ends a run and shrugs off SIGTERM.
        var stubborn = bed.Temp.Combine("stubborn-pi.js");
        File.WriteAllText(stubborn, """
            process.on("SIGTERM", () => {});
            const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
            require("readline").createInterface({ input: process.stdin }).on("line", (line) => {
              const c = JSON.parse(line);
              out({ id: c.id, type: "response", command: c.type, success: true, data: c.type === "get_state" ? {} : undefined });
              if (c.type === "prompt") out({ type: "agent_start" });
            });
            setInterval(() => {}, 1000);
            """);
        bed.FakePi($"exec node '{stubborn}'");
        await using var pi = await bed.StartPiAsync(new PiAdapterOptions { AbortGrace = TimeSpan.FromSeconds(1) });
        await pi.SendPromptAsync("Run.", CancellationToken.None).WaitAsync(TestTimeout);

        var clock = Stopwatch.StartNew();
        await pi.AbortAsync(CancellationToken.None).WaitAsync(TestTimeout);

        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TimeSpan.FromSeconds(5));
        finished.Outcome.ShouldBe(Outcomes.Aborted, bed.Sink.Transcript);
        finished.Reason.ShouldBe("agent exited with code 137");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        bed.MarkedProcesses().ShouldBeEmpty();
    }

    [Fact]
    public async Task SendPromptAsync_ModelAnswers500_TurnFailsWithTheErrorAfterOneRequest()
    {
        await using var bed = await PiTestBed.StartAsync("""[{"error": {"status": 500, "message": "replay upstream failure", "times": 5}}]""");
        await using var pi = await bed.StartPiAsync();

        await pi.SendPromptAsync("Try.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Failed, bed.Sink.Transcript);
        finished.Reason.ShouldNotBeNull().ShouldContain("500");
        // Baton retries runs itself: neither pi nor its SDK may retry behind its back.
        bed.Server!.RequestCount.ShouldBe(1);
        pi.TurnOpen.ShouldBeFalse();
    }

    [Fact]
    public async Task SendPromptAsync_AgentRetriesOnAndA500_TheRetriedTurnIsOneTurnThatSucceeds()
    {
        // Three 500s outlast the SDK's own two retries, so pi's auto-retry takes over after an error agent_end: the
        // turn must stay open through it (reference/agents.md §1.5), not end failed and then start again.
        await using var bed = await PiTestBed.StartAsync("""
            [{"error": {"status": 500, "message": "replay upstream failure", "times": 3}, "text": "Recovered."}]
            """);
        await using var pi = await bed.StartPiAsync(context: bed.Context() with { DisableAgentRetries = false });

        await pi.SendPromptAsync("Try.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Transcript);
        bed.Sink.Events.Count(e => e.Type == WorkerEventTypes.TurnStarted).ShouldBe(1);
        bed.Sink.Events.Single(e => e.Type == WorkerEventTypes.AgentMessage).Text.ShouldBe("Recovered.");
        bed.Server!.RequestCount.ShouldBe(4);
        bed.Sink.SawRaw("\"auto_retry_start\"").ShouldBeTrue("pi itself retried");
    }

    [Fact]
    public async Task ExportTranscriptAsync_AfterATurn_WritesAnHtmlFile()
    {
        await using var bed = await PiTestBed.StartAsync(HelloScript);
        await using var pi = await bed.StartPiAsync();
        await pi.SendPromptAsync("Say hello.", CancellationToken.None).WaitAsync(TestTimeout);
        await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TurnTimeout);
        var path = bed.Temp.Combine("session", "proof", "transcript.html");

        var exported = await pi.ExportTranscriptAsync(path, CancellationToken.None).WaitAsync(TestTimeout);

        exported.ShouldBeTrue(bed.Sink.Transcript);
        var html = File.ReadAllText(path);
        html.ShouldContain("<html", Case.Insensitive);
        pi.SessionFile.ShouldNotBeNull();
        File.Exists(pi.SessionFile).ShouldBeTrue();
        pi.SessionFile.ShouldStartWith(bed.Temp.Combine("agent-home", "sessions"));
    }

    [Fact]
    public async Task StopAsync_WhenIdle_EndsPiCleanlyWithNoMarkedProcessLeft()
    {
        await using var bed = await PiTestBed.StartAsync(HelloScript);
        await using var pi = await bed.StartPiAsync();
        bed.MarkedProcesses().ShouldContain(pi.ProcessId);
        pi.RunMarker.ShouldBe(bed.Marker);

        await pi.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);

        (await pi.Exited.WaitAsync(TestTimeout)).ShouldBe(0);
        bed.MarkedProcesses().ShouldBeEmpty();
        bed.Sink.Events.ShouldNotContain(e => e.Type == WorkerEventTypes.TurnFinished);
    }

    [Fact]
    public async Task StopAsync_DuringALongBashTool_AbortsFirstAndLeavesNoMarkedProcess()
    {
        var sleep = UniqueSleep();
        await using var bed = await PiTestBed.StartAsync(LongBashScript(sleep));
        await using var pi = await bed.StartPiAsync();
        await pi.SendPromptAsync("Run it.", CancellationToken.None).WaitAsync(TestTimeout);
        await bed.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted && e.ToolName == "bash", TurnTimeout);
        await Poll.UntilAsync(() => ProcessesWithCommandLine(sleep).Count > 0, TimeSpan.FromSeconds(30), $"'{sleep}' running");

        await pi.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);

        pi.Exited.IsCompleted.ShouldBeTrue();
        bed.MarkedProcesses().ShouldBeEmpty();
        ProcessesWithCommandLine(sleep).ShouldBeEmpty();
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TimeSpan.FromSeconds(5));
        finished.Outcome.ShouldBe(Outcomes.Aborted, bed.Sink.Transcript);
    }

    [Fact]
    public async Task AgentKilledMidTurn_TurnFailsWithTheExitCode()
    {
        var sleep = UniqueSleep();
        await using var bed = await PiTestBed.StartAsync(LongBashScript(sleep));
        await using var pi = await bed.StartPiAsync();
        await pi.SendPromptAsync("Run it.", CancellationToken.None).WaitAsync(TestTimeout);
        await bed.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted && e.ToolName == "bash", TurnTimeout);

        Posix.Signal(pi.ProcessId, Posix.SigKill).ShouldBeTrue();
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TimeSpan.FromSeconds(15));

        finished.Outcome.ShouldBe(Outcomes.Failed, bed.Sink.Transcript);
        finished.Reason.ShouldBe("agent exited with code 137");
        (await pi.Exited.WaitAsync(TestTimeout)).ShouldBe(137);
        var error = await Should.ThrowAsync<BatonException>(() => pi.SendPromptAsync("again", CancellationToken.None).WaitAsync(TestTimeout));
        error.Code.ShouldBe(PiConnection.AgentExited);
    }

    [Fact]
    public async Task ExtensionDialog_FromAnExtensionBatonLoads_IsCancelledAtOnceAndReported()
    {
        await using var bed = await PiTestBed.StartAsync("""
            [{"tool_calls": [{"name": "bash", "arguments": {"command": "echo guarded"}}]},
             {"text": "The command was blocked."}]
            """);
        var extensions = bed.Temp.Combine("extensions", "pi");
        Directory.CreateDirectory(extensions);
        // A dialog blocks pi until it is answered (reference/agents.md §1.8): unanswered, this turn would never end.
        File.WriteAllText(Path.Combine(extensions, "ask-first.ts"), """
            export default function (pi: any) {
              pi.on("tool_call", async (event: any, ctx: any) => {
                const ok = await ctx.ui.confirm("Allow " + event.toolName + "?", "Baton test dialog");
                if (!ok) return { block: true, reason: "not confirmed by a person" };
              });
            }
            """);
        await using var pi = await bed.StartPiAsync(new PiAdapterOptions { ExtensionsDirectory = extensions });

        await pi.SendPromptAsync("Run it.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Transcript);
        var asked = bed.Sink.Events.Single(e => e.Type == WorkerEventTypes.InputRequested);
        asked.Text.ShouldBe("confirm: Allow bash? — Baton test dialog");
        var tool = bed.Sink.Events.Single(e => e.Type == WorkerEventTypes.ToolFinished);
        tool.IsError.ShouldBe(true);
        tool.ToolOutput.ShouldNotBeNull().ShouldContain("not confirmed by a person");
    }

    [Fact]
    public async Task StartAsync_PiPrintsNoiseAndExits_ThrowsAgentStartFailedWithTheOutput()
    {
        await using var bed = await PiTestBed.StartAsync(script: null);
        bed.FakePi("echo 'Welcome to not-pi 0.0.1'\necho 'Error: Cannot find module @mariozechner/pi-ai' >&2\nexit 3");

        var clock = Stopwatch.StartNew();
        var error = await Should.ThrowAsync<BatonException>(() => bed.StartPiAsync());

        error.Code.ShouldBe(PiConnection.StartFailed);
        error.Message.ShouldContain("exit code 3");
        error.Message.ShouldContain("Cannot find module");
        error.Message.ShouldContain("Welcome to not-pi");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        bed.MarkedProcesses().ShouldBeEmpty();
    }

    [Fact]
    public async Task StartAsync_PiNeverAnswers_ThrowsAgentStartFailedAfterTheReadinessTimeout()
    {
        await using var bed = await PiTestBed.StartAsync(script: null);
        bed.FakePi("echo 'loading…'\nexec sleep 300");

        var error = await Should.ThrowAsync<BatonException>(() => bed.StartPiAsync(new PiAdapterOptions { ReadinessTimeout = TimeSpan.FromSeconds(2) }));

        error.Code.ShouldBe(PiConnection.StartFailed);
        error.Message.ShouldContain("did not answer 'get_state' within 2 s");
        error.Message.ShouldContain("loading…");
        bed.MarkedProcesses().ShouldBeEmpty();
    }

    [Fact]
    public async Task StartAsync_NoiseBeforeTheRealPi_StillStartsAndWorks()
    {
        await using var bed = await PiTestBed.StartAsync(HelloScript);
        bed.FakePi($"echo 'npm WARN something is off'\necho '{{not json'\nexec '{AgentBinary("pi")}' \"$@\"");
        await using var pi = await bed.StartPiAsync();

        await pi.SendPromptAsync("Say hello.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = await bed.Sink.WaitForTypeAsync(WorkerEventTypes.TurnFinished, TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Transcript);
        bed.Sink.Events.ShouldNotContain(e => e.Type == WorkerEventTypes.Error);
    }

    [Fact]
    public async Task StartAsync_PiNotInstalled_ThrowsAgentNotFound()
    {
        await using var bed = await PiTestBed.StartAsync(script: null);

        var error = await Should.ThrowAsync<BatonException>(() => bed.StartPiAsync(context: bed.Context(path: "/nonexistent-bin")));

        error.Code.ShouldBe("agent_not_found");
        error.Suggestion.ShouldContain("baton doctor --fix");
    }

    private static string UniqueSleep() =>
        $"sleep 60.{Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture)}";

    private static string LongBashScript(string sleep) =>
        $$$"""[{"tool_calls": [{"name": "bash", "arguments": {"command": "echo start; {{{sleep}}}; echo end"}}]}, {"text": "should not get here"}]""";
}
