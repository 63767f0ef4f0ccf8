using Baton.Core.Workspaces;

namespace Baton.Core.Tests.Workspaces;

public sealed class GitPorcelainTests
{
    [Fact]
    public void ParseWorktreeList_AllAttributes_AreRead()
    {
        var output = "worktree /r\0HEAD aaaa\0branch refs/heads/main\0\0"
            + "worktree /w1\0HEAD bbbb\0branch refs/heads/baton/T-1\0locked agent busy\0\0"
            + "worktree /w2\0HEAD cccc\0detached\0prunable gitdir file points to non-existent location\0\0"
            + "worktree /w3\0HEAD dddd\0detached\0locked\0\0";

        var entries = GitPorcelain.ParseWorktreeList(output);

        entries.Count.ShouldBe(4);
        entries[0].ShouldBe(new WorktreeEntry("/r", "aaaa", "main", false, false, false, null, false, null));
        entries[1].Branch.ShouldBe("baton/T-1");
        entries[1].IsLocked.ShouldBeTrue();
        entries[1].LockReason.ShouldBe("agent busy");
        entries[2].IsDetached.ShouldBeTrue();
        entries[2].IsPrunable.ShouldBeTrue();
        entries[3].IsLocked.ShouldBeTrue();
        entries[3].LockReason.ShouldBeNull();
    }

    [Fact]
    public void ParseWorktreeList_BareMain_IsMarked()
    {
        var entries = GitPorcelain.ParseWorktreeList("worktree /r.git\0bare\0\0worktree /w\0HEAD aa\0branch refs/heads/x\0\0");

        entries[0].IsBare.ShouldBeTrue();
        entries[0].Head.ShouldBeNull();
        entries[1].Branch.ShouldBe("x");
    }

    [Fact]
    public void ParseStatus_EveryEntryType_IsSorted()
    {
        var output = string.Join('\0',
            "1 A. N... 000000 100644 100644 0000 1111 staged.txt",
            "1 .M N... 100644 100644 100644 1111 1111 dir with space/mod.txt",
            "1 AD N... 000000 100644 000000 0000 2222 gone.txt",
            "2 R. N... 100644 100644 100644 1111 1111 R100 new.txt",
            "old.txt",
            "u UU N... 100644 100644 100644 100644 1 2 3 conflict.txt",
            "1 .M S.MU 160000 160000 160000 4444 4444 lib",
            "1 .M SC.. 160000 160000 160000 4444 4444 lib2",
            "? new/deeper/u.txt",
            "! ignored.log",
            string.Empty);

        var status = GitPorcelain.ParseStatus(output);

        status.Staged.ShouldBe(["staged.txt", "gone.txt", "old.txt -> new.txt"]);
        status.Unstaged.ShouldBe(["dir with space/mod.txt", "gone.txt"]);
        status.Conflicted.ShouldBe(["conflict.txt"]);
        status.Untracked.ShouldBe(["new/deeper/u.txt"]);
        status.DirtySubmodules.ShouldBe(["lib (modified content, untracked content)", "lib2 (new commits)"]);
    }

    [Fact]
    public void ParseStatus_Empty_IsClean()
    {
        var status = GitPorcelain.ParseStatus(string.Empty);

        new[] { status.Staged, status.Unstaged, status.Untracked, status.Conflicted, status.DirtySubmodules }.ShouldAllBe(l => l.Count == 0);
    }

    [Theory]
    [InlineData("WIP on baton/T-1: abc123 subject", "baton/T-1", false)]
    [InlineData("On feature/x: my: message", "feature/x", false)]
    [InlineData("WIP on (no branch): abc subject", null, true)]
    [InlineData("On (no branch): msg", null, true)]
    [InlineData("autostash", null, false)]
    [InlineData("WIP on nothing", null, false)]
    public void StashBranch_Message_NamesBranch(string subject, string? branch, bool detached) =>
        GitPorcelain.StashBranch(subject).ShouldBe((branch, detached));

    [Fact]
    public void ParseStashList_Lines_AreRead()
    {
        var entries = GitPorcelain.ParseStashList("stash@{0}\u001fWIP on a: 1 s\nstash@{1}\u001fOn b: m\n");

        entries.Select(e => (e.Selector, e.Branch)).ShouldBe([("stash@{0}", "a"), ("stash@{1}", "b")]);
    }

    [Fact]
    public void ParseBranches_UpstreamStates_AreRead()
    {
        var output = "refs/heads/a\u001f111\u001f\u001f\u001f\n"
            + "refs/heads/b/c\u001f222\u001frefs/remotes/origin/b/c\u001f[gone]\u001forigin\n"
            + "refs/heads/d\u001f333\u001frefs/remotes/up/d\u001f[ahead 1]\u001fup\n";

        var branches = GitPorcelain.ParseBranches(output);

        branches["a"].ShouldBe(new BranchInfo("a", "111", null, false, null));
        branches["b/c"].ShouldBe(new BranchInfo("b/c", "222", "refs/remotes/origin/b/c", true, "origin"));
        branches["d"].UpstreamGone.ShouldBeFalse();
        branches["d"].UpstreamRemote.ShouldBe("up");
    }

    [Fact]
    public void ParseCommits_Lines_AreRead()
    {
        var commits = GitPorcelain.ParseCommits("0123456789abcdef0123\u001fsubject: with colon\nfedc\u001f\n");

        commits.Count.ShouldBe(2);
        commits[0].ToString().ShouldBe("0123456789ab subject: with colon");
        commits[1].Subject.ShouldBe(string.Empty);
    }

    [Fact]
    public void ParseFlaggedIndexEntries_OnlyAssumeUnchangedAndSkipWorktree_AreKept()
    {
        var output = "H 100644 aaa 0\tplain.txt\0h 100644 bbb 0\tassumed.txt\0S 100644 ccc 0\tsparse/x.txt\0s 100644 ddd 0\tboth.txt\0";

        var flagged = GitPorcelain.ParseFlaggedIndexEntries(output);

        flagged.ShouldBe(
        [
            new FlaggedIndexEntry("assumed.txt", "bbb", true, false),
            new FlaggedIndexEntry("sparse/x.txt", "ccc", false, true),
            new FlaggedIndexEntry("both.txt", "ddd", true, true),
        ]);
    }
}
