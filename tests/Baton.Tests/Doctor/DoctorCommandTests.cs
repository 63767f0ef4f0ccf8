using Baton.Cli.Commands;
using Baton.Core.Agents;
using Baton.Core.Doctor;
using Baton.Core.Errors;

namespace Baton.Tests.Doctor;

public sealed class DoctorCommandTests : IDisposable
{
    private readonly DoctorTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    private void WriteGoodGitAndTmux()
    {
        _bed.WriteProgram(_bed.Bin, "git", "git version 2.39.5");
        _bed.WriteProgram(_bed.Bin, "tmux", "tmux 3.3a");
    }

    [Fact]
    public async Task Doctor_TmuxTooOld_ReportsTooOldAndFails()
    {
        _bed.WriteProgram(_bed.Bin, "git", "git version 2.39.5");
        _bed.WriteProgram(_bed.Bin, "tmux", "tmux 2.9");

        var (exitCode, output, _) = await _bed.RunAsync(_bed.Bin, null, "doctor", "--json");

        exitCode.ShouldBe(ExitCodes.Failed);
        var tmux = DoctorTestBed.Check(output, "tmux");
        tmux.GetProperty("status").GetString().ShouldBe("too_old");
        tmux.GetProperty("version").GetString().ShouldBe("2.9");
        tmux.GetProperty("path").GetString().ShouldBe(Path.Combine(_bed.Bin, "tmux"));
        tmux.GetProperty("fix").GetString()!.ShouldStartWith("apt-get install -y tmux");
        DoctorTestBed.Data(output).GetProperty("healthy").GetBoolean().ShouldBeFalse();
        DoctorTestBed.Check(output, "git").GetProperty("status").GetString().ShouldBe("ok");
    }

    [Fact]
    public async Task Doctor_TmuxNotOnPath_ReportsMissingWithFix()
    {
        _bed.WriteProgram(_bed.Bin, "git", "git version 2.39.5");

        var (exitCode, output, _) = await _bed.RunAsync(_bed.Bin, null, "doctor", "--json");

        exitCode.ShouldBe(ExitCodes.Failed);
        var tmux = DoctorTestBed.Check(output, "tmux");
        tmux.GetProperty("status").GetString().ShouldBe("missing");
        tmux.GetProperty("fix").GetString().ShouldBe("apt-get install -y tmux");
        tmux.GetProperty("required").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Doctor_RequiredPresentAgentsMissing_WarnsAndSucceeds()
    {
        WriteGoodGitAndTmux();

        var (exitCode, output, _) = await _bed.RunAsync(_bed.Bin, null, "doctor", "--json");

        exitCode.ShouldBe(ExitCodes.Ok);
        DoctorTestBed.Data(output).GetProperty("healthy").GetBoolean().ShouldBeTrue();
        foreach (var agent in AgentCatalog.All)
        {
            var check = DoctorTestBed.Check(output, agent.Name);
            check.GetProperty("status").GetString().ShouldBe("missing");
            check.GetProperty("fix").GetString().ShouldBe("baton doctor --fix");
        }

        DoctorTestBed.Check(output, "node").GetProperty("fix").GetString().ShouldBe("apt-get install -y nodejs npm");
    }

    [Fact]
    public async Task Doctor_AgentInToolsFolderAndOnPath_PrefersToolsFolder()
    {
        WriteGoodGitAndTmux();
        var inTools = _bed.WriteProgram(_bed.ToolsBin, "pi", "0.73.1");
        _bed.WriteProgram(_bed.Bin, "pi", "0.1.0");
        _bed.WriteProgram(_bed.Bin, "claude", "2.1.197 (Claude Code)");
        _bed.WriteProgram(_bed.Bin, "codex", "codex-cli 0.100.0");

        var (exitCode, output, _) = await _bed.RunAsync(_bed.Bin, null, "doctor", "--json");

        exitCode.ShouldBe(ExitCodes.Ok);
        var pi = DoctorTestBed.Check(output, "pi");
        pi.GetProperty("status").GetString().ShouldBe("ok");
        pi.GetProperty("version").GetString().ShouldBe("0.73.1");
        pi.GetProperty("source").GetString().ShouldBe("tools");
        pi.GetProperty("path").GetString().ShouldBe(inTools);
        var claude = DoctorTestBed.Check(output, "claude");
        claude.GetProperty("status").GetString().ShouldBe("ok");
        claude.GetProperty("source").GetString().ShouldBe("path");
        DoctorTestBed.Check(output, "codex").GetProperty("status").GetString().ShouldBe("too_old");
    }

    [Fact]
    public async Task Doctor_VersionCommandFails_WarnsWithItsMessage()
    {
        _bed.WriteProgram(_bed.Bin, "git", "fatal: cannot run", exitCode: 3);
        _bed.WriteProgram(_bed.Bin, "tmux", "tmux 3.3a");

        var (exitCode, output, _) = await _bed.RunAsync(_bed.Bin, null, "doctor", "--json");

        exitCode.ShouldBe(ExitCodes.Ok);
        var git = DoctorTestBed.Check(output, "git");
        git.GetProperty("status").GetString().ShouldBe("warn");
        git.GetProperty("detail").GetString().ShouldBe("'git --version' exited with 3: fatal: cannot run");
    }

    [Fact]
    public async Task Doctor_Human_PrintsTableWithStatusesAndFixes()
    {
        _bed.WriteProgram(_bed.Bin, "git", "git version 2.39.5");

        var (exitCode, output, error) = await _bed.RunAsync(_bed.Bin, null, "doctor");

        exitCode.ShouldBe(ExitCodes.Failed);
        error.ShouldBeEmpty();
        output.ShouldContain("CHECK");
        output.ShouldContain("missing");
        output.ShouldContain("apt-get install -y tmux");
        output.ShouldContain("baton doctor --fix");
        output.ShouldContain("git and tmux are required");
    }

    [Fact]
    public async Task Doctor_RealMachinePath_FindsGitAndTmux()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";

        var (exitCode, output, _) = await _bed.RunAsync(path, null, "doctor", "--json");

        exitCode.ShouldBe(ExitCodes.Ok);
        DoctorTestBed.Check(output, "git").GetProperty("status").GetString().ShouldBe("ok");
        DoctorTestBed.Check(output, "tmux").GetProperty("status").GetString().ShouldBe("ok");
        DoctorTestBed.Check(output, "dotnet runtime").GetProperty("version").GetString().ShouldBe(Environment.Version.ToString());
    }

    [Fact]
    public async Task Fix_NpmMissing_FailsWithHowToGetIt()
    {
        WriteGoodGitAndTmux();

        var (exitCode, output, _) = await _bed.RunAsync(_bed.Bin, null, "doctor", "--fix", "--json");

        exitCode.ShouldBe(ExitCodes.Failed);
        output.ShouldContain("\"code\":\"tool_missing\"");
        output.ShouldContain("apt-get install -y nodejs npm");
        Directory.Exists(Path.Combine(_bed.BatonHome, "tools")).ShouldBeFalse();
    }

    [Fact]
    public async Task Fix_NothingMissing_InstallsNothing()
    {
        WriteGoodGitAndTmux();
        _bed.WriteProgram(_bed.Bin, "fake-agent", "1.0.0");

        var (exitCode, output, _) = await _bed.RunAsync(_bed.Bin, new Dictionary<string, string> { [AgentCatalog.OverrideVariable] = "fake-agent=fake-agent@1.0.0" }, "doctor", "--fix", "--json");

        exitCode.ShouldBe(ExitCodes.Ok);
        var fix = DoctorTestBed.Data(output).GetProperty("fix");
        fix.GetProperty("installed").GetArrayLength().ShouldBe(0);
        DoctorTestBed.Check(output, "fake-agent").GetProperty("status").GetString().ShouldBe("ok");
    }

    [Fact]
    public async Task Doctor_MalformedOverride_IsBadUsage()
    {
        WriteGoodGitAndTmux();

        var (exitCode, _, error) = await _bed.RunAsync(_bed.Bin, new Dictionary<string, string> { [AgentCatalog.OverrideVariable] = "nonsense" }, "doctor");

        exitCode.ShouldBe(ExitCodes.BadUsage);
        error.ShouldContain(AgentCatalog.OverrideVariable);
    }

    [Fact]
    public void HelpText_Constant_AgreesWithCatalogAndRules()
    {
        foreach (var agent in AgentCatalog.All)
        {
            DoctorCommand.HelpText.ShouldContain($"{agent.Name} ({agent.Version})");
        }

        DoctorCommand.HelpText.ShouldContain($"git (≥ {DoctorRules.GitMinimum.Major}.{DoctorRules.GitMinimum.Minor})");
        DoctorCommand.HelpText.ShouldContain($"tmux (≥ {DoctorRules.TmuxMinimum.Major}.{DoctorRules.TmuxMinimum.Minor})");
        DoctorCommand.HelpText.ShouldContain($"Node.js (≥ {DoctorRules.NodeMinimum.Major})");
        DoctorCommand.HelpText.ShouldContain(AgentCatalog.OverrideVariable);
    }
}
