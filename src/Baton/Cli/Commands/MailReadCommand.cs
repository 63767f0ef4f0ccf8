using System.CommandLine;
using System.Globalization;
using Baton.Coordination;
using Baton.Core.Coordination;
using Baton.Core.Errors;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class MailReadCommand : BatonCommand
{
    private readonly Argument<string> _id = new("id") { Description = "The message's number, e.g. 12 (as 'baton mail inbox' lists it)" };

    public MailReadCommand(CliContext context)
        : base("read", "Print a message and mark it read. Control characters in it are shown escaped (\\x1b), never sent to the terminal.\n\nExamples:\n  baton mail read 12\n  baton mail read 12 --json | jq -r .data.body", context)
    {
        Arguments.Add(_id);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var text = parseResult.GetValue(_id)!.Trim().TrimStart('#');
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
        {
            throw BatonException.Usage(ErrorCodes.BadUsage, $"'{MessageText.TerminalSafe(parseResult.GetValue(_id), multiline: false)}' is not a message number", "Give the number 'baton mail inbox' lists, e.g. baton mail read 12.");
        }

        using var sessions = SessionContext.Open(Context, parseResult);
        var now = Context.Time.GetUtcNow();
        var message = sessions.Tracker.Store.Write(db =>
        {
            var found = MessageRows.Get(db, id);
            return found is not null && MessageRows.MarkRead(db, id, now) ? found with { ReadAt = now } : found;
        }) ?? throw new BatonException(ErrorCodes.MessageNotFound, $"no message #{id}", "'baton mail inbox' lists the messages of an inbox with their numbers.");

        var view = MessageView.Of(message);
        return Task.FromResult(WriteData(parseResult, view, MailJsonContext.Default.MessageView, console =>
        {
            var safe = (string? s) => MessageText.TerminalSafe(s, multiline: false);
            var kind = message.IsHandoff ? "hand-off note" : "message";
            console.WriteLine($"{kind} #{message.Id} from {safe(message.Sender)} to {safe(message.Via ?? message.Recipient)}{(message.Urgent ? " (urgent)" : string.Empty)} · {message.CreatedAt.ToString("u", CultureInfo.InvariantCulture)}");
            console.WriteLine($"Subject: {safe(message.Subject)}");
            if (message.Delivery is { } delivery)
            {
                console.WriteLine($"Delivered: {delivery.Replace('_', '-')}{(message.DeliveredTo is { } to ? $" to {safe(to)}" : string.Empty)} · {message.DeliveredAt?.ToString("u", CultureInfo.InvariantCulture)}");
            }

            console.WriteLine();
            console.WriteLine(MessageText.TerminalSafe(message.Body, multiline: true));
        }));
    }
}
