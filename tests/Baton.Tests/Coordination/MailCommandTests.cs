using System.Text.Json;
using Baton.Core.Errors;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Coordination;

/// <summary><c>baton mail</c> and <c>baton handoff</c> in-process against a real state.db: addresses, limits, bad input.</summary>
public sealed class MailCommandTests
{
    [Fact]
    public async Task Send_ToHuman_IsInTheHumanInboxUntilRead()
    {
        using var w = await TempWorld.CreateAsync();

        var sent = await w.RunAsync("mail", "send", "human", "-s", "Question", "-m", "Which region?", "--json");
        var id = sent.Data.GetProperty("messages")[0].GetProperty("id").GetInt64();
        var unread = await w.RunAsync("mail", "inbox", "--unread", "--json");
        var read = await w.RunAsync("mail", "read", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        var unreadAfter = await w.RunAsync("mail", "inbox", "--unread", "--json");
        var all = await w.RunAsync("mail", "inbox", "human", "--json");

        sent.ExitCode.ShouldBe(0, sent.ToString());
        sent.Data.GetProperty("from").GetString().ShouldBe("human");
        sent.Data.GetProperty("messages")[0].GetProperty("state").GetString().ShouldBe("inbox");
        var listed = unread.Data.GetProperty("messages").EnumerateArray().ShouldHaveSingleItem();
        listed.GetProperty("subject").GetString().ShouldBe("Question");
        listed.GetProperty("body").GetString().ShouldBe("Which region?");
        read.Data.GetProperty("readAt").ValueKind.ShouldBe(JsonValueKind.String);
        unreadAfter.Data.GetProperty("messages").GetArrayLength().ShouldBe(0);
        all.Data.GetProperty("messages").GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task Send_FromInsideASession_TheSenderIsBatonSession()
    {
        using var w = await TempWorld.CreateAsync();
        w.Environment["BATON_SESSION"] = "app-7";

        var sent = await w.RunAsync("mail", "send", "orchestrator", "-s", "Done", "-m", "APP-7 is ready", "--json");
        w.Environment.Remove("BATON_SESSION");
        var inbox = await w.RunAsync("mail", "inbox", "orchestrator", "--json");

        sent.Data.GetProperty("from").GetString().ShouldBe("app-7");
        inbox.Data.GetProperty("messages")[0].GetProperty("from").GetString().ShouldBe("app-7");
    }

    [Fact]
    public async Task Send_BatonSessionIsNotASessionName_IsInvalidSender()
    {
        using var w = await TempWorld.CreateAsync();
        w.Environment["BATON_SESSION"] = "somebody";

        var sent = await w.RunAsync("mail", "send", "human", "-s", "Hi", "-m", "x", "--json");

        sent.ExitCode.ShouldBe(ExitCodes.BadUsage);
        sent.ErrorCode.ShouldBe(ErrorCodes.InvalidSender);
    }

    [Fact]
    public async Task Send_ToASessionThatDoesNotExist_IsUnknownAddressAndNothingIsStored()
    {
        using var w = await TempWorld.CreateAsync();

        var sent = await w.RunAsync("mail", "send", "app-9", "-s", "Hello", "-m", "Anyone?", "--json");

        sent.ExitCode.ShouldBe(ExitCodes.Failed);
        sent.ErrorCode.ShouldBe(ErrorCodes.UnknownAddress);
        sent.ErrorMessage.ShouldContain("app-9");
        sent.ErrorSuggestion.ShouldContain("baton list");
        await ShouldHaveNoMessagesAsync(w);
    }

    [Fact]
    public async Task Send_ToSomethingThatIsNoAddress_IsInvalidAddressWithTheForms()
    {
        using var w = await TempWorld.CreateAsync();

        var sent = await w.RunAsync("mail", "send", "bob", "-s", "Hello", "-m", "Anyone?");

        sent.ExitCode.ShouldBe(ExitCodes.BadUsage);
        sent.Stderr.ShouldContain("error[invalid_address]: 'bob' is not an address");
        sent.Stderr.ShouldContain("project:<id>");
        await ShouldHaveNoMessagesAsync(w);
    }

    [Fact]
    public async Task Send_ToAProjectThatDoesNotExist_IsUnknownAddress()
    {
        using var w = await TempWorld.CreateAsync();

        var sent = await w.RunAsync("mail", "send", "project:nope", "-s", "Hello", "-m", "x", "--json");

        sent.ErrorCode.ShouldBe(ErrorCodes.UnknownAddress);
        sent.ErrorSuggestion.ShouldContain("baton project list");
    }

    [Fact]
    public async Task Send_ToAProjectWithNoLiveSession_SendsNothing()
    {
        using var w = await TempWorld.CreateAsync();

        var sent = await w.RunAsync("mail", "send", "project:app", "-s", "main moved", "-m", "Rebase.", "--json");

        sent.ExitCode.ShouldBe(ExitCodes.Failed);
        sent.ErrorCode.ShouldBe(ErrorCodes.NoLiveSessions);
        await ShouldHaveNoMessagesAsync(w);
    }

    [Fact]
    public async Task Send_OneMegabyteArgument_IsRefusedAsTooLarge()
    {
        using var w = await TempWorld.CreateAsync();

        var sent = await w.RunAsync("mail", "send", "human", "-s", "Big", "-m", new string('x', 1024 * 1024), "--json");

        sent.ExitCode.ShouldBe(ExitCodes.BadUsage);
        sent.ErrorCode.ShouldBe(ErrorCodes.MessageTooLarge);
        sent.ErrorMessage.ShouldContain("1,048,576 bytes");
        await ShouldHaveNoMessagesAsync(w);
    }

    [Fact]
    public async Task Send_OneMegabyteOnStandardInput_IsRefusedAsTooLarge()
    {
        using var w = await TempWorld.CreateAsync();

        var sent = await w.RunInAsync(w.Repo, new string('x', 1024 * 1024), "mail", "send", "human", "-s", "Big", "-m", "-", "--json");

        sent.ExitCode.ShouldBe(ExitCodes.BadUsage);
        sent.ErrorCode.ShouldBe(ErrorCodes.MessageTooLarge);
        await ShouldHaveNoMessagesAsync(w);
    }

    [Fact]
    public async Task Send_BodyFromStandardInput_IsStoredAsRead()
    {
        using var w = await TempWorld.CreateAsync();

        var sent = await w.RunInAsync(w.Repo, "line one\nline two\n", "mail", "send", "human", "-s", "Piped", "-m", "-", "--json");
        var read = await w.RunAsync("mail", "read", "1", "--json");

        sent.ExitCode.ShouldBe(0, sent.ToString());
        read.Data.GetProperty("body").GetString().ShouldBe("line one\nline two\n");
    }

    [Theory]
    [InlineData(null, "x", ErrorCodes.MessageSubjectMissing)]
    [InlineData("Subject", null, ErrorCodes.MessageBodyMissing)]
    public async Task Send_MissingSubjectOrBody_IsAUsageError(string? subject, string? body, string code)
    {
        using var w = await TempWorld.CreateAsync();
        List<string> args = ["mail", "send", "human", "--json"];
        if (subject is not null)
        {
            args.AddRange(["-s", subject]);
        }

        if (body is not null)
        {
            args.AddRange(["-m", body]);
        }

        var sent = await w.RunAsync([.. args]);

        sent.ExitCode.ShouldBe(ExitCodes.BadUsage);
        sent.ErrorCode.ShouldBe(code);
    }

    [Fact]
    public async Task Send_ControlCharacters_AreStoredAsGivenAndNeverReachTheTerminal()
    {
        using var w = await TempWorld.CreateAsync();
        const string Subject = "Alert\u0007 \u001b]0;pwned\u0007";
        const string Body = "clear\u001b[2J\u001b[31mred\u009b0m and \u202eevil\r\nnext line";

        (await w.RunAsync("mail", "send", "human", "-s", Subject, "-m", Body)).ExitCode.ShouldBe(0);
        var json = await w.RunAsync("mail", "read", "1", "--json");
        var human = await w.RunAsync("mail", "read", "1");
        var inbox = await w.RunAsync("mail", "inbox");

        json.Data.GetProperty("subject").GetString().ShouldBe(Subject);
        json.Data.GetProperty("body").GetString().ShouldBe(Body);
        foreach (var output in new[] { human.Stdout, inbox.Stdout })
        {
            output.ShouldNotContain("\u001b");
            output.ShouldNotContain("\u0007");
            output.ShouldNotContain("\u009b");
            output.ShouldNotContain("\u202e");
        }

        human.Stdout.ShouldContain("clear\\x1b[2J\\x1b[31mred\\x9b0m and \\u202eevil\nnext line");
        human.Stdout.ShouldContain("Subject: Alert\\x07 \\x1b]0;pwned\\x07");
        inbox.Stdout.ShouldContain("Alert\\x07");
    }

    [Theory]
    [InlineData("999", ErrorCodes.MessageNotFound, ExitCodes.Failed)]
    [InlineData("#999", ErrorCodes.MessageNotFound, ExitCodes.Failed)]
    [InlineData("twelve", ErrorCodes.BadUsage, ExitCodes.BadUsage)]
    [InlineData("-3", ErrorCodes.BadUsage, ExitCodes.BadUsage)]
    public async Task Read_UnknownOrMalformedId_IsAClearError(string id, string code, int exit)
    {
        using var w = await TempWorld.CreateAsync();

        var read = await w.RunAsync("mail", "read", id, "--json");

        read.ExitCode.ShouldBe(exit);
        read.ErrorCode.ShouldBe(code);
        read.ErrorSuggestion.ShouldContain("baton mail inbox");
    }

    [Fact]
    public async Task Inbox_OfAProject_IsRefused()
    {
        using var w = await TempWorld.CreateAsync();

        var inbox = await w.RunAsync("mail", "inbox", "project:app", "--json");

        inbox.ExitCode.ShouldBe(ExitCodes.BadUsage);
        inbox.ErrorCode.ShouldBe(ErrorCodes.InvalidAddress);
    }

    [Fact]
    public async Task Handoff_OutsideASession_IsRefused()
    {
        using var w = await TempWorld.CreateAsync();

        var handoff = await w.RunAsync("handoff", "-m", "notes", "--json");

        handoff.ExitCode.ShouldBe(ExitCodes.BadUsage);
        handoff.ErrorCode.ShouldBe(ErrorCodes.HandoffOutsideSession);
        handoff.ErrorSuggestion.ShouldContain("baton kill");
        await ShouldHaveNoMessagesAsync(w);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n")]
    public async Task Handoff_WithNoNote_IsRefused(string? note)
    {
        using var w = await TempWorld.CreateAsync();
        w.Environment["BATON_SESSION"] = "app-1";

        var handoff = note is null ? await w.RunAsync("handoff", "--json") : await w.RunAsync("handoff", "-m", note, "--json");

        handoff.ExitCode.ShouldBe(ExitCodes.BadUsage);
        handoff.ErrorCode.ShouldBe(ErrorCodes.HandoffNoteMissing);
        handoff.ErrorSuggestion.ShouldContain("baton handoff -m");
    }

    [Fact]
    public async Task Handoff_NoteOfOneMegabyte_IsRefused()
    {
        using var w = await TempWorld.CreateAsync();
        w.Environment["BATON_SESSION"] = "app-1";

        var handoff = await w.RunInAsync(w.Repo, new string('n', 1024 * 1024), "handoff", "-m", "-", "--json");

        handoff.ErrorCode.ShouldBe(ErrorCodes.MessageTooLarge);
    }

    [Fact]
    public async Task Spawn_HandoffThresholdOutOfRange_IsRefusedBeforeAnythingStarts()
    {
        using var w = await TempWorld.CreateAsync();
        var task = (await w.RunAsync("task", "add", "app", "x", "--json")).Data.GetProperty("identifier").GetString()!;

        var spawned = await w.RunAsync("spawn", "app", task, "--agent", "command", "--command", "true", "--handoff-threshold", "120", "--json");

        spawned.ExitCode.ShouldBe(ExitCodes.BadUsage);
        spawned.ErrorCode.ShouldBe(ErrorCodes.HandoffThresholdInvalid);
        (await w.RunAsync("list", "--all", "--json")).Data.GetArrayLength().ShouldBe(0);
    }

    private static async Task ShouldHaveNoMessagesAsync(TempWorld w)
    {
        foreach (var inbox in new[] { "human", "orchestrator" })
        {
            var listed = await w.RunAsync("mail", "inbox", inbox, "--json");
            listed.Data.GetProperty("messages").GetArrayLength().ShouldBe(0, inbox);
        }
    }
}
