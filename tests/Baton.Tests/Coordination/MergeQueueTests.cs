using System.Text.Json;
using Baton.Coordination;

namespace Baton.Tests.Coordination;

/// <summary><c>baton merge</c> on real repositories: branches that land, branches that conflict, and bad input.</summary>
public sealed class MergeQueueTests
{
    [Fact]
    public async Task Merge_IndependentBranches_LandInPriorityOrderCloseTasksAndRemoveWorkspaces()
    {
        using var w = await MergeWorld.CreateAsync();
        var (low, lowWorkspace) = await w.QueuedTaskAsync("Low", "low.txt", "low\n", priority: 4);
        var (urgent, urgentWorkspace) = await w.QueuedTaskAsync("Urgent", "urgent.txt", "urgent\n", priority: 1);
        var (none, _) = await w.QueuedTaskAsync("No priority", "none.txt", "none\n");
        await w.CommitAsync(w.Repo, "main.txt", "moved on\n", "main moves on");

        var result = await w.MergeAsync();

        result.ExitCode.ShouldBe(0, result.ToString());
        var tasks = result.Data.GetProperty("tasks").EnumerateArray().ToList();
        tasks.Select(t => t.GetProperty("task").GetString()).ShouldBe([urgent, low, none]);
        tasks.ShouldAllBe(t => t.GetProperty("outcome").GetString() == MergeOutcomes.Merged);
        (await w.SubjectsAsync()).Take(4).ShouldBe([$"{none}: No priority", $"{low}: Low", $"{urgent}: Urgent", "main moves on"]);
        (await w.MainAsync()).ShouldBe(tasks[^1].GetProperty("commit").GetString());
        await w.ShouldBeIntactAsync();
        File.ReadAllText(Path.Combine(w.Repo, "urgent.txt")).ShouldBe("urgent\n");
        foreach (var task in new[] { low, urgent, none })
        {
            (await w.StateOfAsync(task)).ShouldBe("Done");
            (await w.CommentsOfAsync(task)).ShouldHaveSingleItem().ShouldStartWith("Merged by the merge queue: main is now");
            (await w.BranchExistsAsync($"baton/{task}")).ShouldBeFalse();
        }

        Directory.Exists(lowWorkspace).ShouldBeFalse();
        Directory.Exists(urgentWorkspace).ShouldBeFalse();
        File.Exists(w.Journal).ShouldBeFalse();
        (await w.GitAsync(w.Repo, "log", "--format=%an", "-1", "main")).ShouldBe("Agent");
    }

    [Fact]
    public async Task Merge_ConflictingBranch_GoesToReworkNamingTheFilesAndLeavesEverythingElseAlone()
    {
        using var w = await MergeWorld.CreateAsync();
        var (first, _) = await w.QueuedTaskAsync("Edit shared first", "shared.txt", "one\nTWO (first)\nthree\n", priority: 1);
        var (second, secondWorkspace) = await w.QueuedTaskAsync("Edit shared second", "shared.txt", "one\ntwo (second)\nthree\n", priority: 2);
        var secondTip = await w.GitAsync(secondWorkspace, "rev-parse", "HEAD");

        var result = await w.MergeAsync();

        result.ExitCode.ShouldBe(0, result.ToString());
        var rework = result.Data.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("task").GetString() == second);
        rework.GetProperty("outcome").GetString().ShouldBe(MergeOutcomes.Rework);
        rework.GetProperty("files").EnumerateArray().Select(f => f.GetString()).ShouldBe(["shared.txt"]);
        (await w.StateOfAsync(first)).ShouldBe("Done");
        (await w.StateOfAsync(second)).ShouldBe("Rework");
        rework.GetProperty("message").ValueKind.ShouldBe(JsonValueKind.Null, "the task never had a session to tell");
        var comment = (await w.CommentsOfAsync(second)).ShouldHaveSingleItem();
        comment.ShouldContain("conflicts in shared.txt");
        comment.ShouldContain("- shared.txt");
        comment.ShouldContain("move the task to Merging again");

        // The sent-back work is exactly where it was: its branch, its workspace, and main holds only the first task.
        (await w.GitAsync(w.Repo, "rev-parse", $"refs/heads/baton/{second}")).ShouldBe(secondTip);
        (await w.GitAsync(secondWorkspace, "status", "--porcelain")).ShouldBeEmpty();
        File.ReadAllText(Path.Combine(w.Repo, "shared.txt")).ShouldBe("one\nTWO (first)\nthree\n");
        await w.ShouldBeIntactAsync();
        var mergeWorktree = Path.Combine(w.MergeDirectory, "worktree");
        (await w.GitAsync(mergeWorktree, "status", "--porcelain")).ShouldBeEmpty();
        Directory.Exists(await w.GitAsync(mergeWorktree, "rev-parse", "--git-path", "rebase-merge")).ShouldBeFalse();
    }

    [Fact]
    public async Task Merge_DirtyMainCheckout_IsRefusedWithExitThreeAndNothingTouched()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, workspace) = await w.QueuedTaskAsync("Add a file", "feature.txt", "feature\n");
        w.Write(w.Repo, "shared.txt", "my unsaved edit\n");
        var main = await w.MainAsync();

        var result = await w.MergeAsync();

        result.ExitCode.ShouldBe(3, result.ToString());
        result.ErrorCode.ShouldBe(MergeGit.CheckoutDirty);
        result.ErrorMessage.ShouldContain("shared.txt");
        result.ErrorSuggestion.ShouldContain("stash");
        File.ReadAllText(Path.Combine(w.Repo, "shared.txt")).ShouldBe("my unsaved edit\n");
        (await w.MainAsync()).ShouldBe(main);
        (await w.StateOfAsync(task)).ShouldBe("Merging");
        Directory.Exists(workspace).ShouldBeTrue();
        Directory.Exists(Path.Combine(w.MergeDirectory, "worktree")).ShouldBeFalse();
        File.Exists(w.Journal).ShouldBeFalse();
    }

    [Fact]
    public async Task Merge_MainCheckoutOnAnotherBranchWithChanges_MovesTheRefWithoutTouchingTheCheckout()
    {
        using var w = await MergeWorld.CreateAsync();
        // Without an origin, the default branch is derived from the current branch: name it, as such a project must.
        File.AppendAllText(w.World.ConfigPath, "    defaultBranch: main\n");
        var (task, _) = await w.QueuedTaskAsync("Add a file", "feature.txt", "feature\n");
        await w.GitAsync(w.Repo, "switch", "-q", "-c", "experiment");
        w.Write(w.Repo, "shared.txt", "half-done experiment\n");

        var result = await w.MergeAsync();

        result.ExitCode.ShouldBe(0, result.ToString());
        (await w.StateOfAsync(task)).ShouldBe("Done");
        (await w.GitAsync(w.Repo, "show", "main:feature.txt")).ShouldBe("feature");
        File.ReadAllText(Path.Combine(w.Repo, "shared.txt")).ShouldBe("half-done experiment\n");
        File.Exists(Path.Combine(w.Repo, "feature.txt")).ShouldBeFalse();
        (await w.GitAsync(w.Repo, "symbolic-ref", "--short", "HEAD")).ShouldBe("experiment");
    }

    [Fact]
    public async Task Merge_BranchDeletedBeforeItsTurn_GoesToReworkSayingSo()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, workspace) = await w.QueuedTaskAsync("Lost branch", "lost.txt", "lost\n");
        await w.GitAsync(w.Repo, "worktree", "remove", "--force", workspace);
        await w.GitAsync(w.Repo, "branch", "-D", $"baton/{task}");

        var result = await w.MergeAsync();

        result.ExitCode.ShouldBe(0, result.ToString());
        var item = result.Data.GetProperty("tasks").EnumerateArray().Single();
        item.GetProperty("outcome").GetString().ShouldBe(MergeOutcomes.Rework);
        item.GetProperty("reason").GetString()!.ShouldContain($"the branch baton/{task} does not exist");
        (await w.StateOfAsync(task)).ShouldBe("Rework");
        await w.ShouldBeIntactAsync();
    }

    [Fact]
    public async Task Merge_TaskBranchNamedByTheTracker_IsTheOneMerged()
    {
        using var w = await MergeWorld.CreateAsync();
        var added = await w.World.RunAsync("task", "add", "app", "Named branch", "--json");
        var task = added.Data.GetProperty("identifier").GetString()!;
        (await w.World.RunAsync("task", "update", task, "--branch-name", "feature/named")).ExitCode.ShouldBe(0);
        var created = await w.World.RunAsync("workspace", "create", task, "--json");
        var workspace = created.Data.GetProperty("path").GetString()!;
        await w.CommitAsync(workspace, "named.txt", "named\n", "named branch work");
        await w.QueueAsync(task);

        var result = await w.MergeAsync();

        result.Data.GetProperty("tasks")[0].GetProperty("branch").GetString().ShouldBe("feature/named");
        (await w.GitAsync(w.Repo, "show", "main:named.txt")).ShouldBe("named");
        (await w.BranchExistsAsync("feature/named")).ShouldBeFalse();
    }

    [Fact]
    public async Task Merge_WorkspaceWithUncommittedWork_LandsButKeepsTheWorkspaceAndSaysWhy()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, workspace) = await w.QueuedTaskAsync("Leaves a draft", "done.txt", "done\n");
        w.Write(workspace, "draft.txt", "not committed\n");

        var result = await w.MergeAsync();

        result.ExitCode.ShouldBe(0, result.ToString());
        (await w.StateOfAsync(task)).ShouldBe("Done");
        (await w.GitAsync(w.Repo, "show", "main:done.txt")).ShouldBe("done");
        File.ReadAllText(Path.Combine(workspace, "draft.txt")).ShouldBe("not committed\n");
        (await w.BranchExistsAsync($"baton/{task}")).ShouldBeTrue();
        var comment = (await w.CommentsOfAsync(task)).ShouldHaveSingleItem();
        comment.ShouldContain("The workspace was kept");
        comment.ShouldContain("untracked");
        comment.ShouldContain("it is checked out at");
    }

    [Fact]
    public async Task Merge_BranchAlreadyInMain_IsClosedWithoutANewCommit()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, workspace) = await w.QueuedTaskAsync("Merged by hand", "hand.txt", "hand\n");
        await w.GitAsync(w.Repo, "merge", "-q", "--ff-only", $"baton/{task}");
        var main = await w.MainAsync();

        var result = await w.MergeAsync();

        result.Data.GetProperty("tasks")[0].GetProperty("outcome").GetString().ShouldBe(MergeOutcomes.Merged);
        (await w.MainAsync()).ShouldBe(main);
        (await w.StateOfAsync(task)).ShouldBe("Done");
        (await w.CommentsOfAsync(task)).ShouldHaveSingleItem().ShouldContain("nothing that was not in it already");
        Directory.Exists(workspace).ShouldBeFalse();
    }

    [Fact]
    public async Task Merge_NothingCommittedButWorkInTheWorkspace_GoesToReworkInsteadOfClosing()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, workspace) = await w.AddTaskAsync("Forgot to commit");
        w.Write(workspace, "work.txt", "never committed\n");
        await w.QueueAsync(task);

        var result = await w.MergeAsync();

        result.Data.GetProperty("tasks")[0].GetProperty("outcome").GetString().ShouldBe(MergeOutcomes.Rework);
        (await w.StateOfAsync(task)).ShouldBe("Rework");
        (await w.CommentsOfAsync(task)).ShouldHaveSingleItem().ShouldContain("commit the work in the workspace");
        File.ReadAllText(Path.Combine(workspace, "work.txt")).ShouldBe("never committed\n");
    }

    [Fact]
    public async Task Merge_Once_MergesOnlyTheFirstTaskOfTheQueue()
    {
        using var w = await MergeWorld.CreateAsync();
        var (first, _) = await w.QueuedTaskAsync("First", "a.txt", "a\n", priority: 1);
        var (second, _) = await w.QueuedTaskAsync("Second", "b.txt", "b\n", priority: 2);

        var result = await w.MergeAsync("--once");

        result.Data.GetProperty("tasks").GetArrayLength().ShouldBe(1);
        (await w.StateOfAsync(first)).ShouldBe("Done");
        (await w.StateOfAsync(second)).ShouldBe("Merging");
    }

    [Fact]
    public async Task Merge_DryRun_PredictsEachTaskAndChangesNothing()
    {
        using var w = await MergeWorld.CreateAsync();
        var (clean, _) = await w.QueuedTaskAsync("Clean", "clean.txt", "clean\n", priority: 1);
        var (conflict, _) = await w.QueuedTaskAsync("Conflict", "shared.txt", "one\nmine\nthree\n", priority: 2);
        await w.CommitAsync(w.Repo, "shared.txt", "one\ntheirs\nthree\n", "main edits shared");
        var main = await w.MainAsync();

        var result = await w.MergeAsync("--dry-run");

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Data.GetProperty("dryRun").GetBoolean().ShouldBeTrue();
        var tasks = result.Data.GetProperty("tasks").EnumerateArray().ToDictionary(t => t.GetProperty("task").GetString()!);
        tasks[clean].GetProperty("prediction").GetString().ShouldBe("clean");
        tasks[conflict].GetProperty("prediction").GetString().ShouldBe("conflict");
        tasks[conflict].GetProperty("files").EnumerateArray().Select(f => f.GetString()).ShouldBe(["shared.txt"]);
        (await w.MainAsync()).ShouldBe(main);
        (await w.StateOfAsync(clean)).ShouldBe("Merging");
        Directory.Exists(w.MergeDirectory).ShouldBeFalse();
    }

    [Fact]
    public async Task Merge_NoTaskInMerging_SaysNothingToMergeAndExitsZero()
    {
        using var w = await MergeWorld.CreateAsync();
        await w.AddTaskAsync("Still in Todo");

        var json = await w.MergeAsync();
        var text = await w.World.RunAsync("merge");

        json.ExitCode.ShouldBe(0, json.ToString());
        json.Data.GetProperty("tasks").GetArrayLength().ShouldBe(0);
        json.Data.GetProperty("note").GetString()!.ShouldContain("nothing to merge");
        text.ExitCode.ShouldBe(0);
        text.Stdout.ShouldContain("Nothing to merge: no task of app is in Merging.");
    }

    [Fact]
    public async Task Merge_UnknownProject_IsProjectNotFound()
    {
        using var w = await MergeWorld.CreateAsync();

        var result = await w.MergeAsync("nope");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("project_not_found");
        result.ErrorSuggestion.ShouldContain("app");
    }

    [Fact]
    public async Task Merge_WhileAnotherRunHoldsTheLock_IsMergeInProgress()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, _) = await w.QueuedTaskAsync("Waits", "w.txt", "w\n");
        var paths = new MergePaths(w.MergeDirectory);

        using (MergeLock.Acquire(paths, "app", TimeProvider.System))
        {
            var blocked = await w.MergeAsync();

            blocked.ExitCode.ShouldBe(1);
            blocked.ErrorCode.ShouldBe(MergeLock.InProgress);
            blocked.ErrorMessage.ShouldContain($"process {Environment.ProcessId}");
            (await w.StateOfAsync(task)).ShouldBe("Merging");
        }

        MergeLock.ReadHolder(paths).ShouldBeNull();
        (await w.MergeAsync()).ExitCode.ShouldBe(0);
        (await w.StateOfAsync(task)).ShouldBe("Done");
    }

    [Fact]
    public async Task Merge_PushOn_PushesTheDefaultBranchToTheRemote()
    {
        using var w = await MergeWorld.CreateAsync("merge:\n  push: true");
        var origin = Path.Combine(w.World.Root, "origin.git");
        await w.GitAsync(w.World.Root, "init", "-q", "--bare", "-b", "main", origin);
        await w.GitAsync(w.Repo, "remote", "add", "origin", origin);
        await w.GitAsync(w.Repo, "push", "-q", "origin", "main");
        var (task, _) = await w.QueuedTaskAsync("Pushed", "pushed.txt", "pushed\n");

        var result = await w.MergeAsync();

        var item = result.Data.GetProperty("tasks")[0];
        item.GetProperty("pushedTo").GetString().ShouldBe("origin/main");
        (await w.GitAsync(origin, "rev-parse", "main")).ShouldBe(await w.MainAsync());
        (await w.CommentsOfAsync(task)).ShouldHaveSingleItem().ShouldContain("Pushed to origin/main.");
    }

    [Fact]
    public async Task Merge_WithValidation_GreenLandsRedAndHungGoToReworkWithTheCommandAndItsOutput()
    {
        using var w = await MergeWorld.CreateAsync(
            """
            proof:
              validate:
                - "if [ -f broken.txt ]; then echo 'FAILED: test_login expected 200'; exit 7; fi"
                - command: "if [ -f hang.txt ]; then sleep 120; fi"
                  timeout_ms: 1500
            """);
        var (green, _) = await w.QueuedTaskAsync("Green", "green.txt", "green\n", priority: 1);
        var (red, _) = await w.QueuedTaskAsync("Red", "broken.txt", "broken\n", priority: 2);
        var (hung, _) = await w.QueuedTaskAsync("Hung", "hang.txt", "hang\n", priority: 3);

        var result = await w.MergeAsync();

        result.ExitCode.ShouldBe(0, result.ToString());
        var tasks = result.Data.GetProperty("tasks").EnumerateArray().ToDictionary(t => t.GetProperty("task").GetString()!);
        tasks[green].GetProperty("outcome").GetString().ShouldBe(MergeOutcomes.Merged);
        tasks[red].GetProperty("outcome").GetString().ShouldBe(MergeOutcomes.Rework);
        tasks[red].GetProperty("excerpt").GetString()!.ShouldContain("FAILED: test_login expected 200");
        tasks[hung].GetProperty("outcome").GetString().ShouldBe(MergeOutcomes.Rework);
        tasks[hung].GetProperty("reason").GetString()!.ShouldContain("did not finish within 1.5 s");
        var redComment = (await w.CommentsOfAsync(red)).ShouldHaveSingleItem();
        redComment.ShouldContain("exited with 7");
        redComment.ShouldContain("FAILED: test_login expected 200");
        var logPath = tasks[red].GetProperty("log").GetString()!;
        File.ReadAllText(logPath).ShouldContain("FAILED: test_login");
        (await w.StateOfAsync(hung)).ShouldBe("Rework");
        (await w.CommentsOfAsync(hung)).ShouldHaveSingleItem().ShouldContain("if [ -f hang.txt ]; then sleep 120; fi");
        (await w.GitAsync(w.Repo, "ls-tree", "--name-only", "main")).Split('\n').ShouldBe(["WORKFLOW.md", "green.txt", "shared.txt"], ignoreOrder: true);
        Processes.ProcessTable.WithCommandLine("sleep 120").ShouldBeEmpty();
        await w.ShouldBeIntactAsync();
    }

    [Fact]
    public async Task Merge_CustomStates_TakesFromAndSendsBackToTheConfiguredNames()
    {
        using var w = await MergeWorld.CreateAsync();
        File.AppendAllText(w.World.ConfigPath, "    states:\n      merge: Ready to land\n      rework: Needs work\n");
        var (task, workspace) = await w.AddTaskAsync("Custom");
        await w.CommitAsync(workspace, "shared.txt", "one\nmine\nthree\n", "mine");
        await w.CommitAsync(w.Repo, "shared.txt", "one\nmain\nthree\n", "main edits shared");
        (await w.World.RunAsync("task", "update", task, "--state", "ready to land")).ExitCode.ShouldBe(0);

        var result = await w.MergeAsync();

        result.Data.GetProperty("tasks")[0].GetProperty("outcome").GetString().ShouldBe(MergeOutcomes.Rework);
        (await w.StateOfAsync(task)).ShouldBe("Needs work");
        (await w.CommentsOfAsync(task)).Single().ShouldContain("move the task to Ready to land again");
    }

    [Fact]
    public async Task Merge_TextOutput_ShowsATableAndProgressOnStderr()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, _) = await w.QueuedTaskAsync("Shown", "shown.txt", "shown\n");

        var result = await w.World.RunAsync("merge");

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stdout.ShouldContain(task);
        result.Stdout.ShouldContain("merged");
        result.Stdout.ShouldContain("1 merged into main, 0 sent back, 0 left in the queue.");
        result.Stderr.ShouldContain($"{task}: rebasing baton/{task}");
        Should.Throw<JsonException>(() => JsonDocument.Parse(result.Stdout));
    }
}
