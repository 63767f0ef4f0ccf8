using Baton.Core.Doctor;

namespace Baton.Core.Tests.Doctor;

public class ToolVersionTests
{
    [Theory]
    [InlineData("git version 2.39.5", 2, 39, 5, "")]
    [InlineData("tmux 3.3a", 3, 3, 0, "a")]
    [InlineData("v20.20.2\n", 20, 20, 2, "")]
    [InlineData("2.1.197 (Claude Code)", 2, 1, 197, "")]
    [InlineData("codex-cli 0.169.0", 0, 169, 0, "")]
    [InlineData("0.73.1", 0, 73, 1, "")]
    [InlineData("10.0.401", 10, 0, 401, "")]
    [InlineData("tmux next-3.4", 3, 4, 0, "")]
    [InlineData("git version 2.39.5.windows.1", 2, 39, 5, "")]
    [InlineData("1.2rc1", 1, 2, 0, "")]
    public void Parse_ToolOutput_ReadsFirstVersion(string text, int major, int minor, int patch, string suffix)
    {
        ToolVersion.Parse(text).ShouldBe(new ToolVersion(major, minor, patch, suffix));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("tmux master")]
    [InlineData("version 7")]
    [InlineData("99999999999.1")]
    public void Parse_NoVersion_ReturnsNull(string? text)
    {
        ToolVersion.Parse(text).ShouldBeNull();
    }

    [Theory]
    [InlineData("2.30", "2.39.5", -1)]
    [InlineData("3.3", "3.3a", -1)]
    [InlineData("3.3a", "3.3b", -1)]
    [InlineData("3.10", "3.9", 1)]
    [InlineData("18.0", "v18.0.0", 0)]
    [InlineData("0.169.0", "0.73.1", 1)]
    public void CompareTo_TwoVersions_OrdersNumerically(string left, string right, int expected)
    {
        Math.Sign(ToolVersion.Parse(left)!.Value.CompareTo(ToolVersion.Parse(right)!.Value)).ShouldBe(expected);
    }

    [Fact]
    public void ToString_WithSuffix_KeepsLetter()
    {
        new ToolVersion(3, 3, 0, "a").ToString().ShouldBe("3.3.0a");
    }
}
