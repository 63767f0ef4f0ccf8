using Baton.Coordination;
using Baton.Processes;

namespace Baton.Tests.Coordination;

/// <summary>
/// Issue 7: the project's main checkout is never left dirty or mid-rebase, even if Baton is killed during a merge. The
/// real <c>baton merge</c> kills itself with SIGKILL at each step (<see cref="MergeHooks"/>); the next run finishes or
/// restarts the merge, and the work lands exactly once.
/// </summary>
public sealed class MergeKillTests
{
    private const string Workflow =
        """
        proof:
          validate:
            - test -f feature.txt || test -f other.txt
        merge:
          push: true
        """;

    [Theory]
    [InlineData(MergeHooks.Started, "restarted")]
    [InlineData(MergeHooks.Rebased, "restarted")]
    [InlineData(MergeHooks.Validated, "restarted")]
    [InlineData(MergeHooks.Landed, "finished")]
    [InlineData(MergeHooks.Pushed, "finished")]
    [InlineData(MergeHooks.WorkspaceRemoved, "finished")]
    [InlineData(MergeHooks.Finished, "finished")]
    public async Task Merge_KilledAtAStep_TheNextRunLandsTheWorkExactlyOnce(string step, string recovery)
    {
        using var w = await MergeWorld.CreateAsync(Workflow);
        var origin = await AddOriginAsync(w);
        var (first, workspace) = await w.QueuedTaskAsync("Feature", "feature.txt", "feature\n", priority: 1);
        var (second, _) = await w.QueuedTaskAsync("Other", "other.txt", "other\n", priority: 2);
        await w.CommitAsync(w.Repo, "main.txt", "main moved\n", "main moves on");

        var killed = await w.RunProcessAsync(new Dictionary<string, string?> { [MergeHooks.KillVariable] = step }, "merge");

        killed.ExitCode.ShouldBe(128 + Posix.SigKill, $"{killed.StandardOutput}\n{killed.StandardError}");
        File.Exists(w.Journal).ShouldBeTrue();
        await w.ShouldBeIntactAsync();

        var rerun = await w.MergeAsync();

        rerun.ExitCode.ShouldBe(0, rerun.ToString());
        rerun.Data.GetProperty("recovery").GetString()!.ShouldStartWith(recovery);
        var subjects = await w.SubjectsAsync();
        subjects.Count(s => s == $"{first}: Feature").ShouldBe(1);
        subjects.Count(s => s == $"{second}: Other").ShouldBe(1);
        await w.ShouldBeIntactAsync();
        (await w.StateOfAsync(first)).ShouldBe("Done");
        (await w.StateOfAsync(second)).ShouldBe("Done");
        (await w.CommentsOfAsync(first)).ShouldHaveSingleItem().ShouldStartWith("Merged by the merge queue");
        Directory.Exists(workspace).ShouldBeFalse();
        (await w.BranchExistsAsync($"baton/{first}")).ShouldBeFalse();
        (await w.GitAsync(origin, "rev-parse", "main")).ShouldBe(await w.MainAsync());
        File.Exists(w.Journal).ShouldBeFalse();
        MergeLock.ReadHolder(new MergePaths(w.MergeDirectory)).ShouldBeNull();
    }

    [Fact]
    public async Task Merge_KilledMidRebaseOfAConflict_TheNextRunAbortsItAndSendsTheTaskBackOnce()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, workspace) = await w.QueuedTaskAsync("Conflicts", "shared.txt", "one\nmine\nthree\n");
        await w.CommitAsync(w.Repo, "shared.txt", "one\ntheirs\nthree\n", "main edits shared");
        var tip = await w.GitAsync(workspace, "rev-parse", "HEAD");

        var killed = await w.RunProcessAsync(new Dictionary<string, string?> { [MergeHooks.KillVariable] = MergeHooks.Conflicted }, "merge");

        killed.ExitCode.ShouldBe(128 + Posix.SigKill);
        var mergeWorktree = Path.Combine(w.MergeDirectory, "worktree");
        Directory.Exists(await w.GitAsync(mergeWorktree, "rev-parse", "--git-path", "rebase-merge")).ShouldBeTrue("the kill leaves the merge worktree mid-rebase");
        await w.ShouldBeIntactAsync();

        var rerun = await w.MergeAsync();

        rerun.ExitCode.ShouldBe(0, rerun.ToString());
        (await w.StateOfAsync(task)).ShouldBe("Rework");
        (await w.CommentsOfAsync(task)).ShouldHaveSingleItem().ShouldContain("conflicts in shared.txt");
        Directory.Exists(await w.GitAsync(mergeWorktree, "rev-parse", "--git-path", "rebase-merge")).ShouldBeFalse();
        (await w.GitAsync(w.Repo, "rev-parse", $"refs/heads/baton/{task}")).ShouldBe(tip);
        await w.ShouldBeIntactAsync();
    }

    [Fact]
    public async Task Merge_BranchDeletedWhileItIsValidated_GoesToReworkAndNothingLands()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, workspace) = await w.QueuedTaskAsync("Deleted under the queue", "gone.txt", "gone\n");
        var main = await w.MainAsync();
        var paused = Path.Combine(w.MergeDirectory, $"paused-{MergeHooks.Rebased}");

        var run = w.RunProcessAsync(new Dictionary<string, string?> { [MergeHooks.PauseVariable] = MergeHooks.Rebased }, "merge", "--json");
        await TestSupport.Poll.UntilAsync(() => File.Exists(paused) || run.IsCompleted, MergeWorld.Timeout, "the merge pausing after its rebase");
        await w.GitAsync(w.Repo, "worktree", "remove", "--force", workspace);
        await w.GitAsync(w.Repo, "branch", "-D", $"baton/{task}");
        File.Delete(paused);
        var result = await run;

        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardOutput.ShouldContain("\"outcome\":\"rework\"");
        (await w.MainAsync()).ShouldBe(main);
        (await w.StateOfAsync(task)).ShouldBe("Rework");
        (await w.CommentsOfAsync(task)).ShouldHaveSingleItem().ShouldContain("deleted while the merge queue validated it");
        File.Exists(w.Journal).ShouldBeFalse();
        await w.ShouldBeIntactAsync();
    }

    [Fact]
    public async Task Merge_DefaultBranchMovesWhileItIsValidated_RebasesAgainAndLandsOnTop()
    {
        using var w = await MergeWorld.CreateAsync();
        var (task, _) = await w.QueuedTaskAsync("Races main", "race.txt", "race\n");
        var paused = Path.Combine(w.MergeDirectory, $"paused-{MergeHooks.Rebased}");

        var run = w.RunProcessAsync(new Dictionary<string, string?> { [MergeHooks.PauseVariable] = MergeHooks.Rebased }, "merge");
        await TestSupport.Poll.UntilAsync(() => File.Exists(paused) || run.IsCompleted, MergeWorld.Timeout, "the merge pausing after its rebase");
        await w.CommitAsync(w.Repo, "person.txt", "a person commits\n", "a person commits to main");
        File.Delete(paused);

        // The second attempt pauses at the same step again: let it go on.
        await TestSupport.Poll.UntilAsync(() => File.Exists(paused) || run.IsCompleted, MergeWorld.Timeout, "the second attempt");
        File.Delete(paused);
        var result = await run;

        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardError.ShouldContain("main moved during the merge; rebasing again");
        (await w.SubjectsAsync()).Take(2).ShouldBe([$"{task}: Races main", "a person commits to main"]);
        (await w.StateOfAsync(task)).ShouldBe("Done");
        await w.ShouldBeIntactAsync();
    }

    private static async Task<string> AddOriginAsync(MergeWorld w)
    {
        var origin = Path.Combine(w.World.Root, "origin.git");
        await w.GitAsync(w.World.Root, "init", "-q", "--bare", "-b", "main", origin);
        await w.GitAsync(w.Repo, "remote", "add", "origin", origin);
        await w.GitAsync(w.Repo, "push", "-q", "origin", "main");
        return origin;
    }
}
