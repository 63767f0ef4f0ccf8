using Baton.Core.Agents;
using Baton.Core.Errors;

namespace Baton.Tests.Doctor;

/// <summary>
/// <c>baton doctor --fix</c> through the real npm and the npm registry, with the catalog replaced by one tiny package
/// (mkdirp 1.0.4: no dependencies, a bin that answers <c>--version</c>) instead of three agents of ~300 MB each.
/// </summary>
public sealed class DoctorFixNpmTests : IDisposable
{
    private readonly DoctorTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    [Trait("Category", "Network")]
    public async Task Fix_AgentMissing_InstallsIntoToolsFolderAndRechecks()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        var extra = new Dictionary<string, string>
        {
            [AgentCatalog.OverrideVariable] = "mkdirp=mkdirp@1.0.4",
            // A cache of the test's own, so nothing is written to the real ~/.npm.
            ["npm_config_cache"] = Path.Combine(_bed.Root, "npm-cache"),
        };

        var (exitCode, output, _) = await _bed.RunAsync(path, extra, "doctor", "--fix", "--json");

        exitCode.ShouldBe(ExitCodes.Ok, output);
        var fix = DoctorTestBed.Data(output).GetProperty("fix");
        fix.GetProperty("installed").EnumerateArray().Select(e => e.GetString()).ShouldBe(["mkdirp"]);
        fix.GetProperty("command").GetString()!.ShouldContain($"install --prefix {Path.Combine(_bed.BatonHome, "tools")} --no-audit --no-fund mkdirp@1.0.4");
        var mkdirp = DoctorTestBed.Check(output, "mkdirp");
        mkdirp.GetProperty("status").GetString().ShouldBe("ok");
        mkdirp.GetProperty("source").GetString().ShouldBe("tools");
        mkdirp.GetProperty("version").GetString().ShouldBe("1.0.4");
        File.Exists(Path.Combine(_bed.BatonHome, "tools", "node_modules", "mkdirp", "package.json")).ShouldBeTrue();

        var (againExit, again, _) = await _bed.RunAsync(path, extra, "doctor", "--fix", "--json");

        againExit.ShouldBe(ExitCodes.Ok);
        DoctorTestBed.Data(again).GetProperty("fix").GetProperty("installed").GetArrayLength().ShouldBe(0);
    }
}
