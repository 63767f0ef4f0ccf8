using System.Text.Json;
using Baton.Cli;
using Baton.Tests.Orchestration;
using Baton.Tests.TestSupport;
using Baton.Web;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Cli;

/// <summary><c>baton status</c>: from the files alone, and from a live <c>baton run</c>.</summary>
public sealed class StatusCommandTests
{
    [Fact]
    public async Task Status_NoOrchestrator_ShowsTheLiveSessionFromTheFiles()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Tidy the [red]logs[/] <script>");
        var session = await w.SpawnCommandAsync(task, "echo hello from the agent; sleep 7302");
        await w.WaitForAsync(session, s => s.GetProperty("lastEvent").GetString() is { } e && e.Contains("hello", StringComparison.Ordinal));

        var json = await w.RunAsync("status", "--json");
        var human = await w.RunAsync("status");

        json.ExitCode.ShouldBe(0, json.ToString());
        var data = json.Data;
        data.GetProperty("source").GetString().ShouldBe("files");
        var running = data.GetProperty("running").EnumerateArray().Single();
        running.GetProperty("session").GetString().ShouldBe(session);
        running.GetProperty("issueIdentifier").GetString().ShouldBe(task);
        running.GetProperty("title").GetString().ShouldBe("Tidy the [red]logs[/] <script>");
        running.GetProperty("activity").GetString().ShouldBe("said: hello from the agent");
        running.GetProperty("agent").GetString().ShouldBe("command");
        data.GetProperty("retrying").GetArrayLength().ShouldBe(0);
        data.GetProperty("sessions").GetArrayLength().ShouldBe(1);

        human.ExitCode.ShouldBe(0, human.ToString());
        human.Stdout.ShouldContain("no orchestrator running");
        human.Stdout.ShouldContain(session);

        // Markup in a title is printed as it is, never interpreted (Spectre would colour "[red]…[/]").
        human.Stdout.ShouldContain("Tidy the [red]logs[/] <script>");
        human.Stdout.ShouldContain("said: hello from the agent");
        human.Stdout.ShouldContain("Only a running orchestrator has a retry queue");
    }

    [Fact]
    public async Task Status_WithBatonRun_ShowsItsLiveStateAndRetryQueue()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, """
            if [ "$BATON_TASK" = "APP-1" ]; then echo working; sleep 7303; else echo broken; exit 3; fi
            """);
        var working = await w.AddTaskAsync("Long job");
        var failing = await w.AddTaskAsync("Broken job");
        await using var daemon = await RunDaemon.StartAsync(w);
        await daemon.WaitForStateAsync(s => Rows(s, "running").Any(r => r.GetProperty("issue_identifier").GetString() == working) && Rows(s, "retrying").Any(), "one running, one retrying");

        var json = await w.RunAsync("status", "--json");
        var human = await w.RunAsync("status");

        var data = json.Data;
        data.GetProperty("source").GetString().ShouldBe("orchestrator");
        var orchestrator = data.GetProperty("orchestrators").EnumerateArray().Single();
        orchestrator.GetProperty("reachable").GetBoolean().ShouldBeTrue();
        orchestrator.GetProperty("url").GetString().ShouldBe(daemon.Http.BaseAddress!.ToString().TrimEnd('/'));
        data.GetProperty("running").EnumerateArray().Single().GetProperty("title").GetString().ShouldBe("Long job");
        var retry = data.GetProperty("retrying").EnumerateArray().Single();
        retry.GetProperty("issueIdentifier").GetString().ShouldBe(failing);
        retry.GetProperty("error").GetString()!.ShouldContain("exit code 3");
        human.Stdout.ShouldContain("orchestrator live at " + orchestrator.GetProperty("url").GetString());
        human.Stdout.ShouldContain("Broken job");
        human.Stdout.ShouldContain("exit code 3");

        (await daemon.StopAsync()).ShouldBe(0);

        // Stopped: the endpoint file is gone, and status falls back to the files.
        Directory.EnumerateFiles(ApiEndpoints.DirectoryOf(w.World.Home)).ShouldBeEmpty();
        (await w.RunAsync("status", "--json")).Data.GetProperty("source").GetString().ShouldBe("files");
    }

    [Fact]
    public async Task Status_SessionWithProof_IsListedAsAHandOff()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Add a health endpoint");
        var session = await w.SpawnCommandAsync(task, "echo done");
        var info = await w.WaitForStatusAsync(session, "idle");
        var proof = Path.Combine(info.GetProperty("directory").GetString()!, "proof");
        Directory.CreateDirectory(proof);
        File.WriteAllText(Path.Combine(proof, "summary.md"), "# done\n");
        File.WriteAllText(Path.Combine(proof, "proof.json"), "{}");

        var data = (await w.RunAsync("status", "--json")).Data;
        var human = await w.RunAsync("status");

        var handoff = data.GetProperty("handoffs").EnumerateArray().Single();
        handoff.GetProperty("name").GetString().ShouldBe(session);
        handoff.GetProperty("proof").GetProperty("summary").GetString().ShouldBe($"/api/v1/sessions/{session}/proof/summary.md");
        handoff.GetProperty("proof").GetProperty("transcript").ValueKind.ShouldBe(JsonValueKind.Null);
        data.GetProperty("totals").GetProperty("runsEndedLastHour").GetInt32().ShouldBe(0); // the world's clock is fixed in 2025
        human.Stdout.ShouldContain("Add a health endpoint");
        human.Stdout.ShouldContain("baton proof " + session);
    }

    [Fact]
    public async Task Status_RunEndedOnAQuestion_IsWaitingForAPersonUntilAnswered()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Pick a region");
        var session = await w.SpawnCommandAsync(task, "echo asking");
        var info = await w.WaitForStatusAsync(session, "idle");
        var files = new Baton.Sessions.SessionFiles(info.GetProperty("directory").GetString()!);
        files.WriteBlocked(new Baton.Sessions.BlockedNote { TaskId = "t1", TaskIdentifier = task, Question = "Which region, [bold]eu[/] or us?", BlockedAt = DateTimeOffset.UtcNow });

        var waiting = (await w.RunAsync("status", "--json")).Data;
        var human = await w.RunAsync("status");
        files.WriteAnswer(new Baton.Sessions.AnswerNote { Text = "eu", AnsweredAt = DateTimeOffset.UtcNow, By = "cli" });
        var answered = (await w.RunAsync("status", "--json")).Data;

        var blocked = waiting.GetProperty("blocked").EnumerateArray().Single();
        blocked.GetProperty("session").GetString().ShouldBe(session);
        blocked.GetProperty("error").GetString().ShouldBe("Which region, [bold]eu[/] or us?");
        waiting.GetProperty("running").GetArrayLength().ShouldBe(0);
        human.Stdout.ShouldContain("Which region, [bold]eu[/] or us?");
        human.Stdout.ShouldContain("baton send <session>");
        answered.GetProperty("blocked").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Status_StaleEndpointFile_IsIgnoredAndRemoved()
    {
        using var w = await TempWorld.CreateAsync();
        var stale = ApiEndpoints.Write(w.Home, new ApiEndpoint { Pid = int.MaxValue - 7, StartedAt = DateTimeOffset.UtcNow, Url = "http://127.0.0.1:1" });

        var result = await w.RunAsync("status", "--json");

        result.Data.GetProperty("source").GetString().ShouldBe("files");
        result.Data.GetProperty("orchestrators").GetArrayLength().ShouldBe(0);
        File.Exists(stale).ShouldBeFalse();
    }

    [Fact]
    public async Task Status_OrchestratorNotAnswering_SaysSoAndShowsTheFiles()
    {
        using var w = await TempWorld.CreateAsync();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var pid = Environment.ProcessId;
        ApiEndpoints.Write(w.Home, new ApiEndpoint { Pid = pid, ProcessStartTime = Baton.Processes.ProcessTable.StartTime(pid), StartedAt = DateTimeOffset.UtcNow, Url = $"http://127.0.0.1:{port}" });

        var json = await w.RunAsync("status", "--json");
        var human = await w.RunAsync("status");

        json.ExitCode.ShouldBe(0);
        json.Data.GetProperty("source").GetString().ShouldBe("files");
        json.Data.GetProperty("orchestrators")[0].GetProperty("reachable").GetBoolean().ShouldBeFalse();
        json.Data.GetProperty("problems")[0].GetString()!.ShouldContain("did not answer");
        human.Stdout.ShouldContain("its API did not answer");
    }

    [Fact]
    public async Task Status_Watch_RefreshesUntilCancelledAndExitsZero()
    {
        using var w = await TempWorld.CreateAsync();
        var output = new StringWriter();
        var synchronized = TextWriter.Synchronized(output);
        var context = new CliContext(synchronized, TextWriter.Null, new StringReader(string.Empty), w.Environment, w.Repo, w.Time);
        using var stop = new CancellationTokenSource();

        var run = BatonApp.RunAsync(["status", "--watch", "--interval", "0.2", "--json"], context, stop.Token);
        await Poll.UntilAsync(() => Lines(synchronized, output).Length >= 3, TimeSpan.FromSeconds(30), "three refreshes");
        await stop.CancelAsync();
        var exit = await run.WaitAsync(TimeSpan.FromSeconds(30));

        exit.ShouldBe(0);
        foreach (var line in Lines(synchronized, output))
        {
            JsonDocument.Parse(line).RootElement.GetProperty("data").GetProperty("source").GetString().ShouldBe("files");
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("99999")]
    public async Task Status_BadInterval_IsBadUsage(string interval)
    {
        using var w = await TempWorld.CreateAsync();

        var result = await w.RunAsync("status", "--watch", "--interval", interval, "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("bad_usage");
    }

    private static string[] Lines(TextWriter synchronized, StringWriter output)
    {
        lock (synchronized)
        {
            return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }
}
