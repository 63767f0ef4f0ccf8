using System.Globalization;
using System.Text.Json;
using Baton.Processes;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Sessions;

/// <summary>Sessions for real: the baton worker in a tmux pane (or headless), the command agent, real processes and signals.</summary>
public sealed class SessionLifecycleTests
{
    [Fact]
    public async Task Spawn_CommandAgentInTmux_RunsTheTurnAndFinishesWhenIdle()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Write the result");

        var name = await w.SpawnCommandAsync(task, "echo \"working on $BATON_TASK\"; echo done > result.txt", "--idle-timeout", "1");
        var finished = await w.WaitForStatusAsync(name, "finished");

        name.ShouldBe("app-1");
        finished.GetProperty("outcome").GetString().ShouldBe("succeeded");
        finished.GetProperty("turns").GetInt32().ShouldBe(1);
        File.Exists(Path.Combine(finished.GetProperty("workspace").GetString()!, "result.txt")).ShouldBeTrue();
        var peek = await w.RunAsync("peek", name);
        peek.Stdout.ShouldContain($"working on {task}");
        peek.Stdout.ShouldContain("turn succeeded");
        var pane = await w.Tmux.CapturePaneAsync(finished.GetProperty("runtimeName").GetString()!);
        pane.ShouldContain($"working on {task}");
        var types = File.ReadAllLines(Path.Combine(w.SessionDirectory(name), "events.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("type").GetString()).Where(t => t != "heartbeat").ToList();
        types.ShouldBe(["run_started", "turn_started", "agent_message", "turn_finished", "run_finished"]);
    }

    [Fact]
    public async Task Send_WhileIdle_StartsAnotherTurnWithTheMessage()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Echo");
        var name = await w.SpawnCommandAsync(task, "echo \"got: $(head -c 60 | head -n 1)\"", "--idle-timeout", "60");
        await w.WaitForStatusAsync(name, "idle");

        var sent = await w.RunAsync("send", name, "second message", "--json");
        var second = await w.WaitForAsync(name, s => s.GetProperty("turns").GetInt32() == 2 && s.GetProperty("status").GetString() == "idle");

        sent.ExitCode.ShouldBe(0, sent.ToString());
        sent.Data.GetProperty("delivered").GetString().ShouldBe("follow_up");
        second.GetProperty("turns").GetInt32().ShouldBe(2);
        (await w.RunAsync("peek", name)).Stdout.ShouldContain("got: second message");
    }

    [Fact]
    public async Task Send_ToAFinishedSession_IsSessionFinished()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Quick"), "true", "--idle-timeout", "1");
        await w.WaitForStatusAsync(name, "finished");

        var sent = await w.RunAsync("send", name, "hello?", "--json");

        sent.ExitCode.ShouldBe(1);
        sent.ErrorCode.ShouldBe("session_finished");
        sent.ErrorSuggestion.ShouldContain("baton spawn");
    }

    [Fact]
    public async Task Kill_RunningAgent_StopsItAndEverythingItStartedButKeepsTheWorkspace()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Long"), "sleep 6501 & sleep 6502", "--idle-timeout", "600");
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6502").Count > 0, "the agent starting");

        var killed = await w.RunAsync("kill", name, "--json");

        killed.ExitCode.ShouldBe(0, killed.ToString());
        killed.Data.GetProperty("status").GetString().ShouldBe("exited");
        Directory.Exists(killed.Data.GetProperty("workspace").GetString()).ShouldBeTrue();
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 650").Count == 0, "every agent process ending", 5);
    }

    [Fact]
    public async Task WorkerKilledWithSigkill_NoDescendantSurvives()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Orphans"), "setsid sleep 6511 & (sleep 6512 &) ; sleep 6513", "--idle-timeout", "600");
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6513").Count > 0, "the agent starting");
        var status = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(w.SessionDirectory(name), "status.json"))).RootElement;

        Posix.Signal(status.GetProperty("workerPid").GetInt32(), Posix.SigKill).ShouldBeTrue();

        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 651").Count == 0, "every descendant of the agent ending", 5);
        // "exited" shows as soon as the worker is gone; the reaper's record of why follows a moment later.
        var after = await w.WaitForAsync(name, s => s.GetProperty("status").GetString() == "exited" && s.GetProperty("reason").ValueKind == JsonValueKind.String, 15);
        after.GetProperty("reason").GetString()!.ShouldContain("ended without finishing");
    }

    [Fact]
    public async Task Spawn_ProcessRuntime_RunsHeadlessWithThePaneInALog()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Headless"), "echo headless run", "--runtime", "process", "--idle-timeout", "1");

        var finished = await w.WaitForStatusAsync(name, "finished");

        finished.GetProperty("runtime").GetString().ShouldBe("process");
        (await File.ReadAllTextAsync(Path.Combine(w.SessionDirectory(name), "pane.log"))).ShouldContain("headless run");
        (await w.Tmux.ListSessionsAsync()).ShouldBeEmpty();
        var attach = await w.RunAsync("attach", name);
        attach.ExitCode.ShouldBe(1);
        attach.Stderr.ShouldContain("session_not_attachable");
    }

    [Fact]
    public async Task Spawn_AgentExitsAtOnceWithAnError_IsAFailedSessionWithTheReason()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Broken"), "echo nope >&2; exit 3", "--idle-timeout", "1");

        var failed = await w.WaitForStatusAsync(name, "failed");

        failed.GetProperty("outcome").GetString().ShouldBe("failed");
        failed.GetProperty("reason").GetString()!.ShouldContain("exit code 3");
        (await File.ReadAllTextAsync(Path.Combine(w.SessionDirectory(name), "agent.jsonl"))).ShouldContain("nope");
    }

    [Fact]
    public async Task Spawn_HugeSingleOutputLine_IsHandledAndTheSessionFinishes()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Flood"), "head -c 11000000 /dev/zero | tr '\\0' x; echo; echo after the flood", "--idle-timeout", "1");

        var finished = await w.WaitForStatusAsync(name, "finished", 60);

        finished.GetProperty("outcome").GetString().ShouldBe("succeeded");
        (await w.RunAsync("peek", name)).Stdout.ShouldContain("after the flood");
    }

    [Fact]
    public async Task SilenceTimeout_AgentSaysNothing_TurnTimesOut()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Silent"), "sleep 6521", "--silence-timeout", "1", "--idle-timeout", "1");

        var failed = await w.WaitForStatusAsync(name, "failed", 30);

        failed.GetProperty("outcome").GetString().ShouldBe("timed_out");
        SessionWorld.ProcessesWithCommandLine("sleep 6521").ShouldBeEmpty();
    }

    [Fact]
    public async Task TmuxServerKilledUnderBaton_SessionEndsAndStatusStaysTruthful()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Killed server"), "sleep 6531", "--idle-timeout", "600");
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6531").Count > 0, "the agent starting");

        await w.Tmux.KillServerAsync();

        var ended = await w.WaitForAsync(name, s => s.GetProperty("status").GetString() is "exited" or "failed", 20);
        ended.GetProperty("runtimeAlive").GetBoolean().ShouldBeFalse();
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6531").Count == 0, "the agent ending", 10);
        var list = await w.RunAsync("list", "--json");
        list.ExitCode.ShouldBe(0, list.ToString());
    }

    [Fact]
    public async Task Spawn_UnknownAgentOrMissingProgram_IsAClearErrorAndCreatesNothing()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Nope");
        w.World.Environment["PATH"] = "/usr/bin:/bin";

        var unknown = await w.RunAsync("spawn", "app", task, "--agent", "gpt-bot", "--json");
        var missing = await w.RunAsync("spawn", "app", task, "--agent", "pi", "--json");

        unknown.ExitCode.ShouldBe(2);
        unknown.ErrorCode.ShouldBe("unknown_agent");
        missing.ExitCode.ShouldBe(1);
        missing.ErrorCode.ShouldBe("agent_not_found");
        missing.ErrorSuggestion.ShouldContain("baton doctor --fix");
        (await w.RunAsync("list", "--json")).Data.GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Spawn_NameTakenByALeftoverTmuxSession_TakesTheNextName()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Collide");
        var hash = (await w.RunAsync("info", "--json")).Data.GetProperty("configHash").GetString();
        await w.Tmux.NewSessionAsync($"{hash}-app-1", w.World.Root, ["sleep", "600"], new Dictionary<string, string>());

        var name = await w.SpawnCommandAsync(task, "true", "--idle-timeout", "1");

        name.ShouldBe("app-2");
    }

    [Fact]
    public async Task Remove_FinishedSessionWithWork_IsBlockedThenKeepWorkspaceArchivesIt()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Leaves work"), "echo draft > notes.txt", "--idle-timeout", "1");
        var finished = await w.WaitForStatusAsync(name, "finished");
        var workspace = finished.GetProperty("workspace").GetString()!;

        var blocked = await w.RunAsync("remove", name, "--json");
        var kept = await w.RunAsync("remove", name, "--keep-workspace", "--json");

        blocked.ExitCode.ShouldBe(3);
        blocked.ErrorCode.ShouldBe("safety_check_failed");
        kept.ExitCode.ShouldBe(0, kept.ToString());
        File.Exists(Path.Combine(workspace, "notes.txt")).ShouldBeTrue();
        kept.Data.GetProperty("directory").GetString()!.ShouldContain(Path.Combine("archive", $"{name}_"));
        (await w.RunAsync("list", "--json")).Data.GetArrayLength().ShouldBe(0);
        (await w.RunAsync("list", "--all", "--json")).Data[0].GetProperty("archived").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task List_WorkspaceGitState_DirtyAheadAndUnpushedAsGitSees()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Commits"), "git commit -q --allow-empty -m work", "--idle-timeout", "1");
        var workspace = (await w.WaitForStatusAsync(name, "finished")).GetProperty("workspace").GetString()!;
        async Task<(bool? Dirty, int? Ahead, int? Unpushed)> GitStateAsync()
        {
            var listed = await w.RunAsync("list", "--json");
            listed.ExitCode.ShouldBe(0, listed.ToString());
            var session = listed.Data[0];
            static int? Number(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();
            return (session.GetProperty("dirty").ValueKind == JsonValueKind.Null ? null : session.GetProperty("dirty").GetBoolean(), Number(session.GetProperty("ahead")), Number(session.GetProperty("unpushed")));
        }

        var withoutRemote = await GitStateAsync();
        var origin = Path.Combine(w.World.Root, "origin.git");
        await TestRepository.GitInAsync(w.World.Root, "init", "-q", "--bare", origin);
        await TestRepository.GitInAsync(w.World.Repo, "remote", "add", "origin", origin);
        await TestRepository.GitInAsync(w.World.Repo, "push", "-q", "origin", "main");
        var notPushed = await GitStateAsync();
        await TestRepository.GitInAsync(workspace, "push", "-q", "origin", "HEAD");
        var pushed = await GitStateAsync();
        await File.WriteAllTextAsync(Path.Combine(workspace, "draft.txt"), "draft");
        var dirty = await GitStateAsync();

        withoutRemote.ShouldBe((false, 1, null));
        notPushed.ShouldBe((false, 1, 1));
        pushed.ShouldBe((false, 0, 0));
        dirty.ShouldBe((true, 0, 0));
    }

    [Fact]
    public async Task Purpose_SetAndShown_InTheList()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Purposeful"), "true", "--idle-timeout", "1");

        (await w.RunAsync("purpose", name, "Spike the parser")).ExitCode.ShouldBe(0);

        (await w.RunAsync("purpose", name, "--json")).Data.GetProperty("purpose").GetString().ShouldBe("Spike the parser");
        (await w.RunAsync("list", "--json")).Data[0].GetProperty("purpose").GetString().ShouldBe("Spike the parser");
    }

    [Fact]
    public async Task Logs_Raw_HasTheAgentsOwnOutput()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Logged"), "echo raw-line-42", "--idle-timeout", "1");
        await w.WaitForStatusAsync(name, "finished");

        var raw = await w.RunAsync("logs", name, "--raw");
        var events = await w.RunAsync("logs", name, "--jsonl");

        raw.Stdout.ShouldContain("raw-line-42");
        events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldAllBe(l => l.StartsWith('{'));
        string.Create(CultureInfo.InvariantCulture, $"{events.Stdout}").ShouldContain("\"run_finished\"");
    }

    [Fact]
    public async Task Hooks_BeforeRunAndAfterRun_RunAroundTheAgentInTheWorkspace()
    {
        await using var w = await SessionWorld.CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(w.World.Repo, "WORKFLOW.md"), "---\nhooks:\n  before_run: echo \"before $BATON_TASK_IDENTIFIER\" >> ../hooks.log\n  after_run: echo after >> ../hooks.log\n---\nDo it.\n");
        var task = await w.AddTaskAsync("Hooked");

        var name = await w.SpawnCommandAsync(task, "echo agent >> ../hooks.log", "--idle-timeout", "1");
        var finished = await w.WaitForStatusAsync(name, "finished");

        var log = Path.Combine(Path.GetDirectoryName(finished.GetProperty("workspace").GetString()!)!, "hooks.log");
        (await File.ReadAllTextAsync(log)).ShouldBe($"before {task}\nagent\nafter\n");
    }

    [Fact]
    public async Task Hooks_BeforeRunFails_TheAgentNeverStartsAndTheRunFails()
    {
        await using var w = await SessionWorld.CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(w.World.Repo, "WORKFLOW.md"), "---\nhooks:\n  before_run: echo not ready; exit 4\n---\nDo it.\n");
        var task = await w.AddTaskAsync("Hook fails");

        var spawned = await w.RunAsync("spawn", "app", task, "--agent", "command", "--command", "touch agent-ran", "--json");

        spawned.ExitCode.ShouldBe(1, spawned.ToString());
        spawned.ErrorCode.ShouldBe("session_failed_to_start");
        spawned.ErrorMessage.ShouldContain("before_run exited with code 4");
        var session = await w.SessionAsync("app-1");
        session.GetProperty("status").GetString().ShouldBe("failed");
        File.Exists(Path.Combine(session.GetProperty("workspace").GetString()!, "agent-ran")).ShouldBeFalse();
    }
}
