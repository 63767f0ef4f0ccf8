using Baton.Core.Workspaces;

namespace Baton.Core.Tests.Workspaces;

public sealed class SafetyReportBuilderTests
{
    private static readonly WorktreeEntry s_worktree = new("/work/ws", "aaaa", "baton/T-1", false, false, false, null, false, null);

    [Fact]
    public void Build_CleanFacts_HasNoFindings()
    {
        var report = SafetyReportBuilder.Build(Facts());

        report.Findings.ShouldBeEmpty();
        report.Branch.ShouldBe("baton/T-1");
        report.HeadCommit.ShouldBe("aaaa");
    }

    [Fact]
    public void Build_LiveWorktreeWithoutStatus_BlocksAsUnverifiable()
    {
        var report = SafetyReportBuilder.Build(Facts() with { Status = null });

        report.Find(SafetyFindingKinds.UnverifiableDirectory).ShouldNotBeNull();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public void Build_DirectoryGoneEvenWhenLockHidesPrunable_IsInfoPlusLock()
    {
        var facts = Facts() with
        {
            Worktree = s_worktree with { IsLocked = true, LockReason = "busy" },
            DirectoryExists = false,
            Status = null,
        };

        var report = SafetyReportBuilder.Build(facts);

        report.Find(SafetyFindingKinds.Prunable).ShouldNotBeNull().Severity.ShouldBe(FindingSeverity.Info);
        report.Find(SafetyFindingKinds.UnverifiableDirectory).ShouldBeNull();
        report.Find(SafetyFindingKinds.LockedWorktree).ShouldNotBeNull();
    }

    [Fact]
    public void Build_StashesOfThisAndOtherBranches_AreSplitBySeverity()
    {
        var facts = Facts() with
        {
            Stashes =
            [
                new StashEntry("stash@{0}", "WIP on baton/T-1: a s", "baton/T-1", false),
                new StashEntry("stash@{1}", "WIP on main: a s", "main", false),
                new StashEntry("stash@{2}", "WIP on (no branch): a s", null, true),
            ],
        };

        var report = SafetyReportBuilder.Build(facts);

        report.Find(SafetyFindingKinds.Stashes).ShouldNotBeNull().Count.ShouldBe(1);
        report.Find(SafetyFindingKinds.OtherStashes).ShouldNotBeNull().Count.ShouldBe(2);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
    }

    [Fact]
    public void Build_UnpushedWithUpstreamGone_SaysSoAndSuggestsPush()
    {
        var facts = Facts() with
        {
            BranchInfo = new BranchInfo("baton/T-1", "aaaa", "refs/remotes/origin/baton/T-1", true, "origin"),
            BranchOnlyCommits = [new CommitSummary("aaaa", "work")],
        };

        var finding = SafetyReportBuilder.Build(facts).Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull();

        finding.Message.ShouldContain("no longer exists");
        finding.Resolution.ShouldBe("git -C /work/ws push -u origin baton/T-1");
    }

    [Fact]
    public void Build_PathsWithSpaces_AreQuotedInResolutions()
    {
        var facts = Facts() with
        {
            WorkspacePath = "/work/my ws",
            Status = GitStatusSummary.Empty with { Untracked = ["u.txt"] },
        };

        var finding = SafetyReportBuilder.Build(facts).Find(SafetyFindingKinds.UntrackedFiles).ShouldNotBeNull();

        finding.Resolution.ShouldStartWith("git -C '/work/my ws' add -A");
    }

    [Fact]
    public void Build_DefaultBranchAsWorkspaceBranch_BlocksBranchDeletion()
    {
        var report = SafetyReportBuilder.Build(Facts() with { Branch = "main", Worktree = s_worktree with { Branch = "main" } });

        report.Find(SafetyFindingKinds.DefaultBranch).ShouldNotBeNull().Scope.ShouldBe(FindingScope.Branch);
    }

    private static WorkspaceGitFacts Facts() => new()
    {
        RepositoryPath = "/work/repo",
        WorkspacePath = "/work/ws",
        DefaultBranch = "main",
        Worktree = s_worktree,
        Branch = "baton/T-1",
        BranchInfo = new BranchInfo("baton/T-1", "aaaa", null, false, null),
        DirectoryExists = true,
        Status = GitStatusSummary.Empty,
        Remotes = ["origin"],
    };
}
