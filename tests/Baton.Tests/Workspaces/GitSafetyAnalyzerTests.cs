using Baton.Core.Errors;
using Baton.Core.Workspaces;
using Baton.Tests.TestSupport;
using Baton.Workspaces;

namespace Baton.Tests.Workspaces;

public sealed class GitSafetyAnalyzerTests : IDisposable
{
    private const string Branch = "baton/T-1";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly List<GitSandbox> _sandboxes = [];

    public void Dispose()
    {
        foreach (var sandbox in _sandboxes)
        {
            sandbox.Dispose();
        }
    }

    [Fact]
    public async Task Analyze_CleanWorkspaceWithPushedBranch_IsSafe()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");
        await git.GitAsync(ws, "push", "-q", "-u", "origin", Branch);

        var report = await AnalyzeAsync(git, ws);

        report.Findings.ShouldBeEmpty();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
        report.Branch.ShouldBe(Branch);
        report.IsDetached.ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_FreshWorkspaceWithoutCommits_IsSafe()
    {
        var (git, ws) = await WorkspaceAsync();

        var report = await AnalyzeAsync(git, ws);

        report.Findings.ShouldBeEmpty();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_NeverPushedCommit_BlocksOnlyBranchDeletion()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "add a");

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull();
        finding.Count.ShouldBe(1);
        finding.Scope.ShouldBe(FindingScope.Branch);
        finding.Items[0].ShouldEndWith(" add a");
        finding.Message.ShouldContain("never pushed");
        finding.Resolution.ShouldContain("push -u origin baton/T-1");
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_UntrackedFileInNewDirectory_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "new/deeper/file.txt", "x");

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.UntrackedFiles).ShouldNotBeNull();
        finding.Items.ShouldBe(["new/deeper/file.txt"]);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_IgnoredFilesOnly_IsSafe()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "debug.log", "noise");
        git.Write(ws, "build/out/bin.o", "noise");

        var report = await AnalyzeAsync(git, ws);

        report.Findings.ShouldBeEmpty();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_StagedNewFile_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "staged.txt", "s");
        await git.GitAsync(ws, "add", "staged.txt");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.StagedChanges).ShouldNotBeNull().Items.ShouldBe(["staged.txt"]);
        report.Find(SafetyFindingKinds.UnstagedChanges).ShouldBeNull();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_ModifiedTrackedFile_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "README.md", "changed\n");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.UnstagedChanges).ShouldNotBeNull().Items.ShouldBe(["README.md"]);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_DeletedTrackedFile_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        File.Delete(Path.Combine(ws, "README.md"));

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.UnstagedChanges).ShouldNotBeNull().Items.ShouldBe(["README.md"]);
    }

    [Fact]
    public async Task Analyze_FileStagedThenDeletedInWorktree_ReportsStagedAndUnstaged()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "gone.txt", "content that only the index has");
        await git.GitAsync(ws, "add", "gone.txt");
        File.Delete(Path.Combine(ws, "gone.txt"));

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.StagedChanges).ShouldNotBeNull().Items.ShouldBe(["gone.txt"]);
        report.Find(SafetyFindingKinds.UnstagedChanges).ShouldNotBeNull().Items.ShouldBe(["gone.txt"]);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_StagedRename_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.GitAsync(ws, "mv", "README.md", "READ-ME.md");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.StagedChanges).ShouldNotBeNull().Count.ShouldBe(2);
    }

    [Fact]
    public async Task Analyze_IntentToAddFile_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "later.txt", "l");
        await git.GitAsync(ws, "add", "-N", "later.txt");

        var report = await AnalyzeAsync(git, ws);

        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
        report.Find(SafetyFindingKinds.UnstagedChanges).ShouldNotBeNull().Items.ShouldBe(["later.txt"]);
    }

    [Fact]
    public async Task Analyze_ManyUntrackedFiles_ListsTwentyAndCountsAll()
    {
        var (git, ws) = await WorkspaceAsync();
        for (var i = 0; i < 45; i++)
        {
            git.Write(ws, $"many/f{i:D2}.txt", "x");
        }

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.UntrackedFiles).ShouldNotBeNull();
        finding.Count.ShouldBe(45);
        finding.Items.Count.ShouldBe(SafetyFinding.MaxItems);
        finding.ItemsTruncated.ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_FileWithSpacesAndUnicodeName_IsListedVerbatim()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "dir with space/naïve \"q\".txt", "x");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.UntrackedFiles).ShouldNotBeNull().Items.ShouldBe(["dir with space/naïve \"q\".txt"]);
    }

    [Fact]
    public async Task Analyze_AssumeUnchangedFileModified_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.GitAsync(ws, "update-index", "--assume-unchanged", "README.md");
        git.Write(ws, "README.md", "secretly changed\n");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.UnstagedChanges).ShouldBeNull();
        report.Find(SafetyFindingKinds.HiddenChanges).ShouldNotBeNull().Items.ShouldBe(["README.md"]);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_AssumeUnchangedFileUntouched_IsSafe()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.GitAsync(ws, "update-index", "--assume-unchanged", "README.md");

        var report = await AnalyzeAsync(git, ws);

        report.Findings.ShouldBeEmpty();
    }

    [Fact]
    public async Task Analyze_SkipWorktreeFileRecreated_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.GitAsync(ws, "update-index", "--skip-worktree", "README.md");
        git.Write(ws, "README.md", "different\n");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.HiddenChanges).ShouldNotBeNull().Items.ShouldBe(["README.md"]);
    }

    [Fact]
    public async Task Analyze_StashMadeOnWorkspaceBranch_BlocksOnlyBranchDeletion()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "README.md", "stashed\n");
        await git.GitAsync(ws, "stash", "push", "-q");

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.Stashes).ShouldNotBeNull();
        finding.Severity.ShouldBe(FindingSeverity.Blocking);
        finding.Scope.ShouldBe(FindingScope.Branch);
        finding.Items[0].ShouldStartWith("stash@{0}: WIP on baton/T-1:");
        finding.Resolution.ShouldContain("stash show -p 'stash@{0}'");
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_StashWithMessageOnWorkspaceBranch_IsAttributed()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "new.txt", "n");
        await git.GitAsync(ws, "stash", "push", "-q", "--include-untracked", "-m", "try: something");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.Stashes).ShouldNotBeNull().Items[0].ShouldBe("stash@{0}: On baton/T-1: try: something");
        report.Find(SafetyFindingKinds.UntrackedFiles).ShouldBeNull();
    }

    [Fact]
    public async Task Analyze_StashMadeFromAnotherWorktree_IsInfo()
    {
        var (git, ws) = await WorkspaceAsync();
        var other = await git.AddWorktreeAsync("other", "baton/T-2");
        git.Write(other, "README.md", "other work\n");
        await git.GitAsync(other, "stash", "push", "-q");
        git.Write(git.Repo, "README.md", "main work\n");
        await git.GitAsync(git.Repo, "stash", "push", "-q");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.Stashes).ShouldBeNull();
        var others = report.Find(SafetyFindingKinds.OtherStashes).ShouldNotBeNull();
        others.Severity.ShouldBe(FindingSeverity.Info);
        others.Count.ShouldBe(2);
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_SeveralStashesMixed_AttributesEach()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "README.md", "one\n");
        await git.GitAsync(ws, "stash", "push", "-q");
        git.Write(git.Repo, "README.md", "main\n");
        await git.GitAsync(git.Repo, "stash", "push", "-q");
        git.Write(ws, "README.md", "two\n");
        await git.GitAsync(ws, "stash", "push", "-q");

        var report = await AnalyzeAsync(git, ws);

        var ours = report.Find(SafetyFindingKinds.Stashes).ShouldNotBeNull();
        ours.Items.Select(i => i[..9]).ShouldBe(["stash@{0}", "stash@{2}"]);
        report.Find(SafetyFindingKinds.OtherStashes).ShouldNotBeNull().Count.ShouldBe(1);
    }

    [Fact]
    public async Task Analyze_CommitOnBranchWhoseUpstreamWasDeleted_BlocksBranchDeletion()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "pushed");
        await git.GitAsync(ws, "push", "-q", "-u", "origin", Branch);
        await git.CommitFileAsync(ws, "b.txt", "b\n", "after push");
        await git.GitAsync(ws, "push", "-q", "origin", "--delete", Branch);

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull();
        finding.Count.ShouldBe(2);
        finding.Message.ShouldContain("no longer exists");
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_BranchAmendedAfterPush_BlocksBranchDeletion()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "first take");
        await git.GitAsync(ws, "push", "-q", "-u", "origin", Branch);
        git.Write(ws, "a.txt", "a, better\n");
        await git.GitAsync(ws, "commit", "-q", "-a", "--amend", "-m", "second take");

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull();
        finding.Count.ShouldBe(1);
        finding.Items[0].ShouldEndWith("second take");
        finding.Resolution.ShouldContain("@{upstream}...");
    }

    [Fact]
    public async Task Analyze_BranchMergedIntoDefaultWithoutRemote_IsSafe()
    {
        using var git = await GitSandbox.CreateAsync(withOrigin: false);
        var ws = await git.AddWorktreeAsync("ws", Branch);
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");
        await git.GitAsync(git.Repo, "merge", "-q", "--ff-only", Branch);

        var report = await AnalyzeAsync(git, ws);

        report.Findings.ShouldBeEmpty();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_UnpushedCommitWithoutRemote_SuggestsMerge()
    {
        using var git = await GitSandbox.CreateAsync(withOrigin: false);
        var ws = await git.AddWorktreeAsync("ws", Branch);
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull().Resolution.ShouldContain("merge baton/T-1");
    }

    [Fact]
    public async Task Analyze_BranchCommitsAlsoOnAnotherLocalBranch_IsSafe()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");
        await git.GitAsync(ws, "branch", "keep-me");

        var report = await AnalyzeAsync(git, ws);

        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_BranchCommitsOnlyInAStash_CountAsUnpushed()
    {
        // A stash entry keeps its base commit alive, but nobody looks for a branch's commits inside a
        // stash and stash entries expire with the reflog: such commits count as lost.
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");
        git.Write(ws, "a.txt", "wip\n");
        await git.GitAsync(ws, "stash", "push", "-q");
        await git.GitAsync(ws, "checkout", "-q", "--detach", "main");
        await git.GitAsync(ws, "branch", "-D", Branch);
        await git.GitAsync(ws, "checkout", "-q", "-b", Branch);

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.UnpushedCommits).ShouldBeNull();
        report.Find(SafetyFindingKinds.Stashes).ShouldNotBeNull();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_DetachedHeadOnTaggedCommit_IsSafe()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "tagged");
        await git.GitAsync(ws, "tag", "v1");
        await git.GitAsync(ws, "checkout", "-q", "--detach");
        await git.GitAsync(ws, "branch", "-f", Branch, "main");

        var report = await AnalyzeAsync(git, ws);

        report.IsDetached.ShouldBeTrue();
        report.Find(SafetyFindingKinds.DetachedHeadUnreachableCommits).ShouldBeNull();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_DetachedHeadOnUnreachableCommit_BlocksEvenWhenBranchKept()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.GitAsync(ws, "checkout", "-q", "--detach");
        await git.CommitFileAsync(ws, "a.txt", "a\n", "detached work");

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.DetachedHeadUnreachableCommits).ShouldNotBeNull();
        finding.Count.ShouldBe(1);
        finding.Scope.ShouldBe(FindingScope.Workspace);
        finding.Resolution.ShouldContain("branch baton-saved/");
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_DetachedHeadOnCommitOfOtherWorktree_IsSafe()
    {
        var (git, ws) = await WorkspaceAsync();
        var other = await git.AddWorktreeAsync("other", "baton/T-2");
        await git.GitAsync(other, "checkout", "-q", "--detach");
        await git.CommitFileAsync(other, "o.txt", "o\n", "other detached");
        var head = await git.GitAsync(other, "rev-parse", "HEAD");
        await git.GitAsync(ws, "checkout", "-q", "--detach", head);

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.DetachedHeadUnreachableCommits).ShouldBeNull();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_DetachedHeadOnBranchCommitWithBranchDeleted_BlocksBranchDeletion()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "on branch");
        await git.GitAsync(ws, "checkout", "-q", "--detach");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.DetachedHeadUnreachableCommits).ShouldBeNull();
        report.Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_CommitOnlyOnPerWorktreeRef_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        var tree = await git.GitAsync(ws, "rev-parse", "HEAD^{tree}");
        var commit = await git.GitAsync(ws, "commit-tree", "-m", "kept by refs/worktree", tree);
        await git.GitAsync(ws, "update-ref", "refs/worktree/keep", commit);

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.DetachedHeadUnreachableCommits).ShouldNotBeNull().Count.ShouldBe(1);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_ConflictingMerge_ReportsOperationAndConflicts()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(git.Repo, "c.txt", "main side\n", "main side");
        await git.CommitFileAsync(ws, "c.txt", "branch side\n", "branch side");
        (await git.TryGitAsync(ws, "merge", "-q", "main")).Succeeded.ShouldBeFalse();

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.OperationInProgress).ShouldNotBeNull().Items.ShouldBe(["merge"]);
        report.Find(SafetyFindingKinds.ConflictedFiles).ShouldNotBeNull().Items.ShouldBe(["c.txt"]);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_CleanMergeNotCommitted_BlocksByPolicy()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(git.Repo, "m.txt", "m\n", "main only");
        await git.GitAsync(ws, "merge", "-q", "--no-commit", "-s", "ours", "main");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.OperationInProgress).ShouldNotBeNull();
        report.LosesWork(deleteBranch: false).ShouldBeFalse();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_RebaseStoppedOnConflict_BlocksAndReportsRebasedCommits()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "x.txt", "x\n", "first, applies");
        await git.CommitFileAsync(ws, "c.txt", "branch\n", "second, conflicts");
        await git.CommitFileAsync(git.Repo, "c.txt", "main\n", "main");
        (await git.TryGitAsync(ws, "rebase", "main")).Succeeded.ShouldBeFalse();

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.OperationInProgress).ShouldNotBeNull().Items.ShouldBe(["rebase"]);
        report.IsDetached.ShouldBeTrue();
        report.Find(SafetyFindingKinds.DetachedHeadUnreachableCommits).ShouldNotBeNull().Count.ShouldBe(1);
        report.Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull().Count.ShouldBe(2);
    }

    [Fact]
    public async Task Analyze_CherryPickStoppedOnConflict_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "c.txt", "branch\n", "branch");
        await git.CommitFileAsync(git.Repo, "c.txt", "main\n", "main");
        (await git.TryGitAsync(ws, "cherry-pick", "main")).Succeeded.ShouldBeFalse();

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.OperationInProgress).ShouldNotBeNull().Items.ShouldBe(["cherry-pick"]);
    }

    [Fact]
    public async Task Analyze_RevertStoppedOnConflict_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "c.txt", "one\n", "one");
        await git.CommitFileAsync(ws, "c.txt", "two\n", "two");
        (await git.TryGitAsync(ws, "revert", "--no-edit", "HEAD~1")).Succeeded.ShouldBeFalse();

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.OperationInProgress).ShouldNotBeNull().Items.ShouldBe(["revert"]);
    }

    [Fact]
    public async Task Analyze_BisectInProgress_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "1\n", "1");
        await git.CommitFileAsync(ws, "a.txt", "2\n", "2");
        await git.GitAsync(ws, "push", "-q", "-u", "origin", Branch);
        await git.GitAsync(ws, "bisect", "start", "HEAD", "main");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.OperationInProgress).ShouldNotBeNull().Items.ShouldBe(["bisect"]);
        report.Resolution(SafetyFindingKinds.OperationInProgress).ShouldContain("bisect reset");
    }

    [Fact]
    public async Task Analyze_LockedWorktree_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.GitAsync(git.Repo, "worktree", "lock", "--reason", "agent busy", ws);

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.LockedWorktree).ShouldNotBeNull();
        finding.Items.ShouldBe(["agent busy"]);
        finding.Resolution.ShouldContain("worktree unlock");
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_DirtySubmodule_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        var library = git.PathOf("library");
        await git.GitAsync(git.Root, "init", "-q", "-b", "main", library);
        await git.CommitFileAsync(library, "lib.txt", "lib\n", "lib");
        await git.GitAsync(ws, "-c", "protocol.file.allow=always", "submodule", "add", "-q", library, "lib");
        await git.GitAsync(ws, "commit", "-q", "-m", "add submodule");
        await git.GitAsync(ws, "push", "-q", "-u", "origin", Branch);
        git.Write(ws, "lib/lib.txt", "changed inside the submodule\n");
        git.Write(ws, "lib/new.txt", "untracked inside the submodule\n");

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.DirtySubmodules).ShouldNotBeNull();
        finding.Items.ShouldBe(["lib (modified content, untracked content)"]);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_SubmoduleWithNewCommit_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        var library = git.PathOf("library");
        await git.GitAsync(git.Root, "init", "-q", "-b", "main", library);
        await git.CommitFileAsync(library, "lib.txt", "lib\n", "lib");
        await git.GitAsync(ws, "-c", "protocol.file.allow=always", "submodule", "add", "-q", library, "lib");
        await git.GitAsync(ws, "commit", "-q", "-m", "add submodule");
        await git.CommitFileAsync(Path.Combine(ws, "lib"), "more.txt", "m\n", "commit inside the submodule");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.DirtySubmodules).ShouldNotBeNull().Items.ShouldBe(["lib (new commits)"]);
    }

    [Fact]
    public async Task Analyze_DirectoryDeletedByHandWithPushedBranch_IsPrunableAndSafe()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");
        await git.GitAsync(ws, "push", "-q", "-u", "origin", Branch);
        Directory.Delete(ws, recursive: true);

        var report = await AnalyzeAsync(git, ws);

        var finding = report.Find(SafetyFindingKinds.Prunable).ShouldNotBeNull();
        finding.Severity.ShouldBe(FindingSeverity.Info);
        finding.Resolution.ShouldContain("worktree prune");
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_DirectoryDeletedByHandWithUnpushedCommits_BlocksBranchDeletion()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");
        Directory.Delete(ws, recursive: true);

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.Prunable).ShouldNotBeNull();
        report.Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull().Count.ShouldBe(1);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_DirectoryDeletedByHandWhileDetachedOnOwnCommit_Blocks()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.GitAsync(ws, "checkout", "-q", "--detach");
        await git.CommitFileAsync(ws, "a.txt", "a\n", "detached");
        Directory.Delete(ws, recursive: true);

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.DetachedHeadUnreachableCommits).ShouldNotBeNull();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_DotGitFileDeletedButDirectoryKept_BlocksAsUnverifiable()
    {
        var (git, ws) = await WorkspaceAsync();
        git.Write(ws, "notes.txt", "only here");
        File.Delete(Path.Combine(ws, ".git"));

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.UnverifiableDirectory).ShouldNotBeNull();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_HeadOnAnotherBranch_ReportsInfoAndChecksWorkspaceBranch()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "on workspace branch");
        await git.GitAsync(ws, "checkout", "-q", "-b", "side");
        await git.CommitFileAsync(ws, "s.txt", "s\n", "on side");

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.HeadOnOtherBranch).ShouldNotBeNull().Items.ShouldBe(["side"]);
        report.Find(SafetyFindingKinds.UnpushedCommits).ShouldBeNull();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public async Task Analyze_BranchUnknown_UsesCheckedOutBranch()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");

        var report = await new GitSafetyAnalyzer().AnalyzeAsync(git.Repo, ws, branch: null, "main").WaitAsync(s_timeout);

        report.Branch.ShouldBe(Branch);
        report.Find(SafetyFindingKinds.UnpushedCommits).ShouldNotBeNull();
    }

    [Fact]
    public async Task Analyze_BranchGivenAsFullRefName_IsNormalized()
    {
        var (git, ws) = await WorkspaceAsync();

        var report = await new GitSafetyAnalyzer().AnalyzeAsync(git.Repo, ws, "refs/heads/" + Branch, "main").WaitAsync(s_timeout);

        report.Branch.ShouldBe(Branch);
        report.Findings.ShouldBeEmpty();
    }

    [Fact]
    public async Task Analyze_WorkspaceBranchMissing_ReportsInfo()
    {
        var (git, ws) = await WorkspaceAsync();

        var report = await new GitSafetyAnalyzer().AnalyzeAsync(git.Repo, ws, "baton/does-not-exist", "main").WaitAsync(s_timeout);

        report.Find(SafetyFindingKinds.BranchMissing).ShouldNotBeNull().Severity.ShouldBe(FindingSeverity.Info);
    }

    [Fact]
    public async Task Analyze_WorkspaceBranchIsDefaultBranch_BlocksBranchDeletion()
    {
        var (git, _) = await WorkspaceAsync();
        await git.GitAsync(git.Repo, "checkout", "-q", "-b", "elsewhere");
        var ws = git.PathOf("on-main");
        await git.GitAsync(git.Repo, "worktree", "add", "-q", ws, "main");

        var report = await new GitSafetyAnalyzer().AnalyzeAsync(git.Repo, ws, "main", "main").WaitAsync(s_timeout);

        report.Find(SafetyFindingKinds.DefaultBranch).ShouldNotBeNull();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_WorkspacePathThroughSymlink_FindsWorktree()
    {
        var (git, ws) = await WorkspaceAsync();
        var link = git.PathOf("link-to-ws");
        File.CreateSymbolicLink(link, ws);

        var report = await AnalyzeAsync(git, link);

        report.Findings.ShouldBeEmpty();
    }

    [Fact]
    public async Task Analyze_StagedUntrackedStashAndUnpushedTogether_ReportsEach()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.CommitFileAsync(ws, "a.txt", "a\n", "a");
        git.Write(ws, "a.txt", "stash me\n");
        await git.GitAsync(ws, "stash", "push", "-q");
        git.Write(ws, "staged.txt", "s");
        await git.GitAsync(ws, "add", "staged.txt");
        git.Write(ws, "README.md", "modified\n");
        git.Write(ws, "new/u.txt", "u");
        git.Write(ws, "ignored.log", "i");

        var report = await AnalyzeAsync(git, ws);

        report.Findings.Select(f => f.Kind).Order(StringComparer.Ordinal).ShouldBe(
        [
            SafetyFindingKinds.StagedChanges,
            SafetyFindingKinds.Stashes,
            SafetyFindingKinds.UnpushedCommits,
            SafetyFindingKinds.UnstagedChanges,
            SafetyFindingKinds.UntrackedFiles,
        ]);
        report.Find(SafetyFindingKinds.UntrackedFiles)!.Items.ShouldBe(["new/u.txt"]);
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public async Task Analyze_DetachedLockedAndDirty_ReportsEach()
    {
        var (git, ws) = await WorkspaceAsync();
        await git.GitAsync(ws, "checkout", "-q", "--detach");
        await git.CommitFileAsync(ws, "d.txt", "d\n", "detached");
        git.Write(ws, "d.txt", "dirty\n");
        await git.GitAsync(git.Repo, "worktree", "lock", ws);

        var report = await AnalyzeAsync(git, ws);

        report.Find(SafetyFindingKinds.LockedWorktree).ShouldNotBeNull().Items.ShouldBe(["no reason given"]);
        report.Find(SafetyFindingKinds.DetachedHeadUnreachableCommits).ShouldNotBeNull();
        report.Find(SafetyFindingKinds.UnstagedChanges).ShouldNotBeNull();
    }

    [Fact]
    public async Task Analyze_RepositoryWithoutCommits_ThrowsTypedError()
    {
        using var git = await GitSandbox.CreateAsync(withOrigin: false, withCommit: false);

        var error = await Should.ThrowAsync<BatonException>(
            new GitSafetyAnalyzer().AnalyzeAsync(git.Repo, git.PathOf("ws"), Branch, "main").WaitAsync(s_timeout));

        error.Code.ShouldBe(ErrorCodes.RepositoryHasNoCommits);
        error.Suggestion.ShouldContain("commit");
    }

    [Fact]
    public async Task Analyze_DirectoryThatIsNotAWorktree_ThrowsTypedError()
    {
        var (git, _) = await WorkspaceAsync();
        var stranger = git.PathOf("stranger");
        await git.GitAsync(git.Root, "init", "-q", stranger);

        var error = await Should.ThrowAsync<BatonException>(AnalyzeAsync(git, stranger));

        error.Code.ShouldBe(ErrorCodes.WorkspaceNotAWorktree);
        error.Suggestion.ShouldContain("worktree list");
    }

    [Fact]
    public async Task Analyze_WorktreeOfAnotherRepository_ThrowsTypedError()
    {
        var (git, _) = await WorkspaceAsync();
        using var other = await GitSandbox.CreateAsync(withOrigin: false);
        var foreign = await other.AddWorktreeAsync("foreign", "x");

        var error = await Should.ThrowAsync<BatonException>(AnalyzeAsync(git, foreign));

        error.Code.ShouldBe(ErrorCodes.WorkspaceNotAWorktree);
    }

    [Fact]
    public async Task Analyze_MissingPathNeverRegistered_ThrowsWorkspaceNotFound()
    {
        var (git, _) = await WorkspaceAsync();

        var error = await Should.ThrowAsync<BatonException>(AnalyzeAsync(git, git.PathOf("nowhere")));

        error.Code.ShouldBe(ErrorCodes.WorkspaceNotFound);
    }

    [Fact]
    public async Task Analyze_MainWorktree_ThrowsTypedError()
    {
        var (git, _) = await WorkspaceAsync();

        var error = await Should.ThrowAsync<BatonException>(AnalyzeAsync(git, git.Repo));

        error.Code.ShouldBe(ErrorCodes.WorkspaceIsMainWorktree);
    }

    [Fact]
    public async Task Analyze_RepositoryPathNotAGitRepository_ThrowsTypedError()
    {
        var (git, ws) = await WorkspaceAsync();
        var plain = git.PathOf("plain");
        Directory.CreateDirectory(plain);

        var error = await Should.ThrowAsync<BatonException>(
            new GitSafetyAnalyzer().AnalyzeAsync(plain, ws, Branch, "main").WaitAsync(s_timeout));

        error.Code.ShouldBe(ErrorCodes.ProjectNotGitRepository);
    }

    [Fact]
    public async Task AnalyzeMany_MixedWorkspaces_ReportsEachAndIsolatesFailures()
    {
        var (git, ws) = await WorkspaceAsync();
        var dirty = await git.AddWorktreeAsync("dirty", "baton/T-2");
        git.Write(dirty, "u.txt", "u");

        var results = await new GitSafetyAnalyzer().AnalyzeManyAsync(
            git.Repo,
            [new WorkspaceTarget(ws, Branch), new WorkspaceTarget(dirty, "baton/T-2"), new WorkspaceTarget(git.PathOf("nowhere"), null)],
            "main").WaitAsync(s_timeout);

        results.Count.ShouldBe(3);
        results[0].Report.ShouldNotBeNull().IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
        results[1].Report.ShouldNotBeNull().Find(SafetyFindingKinds.UntrackedFiles).ShouldNotBeNull();
        results[2].Error.ShouldNotBeNull().Code.ShouldBe(ErrorCodes.WorkspaceNotFound);
    }

    private static Task<SafetyReport> AnalyzeAsync(GitSandbox git, string ws) =>
        new GitSafetyAnalyzer().AnalyzeAsync(git.Repo, ws, Branch, "main").WaitAsync(s_timeout);

    private async Task<(GitSandbox Git, string Workspace)> WorkspaceAsync()
    {
        var git = await GitSandbox.CreateAsync().WaitAsync(s_timeout);
        _sandboxes.Add(git);
        var ws = await git.AddWorktreeAsync("ws", Branch).WaitAsync(s_timeout);
        return (git, ws);
    }
}

internal static class SafetyReportTestExtensions
{
    public static string Resolution(this SafetyReport report, string kind) => report.Find(kind)!.Resolution;
}
