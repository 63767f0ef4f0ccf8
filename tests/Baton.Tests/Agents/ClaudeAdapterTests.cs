using Baton.Tests.TestSupport;
using Baton.Agents;
using Baton.Agents.Claude;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Processes;
using Baton.Tests.Replay;
using static Baton.Tests.Agents.ClaudeTestHarness;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Agents;

/// <summary>The real Claude Code through <see cref="ClaudeAdapter"/> against the replay server (Anthropic dialect).</summary>
public class ClaudeAdapterTests
{
    private static readonly TimeSpan s_abortBound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task SendPrompt_WriteCommitScript_CommitsWithEventsInOrderAndPricedUsage()
    {
        await using var harness = await CreateAsync(
            """
            [
              {"text": "Creating the file.",
               "tool_calls": [{"name": "Write", "arguments": {"file_path": "WORKSPACE/hello.txt", "content": "Hello from the replay model\n"}}],
               "usage": {"input": 1000, "output": 40}},
              {"tool_calls": [{"name": "Bash", "arguments": {"command": "git add -A && git commit -q -m 'Add hello.txt' && git log --oneline -1", "description": "Commit"}}],
               "usage": {"input": 1100, "output": 30}},
              {"text": "Created hello.txt and committed it.", "usage": {"input": 1200, "output": 12}}
            ]
            """);
        await using var connection = await harness.StartAsync();

        await connection.SendPromptAsync("Create hello.txt and commit it.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = (await harness.Sink.WaitForTurnsAsync(1, TurnTimeout)).Single();

        var details = harness.Sink.Describe();
        finished.Outcome.ShouldBe(Outcomes.Succeeded, details);
        File.ReadAllText(Path.Combine(harness.Workspace, "hello.txt")).ShouldBe("Hello from the replay model\n");
        (await GitAsync(harness.Workspace, harness.Home, "log", "--format=%s")).ShouldStartWith("Add hello.txt");
        var events = harness.Sink.Events;
        events.Select(e => e.Type).ShouldBe(
        [
            WorkerEventTypes.TurnStarted,
            WorkerEventTypes.AgentMessage,
            WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished,
            WorkerEventTypes.ToolStarted, WorkerEventTypes.ToolFinished,
            WorkerEventTypes.AgentMessage,
            WorkerEventTypes.Usage,
            WorkerEventTypes.TurnFinished,
        ], details);
        events.ShouldAllBe(e => e.Session == "cla-1" && e.Run == 1);
        events[2].ToolName.ShouldBe("Write");
        events[2].ToolInput.ShouldBe(Path.Combine(harness.Workspace, "hello.txt"));
        events[3].ToolId.ShouldBe(events[2].ToolId);
        events[3].IsError.ShouldBe(false, details);
        events[4].ToolInput!.ShouldStartWith("git add -A");
        events[5].ToolOutput!.ShouldContain("Add hello.txt");
        events[6].Text.ShouldBe("Created hello.txt and committed it.");
        events[7].Usage.ShouldBe(new TokenUsage(3300, 82, 0, 0, ModelPricing.Replay.Cost(3300, 82, 0, 0)));
        events[7].Usage!.CostUsd.ShouldBe(0.01113m); // 3300 × $3/M + 82 × $15/M

        // Claude has no HTML export; its JSONL transcript is where the session id says.
        (await connection.ExportTranscriptAsync(Path.Combine(harness.Workspace, "t.html"), CancellationToken.None)).ShouldBeFalse();
        connection.TranscriptPath.ShouldBe(connection.ExpectedTranscriptPath);
        File.Exists(connection.TranscriptPath).ShouldBeTrue(connection.TranscriptPath);
        await connection.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task FollowUp_DuringAndAfterTurns_OneTurnEachAndUsageAccumulates()
    {
        await using var harness = await CreateAsync(
            """
            [
              {"text": "Working.", "tool_calls": [{"name": "Bash", "arguments": {"command": "sleep 2; echo slept", "description": "Slow"}}],
               "usage": {"input": 1000, "output": 40, "cacheRead": 100, "cacheWrite": 10}},
              {"text": "First done.", "usage": {"input": 1100, "output": 30}},
              {"text": "Second done.", "usage": {"input": 1200, "output": 12}},
              {"text": "Third done.", "usage": {"input": 1300, "output": 5}}
            ]
            """);
        await using var connection = await harness.StartAsync();

        await connection.SendPromptAsync("Do the slow thing.", CancellationToken.None).WaitAsync(TestTimeout);
        await harness.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted, 1, TurnTimeout);

        // Sent while the tool runs: held, and delivered as the next turn when this one's result comes.
        await connection.FollowUpAsync("Now the second thing.", CancellationToken.None).WaitAsync(TestTimeout);
        await harness.Sink.WaitForTurnsAsync(2, TurnTimeout);

        // Sent while idle: a turn of its own at once.
        await connection.FollowUpAsync("And a third.", CancellationToken.None).WaitAsync(TestTimeout);
        var turns = await harness.Sink.WaitForTurnsAsync(3, TurnTimeout);

        var details = harness.Sink.Describe();
        turns.Select(t => t.Outcome).ShouldBe([Outcomes.Succeeded, Outcomes.Succeeded, Outcomes.Succeeded], details);
        var events = harness.Sink.Events;
        events.Count(e => e.Type == WorkerEventTypes.TurnStarted).ShouldBe(3, details);
        events.Where(e => e.Type == WorkerEventTypes.AgentMessage).Select(e => e.Text)
            .ShouldBe(["Working.", "First done.", "Second done.", "Third done."], details);
        var pricing = ModelPricing.Replay;
        events.Where(e => e.Type == WorkerEventTypes.Usage).Select(e => e.Usage).ShouldBe(
        [
            new TokenUsage(2100, 70, 100, 10, pricing.Cost(2100, 70, 100, 10)),
            new TokenUsage(3300, 82, 100, 10, pricing.Cost(3300, 82, 100, 10)),
            new TokenUsage(4600, 87, 100, 10, pricing.Cost(4600, 87, 100, 10)),
        ], details);

        // The held message reached the model as the second turn's prompt, not inside the first turn.
        var requests = ReadLog(harness.RequestLog).Where(r => Turn(r) >= 0).ToList();
        requests.Select(Turn).ShouldBe([0, 1, 2, 3]);
        requests[1].GetRawText().ShouldNotContain("Now the second thing.");
        requests[2].GetRawText().ShouldContain("Now the second thing.");
        requests[3].GetRawText().ShouldContain("And a third.");
        await connection.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task Abort_DuringLongBash_TurnAbortedToolKilledAndAgentUsable()
    {
        await using var harness = await CreateAsync(
            """
            [
              {"text": "Waiting a long time.", "tool_calls": [{"name": "Bash", "arguments": {"command": "sleep 6543", "description": "Long"}}],
               "usage": {"input": 1000, "output": 40}},
              {"text": "Back after the abort.", "usage": {"input": 1100, "output": 30}}
            ]
            """);
        await using var connection = await harness.StartAsync();
        await connection.SendPromptAsync("Wait.", CancellationToken.None).WaitAsync(TestTimeout);
        await harness.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted, 1, TurnTimeout);
        (await Poll.UntilAsync(() => MarkedProcesses(connection.RunMarker, "sleep 6543").Count > 0, TestTimeout))
            .ShouldBeTrue(harness.Sink.Describe());

        var started = DateTime.UtcNow;
        await connection.AbortAsync(CancellationToken.None).WaitAsync(s_abortBound);
        var finished = (await harness.Sink.WaitForTurnsAsync(1, s_abortBound)).Single();

        var details = harness.Sink.Describe();
        finished.Outcome.ShouldBe(Outcomes.Aborted, details);
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(5));
        (await Poll.UntilAsync(() => MarkedProcesses(connection.RunMarker, "sleep 6543").Count == 0, TimeSpan.FromSeconds(5)))
            .ShouldBeTrue($"sleep 6543 survived the abort: {string.Join(", ", MarkedProcesses(connection.RunMarker, "sleep 6543"))}");
        harness.Sink.Events.Single(e => e.Type == WorkerEventTypes.ToolFinished).IsError.ShouldBe(true);

        // The process is still there and takes the next turn.
        await connection.SendPromptAsync("Go on.", CancellationToken.None).WaitAsync(TestTimeout);
        var second = (await harness.Sink.WaitForTurnsAsync(2, TurnTimeout))[1];
        second.Outcome.ShouldBe(Outcomes.Succeeded, harness.Sink.Describe());
        harness.Sink.Events.Last(e => e.Type == WorkerEventTypes.Usage).Usage!.Input.ShouldBe(2100);
        await connection.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task Abort_WhenIdle_DoesNothing()
    {
        await using var harness = await CreateAsync("""[{"text": "Hi."}]""");
        await using var connection = await harness.StartAsync();

        await connection.AbortAsync(CancellationToken.None).WaitAsync(TestTimeout);

        harness.Sink.Events.ShouldBeEmpty();
        connection.Exited.IsCompleted.ShouldBeFalse();
        await connection.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task SendPrompt_ModelAnswers400_TurnFailedAndAgentTakesNextTurn()
    {
        await using var harness = await CreateAsync(
            """[{"error": {"status": 400, "message": "fake bad request", "times": 1}, "text": "Recovered."}, {"text": "Recovered."}]""");
        await using var connection = await harness.StartAsync();

        await connection.SendPromptAsync("Anything.", CancellationToken.None).WaitAsync(TestTimeout);
        var failed = (await harness.Sink.WaitForTurnsAsync(1, TurnTimeout)).Single();
        await connection.SendPromptAsync("Again.", CancellationToken.None).WaitAsync(TestTimeout);
        var second = (await harness.Sink.WaitForTurnsAsync(2, TurnTimeout))[1];

        var details = harness.Sink.Describe();
        failed.Outcome.ShouldBe(Outcomes.Failed, details);
        failed.Reason!.ShouldContain("400");
        failed.Reason!.ShouldContain("fake bad request");
        harness.Sink.Events.ShouldContain(e => e.Type == WorkerEventTypes.Error && e.Text!.Contains("fake bad request"), details);
        harness.Sink.Events.ShouldNotContain(e => e.Type == WorkerEventTypes.AgentMessage && e.Text!.Contains("fake bad request"), details);
        second.Outcome.ShouldBe(Outcomes.Succeeded, details);
        await connection.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task SendPrompt_ModelAnswers500_FailsWithoutClaudesOwnRetries()
    {
        // CLAUDE_CODE_MAX_RETRIES=0: Baton retries runs itself, so one failed request must end the turn.
        await using var harness = await CreateAsync("""[{"error": {"status": 500, "message": "boom", "times": 5}, "text": "recovered"}]""");
        await using var connection = await harness.StartAsync();

        await connection.SendPromptAsync("Anything.", CancellationToken.None).WaitAsync(TestTimeout);
        var finished = (await harness.Sink.WaitForTurnsAsync(1, TurnTimeout)).Single();

        finished.Outcome.ShouldBe(Outcomes.Failed, harness.Sink.Describe());
        ReadLog(harness.RequestLog).Count(r => Turn(r) == 0).ShouldBe(1, File.ReadAllText(harness.RequestLog));
    }

    [Fact]
    public async Task StopAsync_DuringLongBash_TurnStoppedAndNoMarkedProcessLeft()
    {
        await using var harness = await CreateAsync(
            """[{"tool_calls": [{"name": "Bash", "arguments": {"command": "sleep 6543", "description": "Long"}}]}]""");
        await using var connection = await harness.StartAsync();
        var marker = connection.RunMarker;
        await connection.SendPromptAsync("Wait.", CancellationToken.None).WaitAsync(TestTimeout);
        await harness.Sink.WaitForAsync(e => e.Type == WorkerEventTypes.ToolStarted, 1, TurnTimeout);
        (await Poll.UntilAsync(() => MarkedProcesses(marker, "sleep 6543").Count > 0, TestTimeout)).ShouldBeTrue(harness.Sink.Describe());

        await connection.StopAsync(TimeSpan.FromSeconds(4), CancellationToken.None).WaitAsync(TestTimeout);

        ProcessTable.WithEnvironment(ProcessTable.RunMarkerVariable, marker).ShouldBeEmpty();
        connection.Exited.IsCompleted.ShouldBeTrue();
        harness.Sink.Events.Last(e => e.Type == WorkerEventTypes.TurnFinished).Outcome.ShouldBe(Outcomes.Stopped, harness.Sink.Describe());
        await Should.ThrowAsync<BatonException>(() => connection.FollowUpAsync("too late", CancellationToken.None).WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task StopAsync_Idle_ExitsCleanlyWithNoMarkedProcessLeft()
    {
        await using var harness = await CreateAsync("""[{"text": "Hi."}]""");
        await using var connection = await harness.StartAsync();
        var marker = connection.RunMarker;
        ProcessTable.WithEnvironment(ProcessTable.RunMarkerVariable, marker).ShouldNotBeEmpty();

        await connection.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);

        ProcessTable.WithEnvironment(ProcessTable.RunMarkerVariable, marker).ShouldBeEmpty();
        (await connection.Exited.WaitAsync(TestTimeout)).ShouldBe(0); // Claude exits by itself when its input closes
        harness.Sink.Events.ShouldNotContain(e => e.Type == WorkerEventTypes.TurnFinished);
    }

    [Fact]
    public async Task StartAsync_ClaudeMissing_AgentNotFoundSuggestingDoctorFix()
    {
        await using var harness = await CreateAsync("""[{"text": "Hi."}]""");
        using var emptyHome = new TempDirectory("baton-empty-home-");
        var context = harness.Context(e => e["PATH"] = "", emptyHome.Path);

        var error = await Should.ThrowAsync<BatonException>(
            () => new ClaudeAdapter().StartAsync(context, harness.Sink, CancellationToken.None).WaitAsync(TestTimeout));

        error.Code.ShouldBe(AgentLocator.NotFound);
        error.Suggestion.ShouldContain("baton doctor --fix");
    }

    [Fact]
    public async Task StartAsync_ProgramExitsAtOnce_AgentStartFailedWithItsStderr()
    {
        await using var harness = await CreateAsync("""[{"text": "Hi."}]""");
        using var batonHome = new TempDirectory("baton-fake-claude-");
        FakeClaude(batonHome.Path, "echo 'claude: config is broken' >&2; exit 3");

        var error = await Should.ThrowAsync<BatonException>(
            () => new ClaudeAdapter().StartAsync(harness.Context(batonHome: batonHome.Path), harness.Sink, CancellationToken.None).WaitAsync(TestTimeout));

        error.Code.ShouldBe("agent_start_failed");
        error.Message.ShouldContain("code 3");
        error.Message.ShouldContain("claude: config is broken");
    }

    [Fact]
    public async Task StartAsync_ProgramNeverAnswers_AgentStartFailedAndNothingLeft()
    {
        await using var harness = await CreateAsync("""[{"text": "Hi."}]""");
        using var batonHome = new TempDirectory("baton-fake-claude-");
        var marker = $"fake-{Guid.NewGuid():N}";
        FakeClaude(batonHome.Path, $"export BATON_TEST_MARKER={marker}; sleep 600");
        var adapter = new ClaudeAdapter { HandshakeTimeout = TimeSpan.FromSeconds(1) };

        var error = await Should.ThrowAsync<BatonException>(
            () => adapter.StartAsync(harness.Context(batonHome: batonHome.Path), harness.Sink, CancellationToken.None).WaitAsync(TestTimeout));

        error.Code.ShouldBe("agent_start_failed");
        error.Message.ShouldContain("did not answer");
        ProcessTable.WithEnvironment("BATON_TEST_MARKER", marker).ShouldBeEmpty();
    }

    [Fact]
    public async Task StartAsync_ReplayModel_IsolatedEnvironmentAndSessionFolders()
    {
        await using var harness = await CreateAsync("""[{"text": "Hi."}]""");
        var context = harness.Context(e => e["ANTHROPIC_AUTH_TOKEN"] = "from-the-user");
        await using var connection = (ClaudeConnection)await new ClaudeAdapter().StartAsync(context, harness.Sink, CancellationToken.None).WaitAsync(TestTimeout);

        var environ = File.ReadAllText($"/proc/{connection.ProcessId}/environ").Split('\0');

        environ.ShouldContain($"HOME={Path.Combine(context.AgentHome, "home")}");
        environ.ShouldContain($"CLAUDE_CONFIG_DIR={Path.Combine(context.AgentHome, "config")}");
        environ.ShouldContain($"TMPDIR={Path.Combine(context.AgentHome, "tmp")}");
        environ.ShouldContain($"ANTHROPIC_BASE_URL={harness.Server.BaseUrl}");
        environ.ShouldContain("ANTHROPIC_MODEL=fake-model");
        environ.ShouldContain("CLAUDE_CODE_MAX_RETRIES=0");
        environ.ShouldContain("DISABLE_TELEMETRY=1");
        environ.ShouldNotContain(v => v.StartsWith("ANTHROPIC_AUTH_TOKEN=", StringComparison.Ordinal));
        environ.Contains("IS_SANDBOX=1").ShouldBe(Environment.UserName == "root");
        Directory.Exists(Path.Combine(context.AgentHome, "tmp")).ShouldBeTrue();
        await connection.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(TestTimeout);
    }

    /// <summary>A stand-in <c>claude</c> where <c>baton doctor --fix</c> would install the real one (found first).</summary>
    private static void FakeClaude(string batonHome, string body)
    {
        var bin = Baton.Core.Agents.AgentCatalog.BinDirectory(batonHome);
        Directory.CreateDirectory(bin);
        var path = Path.Combine(bin, "claude");
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The script turn a logged request was answered from; -1 for side requests and logged refusals.</summary>
    private static int Turn(System.Text.Json.JsonElement record) =>
        record.TryGetProperty("turn", out var turn) ? turn.GetInt32() : -1;

    [Theory]
    [InlineData("/tmp/ws", "-tmp-ws")]
    [InlineData("/home/a.b/my_repo-2", "-home-a-b-my-repo-2")]
    public void ProjectDirectoryName_Path_NonAlphanumericsBecomeDashes(string path, string expected)
    {
        ClaudeAdapter.ProjectDirectoryName(path).ShouldBe(expected);
    }

    [Fact]
    public void Find_Claude_ClaudeAdapter()
    {
        AgentRegistry.Find("claude").ShouldBeOfType<ClaudeAdapter>().Capabilities.Steer.ShouldBeFalse();
        AgentRegistry.Find("nope").ShouldBeNull();
    }
}
