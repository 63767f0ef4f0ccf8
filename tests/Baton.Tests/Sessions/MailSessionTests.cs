using System.Text.Json;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Sessions;

/// <summary>
/// Messages and hand-offs with the real pi, driven by the replay model: what reaches the model is read from the replay
/// server's request log, so each test shows the agent really received it.
/// </summary>
public sealed class MailSessionTests
{
    private static async Task<SessionWorld> WorldAsync()
    {
        var w = await SessionWorld.CreateAsync();
        var bin = Path.GetDirectoryName(Replay.ReplayTestSupport.AgentBinary("pi"))!;
        w.World.Environment["PATH"] = $"{bin}:{w.World.Environment["PATH"]}";
        return w;
    }

    private static async Task<string> SpawnPiAsync(SessionWorld w, string task, string script, params string[] extra)
    {
        var path = Path.Combine(w.World.Root, $"script-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, script);
        var spawned = await w.RunAsync(["spawn", "app", task, "--model", $"replay:{path}", "--json", .. extra]);
        spawned.ExitCode.ShouldBe(0, spawned.ToString());
        return spawned.Data.GetProperty("name").GetString()!;
    }

    private static string[] Requests(SessionWorld w, string session) =>
        File.ReadAllLines(Path.Combine(w.SessionDirectory(session), "replay-requests.jsonl"));

    private static int FirstContaining(string[] requests, string text) => Array.FindIndex(requests, r => r.Contains(text, StringComparison.Ordinal));

    private static List<JsonElement> Events(SessionWorld w, string session) =>
        [.. File.ReadAllLines(Path.Combine(w.SessionDirectory(session), "events.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    [Fact]
    public async Task MailSend_WhilePiWorks_UrgentSteersThisTurnAndAPlainMessageFollowsUp()
    {
        await using var w = await WorldAsync();
        var task = await w.AddTaskAsync("Slow step");
        var name = await SpawnPiAsync(w, task, """
            [{"text": "Running a slow step.", "tool_calls": [{"name": "bash", "arguments": {"command": "for i in $(seq 600); do [ -f go ] && break; sleep 0.1; done; echo slow step done"}}]},
             {"text": "Noted the urgent message."},
             {"text": "Noted the follow-up."}]
            """, "--idle-timeout", "2");
        var events = Path.Combine(w.SessionDirectory(name), "events.jsonl");
        await SessionWorld.WaitUntilAsync(() => File.Exists(events) && File.ReadAllText(events).Contains("\"tool_started\"", StringComparison.Ordinal), "the slow tool starting", 60);

        var urgent = await w.RunAsync("mail", "send", name, "-s", "Schema changed", "-m", "URGENT-ZEBRA: run the migrations first.", "--urgent", "--json");
        var plain = await w.RunAsync("mail", "send", name, "-s", "When you are done", "-m", "FOLLOW-OKAPI: update the changelog too.", "--json");
        await File.WriteAllTextAsync(Path.Combine((await w.SessionAsync(name)).GetProperty("workspace").GetString()!, "go"), "");
        await w.WaitForStatusAsync(name, "finished", 90);

        urgent.Data.GetProperty("messages")[0].GetProperty("delivery").GetString().ShouldBe("steer");
        plain.Data.GetProperty("messages")[0].GetProperty("delivery").GetString().ShouldBe("follow_up");
        var requests = Requests(w, name);
        var steered = FirstContaining(requests, "URGENT-ZEBRA");
        var followed = FirstContaining(requests, "FOLLOW-OKAPI");
        steered.ShouldBe(1, "the urgent message reaches the model in the turn's next request, after the slow tool");
        followed.ShouldBeGreaterThan(steered, "the plain message waits until the agent would stop");
        requests[steered].ShouldContain("[Baton message #1 from human (urgent)] Subject: Schema changed");
        requests[steered].ShouldNotContain("FOLLOW-OKAPI");
        requests[followed].ShouldContain("[Baton message #2 from human] Subject: When you are done");
        var received = Events(w, name).Where(e => e.GetProperty("type").GetString() is "steer_received" or "follow_up_received").ToList();
        received.Select(e => e.GetProperty("type").GetString()).ShouldBe(["steer_received", "follow_up_received"]);
        received[0].GetProperty("text").GetString()!.ShouldStartWith("[Baton message #1 from human (urgent)] Subject: Schema changed");
        var peek = (await w.RunAsync("peek", name, "-n", "100")).Stdout;
        peek.ShouldContain("steer: [Baton message #1 from human (urgent)] Subject: Schema changed");
        peek.ShouldContain("message: [Baton message #2 from human] Subject: When you are done");
        peek.ShouldContain("Noted the follow-up.");
    }

    [Fact]
    public async Task PiExtension_SendMessageLandsInStateDb_AndReadMessagesShowsWhatTheNextRunReceived()
    {
        await using var w = await WorldAsync();
        var task = await w.AddTaskAsync("Ask a person");
        var first = await SpawnPiAsync(w, task, """
            [{"text": "I need to ask.", "tool_calls": [{"name": "send_message", "arguments": {"to": "human", "subject": "Which region?", "body": "QUESTION-9: eu-west-1 or us-east-1?"}}]},
             {"text": "Asked the human."}]
            """, "--idle-timeout", "1");
        await w.WaitForStatusAsync(first, "finished", 90);

        var inbox = await w.RunAsync("mail", "inbox", "human", "--json");
        var answer = await w.RunAsync("mail", "send", first, "-s", "Region", "-m", "ANSWER-EU: use eu-west-1.", "--json");
        var second = await SpawnPiAsync(w, task, """
            [{"text": "Checking my messages.", "tool_calls": [{"name": "read_messages", "arguments": {}}]},
             {"text": "Using eu-west-1."}]
            """, "--idle-timeout", "1");
        await w.WaitForStatusAsync(second, "finished", 90);

        var question = inbox.Data.GetProperty("messages").EnumerateArray().ShouldHaveSingleItem();
        question.GetProperty("from").GetString().ShouldBe(first);
        question.GetProperty("subject").GetString().ShouldBe("Which region?");
        question.GetProperty("body").GetString().ShouldBe("QUESTION-9: eu-west-1 or us-east-1?");
        Requests(w, first)[1].ShouldContain("Sent #1 to human");
        answer.Data.GetProperty("messages")[0].GetProperty("state").GetString().ShouldBe("waiting");
        var requests = Requests(w, second);
        requests[0].ShouldContain("ANSWER-EU: use eu-west-1.");
        requests[0].ShouldContain("Message #2 from human: Region");
        FirstContaining(requests, "#2 message from human").ShouldBe(1, "read_messages lists the message the run received in its prompt");
        (await w.SessionAsync(second)).GetProperty("previousSession").GetString().ShouldBe(first);
    }

    [Fact]
    public async Task Handoff_FromPi_EndsTheRunAndTheNextRunIsAFreshConversationWithTheNote()
    {
        await using var w = await WorldAsync();
        var task = await w.AddTaskAsync("Long job");
        var first = await SpawnPiAsync(w, task, """
            [{"text": "My context is getting long; handing off.", "tool_calls": [{"name": "bash", "arguments": {"command": "baton handoff -m 'NOTE-77: parser done and committed; next: the --strict flag in cli.py'"}}]},
             {"text": "Handed off."}]
            """, "--idle-timeout", "600");
        var ended = await w.WaitForStatusAsync(first, "finished", 90);
        var second = await SpawnPiAsync(w, task, """[{"text": "Continuing from the note."}]""", "--idle-timeout", "1");
        await w.WaitForStatusAsync(second, "finished", 90);

        ended.GetProperty("outcome").GetString().ShouldBe("handed_off");
        Events(w, first).Last().GetProperty("outcome").GetString().ShouldBe("handed_off");
        var requests = Requests(w, second);
        requests[0].ShouldContain($"HAND-OFF NOTE from {first}");
        requests[0].ShouldContain("NOTE-77: parser done and committed; next: the --strict flag in cli.py");
        requests[0].ShouldNotContain("My context is getting long", customMessage: "the next run does not carry the old conversation");
        var info = await w.SessionAsync(second);
        info.GetProperty("previousSession").GetString().ShouldBe(first);
        info.GetProperty("workspace").GetString().ShouldBe(ended.GetProperty("workspace").GetString());
    }

    [Fact]
    public async Task AutoHandoff_ContextPastTheThreshold_PiIsAskedToWriteItsNoteAndHandsOff()
    {
        await using var w = await WorldAsync();
        var task = await w.AddTaskAsync("Big context");

        // 70,000 of the replay model's 128,000-token window is 55%: past a 50% threshold, short of pi's own compaction.
        var name = await SpawnPiAsync(w, task, """
            [{"text": "Reading everything.", "usage": {"input": 70000, "output": 20},
              "tool_calls": [{"name": "bash", "arguments": {"command": "for i in $(seq 600); do baton logs $BATON_SESSION --jsonl | grep -q steer_received && break; sleep 0.1; done; echo read"}}]},
             {"usage": {"input": 71000, "output": 10}, "tool_calls": [{"name": "bash", "arguments": {"command": "baton handoff -m 'AUTO-NOTE: read the whole tree; next: write the summary'"}}]},
             {"text": "Handed off."}]
            """, "--idle-timeout", "600", "--handoff-threshold", "50");
        var ended = await w.WaitForStatusAsync(name, "finished", 90);

        ended.GetProperty("outcome").GetString().ShouldBe("handed_off");
        var steer = Events(w, name).First(e => e.GetProperty("type").GetString() == "steer_received").GetProperty("text").GetString()!;
        steer.ShouldContain("Your context is 55% full (the hand-off threshold is 50%)");
        steer.ShouldContain("baton handoff -m");
        var requests = Requests(w, name);
        FirstContaining(requests, "Your context is 55% full").ShouldBe(1, "the request after the first tool call carries the steering");
        var note = (await w.RunAsync("mail", "inbox", name, "--json")).Data.GetProperty("messages").EnumerateArray().ShouldHaveSingleItem();
        note.GetProperty("kind").GetString().ShouldBe("handoff");
        note.GetProperty("body").GetString().ShouldBe("AUTO-NOTE: read the whole tree; next: write the summary");
    }
}
