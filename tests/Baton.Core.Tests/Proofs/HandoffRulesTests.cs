using Baton.Core.Proofs;

namespace Baton.Core.Tests.Proofs;

public class HandoffRulesTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static GitFacts Git(int commits = 1, params UncommittedWork[] uncommitted) => new()
    {
        Branch = "baton/APP-1",
        BaseRef = "main",
        BaseCommit = "b" + new string('0', 39),
        HeadCommit = "h" + new string('0', 39),
        Commits = [.. Enumerable.Range(1, commits).Select(i => new ProofCommit($"c{i}", "Agent <a@x>", s_t0, $"commit {i}", string.Empty))],
        Uncommitted = uncommitted,
    };

    private static ValidationResult Result(string command, int? exit, bool timedOut = false, string excerpt = "") =>
        new() { Command = command, ExitCode = exit, TimedOut = timedOut, TimeoutMs = 3000, StartedAt = s_t0, Excerpt = excerpt, Log = "1.log" };

    [Fact]
    public void Judge_GreenCommittedClean_IsReady()
    {
        var verdict = HandoffRules.Judge(new WorkFacts { TaskIdentifier = "APP-1", Git = Git(2), Validation = [Result("./check.sh", 0)] });

        verdict.ShouldBe(new WorkVerdict.Ready("review-ready: 1 validation command(s) passed, 2 commit(s), workspace clean"));
    }

    [Fact]
    public void Judge_NoValidationConfigured_IsReadyWhenCommittedAndClean() =>
        HandoffRules.Judge(new WorkFacts { TaskIdentifier = "APP-1", Git = Git() }).ShouldBeOfType<WorkVerdict.Ready>().Reason.ShouldContain("no validation commands");

    [Fact]
    public void Judge_Uncommitted_SaysWhichFilesAndHowToFixThem()
    {
        var fix = HandoffRules.Judge(new WorkFacts
        {
            TaskIdentifier = "APP-1",
            Git = Git(1, new UncommittedWork("untracked_files", "2 untracked file(s) not ignored", 2, ["notes.txt", "tmp/out.log"])),
        }).ShouldBeOfType<WorkVerdict.NeedsFix>();

        fix.Problems.ShouldBe("uncommitted changes");
        fix.Message.ShouldContain("APP-1");
        fix.Message.ShouldContain("2 untracked file(s) not ignored: notes.txt, tmp/out.log");
        fix.Message.ShouldContain("`git status` is clean");
    }

    [Fact]
    public void Judge_NoCommits_AsksForACommitOnTheBranch()
    {
        var fix = HandoffRules.Judge(new WorkFacts { TaskIdentifier = "APP-1", Git = Git(0) }).ShouldBeOfType<WorkVerdict.NeedsFix>();

        fix.Problems.ShouldBe("no commits");
        fix.Message.ShouldContain("The branch baton/APP-1 has no commit beyond main");
    }

    [Fact]
    public void Judge_FailedAndTimedOutValidation_ListsEachWithTheEndOfItsOutput()
    {
        var fix = HandoffRules.Judge(new WorkFacts
        {
            TaskIdentifier = "APP-1",
            Git = Git(),
            Validation = [Result("./check.sh", 0), Result("npm test", 1, excerpt: "ok 1\nnot ok 2 - adds numbers\n"), Result("sleep 99", null, timedOut: true)],
        }).ShouldBeOfType<WorkVerdict.NeedsFix>();

        fix.Problems.ShouldBe("validation `npm test` exit code 1; validation `sleep 99` timed out after 3000 ms and was killed with its process group");
        fix.Message.ShouldContain("`npm test` exit code 1 (full output in the proof's 1.log). The end of its output:\n```\nok 1\nnot ok 2 - adds numbers\n```");
        fix.Message.ShouldContain("`sleep 99` timed out after 3000 ms");
        fix.Message.ShouldNotContain("./check.sh");
    }

    [Fact]
    public void Judge_HugeOutput_KeepsOnlyTheEndInTheMessage()
    {
        var output = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i}\n"));

        var fix = HandoffRules.Judge(new WorkFacts { TaskIdentifier = "APP-1", Git = Git(), Validation = [Result("make", 2, excerpt: output)] }).ShouldBeOfType<WorkVerdict.NeedsFix>();

        fix.Message.Length.ShouldBeLessThan(HandoffRules.MessageExcerptChars + 800);
        fix.Message.ShouldContain("line 4999");
        fix.Message.ShouldNotContain("line 10\n");
    }

    [Fact]
    public void Judge_NoGit_FailsWithoutAFollowUp() =>
        HandoffRules.Judge(new WorkFacts { TaskIdentifier = "APP-1", GitProblem = "the workspace /w is not a git repository" })
            .ShouldBe(new WorkVerdict.Failed("the workspace /w is not a git repository"));

    [Fact]
    public void Fence_OutputWithBackticks_CannotCloseTheFence()
    {
        var fenced = HandoffRules.Fence("a\n````\nb");

        fenced.ShouldStartWith("`````\n");
        fenced.ShouldEndWith("\n`````");
    }
}
