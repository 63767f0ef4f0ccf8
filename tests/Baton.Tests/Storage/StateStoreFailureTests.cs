using Baton.Tests.TestSupport;

namespace Baton.Tests.Storage;

/// <summary>
/// BATON_HOME on a read-only or full file system, through the real CLI: the typed error with a suggestion,
/// exit 1, and the database exactly as it was (checked by reading it back once the mount is gone).
/// </summary>
public sealed class StateStoreFailureTests
{
    [Fact]
    public async Task TaskAdd_ReadOnlyHomeWithDatabase_FailsWithReadOnlyAndChangesNothing()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "Before");
        var before = await world.RunAsync("task", "export");

        CliResult result;
        CliResult human;
        using (await Mount.ReadOnlyAsync(world.Home))
        {
            result = await world.RunAsync("task", "add", "app", "During", "--json");
            human = await world.RunAsync("task", "update", "APP-1", "--title", "Changed");
        }

        result.ExitCode.ShouldBe(1, result.ToString());
        result.ErrorCode.ShouldBe("state_store_read_only");
        result.ErrorSuggestion.ShouldContain("BATON_HOME");
        human.ExitCode.ShouldBe(1);
        human.Stderr.ShouldStartWith("error[state_store_read_only]");
        human.Stderr.ShouldNotContain("   at ");
        (await world.RunAsync("task", "export")).Stdout.ShouldBe(before.Stdout);
    }

    [Fact]
    public async Task TaskAdd_HomeUnderReadOnlyMount_FailsWithReadOnly()
    {
        using var world = await TempWorld.CreateAsync();
        var mountPoint = Path.Combine(world.Root, "ro");
        world.Home = Path.Combine(mountPoint, "home");
        world.Environment["BATON_HOME"] = world.Home;

        CliResult missingHome;
        using (await Mount.TmpfsAsync(mountPoint, "1m", readOnly: true))
        {
            missingHome = await world.RunAsync("task", "add", "app", "X", "--json");
            world.Environment["BATON_HOME"] = mountPoint;
            var emptyHome = await world.RunAsync("task", "list", "--json");
            emptyHome.ErrorCode.ShouldBe("state_store_read_only", emptyHome.ToString());
        }

        missingHome.ExitCode.ShouldBe(1, missingHome.ToString());
        missingHome.ErrorCode.ShouldBe("state_store_read_only");
        missingHome.ErrorSuggestion.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task TaskAdd_FullHome_FailsWithFullAndChangesNothing()
    {
        using var world = await TempWorld.CreateAsync();
        var mountPoint = Path.Combine(world.Root, "small");
        world.Home = Path.Combine(mountPoint, "home");
        world.Environment["BATON_HOME"] = world.Home;

        // Room for the schema and a checkpoint of the first writes (the WAL holds every page of the first migration until
        // then); the filler takes the rest. At 256k the schema of migration 3 left no room to checkpoint at all.
        using (await Mount.TmpfsAsync(mountPoint, "512k"))
        {
            (await world.RunAsync("task", "add", "app", "Before", "--label", "x")).ExitCode.ShouldBe(0);
            var before = await world.RunAsync("task", "export");
            var filler = Path.Combine(mountPoint, "filler");
            Mount.Fill(filler);

            var result = await world.RunAsync("task", "add", "app", "During", "--description", new string('d', 20_000), "--json");
            var human = await world.RunAsync("task", "comment", "APP-1", new string('c', 20_000));

            result.ExitCode.ShouldBe(1, result.ToString());
            result.ErrorCode.ShouldBe("state_store_full");
            result.ErrorSuggestion.ShouldContain("Free space");
            human.ExitCode.ShouldBe(1);
            human.Stderr.ShouldStartWith("error[state_store_full]");

            File.Delete(filler);
            (await world.RunAsync("task", "export")).Stdout.ShouldBe(before.Stdout);
            var next = await world.RunAsync("task", "add", "app", "After", "--json");
            next.Data.GetProperty("identifier").GetString().ShouldBe("APP-2");
        }
    }
}
