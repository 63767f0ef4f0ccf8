using Baton.Core.Agents;
using Baton.Core.Doctor;
using Baton.Core.Errors;

namespace Baton.Core.Tests.Doctor;

public class DoctorRulesTests
{
    private static readonly IReadOnlyList<ToolCheck> s_checks = DoctorRules.Checks(AgentCatalog.All);

    private static ToolCheck Check(string name) => s_checks.Single(c => c.Name == name);

    private static ToolProbe Found(string output, int exitCode = 0, ToolSource source = ToolSource.Path) =>
        new("/usr/bin/x", source, exitCode, output);

    [Fact]
    public void Checks_Catalog_RequiresOnlyGitAndTmux()
    {
        s_checks.Where(c => c.Required).Select(c => c.Name).ShouldBe(["git", "tmux"]);
        s_checks.Where(c => c.Kind == "agent").Select(c => c.Name).ShouldBe(["pi", "claude", "codex"]);
        s_checks.Where(c => c.Kind == "agent").ShouldAllBe(c => c.SearchTools);
    }

    [Fact]
    public void Evaluate_NotFound_IsMissingWithFix()
    {
        var outcome = DoctorRules.Evaluate(Check("tmux"), ToolProbe.NotFound);

        outcome.Status.ShouldBe(CheckStatus.Missing);
        outcome.Fix.ShouldBe("apt-get install -y tmux");
        outcome.Blocks.ShouldBeTrue();
    }

    [Fact]
    public void Evaluate_OldTmux_IsTooOld()
    {
        var outcome = DoctorRules.Evaluate(Check("tmux"), Found("tmux 2.9"));

        outcome.Status.ShouldBe(CheckStatus.TooOld);
        outcome.Version.ShouldBe("2.9");
        outcome.Fix!.ShouldStartWith("apt-get install -y tmux");
        outcome.Blocks.ShouldBeTrue();
    }

    [Theory]
    [InlineData("git", "git version 2.39.5", "2.39.5")]
    [InlineData("tmux", "tmux 3.3a", "3.3a")]
    [InlineData("node", "v20.20.2", "20.20.2")]
    [InlineData("claude", "2.1.197 (Claude Code)", "2.1.197")]
    [InlineData("codex", "codex-cli 0.169.0", "0.169.0")]
    [InlineData("pi", "0.73.1", "0.73.1")]
    public void Evaluate_CurrentVersion_IsOk(string name, string output, string shown)
    {
        var outcome = DoctorRules.Evaluate(Check(name), Found(output));

        outcome.Status.ShouldBe(CheckStatus.Ok);
        outcome.Version.ShouldBe(shown);
        outcome.Fix.ShouldBeNull();
    }

    [Fact]
    public void Evaluate_OldAgent_IsTooOldButDoesNotBlock()
    {
        var outcome = DoctorRules.Evaluate(Check("codex"), Found("codex-cli 0.100.0", source: ToolSource.Tools));

        outcome.Status.ShouldBe(CheckStatus.TooOld);
        outcome.Fix.ShouldBe(DoctorRules.FixAgents);
        outcome.Source.ShouldBe(ToolSource.Tools);
        outcome.Blocks.ShouldBeFalse();
    }

    [Fact]
    public void Evaluate_NodeBelowStrictestAgentEngine_Warns()
    {
        var outcome = DoctorRules.Evaluate(Check("node"), Found("v18.19.0"));

        outcome.Status.ShouldBe(CheckStatus.Warn);
        outcome.Detail!.ShouldContain("pi needs node 20.6.0");
    }

    [Fact]
    public void Evaluate_VersionCommandFails_WarnsWithWhatItSaid()
    {
        var outcome = DoctorRules.Evaluate(Check("git"), Found("fatal: broken", exitCode: 128));

        outcome.Status.ShouldBe(CheckStatus.Warn);
        outcome.Detail.ShouldBe("'git --version' exited with 128: fatal: broken");
        outcome.Blocks.ShouldBeFalse();
    }

    [Fact]
    public void Evaluate_ProbeTimedOut_Warns()
    {
        var outcome = DoctorRules.Evaluate(Check("pi"), new ToolProbe("/x/pi", ToolSource.Tools, Failure: "did not answer within 15 s"));

        outcome.Status.ShouldBe(CheckStatus.Warn);
        outcome.Detail.ShouldBe("'pi --version' did not answer within 15 s");
    }

    [Fact]
    public void Evaluate_UnreadableVersionWithMinimum_Warns()
    {
        DoctorRules.Evaluate(Check("tmux"), Found("tmux master")).Status.ShouldBe(CheckStatus.Warn);
    }

    [Fact]
    public void Evaluate_UnreadableVersionWithoutMinimum_IsOkAndShowsOutput()
    {
        var outcome = DoctorRules.Evaluate(Check("npm"), Found("dev build"));

        outcome.Status.ShouldBe(CheckStatus.Ok);
        outcome.Version.ShouldBe("dev build");
    }

    [Fact]
    public void ExitCode_OnlyOptionalProblems_IsOk()
    {
        var outcomes = new[]
        {
            DoctorRules.Evaluate(Check("git"), Found("git version 2.39.5")),
            DoctorRules.Evaluate(Check("tmux"), Found("tmux 3.3a")),
            DoctorRules.Evaluate(Check("pi"), ToolProbe.NotFound),
            DoctorRules.Evaluate(Check("node"), ToolProbe.NotFound),
        };

        DoctorRules.ExitCode(outcomes).ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void ExitCode_GitTooOld_IsFailed()
    {
        var outcomes = new[]
        {
            DoctorRules.Evaluate(Check("git"), Found("git version 2.20.1")),
            DoctorRules.Evaluate(Check("tmux"), Found("tmux 3.3a")),
        };

        DoctorRules.IsHealthy(outcomes).ShouldBeFalse();
        DoctorRules.ExitCode(outcomes).ShouldBe(ExitCodes.Failed);
    }

    [Fact]
    public void AgentsToInstall_MixedOutcomes_ReturnsAgentsNotOk()
    {
        var outcomes = new[]
        {
            DoctorRules.Evaluate(Check("pi"), Found("0.73.1", source: ToolSource.Tools)),
            DoctorRules.Evaluate(Check("claude"), ToolProbe.NotFound),
            DoctorRules.Evaluate(Check("codex"), Found("codex-cli 0.1.0")),
            DoctorRules.Evaluate(Check("tmux"), ToolProbe.NotFound),
        };

        DoctorRules.AgentsToInstall(AgentCatalog.All, outcomes).Select(a => a.Name).ShouldBe(["claude", "codex"]);
    }

    [Theory]
    [InlineData(CheckStatus.Ok, "ok", "ok")]
    [InlineData(CheckStatus.Warn, "warn", "warn")]
    [InlineData(CheckStatus.Missing, "missing", "missing")]
    [InlineData(CheckStatus.TooOld, "too old", "too_old")]
    public void StatusTextAndCode_EachStatus_AreStable(CheckStatus status, string text, string code)
    {
        DoctorRules.StatusText(status).ShouldBe(text);
        DoctorRules.StatusCode(status).ShouldBe(code);
    }
}
