using System.CommandLine;
using Baton.Core.Coordination;
using Baton.Core.Errors;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class HandoffCommand : BatonCommand
{
    private readonly Option<string?> _message = new("--message", "-m") { Description = $"The note for the next run (- reads it from standard input); at most {MessageRules.MaxBodyBytes / 1024} KiB" };

    public HandoffCommand(CliContext context)
        : base("handoff", "From inside a session: write a hand-off note for the next run of this task, and end this run after the current turn. " +
            "The next run (the orchestrator starts it while the task is active; or 'baton spawn' the task) is a fresh agent conversation in the same workspace whose prompt carries the note.\n\n" +
            "Examples:\n  baton handoff -m \"Done: parser and its tests. Left: the CLI flag. Watch out: utils.py is shared with APP-4.\"\n  baton handoff -m - < notes.md", context)
    {
        Options.Add(_message);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (Context.GetEnvironment(MailCommands.SessionEnvironmentVariable) is null)
        {
            throw BatonException.Usage(
                ErrorCodes.HandoffOutsideSession,
                "baton handoff runs inside a session: BATON_SESSION is not set",
                "An agent runs it from its workspace (Baton sets BATON_SESSION); to end a session from outside use 'baton kill <session>', to leave it a note use 'baton mail send <session> …'.");
        }

        var sender = MailCommands.Sender(Context);
        var note = await MailCommands.BodyAsync(Context, parseResult.GetValue(_message), "hand-off note", cancellationToken).ConfigureAwait(false);
        MessageRules.ValidateBody(note, "hand-off note", ErrorCodes.HandoffNoteMissing, "Write what the next run needs: baton handoff -m \"Done: … Left: … Watch out: …\".");

        using var sessions = SessionContext.Open(Context, parseResult);
        var service = MailCommands.Service(sessions);
        var session = service.FindSession(sender, Context.GetEnvironment(TaskCommands.ProjectEnvironmentVariable), MailCommands.PreferredProjects(sessions));
        var result = await service.HandOffAsync(session, note!, cancellationToken).ConfigureAwait(false);
        return WriteData(parseResult, result, MailJsonContext.Default.HandoffResult, console =>
            console.WriteLine($"Handed off: {result.Note}. Stop working now; this turn is the run's last."));
    }
}
