using Baton.Core.Coordination;

namespace Baton.Core.Tests.Coordination;

public sealed class MergeNotesTests
{
    private static MergeRejection Conflict(params string[] files) => new()
    {
        Kind = MergeRejection.Conflict,
        Branch = "baton/APP-3",
        DefaultBranch = "main",
        Base = "0123456789abcdef0123",
        Files = files,
    };

    [Fact]
    public void ReworkComment_Conflict_NamesEveryFileTheBaseAndHowToComeBack()
    {
        var comment = MergeNotes.ReworkComment(Conflict("src/a.cs", "README.md"), "Merging");

        comment.ShouldStartWith("The merge queue sent this task back: rebasing baton/APP-3 on main (0123456789ab) conflicts in src/a.cs, README.md.");
        comment.ShouldContain("- src/a.cs\n- README.md\n");
        comment.ShouldContain("git rebase main");
        comment.ShouldEndWith("then move the task to Merging again.");
    }

    [Fact]
    public void Reason_ManyConflictingFiles_ListsFiveAndCountsTheRest()
    {
        var files = Enumerable.Range(1, 8).Select(i => $"f{i}.txt").ToArray();

        MergeNotes.Reason(Conflict(files)).ShouldEndWith("conflicts in f1.txt, f2.txt, f3.txt, f4.txt, f5.txt and 3 more");
    }

    [Fact]
    public void ReworkComment_RedValidation_QuotesTheCommandExitCodeAndTheEndOfTheOutput()
    {
        var output = string.Join('\n', Enumerable.Range(1, 100).Select(i => $"line {i}")) + "\n\u001b[31mFAILED\u001b[0m test_login\n";
        var comment = MergeNotes.ReworkComment(
            new MergeRejection { Kind = MergeRejection.ValidationFailed, Branch = "b", DefaultBranch = "main", Base = "abc", Command = "make test", ExitCode = 2, Excerpt = output, LogPath = "/logs/1.log" },
            "Merging");

        comment.ShouldContain("the validation command `make test` exited with 2 after rebasing b on main (abc)");
        comment.ShouldContain("FAILED test_login\n```");
        comment.ShouldNotContain("\u001b");
        comment.ShouldNotContain("line 60\n");
        comment.ShouldContain("line 62\n");
        comment.ShouldContain("The whole output: /logs/1.log");
    }

    [Fact]
    public void Reason_TimedOutValidation_SaysHowLongItHad()
    {
        MergeNotes.Reason(new MergeRejection { Kind = MergeRejection.ValidationTimedOut, Branch = "b", DefaultBranch = "main", Command = "sleep 99", TimeoutMs = 2500 })
            .ShouldBe("the validation command `sleep 99` did not finish within 2.5 s after rebasing b on main (it was killed)");
    }

    [Fact]
    public void Excerpt_CodeFencesAndControlCharacters_CannotBreakTheComment()
    {
        MergeNotes.Excerpt("a```b\r\nc\u0007d\t\n\n").ShouldBe("a'''b\ncd\t");
        MergeNotes.Excerpt(new string('x', 10_000)).Length.ShouldBe(MergeNotes.MaxExcerptChars + 1);
        MergeNotes.Excerpt("   \n").ShouldBeEmpty();
    }

    [Fact]
    public void MergedComment_SaysWhereMainIsHowManyCommitsAndThePush()
    {
        MergeNotes.MergedComment("main", "ffffffffffff0000", "aaaaaaaaaaaa1111", 2, "origin/main", "The workspace was removed.")
            .ShouldBe("Merged by the merge queue: main is now ffffffffffff (2 commits rebased on aaaaaaaaaaaa, validated). Pushed to origin/main. The workspace was removed.");
        MergeNotes.MergedComment("main", "abc", "abc", 0, null, "x").ShouldContain("held nothing that was not in it already");
    }
}
