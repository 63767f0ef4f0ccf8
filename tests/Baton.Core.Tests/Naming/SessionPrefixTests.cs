using Baton.Core.Naming;

namespace Baton.Core.Tests.Naming;

public class SessionPrefixTests
{
    [Theory]
    [InlineData("integrator", "int")]
    [InlineData("agent-orchestrator", "ao")]
    [InlineData("PyTorch", "pt")]
    [InlineData("safe-split", "ss")]
    [InlineData("api", "api")]
    [InlineData("backend", "bac")]
    public void Generate_SeedExamples_MatchTheSeed(string projectId, string expected) =>
        SessionPrefix.Generate(projectId).ShouldBe(expected);

    [Theory]
    [InlineData("API", "api")]
    [InlineData("Blog", "blog")]
    [InlineData("my_cool_tool", "mct")]
    [InlineData("mixed-with_both", "mw")]
    [InlineData("trailing-", "t")]
    [InlineData("Baton", "bat")]
    [InlineData("MyAPIServer", "mapis")]
    public void Generate_OtherShapes_FollowTheSameRules(string projectId, string expected) =>
        SessionPrefix.Generate(projectId).ShouldBe(expected);

    [Theory]
    [InlineData("int", true)]
    [InlineData("a1", true)]
    [InlineData("my.", false)]
    [InlineData("", false)]
    [InlineData("Upper", false)]
    [InlineData("seventeen-chars-x", false)]
    public void IsValid_Prefix_AcceptsOnlyLowerAlphanumerics(string prefix, bool valid) =>
        SessionPrefix.IsValid(prefix).ShouldBe(valid);
}
