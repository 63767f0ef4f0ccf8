using System.Text.Json;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Cli;

public sealed class TaskCommandTests
{
    [Fact]
    public async Task Add_FirstTasks_GetConsecutiveUpperCaseIdentifiers()
    {
        using var world = await TempWorld.CreateAsync();

        var first = await world.RunAsync("task", "add", "app", "First", "--json");
        var second = await world.RunAsync("task", "add", "app", "Second", "--priority", "2", "--label", " Bug ", "--label", "bug", "--label", "UI", "--json");

        first.ExitCode.ShouldBe(0, first.ToString());
        first.Data.GetProperty("identifier").GetString().ShouldBe("APP-1");
        first.Data.GetProperty("state").GetString().ShouldBe("Todo");
        first.Data.GetProperty("id").GetString()!.Length.ShouldBe(16);
        second.Data.GetProperty("identifier").GetString().ShouldBe("APP-2");
        second.Data.GetProperty("priority").GetInt32().ShouldBe(2);
        Strings(second.Data.GetProperty("labels")).ShouldBe(["bug", "ui"]);
        second.Data.GetProperty("createdAt").GetDateTimeOffset().ShouldBe(world.Time.GetUtcNow());
    }

    [Fact]
    public async Task Add_StateInOtherCase_StoresTheProjectsSpelling()
    {
        using var world = await TempWorld.CreateAsync();

        var added = await world.RunAsync("task", "add", "app", "Started", "--state", "in PROGRESS", "--json");

        added.Data.GetProperty("state").GetString().ShouldBe("In Progress");
    }

    [Fact]
    public async Task Add_UnknownState_FailsWithUnknownStateListingTheStates()
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("task", "add", "app", "X", "--state", "Blocked", "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("unknown_state");
        result.ErrorSuggestion.ShouldContain("Todo, In Progress, Rework, Human Review, Merging, Done, Cancelled");
        await ShouldHaveNoTasksAsync(world);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    [InlineData("-1")]
    public async Task Add_PriorityOutsideOneToFour_FailsWithInvalidPriority(string priority)
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("task", "add", "app", "X", "--priority", priority, "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("invalid_priority");
        result.ErrorSuggestion.ShouldNotBeEmpty();
        await ShouldHaveNoTasksAsync(world);
    }

    [Fact]
    public async Task Add_BlockedByUnknownTask_FailsWithTaskNotFoundAndAddsNothing()
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("task", "add", "app", "X", "--blocked-by", "APP-7", "--json");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("task_not_found");
        result.ErrorMessage.ShouldContain("APP-7");
        await ShouldHaveNoTasksAsync(world);

        // The failed insert did not use up an identifier.
        var next = await world.RunAsync("task", "add", "app", "Y", "--json");
        next.Data.GetProperty("identifier").GetString().ShouldBe("APP-1");
    }

    [Fact]
    public async Task Add_EmptyTitle_FailsWithInvalidTaskField()
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("task", "add", "app", "  ", "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("invalid_task_field");
    }

    [Fact]
    public async Task Show_UnknownTask_FailsWithTaskNotFoundExitOne()
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("task", "show", "APP-42", "--json");
        var human = await world.RunAsync("task", "show", "APP-42");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("task_not_found");
        result.ErrorSuggestion.ShouldNotBeEmpty();
        human.Stderr.ShouldStartWith("error[task_not_found]: no task APP-42");
        human.Stdout.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("banana")]
    [InlineData("APP-")]
    [InlineData("APP-x")]
    [InlineData("-3")]
    [InlineData("APP 3")]
    public async Task Show_MalformedId_FailsWithInvalidTaskIdExitTwo(string id)
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("task", "show", id, "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("invalid_task_id");
        result.ErrorSuggestion.ShouldContain("INT-12");
    }

    [Fact]
    public async Task Show_LowerCaseIdentifierOrStableId_FindsTheTaskWithBlockersAndComments()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "Blocker");
        var added = await world.RunAsync("task", "add", "app", "Blocked", "--blocked-by", "app-1", "--json");
        world.Time.Advance(TimeSpan.FromMinutes(1));
        await world.RunAsync("task", "comment", "APP-2", "First note", "--author", "ana");
        world.Time.Advance(TimeSpan.FromMinutes(1));
        await world.RunAsync("task", "comment", "APP-2", "Second note");

        var byIdentifier = await world.RunAsync("task", "show", "app-2", "--json");
        var byId = await world.RunAsync("task", "show", added.Data.GetProperty("id").GetString()!, "--json");

        byIdentifier.Data.GetProperty("identifier").GetString().ShouldBe("APP-2");
        var blocker = byIdentifier.Data.GetProperty("blockedBy")[0];
        blocker.GetProperty("identifier").GetString().ShouldBe("APP-1");
        blocker.GetProperty("state").GetString().ShouldBe("Todo");
        var comments = byIdentifier.Data.GetProperty("comments");
        comments.GetArrayLength().ShouldBe(2);
        comments[0].GetProperty("author").GetString().ShouldBe("ana");
        comments[0].GetProperty("body").GetString().ShouldBe("First note");
        comments[1].GetProperty("author").GetString().ShouldBe("human");
        byId.Data.GetProperty("identifier").GetString().ShouldBe("APP-2");
    }

    [Fact]
    public async Task Comment_NoAuthor_UsesBatonSessionThenUser()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "T");
        world.Environment["USER"] = "ana";
        var byUser = await world.RunAsync("task", "comment", "APP-1", "one", "--json");
        world.Environment["BATON_SESSION"] = "app-1";

        var bySession = await world.RunAsync("task", "comment", "APP-1", "two", "--json");

        byUser.Data.GetProperty("author").GetString().ShouldBe("ana");
        bySession.Data.GetProperty("author").GetString().ShouldBe("app-1");
    }

    [Fact]
    public async Task Update_ChangesFields_MovesUpdatedAtAndKeepsTheRest()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "Old", "--label", "a", "--label", "b", "--assignee", "ana");
        world.Time.Advance(TimeSpan.FromHours(1));

        var updated = await world.RunAsync(
            "task", "update", "APP-1", "--title", "New", "--state", "human review", "--add-label", "C", "--remove-label", "a",
            "--priority", "3", "--branch-name", "baton/APP-1", "--url", "https://example.com/1", "--description", "Why", "--json");

        updated.ExitCode.ShouldBe(0, updated.ToString());
        var data = updated.Data;
        data.GetProperty("title").GetString().ShouldBe("New");
        data.GetProperty("state").GetString().ShouldBe("Human Review");
        Strings(data.GetProperty("labels")).ShouldBe(["b", "c"]);
        data.GetProperty("priority").GetInt32().ShouldBe(3);
        data.GetProperty("branchName").GetString().ShouldBe("baton/APP-1");
        data.GetProperty("url").GetString().ShouldBe("https://example.com/1");
        data.GetProperty("description").GetString().ShouldBe("Why");
        data.GetProperty("assignee").GetString().ShouldBe("ana");
        data.GetProperty("updatedAt").GetDateTimeOffset().ShouldBe(world.Time.GetUtcNow());
        data.GetProperty("createdAt").GetDateTimeOffset().ShouldBe(world.Time.GetUtcNow() - TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task Update_NothingChanges_KeepsUpdatedAt()
    {
        using var world = await TempWorld.CreateAsync();
        var added = await world.RunAsync("task", "add", "app", "Same", "--json");
        world.Time.Advance(TimeSpan.FromHours(1));

        var updated = await world.RunAsync("task", "update", "APP-1", "--title", "Same", "--json");

        updated.Data.GetProperty("updatedAt").GetDateTimeOffset().ShouldBe(added.Data.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Update_BlockedByCycle_FailsListingTheCycleAndChangesNothing()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "A");
        await world.RunAsync("task", "add", "app", "B", "--blocked-by", "APP-1");
        await world.RunAsync("task", "add", "app", "C", "--blocked-by", "APP-2");

        var result = await world.RunAsync("task", "update", "APP-1", "--add-blocked-by", "APP-3", "--title", "A2", "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("blocked_by_cycle");
        result.ErrorMessage.ShouldContain("APP-1 → APP-3 → APP-2 → APP-1");
        var after = await world.RunAsync("task", "show", "APP-1", "--json");
        after.Data.GetProperty("title").GetString().ShouldBe("A");
        after.Data.GetProperty("blockedBy").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Update_BlockedBySelf_FailsWithCycle()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "A");

        var result = await world.RunAsync("task", "update", "APP-1", "--add-blocked-by", "app-1", "--json");

        result.ErrorCode.ShouldBe("blocked_by_cycle");
        result.ErrorMessage.ShouldContain("APP-1 → APP-1");
    }

    [Fact]
    public async Task Update_RemoveBlockedBy_UnblocksTheTask()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "A");
        await world.RunAsync("task", "add", "app", "B", "--blocked-by", "APP-1");

        var updated = await world.RunAsync("task", "update", "APP-2", "--remove-blocked-by", "APP-1", "--json");

        updated.Data.GetProperty("blockedBy").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Update_UnknownState_FailsAndChangesNothing()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "A");

        var result = await world.RunAsync("task", "update", "APP-1", "--state", "Shipped", "--title", "B", "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("unknown_state");
        (await world.RunAsync("task", "show", "APP-1", "--json")).Data.GetProperty("title").GetString().ShouldBe("A");
    }

    [Fact]
    public async Task Close_NoState_UsesTheFirstTerminalStateAndHidesTheTaskFromList()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "A");
        await world.RunAsync("task", "add", "app", "B");

        var closed = await world.RunAsync("task", "close", "APP-1", "--json");
        var cancelled = await world.RunAsync("task", "close", "APP-2", "--state", "cancelled", "--json");
        var open = await world.RunAsync("task", "list", "--json");
        var all = await world.RunAsync("task", "list", "--all", "--json");

        closed.Data.GetProperty("state").GetString().ShouldBe("Done");
        cancelled.Data.GetProperty("state").GetString().ShouldBe("Cancelled");
        open.Data.GetArrayLength().ShouldBe(0);
        all.Data.GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task Close_NonTerminalState_IsRefused()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "A");

        var result = await world.RunAsync("task", "close", "APP-1", "--state", "Todo", "--json");

        result.ExitCode.ShouldBe(2);
        result.ErrorCode.ShouldBe("unknown_state");
        result.ErrorSuggestion.ShouldContain("Done, Cancelled");
    }

    [Fact]
    public async Task List_FiltersByStateLabelAndReady()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "A", "--label", "bug");
        await world.RunAsync("task", "add", "app", "B", "--label", "bug", "--blocked-by", "APP-1");
        await world.RunAsync("task", "add", "app", "C", "--state", "Human Review", "--label", "bug");
        await world.RunAsync("task", "add", "app", "D", "--state", "Done");

        var bugs = await world.RunAsync("task", "list", "--label", "BUG", "--json");
        var review = await world.RunAsync("task", "list", "app", "--state", "human review", "--json");
        var done = await world.RunAsync("task", "list", "--state", "done", "--json");
        var ready = await world.RunAsync("task", "list", "--ready", "--json");

        Identifiers(bugs.Data).ShouldBe(["APP-1", "APP-2", "APP-3"]);
        Identifiers(review.Data).ShouldBe(["APP-3"]);
        Identifiers(done.Data).ShouldBe(["APP-4"]);
        Identifiers(ready.Data).ShouldBe(["APP-1"]);
        bugs.Data[0].TryGetProperty("comments", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task List_HumanOutput_EscapesMarkupInTitles()
    {
        using var world = await TempWorld.CreateAsync();
        await world.RunAsync("task", "add", "app", "Fix [red]the[/] parser");

        var result = await world.RunAsync("task", "list");

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stdout.ShouldContain("Fix [red]the[/] parser");
    }

    [Fact]
    public async Task Ready_SortsLikeSymphony_PriorityThenCreatedAtThenIdentifier()
    {
        using var world = await TempWorld.CreateAsync();

        // Same created_at for APP-9..APP-11 so the identifier decides, numerically.
        await world.RunAsync("task", "add", "app", "no priority, oldest");                   // APP-1
        world.Time.Advance(TimeSpan.FromSeconds(1));
        await world.RunAsync("task", "add", "app", "p4", "--priority", "4");                  // APP-2
        world.Time.Advance(TimeSpan.FromSeconds(1));
        await world.RunAsync("task", "add", "app", "p1 newer", "--priority", "1");            // APP-3
        await world.RunAsync("task", "add", "app", "blocker", "--priority", "1");             // APP-4 (same time as APP-3)
        world.Time.Advance(TimeSpan.FromSeconds(1));
        await world.RunAsync("task", "add", "app", "blocked p1", "--priority", "1", "--blocked-by", "APP-4");  // APP-5
        await world.RunAsync("task", "add", "app", "p2 in review", "--priority", "2", "--state", "Human Review"); // APP-6
        await world.RunAsync("task", "add", "app", "p2 in progress", "--priority", "2", "--state", "In Progress"); // APP-7
        await world.RunAsync("task", "add", "app", "closed p1", "--priority", "1", "--state", "Done");   // APP-8
        for (var i = 9; i <= 11; i++)
        {
            await world.RunAsync("task", "add", "app", $"p3 #{i}", "--priority", "3");
        }

        world.Time.Advance(TimeSpan.FromSeconds(-100));
        await world.RunAsync("task", "add", "app", "p3 oldest", "--priority", "3");           // APP-12, created first
        var ready = await world.RunAsync("task", "ready", "--json");

        Identifiers(ready.Data).ShouldBe(["APP-3", "APP-4", "APP-7", "APP-12", "APP-9", "APP-10", "APP-11", "APP-2", "APP-1"]);
        await world.RunAsync("task", "close", "APP-4");
        var afterClose = await world.RunAsync("task", "ready", "--json");
        Identifiers(afterClose.Data).Take(2).ShouldBe(["APP-3", "APP-5"]);
    }

    [Fact]
    public async Task Task_InsideWorktreeWithOnlyBatonProject_UsesTheRecordedProject()
    {
        using var world = await TempWorld.CreateAsync();
        var added = await world.RunAsync("task", "add", "app", "From the repo", "--json");
        var instanceId = added.Data.GetProperty("instanceId").GetString()!;
        var elsewhere = Path.Combine(world.Root, "worktree");
        Directory.CreateDirectory(elsewhere);
        world.Environment["BATON_PROJECT"] = instanceId;

        var addedThere = await world.RunInAsync(elsewhere, null, "task", "add", "app", "From the worktree", "--json");
        var listed = await world.RunInAsync(elsewhere, null, "task", "list", "--json");
        var shown = await world.RunInAsync(elsewhere, null, "task", "show", "app-1", "--json");
        var ready = await world.RunInAsync(elsewhere, null, "task", "ready", "--json");
        world.Environment.Remove("BATON_PROJECT");
        var shownWithoutEnv = await world.RunInAsync(elsewhere, null, "task", "show", "APP-2", "--json");
        var listWithoutAnything = await world.RunInAsync(elsewhere, null, "task", "list", "--json");

        addedThere.Data.GetProperty("identifier").GetString().ShouldBe("APP-2", addedThere.ToString());
        Identifiers(listed.Data).ShouldBe(["APP-1", "APP-2"]);
        shown.Data.GetProperty("title").GetString().ShouldBe("From the repo");
        ready.Data.GetArrayLength().ShouldBe(2);
        shownWithoutEnv.Data.GetProperty("title").GetString().ShouldBe("From the worktree");
        listWithoutAnything.ExitCode.ShouldBe(1);
        listWithoutAnything.ErrorCode.ShouldBe("config_not_found");
    }

    [Fact]
    public async Task Task_UnknownBatonProject_FailsWithProjectNotFound()
    {
        using var world = await TempWorld.CreateAsync();
        world.Environment["BATON_PROJECT"] = "000000000000-nope";

        var result = await world.RunAsync("task", "list", "--json");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("project_not_found");
    }

    [Fact]
    public async Task Add_UnknownProject_FailsWithProjectNotFoundNamingTheProjects()
    {
        using var world = await TempWorld.CreateAsync();

        var result = await world.RunAsync("task", "add", "nope", "X", "--json");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("project_not_found");
        result.ErrorSuggestion.ShouldContain("app");
    }

    private static async Task ShouldHaveNoTasksAsync(TempWorld world)
    {
        var list = await world.RunAsync("task", "list", "--all", "--json");
        list.Data.GetArrayLength().ShouldBe(0, list.ToString());
    }

    internal static List<string> Identifiers(JsonElement tasks) =>
        [.. tasks.EnumerateArray().Select(t => t.GetProperty("identifier").GetString()!)];

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
