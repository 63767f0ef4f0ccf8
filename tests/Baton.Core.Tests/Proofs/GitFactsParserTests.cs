using Baton.Core.Proofs;

namespace Baton.Core.Tests.Proofs;

public class GitFactsParserTests
{
    [Fact]
    public void ParseLog_SubjectsBodiesAndAuthors_AreKept()
    {
        var output = "aaa\u001fAgent <a@x>\u001f2026-03-01T09:00:00+00:00\u001fAdd mul\u001fLonger body\nsecond line\n\u001e\n"
            + "bbb\u001fPerson <p@x>\u001f2026-03-01T08:00:00+01:00\u001fFix | pipes\u001f\u001e\n";

        var commits = GitFactsParser.ParseLog(output);

        commits.Count.ShouldBe(2);
        commits[0].ShouldBe(new ProofCommit("aaa", "Agent <a@x>", new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero), "Add mul", "Longer body\nsecond line"));
        commits[1].Subject.ShouldBe("Fix | pipes");
        commits[1].Body.ShouldBeEmpty();
        commits[1].Date.Offset.ShouldBe(TimeSpan.FromHours(1));
    }

    [Fact]
    public void ParseNumstat_TextBinaryAndOddPaths_AreKept()
    {
        var files = GitFactsParser.ParseNumstat("3\t1\tcalc.sh\0-\t-\tlogo.png\00\t2\tdir/with space\tand tab.txt\0");

        files.ShouldBe([
            new ProofFileChange("calc.sh", 3, 1),
            new ProofFileChange("logo.png", null, null),
            new ProofFileChange("dir/with space\tand tab.txt", 0, 2),
        ]);
        files[1].Binary.ShouldBeTrue();
    }

    [Fact]
    public void ParseNumstat_Empty_IsNoFiles() => GitFactsParser.ParseNumstat(string.Empty).ShouldBeEmpty();
}
