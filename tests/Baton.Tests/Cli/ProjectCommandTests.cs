using System.CommandLine;
using Baton.Cli;
using Baton.Core.Naming;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Cli;

public sealed class ProjectCommandTests
{
    private static async Task<string> NewRepositoryAsync(TempWorld world, string name)
    {
        var path = Path.Combine(world.Root, name);
        Directory.CreateDirectory(path);
        await TestRepository.GitInAsync(path, "init", "-q", "-b", "main");
        await TestRepository.GitInAsync(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init");
        return path;
    }

    [Fact]
    public async Task Init_Repository_WritesConfigAndDerivesEverything()
    {
        using var world = await TempWorld.CreateAsync("integrator");

        var info = await world.RunAsync("info", "--json");

        info.ExitCode.ShouldBe(0, info.ToString());
        var data = info.Data;
        data.GetProperty("configPath").GetString().ShouldBe(world.ConfigPath);
        data.GetProperty("configHash").GetString().ShouldBe(InstanceNaming.ConfigHash(world.Repo));
        data.GetProperty("batonHome").GetString().ShouldBe(world.Home);
        var project = data.GetProperty("projects")[0];
        project.GetProperty("id").GetString().ShouldBe("integrator");
        project.GetProperty("sessionPrefix").GetString().ShouldBe("int");
        project.GetProperty("defaultBranch").GetString().ShouldBe("main");
        project.GetProperty("instanceDirectory").GetString().ShouldBe(Path.Combine(world.Home, $"{InstanceNaming.ConfigHash(world.Repo)}-integrator"));
        (await File.ReadAllTextAsync(world.ConfigPath)).ShouldContain("- path: .");
    }

    [Fact]
    public async Task Init_ConfigExists_RefusesAndKeepsTheFile()
    {
        using var world = await TempWorld.CreateAsync();
        var before = await File.ReadAllTextAsync(world.ConfigPath);

        var result = await world.RunAsync("init", "--json");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("config_exists");
        result.ErrorSuggestion.ShouldContain("project add");
        (await File.ReadAllTextAsync(world.ConfigPath)).ShouldBe(before);
    }

    [Fact]
    public async Task Init_PathThatDoesNotExist_IsProjectPathNotFound()
    {
        using var world = await TempWorld.CreateAsync();
        var elsewhere = Directory.CreateDirectory(Path.Combine(world.Root, "elsewhere")).FullName;

        var result = await world.RunInAsync(elsewhere, null, "init", Path.Combine(world.Root, "nope"), "--json");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("project_path_not_found");
        File.Exists(Path.Combine(elsewhere, "baton.yaml")).ShouldBeFalse();
    }

    [Fact]
    public async Task Init_NotAGitRepository_IsRefusedWithAGitInitSuggestion()
    {
        using var world = await TempWorld.CreateAsync();
        var plain = Directory.CreateDirectory(Path.Combine(world.Root, "plain")).FullName;

        var result = await world.RunInAsync(plain, null, "init", "--json");

        result.ErrorCode.ShouldBe("project_not_git_repository");
        result.ErrorSuggestion.ShouldContain("git init");
        File.Exists(Path.Combine(plain, "baton.yaml")).ShouldBeFalse();
    }

    [Fact]
    public async Task ProjectAdd_SecondRepository_AppendsItAndKeepsComments()
    {
        using var world = await TempWorld.CreateAsync();
        await File.AppendAllTextAsync(world.ConfigPath, "# keep me\n");
        var backend = await NewRepositoryAsync(world, "backend");

        var added = await world.RunAsync("project", "add", backend, "--prefix", "be", "--json");

        added.ExitCode.ShouldBe(0, added.ToString());
        added.Data.GetProperty("sessionPrefix").GetString().ShouldBe("be");
        var text = await File.ReadAllTextAsync(world.ConfigPath);
        text.ShouldContain("# keep me");
        text.ShouldContain("sessionPrefix: be");
        var list = await world.RunAsync("project", "list", "--json");
        list.Data.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ShouldBe(["app", "backend"]);
    }

    [Fact]
    public async Task ProjectAdd_SameRepositoryTwice_IsDuplicateAndChangesNothing()
    {
        using var world = await TempWorld.CreateAsync();
        var before = await File.ReadAllTextAsync(world.ConfigPath);

        var result = await world.RunAsync("project", "add", world.Repo, "--prefix", "x", "--json");

        result.ErrorCode.ShouldBe("project_duplicate");
        (await File.ReadAllTextAsync(world.ConfigPath)).ShouldBe(before);
    }

    [Fact]
    public async Task ProjectAdd_PrefixClash_AsksForSessionPrefixAndChangesNothing()
    {
        using var world = await TempWorld.CreateAsync("backend");
        var other = await NewRepositoryAsync(world, "bachelor");
        var before = await File.ReadAllTextAsync(world.ConfigPath);

        var clash = await world.RunAsync("project", "add", other, "--json");
        var fixedUp = await world.RunAsync("project", "add", other, "--prefix", "bch", "--json");

        clash.ErrorCode.ShouldBe("session_prefix_conflict");
        clash.ErrorSuggestion.ShouldContain("sessionPrefix");
        fixedUp.ExitCode.ShouldBe(0, fixedUp.ToString());
        (await File.ReadAllTextAsync(world.ConfigPath)).ShouldStartWith(before);
    }

    [Fact]
    public async Task ProjectAdd_BranchThatDoesNotExist_IsBranchNotFound()
    {
        using var world = await TempWorld.CreateAsync();
        var other = await NewRepositoryAsync(world, "other");

        var result = await world.RunAsync("project", "add", other, "--branch", "develop", "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("branch_not_found");
    }

    [Fact]
    public async Task ProjectRemove_Project_LeavesTheRepositoryAlone()
    {
        using var world = await TempWorld.CreateAsync();
        var other = await NewRepositoryAsync(world, "other");
        (await world.RunAsync("project", "add", other)).ExitCode.ShouldBe(0);

        var removed = await world.RunAsync("project", "remove", "other", "--json");
        var unknown = await world.RunAsync("project", "remove", "nope", "--json");

        removed.ExitCode.ShouldBe(0, removed.ToString());
        Directory.Exists(Path.Combine(other, ".git")).ShouldBeTrue();
        (await File.ReadAllTextAsync(world.ConfigPath)).ShouldNotContain("other");
        unknown.ErrorCode.ShouldBe("project_not_found");
    }

    [Fact]
    public async Task AnyCommand_MalformedYaml_ReportsLineAndColumn()
    {
        using var world = await TempWorld.CreateAsync();
        await File.WriteAllTextAsync(world.ConfigPath, "projects:\n  - path: .\n    name: [oops\n");

        var result = await world.RunAsync("project", "list", "--json");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("config_parse_error");
        result.ErrorMessage.ShouldMatch(@"^baton\.yaml:\d+:\d+: ");
    }

    [Fact]
    public async Task AnyCommand_UnknownKey_WarnsNamingTheKeyAndCarriesOn()
    {
        using var world = await TempWorld.CreateAsync();
        await File.AppendAllTextAsync(world.ConfigPath, "    sesionPrefix: typo\n");

        var result = await world.RunAsync("project", "list", "--json");

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stderr.ShouldContain("unknown key 'projects[0].sesionPrefix'");
        result.Data.GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task Discovery_FromASubdirectoryAndThroughBatonConfig_FindsTheFile()
    {
        using var world = await TempWorld.CreateAsync();
        var sub = Directory.CreateDirectory(Path.Combine(world.Repo, "src", "deep")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(world.Root, "outside")).FullName;

        var walked = await world.RunInAsync(sub, null, "info", "--json");
        var none = await world.RunInAsync(outside, null, "project", "list", "--json");
        world.Environment["BATON_CONFIG"] = world.ConfigPath;
        var viaVariable = await world.RunInAsync(outside, null, "info", "--json");
        var viaOption = await world.RunInAsync(outside, null, "info", "--config", world.Repo, "--json");

        walked.Data.GetProperty("configPath").GetString().ShouldBe(world.ConfigPath);
        none.ErrorCode.ShouldBe("config_not_found");
        none.ErrorSuggestion.ShouldContain("baton init");
        viaVariable.Data.GetProperty("configPath").GetString().ShouldBe(world.ConfigPath);
        viaOption.Data.GetProperty("configPath").GetString().ShouldBe(world.ConfigPath);
    }

    [Fact]
    public async Task BadUsage_UnknownCommandOrOption_ExitsTwoWithTheEnvelope()
    {
        using var world = await TempWorld.CreateAsync();

        var unknown = await world.RunAsync("frobnicate", "--json");
        var badOption = await world.RunAsync("project", "list", "--colour", "--json");

        unknown.ExitCode.ShouldBe(2);
        unknown.ErrorCode.ShouldBe("bad_usage");
        badOption.ExitCode.ShouldBe(2);
        badOption.ErrorSuggestion.ShouldContain("baton project list --help");
    }

    [Fact]
    public async Task Version_PrintsTheVersion()
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("--version");

        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldStartWith("0.1.0");
    }

    [Fact]
    public void Help_EveryCommand_HasADescriptionWithExamples()
    {
        var root = BatonApp.CreateRootCommand(new CliContext(TextWriter.Null, TextWriter.Null, TextReader.Null, new Dictionary<string, string>(), "/"));
        var missing = new List<string>();

        void Visit(Command command, string path)
        {
            foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            {
                var name = $"{path} {sub.Name}";
                if (sub.Subcommands.Count == 0 && (sub.Description is null || !sub.Description.Contains("Example", StringComparison.Ordinal)))
                {
                    missing.Add(name);
                }

                Visit(sub, name);
            }
        }

        Visit(root, "baton");
        missing.ShouldBeEmpty();
    }
}
