using System.Text.Json;
using Baton.Coordination;
using Baton.Core.Doctor;
using Baton.Processes;
using Baton.Tests.Coordination;
using Baton.Tests.Orchestration;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Doctor;

/// <summary><c>baton doctor --crew</c> against real sessions in tmux, real worktrees, real locks and killed merges.</summary>
public sealed class CrewDoctorTests
{
    [Fact]
    public async Task Doctor_SessionWhoseWorkerAndTmuxAreGone_IsReportedAndFixReapsItsAgentAndMarksItExited()
    {
        await using var w = await SessionWorld.CreateAsync();
        const string Agent = "sleep 4719";
        var task = await w.AddTaskAsync("Crashes");
        var session = await w.SpawnCommandAsync(task, Agent);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine(Agent).Count == 1, "the agent running");

        // A crash nothing cleaned up: the pane's shell (which would run the reaper) and the worker die by SIGKILL.
        var worker = WorkerPid(w, session);
        Posix.Signal(StandIn.ParentOf(worker), Posix.SigKill).ShouldBeTrue();
        Posix.Signal(worker, Posix.SigKill).ShouldBeTrue();
        await SessionWorld.WaitUntilAsync(() => !ProcessTable.IsAlive(worker), "the worker gone");
        await w.Tmux.KillSessionAsync((await w.SessionAsync(session)).GetProperty("runtimeName").GetString()!);

        var report = await w.RunAsync("doctor", "--crew", "--json");

        report.ExitCode.ShouldBe(1, report.ToString());
        var dead = Finding(report, CrewFindingKinds.SessionDead);
        dead.GetProperty("subject").GetString().ShouldBe(session);
        dead.GetProperty("message").GetString()!.ShouldContain("so is its tmux session");
        dead.GetProperty("message").GetString()!.ShouldContain("processes of its agent still run");
        dead.GetProperty("command").GetString().ShouldBe($"baton kill {session}");

        var fixedReport = await w.RunAsync("doctor", "--crew", "--fix", "--json");

        fixedReport.ExitCode.ShouldBe(0, fixedReport.ToString());
        Finding(fixedReport, CrewFindingKinds.SessionDead).GetProperty("fixed").GetString()!.ShouldContain("marked exited");
        SessionWorld.ProcessesWithCommandLine(Agent).ShouldBeEmpty();
        (await w.SessionAsync(session)).GetProperty("status").GetString().ShouldBe("exited");
        Directory.Exists((await w.SessionAsync(session)).GetProperty("workspace").GetString()).ShouldBeTrue();
        var after = await w.RunAsync("doctor", "--crew", "--json");
        after.ExitCode.ShouldBe(0, after.ToString());
        Findings(after).ShouldNotContain(f => f.GetProperty("kind").GetString() == CrewFindingKinds.SessionDead);
    }

    [Fact]
    public async Task Doctor_LiveSessionWhoseWorkspaceWasDeleted_IsAProblemWithTheCommandAndFixOnlyPrunesTheRegistration()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Loses its directory");
        var session = await w.SpawnCommandAsync(task, "sleep 4720");
        var workspace = (await w.SessionAsync(session)).GetProperty("workspace").GetString()!;
        Directory.Delete(workspace, recursive: true);

        var report = await w.RunAsync("doctor", "--crew", "--fix", "--json");

        report.ExitCode.ShouldBe(1, report.ToString());
        var orphan = Finding(report, CrewFindingKinds.SessionWithoutWorkspace);
        orphan.GetProperty("severity").GetString().ShouldBe(CrewSeverity.Problem);
        orphan.GetProperty("fixable").GetBoolean().ShouldBeFalse();
        orphan.GetProperty("command").GetString().ShouldBe($"baton kill {session}");
        Finding(report, CrewFindingKinds.WorkspaceMissing).GetProperty("fixed").GetString()!.ShouldContain("pruned");
        var worktrees = await Processes.ProcessRunner.RunAsync(new ProcessSpec("git", ["worktree", "list", "--porcelain"]) { WorkingDirectory = w.World.Repo });
        worktrees.StandardOutput.ShouldNotContain(workspace);
        (await w.SessionAsync(session)).GetProperty("status").GetString().ShouldNotBe("exited");
    }

    [Fact]
    public async Task Doctor_WorkspacesWithoutSessions_DoneOnesAreRemovedByFixOthersAreOnlyTold()
    {
        using var w = await MergeWorld.CreateAsync();
        var (done, doneWorkspace) = await w.AddTaskAsync("Finished by hand");
        var (open, openWorkspace) = await w.AddTaskAsync("Still open");
        (await w.World.RunAsync("task", "close", done)).ExitCode.ShouldBe(0);
        var stray = Path.Combine(Path.GetDirectoryName(openWorkspace)!, "stray");
        Directory.CreateDirectory(stray);
        File.WriteAllText(Path.Combine(stray, "notes.txt"), "someone's notes");

        var report = await w.World.RunAsync("doctor", "--crew", "--json");

        report.ExitCode.ShouldBe(1, report.ToString());
        var findings = Findings(report);
        var doneFinding = findings.Single(f => f.GetProperty("subject").GetString() == doneWorkspace);
        doneFinding.GetProperty("severity").GetString().ShouldBe(CrewSeverity.Problem);
        doneFinding.GetProperty("command").GetString().ShouldBe($"baton workspace remove {done}");
        var openFinding = findings.Single(f => f.GetProperty("subject").GetString() == openWorkspace);
        openFinding.GetProperty("severity").GetString().ShouldBe(CrewSeverity.Info);
        openFinding.GetProperty("message").GetString()!.ShouldContain($"{open} is Todo");
        findings.Single(f => f.GetProperty("subject").GetString() == stray).GetProperty("kind").GetString().ShouldBe(CrewFindingKinds.WorkspaceUnregistered);

        var fixedReport = await w.World.RunAsync("doctor", "--crew", "--fix", "--json");

        fixedReport.ExitCode.ShouldBe(0, fixedReport.ToString());
        Directory.Exists(doneWorkspace).ShouldBeFalse();
        (await w.BranchExistsAsync($"baton/{done}")).ShouldBeTrue();
        Directory.Exists(openWorkspace).ShouldBeTrue();
        File.ReadAllText(Path.Combine(stray, "notes.txt")).ShouldBe("someone's notes");
    }

    [Fact]
    public async Task Doctor_DoneWorkspaceHoldingUncommittedWork_IsNotRemovedByFixAndStaysAProblem()
    {
        using var w = await MergeWorld.CreateAsync();
        var (done, workspace) = await w.AddTaskAsync("Closed with a draft left");
        w.Write(workspace, "draft.txt", "unsaved");
        (await w.World.RunAsync("task", "close", done)).ExitCode.ShouldBe(0);

        var report = await w.World.RunAsync("doctor", "--crew", "--fix", "--json");

        report.ExitCode.ShouldBe(1, report.ToString());
        var finding = Findings(report).Single(f => f.GetProperty("subject").GetString() == workspace);
        finding.GetProperty("fixed").ValueKind.ShouldBe(JsonValueKind.Null);
        finding.GetProperty("fixError").GetString()!.ShouldContain("would lose work");
        File.ReadAllText(Path.Combine(workspace, "draft.txt")).ShouldBe("unsaved");
    }

    [Fact]
    public async Task Doctor_MergeKilledAfterLanding_IsAStuckMergeWithAStaleLockAndFixFinishesIt()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, workspace) = await w.QueuedTaskAsync("Killed mid-merge", "k.txt", "k\n");
        var killed = await w.RunProcessAsync(new Dictionary<string, string?> { [MergeHooks.KillVariable] = MergeHooks.Landed }, "merge");
        killed.ExitCode.ShouldBe(128 + Posix.SigKill);

        var report = await w.World.RunAsync("doctor", "--crew", "--json");

        report.ExitCode.ShouldBe(1, report.ToString());
        Finding(report, CrewFindingKinds.StuckMerge).GetProperty("message").GetString()!.ShouldContain($"a merge of {task} was left at 'landing'");
        var stale = Finding(report, CrewFindingKinds.StaleLock);
        stale.GetProperty("message").GetString()!.ShouldContain("which is gone");
        (await w.StateOfAsync(task)).ShouldBe("Merging");

        var fixedReport = await w.World.RunAsync("doctor", "--crew", "--fix", "--json");

        fixedReport.ExitCode.ShouldBe(0, fixedReport.ToString());
        Finding(fixedReport, CrewFindingKinds.StuckMerge).GetProperty("fixed").GetString()!.ShouldStartWith($"finished the merge of {task}");
        (await w.StateOfAsync(task)).ShouldBe("Done");
        (await w.SubjectsAsync()).Count(s => s == $"{task}: Killed mid-merge").ShouldBe(1);
        Directory.Exists(workspace).ShouldBeFalse();
        File.Exists(w.Journal).ShouldBeFalse();
        MergeLock.ReadHolder(new MergePaths(w.MergeDirectory)).ShouldBeNull();
        await w.ShouldBeIntactAsync();
    }

    [Fact]
    public async Task Doctor_MergeKilledMidRebase_FixResetsTheMergeWorktreeAndTheTaskWaitsInTheQueue()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, _) = await w.QueuedTaskAsync("Conflicts", "shared.txt", "one\nmine\nthree\n");
        await w.CommitAsync(w.Repo, "shared.txt", "one\ntheirs\nthree\n", "main edits shared");
        (await w.RunProcessAsync(new Dictionary<string, string?> { [MergeHooks.KillVariable] = MergeHooks.Conflicted }, "merge")).ExitCode.ShouldBe(128 + Posix.SigKill);
        var mergeWorktree = Path.Combine(w.MergeDirectory, "worktree");

        var fixedReport = await w.World.RunAsync("doctor", "--crew", "--fix", "--json");

        fixedReport.ExitCode.ShouldBe(0, fixedReport.ToString());
        Finding(fixedReport, CrewFindingKinds.StuckMerge).GetProperty("fixed").GetString()!.ShouldStartWith($"restarted the merge of {task}");
        Directory.Exists(await w.GitAsync(mergeWorktree, "rev-parse", "--path-format=absolute", "--git-path", "rebase-merge")).ShouldBeFalse();
        (await w.StateOfAsync(task)).ShouldBe("Merging");
        (await w.MergeAsync()).ExitCode.ShouldBe(0);
        (await w.StateOfAsync(task)).ShouldBe("Rework");
    }

    [Fact]
    public async Task Doctor_GitIndexLockNothingHolds_IsAStaleLockThatFixRemoves()
    {
        using var w = await MergeWorld.CreateAsync();
        var (_, workspace) = await w.AddTaskAsync("Locked up");
        var lockFile = await w.GitAsync(workspace, "rev-parse", "--path-format=absolute", "--git-path", "index.lock");
        File.WriteAllText(lockFile, string.Empty);
        File.SetLastWriteTimeUtc(lockFile, DateTime.UtcNow.AddMinutes(-10));
        (await w.TryGitAsync(workspace, "add", "-A")).Succeeded.ShouldBeFalse();
        var fresh = Path.Combine(w.Repo, ".git", "HEAD.lock");
        File.WriteAllText(fresh, string.Empty);

        var report = await w.World.RunAsync("doctor", "--crew", "--fix", "--json");

        report.ExitCode.ShouldBe(0, report.ToString());
        var stale = Findings(report).Where(f => f.GetProperty("kind").GetString() == CrewFindingKinds.StaleLock).ShouldHaveSingleItem();
        stale.GetProperty("subject").GetString().ShouldBe(lockFile);
        stale.GetProperty("fixed").GetString().ShouldNotBeNull();
        File.Exists(lockFile).ShouldBeFalse();
        File.Exists(fresh).ShouldBeTrue("a lock younger than a minute may belong to a git that is working");
        File.Delete(fresh);
        (await w.TryGitAsync(workspace, "add", "-A")).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task Doctor_HealthyCrew_ReportsNothingAndExitsZero()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, _) = await w.QueuedTaskAsync("Lands", "l.txt", "l\n");
        (await w.MergeAsync()).ExitCode.ShouldBe(0);

        var json = await w.World.RunAsync("doctor", "--crew", "--json");
        var text = await w.World.RunAsync("doctor", "--crew");

        json.ExitCode.ShouldBe(0, json.ToString());
        Findings(json).ShouldBeEmpty();
        json.Data.GetProperty("checks").GetArrayLength().ShouldBe(0);
        text.Stdout.ShouldContain("Crew: nothing wrong with the sessions, workspaces, locks and merges.");
        (await w.StateOfAsync(task)).ShouldBe("Done");
    }

    private static IReadOnlyList<JsonElement> Findings(CliResult result) => [.. result.Data.GetProperty("crew").EnumerateArray()];

    private static JsonElement Finding(CliResult result, string kind) => Findings(result).Single(f => f.GetProperty("kind").GetString() == kind);

    private static int WorkerPid(SessionWorld w, string session)
    {
        using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(w.SessionDirectory(session), "status.json")));
        return status.RootElement.GetProperty("workerPid").GetInt32();
    }
}
