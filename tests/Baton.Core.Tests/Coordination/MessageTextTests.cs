using Baton.Core.Coordination;

namespace Baton.Core.Tests.Coordination;

public class MessageTextTests
{
    private static readonly DateTimeOffset s_at = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static MailMessage Message(long id, string from = "app-2", string subject = "Schema changed", string body = "Run the migrations.", string kind = MessageKinds.Message, bool urgent = false) =>
        new() { Id = id, Sender = from, Recipient = "app-3", Subject = subject, Body = body, Kind = kind, Urgent = urgent, CreatedAt = s_at };

    [Theory]
    [InlineData("\u001b[2J", "\\x1b[2J")]
    [InlineData("bell\u0007", "bell\\x07")]
    [InlineData("csi\u009b31m", "csi\\x9b31m")]
    [InlineData("del\u007f", "del\\x7f")]
    [InlineData("nul\0", "nul\\x00")]
    [InlineData("rtl\u202eevil", "rtl\\u202eevil")]
    [InlineData("tab\tkept", "tab\tkept")]
    [InlineData("crlf\r\nline", "crlf\nline")]
    [InlineData("lone\rreturn", "lone\\x0dreturn")]
    public void TerminalSafe_Multiline_EscapesEverythingThatCouldDriveTheTerminal(string text, string expected)
    {
        var safe = MessageText.TerminalSafe(text, multiline: true);

        safe.ShouldBe(expected);
        safe.ShouldAllBe(c => c == '\n' || c == '\t' || !char.IsControl(c));
    }

    [Fact]
    public void TerminalSafe_SingleLine_ShowsLineBreaksAsEscapes() =>
        MessageText.TerminalSafe("one\ntwo", multiline: false).ShouldBe("one\\ntwo");

    [Fact]
    public void Preview_LongText_IsCutWithAnEllipsis() =>
        MessageText.Preview(new string('a', 50), 10).ShouldBe("aaaaaaaaa…");

    [Fact]
    public void ForAgent_Message_NamesNumberSenderAndSubjectFirstAndHowToReply()
    {
        var text = MessageText.ForAgent(Message(12, urgent: true));

        text.Split('\n')[0].ShouldBe("[Baton message #12 from app-2 (urgent)] Subject: Schema changed");
        text.ShouldContain("Run the migrations.");
        text.ShouldContain("baton mail send app-2");
    }

    [Fact]
    public void ForAgent_ToAProject_SaysWhichAddressItCameThrough() =>
        MessageText.ForAgent(Message(4) with { Via = "project:app" }).ShouldStartWith("[Baton message #4 from app-2 to project:app]");

    [Fact]
    public void PromptSection_Nothing_IsEmpty()
    {
        MessageText.PromptSection([]).ShouldBeEmpty();
        MessageText.AppendToPrompt("Do the task.", []).ShouldBe("Do the task.");
    }

    [Fact]
    public void PromptSection_HandoffAndMessages_PutsTheLabelledNoteFirst()
    {
        var section = MessageText.PromptSection([Message(5, from: "human", subject: "Region", body: "Use eu-west-1."), Message(7, from: "app-3", body: "NOTE: parser done", kind: MessageKinds.Handoff)]);

        section.ShouldContain("# Hand-off from the previous run");
        section.ShouldContain("fresh conversation in the same workspace");
        var note = section.IndexOf("## HAND-OFF NOTE from app-3 (message #7)", StringComparison.Ordinal);
        var message = section.IndexOf("## Message #5 from human: Region", StringComparison.Ordinal);
        note.ShouldBeGreaterThan(0);
        message.ShouldBeGreaterThan(note);
        section.ShouldContain("NOTE: parser done");
        section.ShouldContain("Use eu-west-1.");
    }

    [Fact]
    public void PromptSection_MoreThanTheBudget_NamesTheRestByNumber()
    {
        var big = new string('x', 600);
        var section = MessageText.PromptSection([Message(1, body: big), Message(2, body: big), Message(3, body: "small")], budgetBytes: 1000);

        section.ShouldContain("## Message #1");
        section.ShouldNotContain("## Message #2");
        section.ShouldContain("## Message #3");
        section.ShouldContain("1 more message(s) did not fit here: #2 from app-2");
        section.ShouldContain("baton mail read <id>");
    }

    [Fact]
    public void AppendToPrompt_Pending_KeepsTheTaskFirst() =>
        MessageText.AppendToPrompt("Do the task.\n", [Message(1)]).ShouldStartWith("Do the task.\n\n---\n\n# Messages for this task");
}
