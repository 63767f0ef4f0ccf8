using Baton.Core.Configuration;

namespace Baton.Core.Tests.Configuration;

public class ConfigEditorTests
{
    private static readonly KeyValuePair<string, string>[] s_backend = [new("path", "../backend"), new("sessionPrefix", "be")];

    [Fact]
    public void NewFile_OneProject_ParsesBack()
    {
        var text = ConfigEditor.NewFile([new("path", ".")]);

        text.ShouldStartWith("#");
        ConfigParser.Parse(text, "/c/baton.yaml").Projects.ShouldHaveSingleItem().Path.ShouldBe(".");
    }

    [Fact]
    public void AddProject_KeepsCommentsAndOtherEntriesByteForByte()
    {
        const string original = "# my crew\nprojects:\n  # the app\n  - path: ./app   # main one\n    name: App\n\n# trailing note\n";

        var text = ConfigEditor.AddProject(original, s_backend);

        text.ShouldStartWith("# my crew\nprojects:\n  # the app\n  - path: ./app   # main one\n    name: App\n  - path: ../backend\n    sessionPrefix: be\n");
        text.ShouldContain("# trailing note");
        var projects = ConfigParser.Parse(text, "/c/baton.yaml").Projects;
        projects.Select(p => p.Path).ShouldBe(["./app", "../backend"]);
    }

    [Fact]
    public void AddProject_FollowsTheFilesIndentation()
    {
        var text = ConfigEditor.AddProject("projects:\n- path: a\n", s_backend);

        text.ShouldBe("projects:\n- path: a\n- path: ../backend\n  sessionPrefix: be\n");
    }

    [Theory]
    [InlineData("projects:\n")]
    [InlineData("projects: []\n")]
    [InlineData("projects: # none yet\n")]
    [InlineData("other: 1\n")]
    [InlineData("")]
    public void AddProject_NoEntriesYet_CreatesTheList(string original)
    {
        var text = ConfigEditor.AddProject(original, s_backend);

        ConfigParser.Parse(text, "/c/baton.yaml").Projects.ShouldHaveSingleItem().SessionPrefix.ShouldBe("be");
    }

    [Fact]
    public void AddProject_NeedsQuoting_QuotesTheValue()
    {
        var text = ConfigEditor.AddProject("projects:\n  - path: a\n", [new("path", "/srv/my repo: x"), new("name", "yes")]);

        var added = ConfigParser.Parse(text, "/c/baton.yaml").Projects[1];
        added.Path.ShouldBe("/srv/my repo: x");
        added.Name.ShouldBe("yes");
    }

    [Fact]
    public void RemoveProject_Middle_RemovesOnlyItsLines()
    {
        const string original = "projects:\n  - path: a\n    name: A\n  # b is the backend\n  - path: b\n    name: B\n  - path: c\n";

        var text = ConfigEditor.RemoveProject(original, 1);

        text.ShouldBe("projects:\n  - path: a\n    name: A\n  # b is the backend\n  - path: c\n");
    }

    [Fact]
    public void RemoveProject_Last_KeepsTrailingComments()
    {
        var text = ConfigEditor.RemoveProject("projects:\n  - path: a\n  - path: b\n    name: B\n\n# end\n", 1);

        text.ShouldBe("projects:\n  - path: a\n\n# end\n");
    }

    [Fact]
    public void RemoveProject_OnlyEntry_LeavesAnEmptyList()
    {
        var text = ConfigEditor.RemoveProject("# head\nprojects:\n  - path: a\n    name: A\n", 0);

        text.ShouldStartWith("# head\n");
        ConfigParser.Parse(text, "/c/baton.yaml").Projects.ShouldBeEmpty();
    }

    [Fact]
    public void RemoveProject_FlowList_RemovesTheItem()
    {
        var text = ConfigEditor.RemoveProject("projects: [{path: a}, {path: b}]\n", 0);

        ConfigParser.Parse(text, "/c/baton.yaml").Projects.ShouldHaveSingleItem().Path.ShouldBe("b");
    }
}
