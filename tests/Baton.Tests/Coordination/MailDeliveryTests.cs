using System.Text.Json;
using Baton.Core.Errors;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Coordination;

/// <summary>
/// Delivery through real sessions (command agents in tmux): into a live agent at once, or into the prompt of the task's
/// next run; hand-offs from inside a session.
/// </summary>
public sealed class MailDeliveryTests
{
    private const string EchoAgent = "echo \"got: $(head -n 1)\"";

    [Fact]
    public async Task Send_ToALiveIdleSession_StartsATurnWithTheMessageAndShowsSenderAndSubject()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Listen"), EchoAgent, "--idle-timeout", "60");
        await w.WaitForStatusAsync(name, "idle");

        var sent = await w.RunAsync("mail", "send", name, "-s", "Schema changed", "-m", "Run the migrations first.", "--json");
        await w.WaitForAsync(name, s => s.GetProperty("turns").GetInt32() == 2 && s.GetProperty("status").GetString() == "idle");

        sent.ExitCode.ShouldBe(0, sent.ToString());
        var message = sent.Data.GetProperty("messages")[0];
        message.GetProperty("state").GetString().ShouldBe("delivered");
        message.GetProperty("delivery").GetString().ShouldBe("follow_up");
        message.GetProperty("deliveredTo").GetString().ShouldBe(name);
        var peek = (await w.RunAsync("peek", name)).Stdout;
        peek.ShouldContain("message: [Baton message #1 from human] Subject: Schema changed");
        peek.ShouldContain("got: [Baton message #1 from human] Subject: Schema changed");
        var stored = (await w.RunAsync("mail", "read", "1", "--json")).Data;
        stored.GetProperty("deliveredAt").ValueKind.ShouldBe(JsonValueKind.String);
        stored.GetProperty("delivery").GetString().ShouldBe("follow_up");
    }

    [Fact]
    public async Task Send_ToAnEndedSession_WaitsAndTheTasksNextSessionGetsItInItsPrompt()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Two runs");
        var first = await w.SpawnCommandAsync(task, "true", "--idle-timeout", "1");
        await w.WaitForStatusAsync(first, "finished");

        var sent = await w.RunAsync("mail", "send", first, "-s", "Region", "-m", "Use eu-west-1.", "--json");
        var second = await w.SpawnCommandAsync(task, "cat", "--idle-timeout", "1");
        await w.WaitForStatusAsync(second, "finished");

        var waiting = sent.Data.GetProperty("messages")[0];
        waiting.GetProperty("state").GetString().ShouldBe("waiting");
        waiting.GetProperty("note").GetString()!.ShouldContain($"waits for the next run of {task}");
        var prompt = await File.ReadAllTextAsync(Path.Combine(w.SessionDirectory(second), "prompt.md"));
        prompt.ShouldContain("# Messages for this task");
        prompt.ShouldContain("## Message #1 from human: Region");
        prompt.ShouldContain("Use eu-west-1.");
        (await w.RunAsync("peek", second, "-n", "200")).Stdout.ShouldContain("Use eu-west-1.");
        var stored = (await w.RunAsync("mail", "read", "1", "--json")).Data;
        stored.GetProperty("deliveredTo").GetString().ShouldBe(second);
        stored.GetProperty("delivery").GetString().ShouldBe("prompt");
        var inbox = (await w.RunAsync("mail", "inbox", second, "--json")).Data.GetProperty("messages");
        inbox.GetArrayLength().ShouldBe(1);
        (await w.SessionAsync(second)).GetProperty("previousSession").GetString().ShouldBe(first);
        (await w.SessionAsync(first)).GetProperty("nextSession").GetString().ShouldBe(second);
    }

    [Fact]
    public async Task Send_ToAProject_ReachesEachLiveSessionOnce()
    {
        await using var w = await SessionWorld.CreateAsync();
        var one = await w.SpawnCommandAsync(await w.AddTaskAsync("One"), EchoAgent, "--idle-timeout", "60");
        var two = await w.SpawnCommandAsync(await w.AddTaskAsync("Two"), EchoAgent, "--idle-timeout", "60");
        var ended = await w.SpawnCommandAsync(await w.AddTaskAsync("Ended"), "true", "--idle-timeout", "1");
        await w.WaitForStatusAsync(one, "idle");
        await w.WaitForStatusAsync(two, "idle");
        await w.WaitForStatusAsync(ended, "finished");

        var sent = await w.RunAsync("mail", "send", "project:app", "-s", "main moved", "-m", "Rebase on main.", "--json");

        sent.ExitCode.ShouldBe(0, sent.ToString());
        var messages = sent.Data.GetProperty("messages").EnumerateArray().ToList();
        messages.Select(m => m.GetProperty("to").GetString()).Order().ShouldBe(new[] { one, two }.Order());
        messages.ShouldAllBe(m => m.GetProperty("state").GetString() == "delivered" && m.GetProperty("via").GetString() == "project:app");
        foreach (var name in new[] { one, two })
        {
            await w.WaitForAsync(name, s => s.GetProperty("turns").GetInt32() == 2);
            (await w.RunAsync("peek", name)).Stdout.ShouldContain("from human to project:app] Subject: main moved");
        }
    }

    [Fact]
    public async Task Spawn_RunThatNeverStarts_LeavesTheWaitingMessagesForTheNextOne()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Flaky start");
        var first = await w.SpawnCommandAsync(task, "true", "--idle-timeout", "1");
        await w.WaitForStatusAsync(first, "finished");
        (await w.RunAsync("mail", "send", first, "-s", "Keep me", "-m", "Not lost.")).ExitCode.ShouldBe(0);
        await File.WriteAllTextAsync(Path.Combine(w.World.Repo, "WORKFLOW.md"), "---\nhooks:\n  before_run: exit 7\n---\nWork on {{ issue.identifier }}\n");

        var failed = await w.RunAsync("spawn", "app", task, "--agent", "command", "--command", "cat", "--json");
        File.Delete(Path.Combine(w.World.Repo, "WORKFLOW.md"));
        var third = await w.SpawnCommandAsync(task, "cat", "--idle-timeout", "1");
        await w.WaitForStatusAsync(third, "finished");

        failed.ExitCode.ShouldBe(ExitCodes.Failed, failed.ToString());
        failed.ErrorCode.ShouldBe("session_failed_to_start");
        (await File.ReadAllTextAsync(Path.Combine(w.SessionDirectory(third), "prompt.md"))).ShouldContain("Not lost.");
        (await w.RunAsync("mail", "read", "1", "--json")).Data.GetProperty("deliveredTo").GetString().ShouldBe(third);
    }

    [Fact]
    public async Task Handoff_FromTheAgent_EndsTheRunAndTheNextSessionStartsWithTheNote()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Cycle");

        // The agent (a shell here) writes its note and goes on a little, like a model finishing its turn.
        var first = await w.SpawnCommandAsync(task, "baton handoff -m 'NOTE-77: parser done; next: the CLI flag' && echo after the note", "--idle-timeout", "600");
        var ended = await w.WaitForStatusAsync(first, "finished");
        var second = await w.SpawnCommandAsync(task, "cat", "--idle-timeout", "1");
        await w.WaitForStatusAsync(second, "finished");

        ended.GetProperty("outcome").GetString().ShouldBe("handed_off");
        ended.GetProperty("reason").GetString().ShouldBe("handed off: note #1 goes to the task's next run");
        var peek = (await w.RunAsync("peek", first)).Stdout;
        peek.ShouldContain("hand-off: note #1 is for the task's next run");
        peek.ShouldContain("after the note");
        var prompt = await File.ReadAllTextAsync(Path.Combine(w.SessionDirectory(second), "prompt.md"));
        prompt.ShouldContain("# Hand-off from the previous run");
        prompt.ShouldContain($"## HAND-OFF NOTE from {first} (message #1)");
        prompt.ShouldContain("NOTE-77: parser done; next: the CLI flag");
        var note = (await w.RunAsync("mail", "read", "1", "--json")).Data;
        note.GetProperty("kind").GetString().ShouldBe("handoff");
        note.GetProperty("from").GetString().ShouldBe(first);
        note.GetProperty("deliveredTo").GetString().ShouldBe(second);
    }

    [Fact]
    public async Task Send_AfterTheAgentHandedOff_WaitsForTheNextRunInsteadOfGoingIntoTheEndingOne()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Late message");
        var first = await w.SpawnCommandAsync(task, "baton handoff -m 'NOTE: wait for go' && for i in $(seq 600); do [ -f go ] && break; sleep 0.1; done", "--idle-timeout", "600");
        var events = Path.Combine(w.SessionDirectory(first), "events.jsonl");
        await SessionWorld.WaitUntilAsync(() => File.Exists(events) && File.ReadAllText(events).Contains("\"handoff_requested\"", StringComparison.Ordinal), "the worker taking the hand-off", 30);

        var sent = await w.RunAsync("mail", "send", first, "-s", "Too late", "-m", "For the next run.", "--json");
        await File.WriteAllTextAsync(Path.Combine((await w.SessionAsync(first)).GetProperty("workspace").GetString()!, "go"), "");
        await w.WaitForStatusAsync(first, "finished");

        var message = sent.Data.GetProperty("messages")[0];
        message.GetProperty("state").GetString().ShouldBe("waiting");
        message.GetProperty("note").GetString()!.ShouldContain("session_handing_off");
    }

    [Fact]
    public async Task Handoff_OfASessionWithNoLiveRun_SavesTheNoteForTheNextRun()
    {
        await using var w = await SessionWorld.CreateAsync();
        var name = await w.SpawnCommandAsync(await w.AddTaskAsync("Ended"), "true", "--idle-timeout", "1");
        await w.WaitForStatusAsync(name, "finished");
        w.World.Environment["BATON_SESSION"] = name;

        var handoff = await w.RunAsync("handoff", "-m", "late note", "--json");

        handoff.ExitCode.ShouldBe(0, handoff.ToString());
        handoff.Data.GetProperty("stopping").GetBoolean().ShouldBeFalse();
        handoff.Data.GetProperty("note").GetString()!.ShouldContain("no live run");
    }
}
