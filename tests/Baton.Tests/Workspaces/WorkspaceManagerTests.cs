using Baton.Core.Errors;
using Baton.Core.Workflows;
using Baton.Tests.TestSupport;
using Baton.Workspaces;

namespace Baton.Tests.Workspaces;

public class WorkspaceManagerTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static WorkspaceLayout Worktrees(TestRepository repo, HookSettings? hooks = null, string? defaultBranch = "main") => new()
    {
        Strategy = WorkspaceLayout.Worktree,
        Root = Path.Combine(repo.Root, "worktrees"),
        RepositoryPath = repo.Path,
        DefaultBranch = defaultBranch,
        Hooks = hooks ?? HookSettings.None,
    };

    [Fact]
    public async Task CreateOrReuse_NewTask_AddsWorktreeOnBatonBranchFromDefault()
    {
        using var repo = await TestRepository.CreateAsync();

        var workspace = await WorkspaceManager.CreateOrReuseAsync(Worktrees(repo), new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout);

        workspace.CreatedNow.ShouldBeTrue();
        workspace.Path.ShouldBe(Path.Combine(repo.Root, "worktrees", "INT-1"));
        workspace.Branch.ShouldBe("baton/INT-1");
        (await TestRepository.GitInAsync(workspace.Path, "rev-parse", "--abbrev-ref", "HEAD")).ShouldBe("baton/INT-1");
        (await TestRepository.GitInAsync(workspace.Path, "rev-parse", "HEAD")).ShouldBe(await repo.GitAsync("rev-parse", "main"));
        (await repo.GitAsync("config", "--get-all", "branch.baton/INT-1.merge").ContinueWith(t => t.IsFaulted ? string.Empty : t.Result)).ShouldBeEmpty();
    }

    [Fact]
    public async Task CreateOrReuse_SecondCall_ReusesWithoutTouchingWork()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo);
        var first = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout);
        await File.WriteAllTextAsync(Path.Combine(first.Path, "README.md"), "changed\n");
        await File.WriteAllTextAsync(Path.Combine(first.Path, "new.txt"), "untracked\n");

        var second = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout);

        second.CreatedNow.ShouldBeFalse();
        second.Path.ShouldBe(first.Path);
        (await File.ReadAllTextAsync(Path.Combine(second.Path, "README.md"))).ShouldBe("changed\n");
        File.Exists(Path.Combine(second.Path, "new.txt")).ShouldBeTrue();
    }

    [Fact]
    public async Task CreateOrReuse_TrackerBranchName_IsUsed()
    {
        using var repo = await TestRepository.CreateAsync();

        var workspace = await WorkspaceManager.CreateOrReuseAsync(Worktrees(repo), new WorkspaceTask("t1", "ENG-5", "alice/eng-5-fix-login")).WaitAsync(s_timeout);

        workspace.Branch.ShouldBe("alice/eng-5-fix-login");
        (await TestRepository.GitInAsync(workspace.Path, "rev-parse", "--abbrev-ref", "HEAD")).ShouldBe("alice/eng-5-fix-login");
    }

    [Fact]
    public async Task CreateOrReuse_BranchCheckedOutElsewhere_IsRefusedAndNothingChanges()
    {
        using var repo = await TestRepository.CreateAsync();
        await repo.GitAsync("switch", "-q", "-c", "baton/INT-2");

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(Worktrees(repo), new WorkspaceTask("t2", "INT-2")).WaitAsync(s_timeout));

        error.Code.ShouldBe(WorkspaceManager.BranchCheckedOut);
        error.Message.ShouldContain(repo.Path);
        Directory.Exists(Path.Combine(repo.Root, "worktrees", "INT-2")).ShouldBeFalse();
    }

    [Fact]
    public async Task CreateOrReuse_DefaultBranchMissing_IsBranchNotFound()
    {
        using var repo = await TestRepository.CreateAsync();

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(Worktrees(repo, defaultBranch: "develop"), new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout));

        error.Code.ShouldBe(ErrorCodes.BranchNotFound);
        error.Suggestion.ShouldContain("defaultBranch");
    }

    [Fact]
    public async Task CreateOrReuse_RepositoryWithNoCommits_IsRepositoryEmpty()
    {
        using var repo = await TestRepository.CreateAsync(withCommit: false);

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(Worktrees(repo), new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout));

        error.Code.ShouldBe(WorkspaceManager.RepositoryEmpty);
    }

    [Fact]
    public async Task CreateOrReuse_FileAtWorkspacePath_IsRefusedAndKept()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo);
        Directory.CreateDirectory(layout.Root);
        await File.WriteAllTextAsync(Path.Combine(layout.Root, "INT-1"), "precious");

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout));

        error.Code.ShouldBe(WorkspaceManager.PathNotDirectory);
        (await File.ReadAllTextAsync(Path.Combine(layout.Root, "INT-1"))).ShouldBe("precious");
    }

    [Fact]
    public async Task CreateOrReuse_ForeignDirectoryWithFiles_IsRefusedAndKept()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo);
        Directory.CreateDirectory(Path.Combine(layout.Root, "INT-1"));
        await File.WriteAllTextAsync(Path.Combine(layout.Root, "INT-1", "notes.txt"), "mine");

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout));

        error.Code.ShouldBe(WorkspaceManager.PathOccupied);
        File.Exists(Path.Combine(layout.Root, "INT-1", "notes.txt")).ShouldBeTrue();
    }

    [Fact]
    public async Task CreateOrReuse_RootIsAFile_IsRefused()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo);
        await File.WriteAllTextAsync(layout.Root, "not a directory");

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout));

        error.Code.ShouldBe(PathSafety.RootNotDirectory);
        File.Exists(layout.Root).ShouldBeTrue();
    }

    [Fact]
    public async Task CreateOrReuse_SymlinkAtWorkspacePathEscapingRoot_IsRefused()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo);
        Directory.CreateDirectory(layout.Root);
        var outside = Directory.CreateDirectory(Path.Combine(repo.Root, "outside")).FullName;
        File.CreateSymbolicLink(Path.Combine(layout.Root, "INT-1"), outside);

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout));

        error.Code.ShouldBe(PathSafety.SymlinkEscape);
        Directory.Exists(outside).ShouldBeTrue();
    }

    [Fact]
    public async Task CreateOrReuse_WorktreeDeletedByHand_IsCreatedAgain()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo);
        var first = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout);
        await File.WriteAllTextAsync(Path.Combine(first.Path, "work.txt"), "x");
        await TestRepository.GitInAsync(first.Path, "add", "-A");
        await TestRepository.GitInAsync(first.Path, "commit", "-q", "-m", "work");
        Directory.Delete(first.Path, recursive: true);

        var again = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout);

        again.CreatedNow.ShouldBeTrue();
        File.Exists(Path.Combine(again.Path, "work.txt")).ShouldBeTrue("the branch, and its commit, survived");
    }

    [Fact]
    public async Task CreateOrReuse_AfterCreateHook_RunsOnceWithTheTaskEnvironment()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo, new HookSettings { AfterCreate = "echo \"$BATON_TASK_IDENTIFIER $BATON_TASK_BRANCH\" >> .hook-runs" });

        var first = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout);
        await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout);

        (await File.ReadAllTextAsync(Path.Combine(first.Path, ".hook-runs"))).ShouldBe("INT-1 baton/INT-1\n");
    }

    [Fact]
    public async Task CreateOrReuse_AfterCreateFails_RemovesTheNewWorktreeAndBranchThenRetriesClean()
    {
        using var repo = await TestRepository.CreateAsync();
        var flag = Path.Combine(repo.Root, "fail-once");
        await File.WriteAllTextAsync(flag, "x");
        var layout = Worktrees(repo, new HookSettings { AfterCreate = $"if [ -f {flag} ]; then rm {flag}; echo broken; exit 3; fi; touch .ok" });

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout));
        error.Code.ShouldBe(WorkspaceManager.HookFailed);
        error.Message.ShouldContain("broken");
        Directory.Exists(Path.Combine(layout.Root, "INT-1")).ShouldBeFalse();
        (await repo.GitAsync("branch", "--list", "baton/INT-1")).ShouldBeEmpty();

        var retried = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout);
        retried.CreatedNow.ShouldBeTrue();
        File.Exists(Path.Combine(retried.Path, ".ok")).ShouldBeTrue();
    }

    [Fact]
    public async Task CreateOrReuse_AfterCreateTimesOut_IsAFailure()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo, new HookSettings { AfterCreate = "sleep 30", TimeoutMs = 300 });

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1")).WaitAsync(s_timeout));

        error.Message.ShouldContain("timed out");
        Directory.Exists(Path.Combine(layout.Root, "INT-1")).ShouldBeFalse();
    }

    [Fact]
    public async Task CreateOrReuse_DirectoryStrategy_MakesAnEmptyDirectoryThatHooksPopulate()
    {
        var root = Directory.CreateTempSubdirectory("baton-dirs-").FullName;
        try
        {
            var layout = new WorkspaceLayout { Strategy = WorkspaceLayout.Directory, Root = root, Hooks = new HookSettings { AfterCreate = "echo populated > marker" } };

            var first = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "MT-1")).WaitAsync(s_timeout);
            await File.WriteAllTextAsync(Path.Combine(first.Path, "local.txt"), "keep");
            var second = await WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "MT-1")).WaitAsync(s_timeout);

            first.CreatedNow.ShouldBeTrue();
            first.Branch.ShouldBeNull();
            second.CreatedNow.ShouldBeFalse();
            (await File.ReadAllTextAsync(Path.Combine(first.Path, "marker"))).ShouldBe("populated\n");
            File.Exists(Path.Combine(second.Path, "local.txt")).ShouldBeTrue();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task CreateOrReuse_ConcurrentCallsForOneTask_CreateExactlyOnce()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo);

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t1", "INT-1"))))).WaitAsync(s_timeout);

        results.Count(r => r.CreatedNow).ShouldBe(1);
        results.Select(r => r.Path).Distinct().ShouldHaveSingleItem();
    }

    [Fact]
    public async Task CreateOrReuse_InvalidTrackerBranchName_IsRefusedAndNothingIsLeft()
    {
        using var repo = await TestRepository.CreateAsync();
        var layout = Worktrees(repo);

        var error = await Should.ThrowAsync<BatonException>(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask("t9", "INT-9", "bad..name")).WaitAsync(s_timeout));

        error.Code.ShouldBe(WorkspaceManager.InvalidBranchName);
        Directory.Exists(Path.Combine(layout.Root, "INT-9")).ShouldBeFalse();
    }
}
