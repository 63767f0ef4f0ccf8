using System.CommandLine;
using Baton.Coordination;
using Baton.Core.Coordination;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class MailSendCommand : BatonCommand
{
    private readonly Argument<string> _to = new("to") { Description = $"Who gets it: {MailAddress.Forms}" };
    private readonly Option<string?> _subject = new("--subject", "-s") { Description = $"One line, at most {MessageRules.MaxSubjectChars} characters" };
    private readonly Option<string?> _message = new("--message", "-m") { Description = $"The body (- reads it from standard input); at most {MessageRules.MaxBodyBytes / 1024} KiB" };
    private readonly Option<bool> _urgent = new("--urgent") { Description = "Steer a working agent: it reads the message before its next model call instead of after its current work" };

    public MailSendCommand(CliContext context)
        : base("send", "Send a message. To a live session it is delivered into the agent at once; to a session whose run has ended, it waits for the next run of its task.\n\nExamples:\n  baton mail send app-3 -s \"Schema changed\" -m \"Run the migrations before the tests.\" --urgent\n  git diff | baton mail send app-4 -s \"My change to utils.py\" -m -\n  baton mail send project:app -s \"main moved\" -m \"Rebase on main before you push.\"", context)
    {
        Arguments.Add(_to);
        Options.Add(_subject);
        Options.Add(_message);
        Options.Add(_urgent);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var to = MailAddress.Parse(parseResult.GetValue(_to));
        var sender = MailCommands.Sender(Context);
        var subject = parseResult.GetValue(_subject);
        MessageRules.ValidateSubject(subject);
        var body = await MailCommands.BodyAsync(Context, parseResult.GetValue(_message), "message body", cancellationToken).ConfigureAwait(false);
        MessageRules.Validate(subject, body);

        using var sessions = SessionContext.Open(Context, parseResult);
        var sent = await MailCommands.Service(sessions).SendAsync(
            new MailDraft
            {
                Sender = sender,
                SenderProject = sender == MailAddress.HumanName ? null : Context.GetEnvironment(TaskCommands.ProjectEnvironmentVariable),
                To = to,
                Subject = subject!,
                Body = body!,
                Urgent = parseResult.GetValue(_urgent),
                PreferredProjects = MailCommands.PreferredProjects(sessions),
            },
            cancellationToken).ConfigureAwait(false);
        var view = new MailSentView(sender, sent);
        return WriteData(parseResult, view, MailJsonContext.Default.MailSentView, console =>
        {
            foreach (var message in sent)
            {
                console.WriteLine($"Sent #{message.Id} to {MessageText.TerminalSafe(message.To, multiline: false)}: {MessageText.TerminalSafe(message.Note, multiline: false)}.");
            }
        });
    }
}
