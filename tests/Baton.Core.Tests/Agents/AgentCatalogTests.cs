using Baton.Core.Agents;
using Baton.Core.Errors;

namespace Baton.Core.Tests.Agents;

public class AgentCatalogTests
{
    [Fact]
    public void All_PinnedAgents_MatchTheVerifiedVersions()
    {
        AgentCatalog.All.Select(a => a.PackageSpec).ShouldBe(
        [
            "@mariozechner/pi-coding-agent@0.73.1",
            "@anthropic-ai/claude-code@2.1.197",
            "@openai/codex@0.169.0",
        ]);
        AgentCatalog.All.Select(a => a.Binary).ShouldBe(["pi", "claude", "codex"]);
    }

    [Fact]
    public void BinDirectory_BatonHome_IsUnderTools()
    {
        AgentCatalog.ToolsDirectory("/h/.baton").ShouldBe("/h/.baton/tools");
        AgentCatalog.BinDirectory("/h/.baton").ShouldBe("/h/.baton/tools/node_modules/.bin");
    }

    [Fact]
    public void NpmInstallArguments_Tools_InstallsUnderPrefixWithPinnedSpecs()
    {
        AgentCatalog.NpmInstallArguments("/h/.baton", [AgentCatalog.Pi, AgentCatalog.Codex]).ShouldBe(
            ["install", "--prefix", "/h/.baton/tools", "--no-audit", "--no-fund", "@mariozechner/pi-coding-agent@0.73.1", "@openai/codex@0.169.0"]);
    }

    [Fact]
    public void Resolve_NoOverride_ReturnsCatalog()
    {
        AgentCatalog.Resolve(null).ShouldBeSameAs(AgentCatalog.All);
        AgentCatalog.Resolve("  ").ShouldBeSameAs(AgentCatalog.All);
    }

    [Fact]
    public void Resolve_Override_ParsesScopedAndPlainPackages()
    {
        var tools = AgentCatalog.Resolve("mkdirp=mkdirp@1.0.4, x=@scope/thing@2.0.0");

        tools.ShouldBe([new AgentTool("mkdirp", "mkdirp", "1.0.4", "mkdirp"), new AgentTool("x", "@scope/thing", "2.0.0", "x")]);
    }

    [Theory]
    [InlineData("mkdirp")]
    [InlineData("mkdirp=mkdirp")]
    [InlineData("=mkdirp@1.0.4")]
    [InlineData("x=@scope/thing")]
    [InlineData("x=mkdirp@")]
    public void Resolve_MalformedOverride_ThrowsUsage(string value)
    {
        var error = Should.Throw<BatonException>(() => AgentCatalog.Resolve(value));

        error.ExitCode.ShouldBe(ExitCodes.BadUsage);
        error.Message.ShouldContain(AgentCatalog.OverrideVariable);
    }
}
