using Baton.Core.Workflows;
using Baton.Tests.TestSupport;
using Baton.Workspaces;

namespace Baton.Tests.Cli;

public sealed class WorkspaceCommandTests
{
    private static async Task<(TempWorld World, string Path)> WorldWithWorkspaceAsync()
    {
        var world = await TempWorld.CreateAsync();
        (await world.RunAsync("task", "add", "app", "Fix it")).ExitCode.ShouldBe(0);
        var created = await world.RunAsync("workspace", "create", "APP-1", "--json");
        created.ExitCode.ShouldBe(0, created.ToString());
        return (world, created.Data.GetProperty("path").GetString()!);
    }

    [Fact]
    public async Task Create_Task_MakesAWorktreeUnderTheInstanceDirectoryAndReusesIt()
    {
        var (world, path) = await WorldWithWorkspaceAsync();
        using (world)
        {
            var again = await world.RunAsync("workspace", "create", "app-1", "--json");

            path.ShouldStartWith(Path.Combine(world.Home, ""));
            path.ShouldEndWith(Path.Combine("worktrees", "APP-1"));
            again.Data.GetProperty("createdNow").GetBoolean().ShouldBeFalse();
            again.Data.GetProperty("branch").GetString().ShouldBe("baton/APP-1");
        }
    }

    [Fact]
    public async Task Create_UnknownTask_IsTaskNotFound()
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("workspace", "create", "APP-99", "--json");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("task_not_found");
    }

    [Fact]
    public async Task Remove_UncommittedWork_IsBlockedWithExitThreeAndEveryFinding()
    {
        var (world, path) = await WorldWithWorkspaceAsync();
        using (world)
        {
            await File.WriteAllTextAsync(Path.Combine(path, "draft.txt"), "unsaved");

            var blocked = await world.RunAsync("workspace", "remove", "APP-1", "--json");
            var text = await world.RunAsync("workspace", "remove", "APP-1");

            blocked.ExitCode.ShouldBe(3);
            blocked.ErrorCode.ShouldBe("safety_check_failed");
            blocked.ErrorMessage.ShouldContain("untracked");
            text.ExitCode.ShouldBe(3);
            text.Stderr.ShouldContain("draft.txt");
            text.Stderr.ShouldContain($"git -C {path} add -A");
            File.Exists(Path.Combine(path, "draft.txt")).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task Remove_CommittedWorkWithDeleteBranch_IsBlockedButPlainRemovalKeepsTheBranch()
    {
        var (world, path) = await WorldWithWorkspaceAsync();
        using (world)
        {
            await File.WriteAllTextAsync(Path.Combine(path, "done.txt"), "work");
            await TestRepository.GitInAsync(path, "add", "-A");
            await TestRepository.GitInAsync(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "Do the work");

            var withBranch = await world.RunAsync("workspace", "remove", "APP-1", "--delete-branch", "--json");
            var plain = await world.RunAsync("workspace", "remove", "APP-1", "--json");

            withBranch.ExitCode.ShouldBe(3);
            withBranch.ErrorMessage.ShouldContain("commit");
            plain.ExitCode.ShouldBe(0, plain.ToString());
            Directory.Exists(path).ShouldBeFalse();
            (await TestRepository.GitInAsync(world.Repo, "log", "--format=%s", "baton/APP-1")).ShouldStartWith("Do the work");
        }
    }

    [Fact]
    public async Task Remove_ForcedWithYes_RemovesAndAppendsTheReportToTheAuditLog()
    {
        var (world, path) = await WorldWithWorkspaceAsync();
        using (world)
        {
            await File.WriteAllTextAsync(Path.Combine(path, "draft.txt"), "unsaved");

            var noTerminal = await world.RunAsync("workspace", "remove", "APP-1", "--force", "--json");
            var forced = await world.RunAsync("workspace", "remove", "APP-1", "--force", "--yes", "--json");

            noTerminal.ExitCode.ShouldBe(2);
            noTerminal.ErrorSuggestion.ShouldContain("--yes");
            forced.ExitCode.ShouldBe(0, forced.ToString());
            forced.Data.GetProperty("forced").GetBoolean().ShouldBeTrue();
            Directory.Exists(path).ShouldBeFalse();
            var entry = AuditLog.Read(world.Home).ShouldHaveSingleItem().RootElement;
            entry.GetProperty("task").GetString().ShouldBe("APP-1");
            entry.GetProperty("confirmed").GetString().ShouldBe("--yes");
            entry.GetProperty("report").GetProperty("findings")[0].GetProperty("kind").GetString().ShouldBe("untracked_files");
        }
    }

    [Fact]
    public async Task Remove_DirectoryDeletedByHand_IsCleanedWithoutError()
    {
        var (world, path) = await WorldWithWorkspaceAsync();
        using (world)
        {
            Directory.Delete(path, recursive: true);

            var removed = await world.RunAsync("workspace", "remove", "APP-1", "--json");

            removed.ExitCode.ShouldBe(0, removed.ToString());
            removed.Data.GetProperty("wasPrunable").GetBoolean().ShouldBeTrue();
            (await TestRepository.GitInAsync(world.Repo, "worktree", "list", "--porcelain")).ShouldNotContain(path);
        }
    }

    [Fact]
    public async Task Remove_BeforeRemoveHookFails_IsIgnoredAndTheWorkspaceGoes()
    {
        using var world = await TempWorld.CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(world.Repo, ProjectWorkspaces.WorkflowFileName), "---\nhooks:\n  before_remove: echo cleaning; exit 9\n---\nDo the task.\n");
        (await world.RunAsync("task", "add", "app", "Fix it")).ExitCode.ShouldBe(0);
        var path = (await world.RunAsync("workspace", "create", "APP-1", "--json")).Data.GetProperty("path").GetString()!;

        // The workflow file is untracked in the main checkout only; the worktree stays clean.
        var removed = await world.RunAsync("workspace", "remove", "APP-1");

        removed.ExitCode.ShouldBe(0, removed.ToString());
        removed.Stderr.ShouldContain("before_remove exited with code 9");
        Directory.Exists(path).ShouldBeFalse();
    }

    [Fact]
    public async Task ListAndStatus_Workspaces_ShowTheirSafetyState()
    {
        var (world, path) = await WorldWithWorkspaceAsync();
        using (world)
        {
            (await world.RunAsync("task", "add", "app", "Other")).ExitCode.ShouldBe(0);
            (await world.RunAsync("workspace", "create", "APP-2")).ExitCode.ShouldBe(0);
            await File.WriteAllTextAsync(Path.Combine(path, "README"), "changed");

            var list = await world.RunAsync("workspace", "list", "--json");
            var status = await world.RunAsync("workspace", "status", "APP-1", "--json");

            var rows = list.Data.EnumerateArray().ToDictionary(r => r.GetProperty("task").GetString()!);
            rows["APP-1"].GetProperty("safeToRemove").GetBoolean().ShouldBeFalse();
            rows["APP-1"].GetProperty("state").GetString()!.ShouldContain("untracked");
            rows["APP-2"].GetProperty("state").GetString().ShouldBe("clean");
            status.Data.GetProperty("safeToRemove").GetBoolean().ShouldBeFalse();
            status.Data.GetProperty("findings")[0].GetProperty("items")[0].GetString().ShouldBe("README");
        }
    }

    [Fact]
    public async Task Cleanup_TerminalTasks_RemovesCleanWorkspacesAndKeepsOnesWithWork()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = new WorkspaceLayout { Strategy = WorkspaceLayout.Worktree, Root = Path.Combine(repo.Root, "wt"), RepositoryPath = repo.Path, DefaultBranch = "main", Hooks = HookSettings.None };
        var clean = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("1", "T-1"));
        var dirty = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("2", "T-2"));
        await File.WriteAllTextAsync(Path.Combine(dirty.Path, "wip.txt"), "wip");

        var outcomes = await WorkspaceCleanup.RemoveForTerminalTasksAsync(
            new WorkspaceRemover(new GitSafetyAnalyzer(), TimeProvider.System),
            layout,
            [new WorkspaceTask("1", "T-1"), new WorkspaceTask("2", "T-2"), new WorkspaceTask("3", "T-3")],
            repo.Root).WaitAsync(TimeSpan.FromSeconds(60));

        outcomes.Select(o => (o.Task, o.Outcome)).ShouldBe([("T-1", CleanupOutcome.Removed), ("T-2", CleanupOutcome.Kept), ("T-3", CleanupOutcome.Absent)]);
        Directory.Exists(clean.Path).ShouldBeFalse();
        File.Exists(Path.Combine(dirty.Path, "wip.txt")).ShouldBeTrue();
        outcomes[1].Report!.BlockingFindings(deleteBranch: false).ShouldNotBeEmpty();
    }
}
