using System.Text.Json;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Cli;

public sealed class TaskImportExportTests
{
    [Fact]
    public async Task Import_OwnExport_ChangesNothing()
    {
        using var world = await SeededWorldAsync();
        var exported = await world.RunAsync("task", "export", "app", "--output", "tasks.jsonl");
        exported.ExitCode.ShouldBe(0, exported.ToString());
        var file = Path.Combine(world.Repo, "tasks.jsonl");
        var before = await File.ReadAllTextAsync(file).WaitAsync(TempWorld.Timeout);
        world.Time.Advance(TimeSpan.FromDays(1));

        var imported = await world.RunAsync("task", "import", "app", "--input", "tasks.jsonl", "--json");
        var again = await world.RunAsync("task", "export");

        imported.ExitCode.ShouldBe(0, imported.ToString());
        imported.Data.GetProperty("added").GetInt32().ShouldBe(0);
        imported.Data.GetProperty("updated").GetInt32().ShouldBe(0);
        imported.Data.GetProperty("unchanged").GetInt32().ShouldBe(4);
        imported.Data.GetProperty("commentsAdded").GetInt32().ShouldBe(0);
        again.Stdout.ShouldBe(before);
    }

    [Fact]
    public async Task Export_Lines_CarryEveryFieldAndComments()
    {
        using var world = await SeededWorldAsync();

        var exported = await world.RunAsync("task", "export");

        var lines = exported.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(4);
        using var second = JsonDocument.Parse(lines[1]);
        var task = second.RootElement;
        task.GetProperty("identifier").GetString().ShouldBe("APP-2");
        task.GetProperty("description").GetString().ShouldBe("Größe ✓");
        task.GetProperty("priority").GetInt32().ShouldBe(1);
        task.GetProperty("labels")[0].GetString().ShouldBe("bug");
        task.GetProperty("blockedBy")[0].GetProperty("identifier").GetString().ShouldBe("APP-1");
        task.GetProperty("comments")[0].GetProperty("body").GetString().ShouldBe("looked at it");
        task.GetProperty("branchName").GetString().ShouldBe("baton/APP-2");
        task.TryGetProperty("project", out _).ShouldBeFalse();
        lines[1].ShouldContain("Größe ✓");
    }

    [Fact]
    public async Task Import_IntoEmptyDatabase_RecreatesIdentifiersAndAdvancesTheCounter()
    {
        using var world = await SeededWorldAsync();
        var exported = (await world.RunAsync("task", "export")).Stdout;
        world.Home = Path.Combine(world.Root, "fresh-home");
        world.Environment["BATON_HOME"] = world.Home;

        var imported = await world.RunInAsync(world.Repo, exported, "task", "import", "--json");
        var reexported = await world.RunAsync("task", "export");
        var next = await world.RunAsync("task", "add", "app", "New", "--json");

        imported.ExitCode.ShouldBe(0, imported.ToString());
        imported.Data.GetProperty("added").GetInt32().ShouldBe(4);
        imported.Data.GetProperty("commentsAdded").GetInt32().ShouldBe(1);
        reexported.Stdout.ShouldBe(exported);
        next.Data.GetProperty("identifier").GetString().ShouldBe("APP-5");
    }

    [Fact]
    public async Task Import_ChangedLine_UpdatesThatTaskByIdentifier()
    {
        using var world = await SeededWorldAsync();
        var line = JsonSerializer.Serialize(new { identifier = "app-3", title = "Renamed", state = "in progress", labels = new[] { "X" }, updatedAt = "2025-04-01T00:00:00+00:00" });

        var imported = await world.RunInAsync(world.Repo, line + "\n", "task", "import", "--json");
        var shown = await world.RunAsync("task", "show", "APP-3", "--json");
        var reimported = await world.RunInAsync(world.Repo, line + "\n", "task", "import", "--json");

        imported.Data.GetProperty("updated").GetInt32().ShouldBe(1, imported.ToString());
        shown.Data.GetProperty("title").GetString().ShouldBe("Renamed");
        shown.Data.GetProperty("state").GetString().ShouldBe("In Progress");
        shown.Data.GetProperty("labels")[0].GetString().ShouldBe("x");
        shown.Data.GetProperty("updatedAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero));
        reimported.Data.GetProperty("unchanged").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task Import_NewLinesWithoutIdentifiers_GetNextIdentifiersAndBlockersByFileOrder()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "Existing");
        var lines = string.Join('\n',
            JsonSerializer.Serialize(new { identifier = "APP-7", title = "Later", blockedBy = new[] { new { identifier = "APP-8" } } }),
            JsonSerializer.Serialize(new { identifier = "APP-8", title = "Earlier" }),
            JsonSerializer.Serialize(new { title = "No identifier" }));

        var imported = await world.RunInAsync(world.Repo, lines, "task", "import", "--json");
        var all = await world.RunAsync("task", "list", "--json");
        var next = await world.RunAsync("task", "add", "app", "Next", "--json");

        imported.Data.GetProperty("added").GetInt32().ShouldBe(3, imported.ToString());
        TaskCommandTests.Identifiers(all.Data).ShouldBe(["APP-1", "APP-2", "APP-7", "APP-8"]);
        all.Data[2].GetProperty("blockedBy")[0].GetProperty("identifier").GetString().ShouldBe("APP-8");
        next.Data.GetProperty("identifier").GetString().ShouldBe("APP-9");
    }

    [Theory]
    [InlineData("{\"title\":\"ok\"}\n{\"title\": \"broken\"\n", 2, "not a JSON task object")]
    [InlineData("{\"title\":\"ok\"}\n\n{\"identifier\":\"APP-1\"}\n", 3, "no title")]
    [InlineData("{\"title\":\"ok\",\"priority\":9}\n", 1, "priority 9")]
    [InlineData("{\"title\":\"ok\"}\n{\"title\":\"ok\",\"state\":\"Shipped\"}\n", 2, "no state 'Shipped'")]
    [InlineData("{\"title\":\"ok\",\"identifier\":\"not an id\"}\n", 1, "not an identifier")]
    [InlineData("{\"title\":\"ok\",\"blockedBy\":[{\"identifier\":\"APP-99\"}]}\n", 1, "APP-99")]
    [InlineData("[1,2]\n", 1, "not a JSON task object")]
    public async Task Import_MalformedLine_FailsNamingTheLineAndImportsNothing(string input, int line, string problem)
    {
        using var world = await SeededWorldAsync();
        var before = (await world.RunAsync("task", "export")).Stdout;

        var result = await world.RunInAsync(world.Repo, input, "task", "import", "--json");

        result.ExitCode.ShouldBe(2, result.ToString());
        result.ErrorCode.ShouldBe("import_invalid");
        result.ErrorMessage.ShouldStartWith($"line {line}: ");
        result.ErrorMessage.ShouldContain(problem);
        result.ErrorSuggestion.ShouldNotBeEmpty();
        (await world.RunAsync("task", "export")).Stdout.ShouldBe(before);
    }

    [Fact]
    public async Task Import_LinesFormingACycle_FailsAndImportsNothing()
    {
        using var world = await TempWorld.CreateAsync();
        var lines = string.Join('\n',
            JsonSerializer.Serialize(new { identifier = "APP-1", title = "A", blockedBy = new[] { new { identifier = "APP-2" } } }),
            JsonSerializer.Serialize(new { identifier = "APP-2", title = "B", blockedBy = new[] { new { identifier = "APP-1" } } }));

        var result = await world.RunInAsync(world.Repo, lines, "task", "import", "--json");

        result.ErrorCode.ShouldBe("blocked_by_cycle", result.ToString());
        result.ErrorMessage.ShouldContain("APP-1 → APP-2 → APP-1");
        (await world.RunAsync("task", "list", "--all", "--json")).Data.GetArrayLength().ShouldBe(0);
    }

    /// <summary>Four tasks covering every field: a blocker, a comment, a closed task, non-ASCII text.</summary>
    private static async Task<TempWorld> SeededWorldAsync()
    {
        var world = await TempWorld.CreateAsync();
        try
        {
            await world.RunAsync("task", "add", "app", "First");
            world.Time.Advance(TimeSpan.FromMinutes(1));
            await world.RunAsync("task", "add", "app", "Second", "--priority", "1", "--label", "Bug", "--blocked-by", "APP-1",
                "--description", "Größe ✓", "--branch-name", "baton/APP-2", "--url", "https://example.com/2", "--assignee", "ana");
            world.Time.Advance(TimeSpan.FromMinutes(1));
            await world.RunAsync("task", "comment", "APP-2", "looked at it", "--author", "bo");
            await world.RunAsync("task", "add", "app", "Third", "--state", "Human Review");
            await world.RunAsync("task", "add", "app", "Fourth");
            world.Time.Advance(TimeSpan.FromMinutes(1));
            await world.RunAsync("task", "close", "APP-4");
            return world;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }
}
