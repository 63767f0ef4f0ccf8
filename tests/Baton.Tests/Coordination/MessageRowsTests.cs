using Baton.Coordination;
using Baton.Core.Coordination;
using Baton.Core.Configuration;
using Baton.Orchestration;
using Baton.Storage;

namespace Baton.Tests.Coordination;

/// <summary>Message rows on a real state.db: compare-and-set deliveries, claims that never deliver twice, the orchestrator's log.</summary>
public sealed class MessageRowsTests : IDisposable
{
    private const string Project = "abc123-app";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N")[..12]);
    private readonly DateTimeOffset _now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private string Home => Path.Combine(_root, "home");

    private MailMessage Draft(string recipient, string? task = "task-1", string subject = "s", string body = "b", string kind = MessageKinds.Message, string? project = Project) => new()
    {
        Kind = kind,
        Sender = "human",
        Recipient = recipient,
        RecipientProject = project,
        TaskId = task,
        Subject = subject,
        Body = body,
        CreatedAt = _now,
    };

    [Fact]
    public void Open_DatabaseAtSchemaTwo_GetsTheMessagesTable()
    {
        using (var store = StateStore.Open(Home))
        {
            store.Write(db => db.Execute("DROP TABLE messages; PRAGMA user_version = 2;"));
        }

        using var again = StateStore.Open(Home);

        again.SchemaVersion.ShouldBe(Migrations.Latest);
        again.Write(db => MessageRows.Insert(db, Draft("app-1"))).Id.ShouldBe(1);
    }

    [Fact]
    public void SentBy_OnlyThatSessionOfThatProject_NewestFirst()
    {
        using var store = StateStore.Open(Home);
        store.Write(db => MessageRows.Insert(db, Draft("human") with { Sender = "app-1", SenderProject = Project, Subject = "first" }));
        store.Write(db => MessageRows.Insert(db, Draft("app-2") with { Sender = "app-1", SenderProject = Project, Subject = "second" }));
        store.Write(db => MessageRows.Insert(db, Draft("human") with { Sender = "app-1", SenderProject = "other-app", Subject = "another project" }));
        store.Write(db => MessageRows.Insert(db, Draft("human") with { Sender = "app-3", SenderProject = Project, Subject = "another session" }));

        store.Read(db => MessageRows.SentBy(db, "app-1", Project, 10)).Select(m => m.Subject).ShouldBe(["second", "first"]);
    }

    [Fact]
    public void MarkDelivered_Twice_OnlyTheFirstCounts()
    {
        using var store = StateStore.Open(Home);
        var message = store.Write(db => MessageRows.Insert(db, Draft("app-1")));

        store.Write(db => MessageRows.MarkDelivered(db, message.Id, "app-1", Deliveries.FollowUp, _now)).ShouldBeTrue();
        store.Write(db => MessageRows.MarkDelivered(db, message.Id, "app-2", Deliveries.Steer, _now.AddSeconds(1))).ShouldBeFalse();

        var stored = store.Read(db => MessageRows.Get(db, message.Id))!;
        stored.DeliveredTo.ShouldBe("app-1");
        stored.Delivery.ShouldBe(Deliveries.FollowUp);
        stored.ReadAt.ShouldBe(_now);
    }

    [Fact]
    public void Insert_ControlCharactersAndUnicode_ComeBackExactly()
    {
        using var store = StateStore.Open(Home);
        const string Body = "\u001b[2J\0nul\u0007 ✓ 日本 \u202e";

        var id = store.Write(db => MessageRows.Insert(db, Draft("human", task: null, body: Body, project: null))).Id;

        store.Read(db => MessageRows.Get(db, id))!.Body.ShouldBe(Body);
    }

    [Fact]
    public async Task ClaimPendingForTask_ManyNewSessionsAtOnce_EachMessageGoesToExactlyOne()
    {
        using (var store = StateStore.Open(Home))
        {
            store.Write(db =>
            {
                for (var i = 0; i < 40; i++)
                {
                    MessageRows.Insert(db, Draft("app-1", subject: $"m{i}"));
                }
            });
        }

        // One connection each, like eight processes spawning the task's next run at the same moment.
        var claims = await Task.WhenAll(Enumerable.Range(2, 8).Select(n => Task.Run(() =>
        {
            using var store = StateStore.Open(Home);
            return store.Write(db => MessageRows.ClaimPendingForTask(db, Project, "task-1", $"app-{n}", _now)).Select(m => m.Id).ToList();
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        var all = claims.SelectMany(c => c).ToList();
        all.Count.ShouldBe(40);
        all.Distinct().Count().ShouldBe(40);
    }

    [Fact]
    public void ClaimPendingForTask_OnlyThatTaskInThatProject_AndReleaseGivesThemBack()
    {
        using var store = StateStore.Open(Home);
        var mine = store.Write(db => MessageRows.Insert(db, Draft("app-1", kind: MessageKinds.Handoff)));
        store.Write(db => MessageRows.Insert(db, Draft("app-5", task: "task-2")));
        store.Write(db => MessageRows.Insert(db, Draft("app-1", project: "other-app")));

        var claimed = store.Write(db => MessageRows.ClaimPendingForTask(db, Project, "task-1", "app-2", _now));
        claimed.ShouldHaveSingleItem().Id.ShouldBe(mine.Id);
        claimed[0].DeliveredTo.ShouldBe("app-2");
        claimed[0].Delivery.ShouldBe(Deliveries.Prompt);

        store.Write(db => MessageRows.ReleaseClaim(db, Project, "app-2", [mine.Id])).ShouldBe(1);
        store.Read(db => MessageRows.Get(db, mine.Id))!.DeliveredAt.ShouldBeNull();
        store.Write(db => MessageRows.ClaimPendingForTask(db, Project, "task-1", "app-3", _now)).ShouldHaveSingleItem().DeliveredTo.ShouldBe("app-3");
    }

    [Fact]
    public void SessionInbox_HoldsWhatItReceivedForAnEarlierSession()
    {
        using var store = StateStore.Open(Home);
        store.Write(db => MessageRows.Insert(db, Draft("app-2", subject: "direct")));
        var earlier = store.Write(db => MessageRows.Insert(db, Draft("app-1", subject: "for the task")));
        store.Write(db => MessageRows.ClaimPendingForTask(db, Project, "task-1", "app-2", _now));

        var inbox = store.Read(db => MessageRows.SessionInbox(db, "app-2", Project, unreadOnly: false, limit: 10));

        inbox.Select(m => m.Subject).ShouldBe(["for the task", "direct"]);
        inbox.Single(m => m.Id == earlier.Id).ReadAt.ShouldNotBeNull();
    }

    [Fact]
    public void OrchestratorMail_LogsEachMessageOnceEscapedAndOnlyForItsProject()
    {
        using var store = StateStore.Open(Home);
        store.Write(db => MessageRows.Insert(db, Draft("orchestrator", task: null, subject: "Ready \u001b[31m", body: "APP-1 is\u0007 done") with { Sender = "app-1" }));
        store.Write(db => MessageRows.Insert(db, Draft("orchestrator", task: null, subject: "Other project", project: "other-app")));
        var console = new StringWriter();
        using var log = new RunLog(Path.Combine(_root, "logs"), console, TimeProvider.System);
        var project = new Project { Id = "app", Name = "app", Path = _root, InstanceId = Project, SessionPrefix = "app", ConfigPath = Path.Combine(_root, "baton.yaml"), ConfigHash = "abc123", InstanceDirectory = _root, States = Core.Tasks.TaskStates.Default };

        OrchestratorMail.LogNew(store, project, log, _now).ShouldBe(1);
        OrchestratorMail.LogNew(store, project, log, _now).ShouldBe(0);

        var written = File.ReadAllText(log.Path);
        written.ShouldContain("msg=\"message for the orchestrator\"");
        written.ShouldContain("from=app-1");
        written.ShouldContain("subject=\"Ready \\\\x1b[31m\""); // the log quotes values and doubles backslashes
        written.ShouldNotContain("\u001b");
        written.ShouldNotContain("\u0007");
        written.ShouldNotContain("Other project");
        console.ToString().ShouldNotContain("\u001b");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
