using Baton.Core.Configuration;
using Baton.Core.Errors;

namespace Baton.Core.Tests.Configuration;

public class ConfigParserTests
{
    private const string File = "/conf/baton.yaml";

    [Fact]
    public void Parse_OnlyPath_LeavesEverythingElseToDerive()
    {
        var config = ConfigParser.Parse("projects:\n  - path: ~/repos/integrator\n", File);

        var project = config.Projects.ShouldHaveSingleItem();
        project.Path.ShouldBe("~/repos/integrator");
        project.Id.ShouldBeNull();
        project.SessionPrefix.ShouldBeNull();
        project.States.ShouldBeNull();
        project.Line.ShouldBe(2);
        config.Warnings.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_AllKeys_AreRead()
    {
        var config = ConfigParser.Parse(
            """
            projects:
              - path: ../backend
                id: be-api
                name: Backend API
                repo: acme/backend
                defaultBranch: next
                sessionPrefix: be
                states:
                  active: [Todo, Doing]
                  handoff: Review
                  terminal: [Done]
                  inactive: [Backlog]
            """, File);

        var p = config.Projects.ShouldHaveSingleItem();
        (p.Id, p.Name, p.Repo, p.DefaultBranch, p.SessionPrefix).ShouldBe(("be-api", "Backend API", "acme/backend", "next", "be"));
        p.States!.Active.ShouldBe(["Todo", "Doing", "Rework"]);
        p.States.Handoff.ShouldBe(["Review", "Merging"]);
        p.States.Terminal.ShouldBe(["Done"]);
        p.States.Inactive.ShouldBe(["Backlog"]);
    }

    [Fact]
    public void Parse_MergeAndReworkStates_AreNamedAndAddedToTheirLists()
    {
        var config = ConfigParser.Parse(
            """
            projects:
              - path: .
                states:
                  merge: Ready to land
                  rework: Changes requested
            """, File);

        var states = config.Projects.ShouldHaveSingleItem().States!;
        (states.Merge, states.Rework).ShouldBe(("Ready to land", "Changes requested"));
        states.Active.ShouldBe(["Todo", "In Progress", "Changes requested"]);
        states.Handoff.ShouldBe(["Human Review", "Ready to land"]);
    }

    [Fact]
    public void Parse_MergeStateListedByHand_KeepsTheListAndItsSpelling()
    {
        var config = ConfigParser.Parse(
            """
            projects:
              - path: .
                states:
                  active: [Todo, fix it]
                  inactive: [queued]
                  merge: Queued
                  rework: Fix It
            """, File);

        var states = config.Projects.ShouldHaveSingleItem().States!;
        states.Active.ShouldBe(["Todo", "fix it"]);
        states.Inactive.ShouldBe(["queued"]);
        states.Handoff.ShouldBe(["Human Review"]);
        (states.Merge, states.Rework).ShouldBe(("queued", "fix it"));
    }

    [Theory]
    [InlineData("merge: Todo", "the merge state 'Todo' is active")]
    [InlineData("merge: Done", "the merge state 'Done' is terminal")]
    [InlineData("rework: Human Review", "the rework state 'Human Review' is not active")]
    [InlineData("rework: Merging", "are both 'Merging'")]
    [InlineData("merge: [a, b]", "states.merge must be a plain value")]
    public void Parse_UnworkableQueueStates_AreConfigInvalid(string line, string expected)
    {
        var error = Should.Throw<BatonException>(() => ConfigParser.Parse($"projects:\n  - path: .\n    states:\n      {line}\n", File));

        error.Code.ShouldBe(ErrorCodes.ConfigInvalid);
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void Parse_UnknownKeys_AreWarningsNamingTheKey()
    {
        var config = ConfigParser.Parse("projects:\n  - path: .\n    prefx: x\ncolour: blue\n", File);

        config.Warnings.Select(w => w.Key).ShouldBe(["projects[0].prefx", "colour"], ignoreOrder: true);
        config.Warnings.Single(w => w.Key == "colour").Line.ShouldBe(4);
    }

    [Fact]
    public void Parse_MalformedYaml_FailsWithLineAndColumn()
    {
        var error = Should.Throw<BatonException>(() => ConfigParser.Parse("projects:\n  - path: [unclosed\n  - path: b\n", File));

        error.Code.ShouldBe(ErrorCodes.ConfigParseError);
        error.Message.ShouldStartWith("baton.yaml:");
        error.Message.ShouldMatch(@"baton\.yaml:\d+:\d+: .+");
        error.Suggestion.ShouldContain("line");
    }

    [Fact]
    public void Parse_TabIndentation_FailsWithLineAndColumn()
    {
        var error = Should.Throw<BatonException>(() => ConfigParser.Parse("projects:\n\t- path: a\n", File));

        error.Code.ShouldBe(ErrorCodes.ConfigParseError);
        error.Message.ShouldContain("baton.yaml:2:");
    }

    [Theory]
    [InlineData("- a\n- b\n", "must be a mapping")]
    [InlineData("projects: hello\n", "'projects' must be a list")]
    [InlineData("projects:\n  - name: no path\n", "has no 'path'")]
    [InlineData("projects:\n  - just-a-string\n", "must be a mapping")]
    [InlineData("projects:\n  - path: [a, b]\n", "must be a plain value")]
    [InlineData("projects:\n  - path: .\n    states:\n      active: []\n", "at least one active")]
    [InlineData("projects:\n  - path: .\n    states:\n      active: [Todo]\n      terminal: [todo]\n", "more than once")]
    public void Parse_WrongShapes_AreConfigInvalidWithPosition(string yaml, string fragment)
    {
        var error = Should.Throw<BatonException>(() => ConfigParser.Parse(yaml, File));

        error.Code.ShouldBe(ErrorCodes.ConfigInvalid);
        error.Message.ShouldContain(fragment);
        error.Message.ShouldMatch(@"^baton\.yaml:\d+:\d+: ");
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("projects:\n")]
    [InlineData("projects: []\n")]
    public void Parse_Empty_HasNoProjects(string yaml) =>
        ConfigParser.Parse(yaml, File).Projects.ShouldBeEmpty();
}
