using System.CommandLine;
using System.Globalization;
using Baton.Coordination;
using Baton.Core.Coordination;
using Baton.Core.Errors;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class MailInboxCommand : BatonCommand
{
    private readonly Argument<string?> _address = new("address") { Description = "A session (app-3), human or orchestrator; default: $BATON_SESSION, else human", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _unread = new("--unread") { Description = "Only messages not read yet (delivery into an agent counts as read)" };
    private readonly Option<int> _limit = new("--limit", "-n") { Description = "At most this many, newest first", DefaultValueFactory = _ => 50 };

    public MailInboxCommand(CliContext context)
        : base("inbox", "List the messages of an inbox, newest first. A session's inbox also holds what it received for an earlier session of its task (hand-off notes, messages in its prompt).\n\nExamples:\n  baton mail inbox\n  baton mail inbox app-3 --unread\n  baton mail inbox orchestrator --json", context)
    {
        Arguments.Add(_address);
        Options.Add(_unread);
        Options.Add(_limit);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var address = MailAddress.Parse(parseResult.GetValue(_address) ?? MailCommands.Sender(Context));
        if (address.Kind == MailAddressKind.Project)
        {
            throw BatonException.Usage(ErrorCodes.InvalidAddress, $"{address} names several sessions, and each has its own inbox", "List one session's inbox (baton mail inbox app-3), or human's, or orchestrator's.");
        }

        var limit = Math.Clamp(parseResult.GetValue(_limit), 1, 10_000);
        var unread = parseResult.GetValue(_unread);
        using var sessions = SessionContext.Open(Context, parseResult);
        var store = sessions.Tracker.Store;
        IReadOnlyList<MailMessage> messages;
        if (address.Kind == MailAddressKind.Session)
        {
            var session = MailCommands.Service(sessions).FindSession(address.Value, Context.GetEnvironment(TaskCommands.ProjectEnvironmentVariable), MailCommands.PreferredProjects(sessions));
            messages = store.Read(db => MessageRows.SessionInbox(db, session.Name, session.Project, unread, limit));
        }
        else
        {
            messages = store.Read(db => MessageRows.NamedInbox(db, address.Value, unread, limit));
        }

        var view = new InboxView(address.ToString(), [.. messages.Select(MessageView.Of)]);
        return Task.FromResult(WriteData(parseResult, view, MailJsonContext.Default.InboxView, console =>
        {
            if (view.Messages.Count == 0)
            {
                console.WriteLine(unread ? $"No unread messages for {view.Address}." : $"No messages for {view.Address}.");
                return;
            }

            var now = Context.Time.GetUtcNow();
            var table = new Table().Border(TableBorder.Simple);
            foreach (var column in new[] { "ID", "FROM", "SUBJECT", "AGE", "STATE" })
            {
                table.AddColumn(column);
            }

            foreach (var m in view.Messages)
            {
                var state = m.Kind == MessageKinds.Handoff ? "hand-off" : string.Empty;
                state += m.ReadAt is null ? (state.Length > 0 ? ", unread" : "unread") : string.Empty;
                state += m.Delivery is { } d ? $"{(state.Length > 0 ? ", " : string.Empty)}{d.Replace('_', '-')}{(m.DeliveredTo is { } t && t != m.To ? $" → {t}" : string.Empty)}" : string.Empty;
                table.AddRow(
                    new Text(m.Id.ToString(CultureInfo.InvariantCulture)),
                    new Text(MessageText.Preview(m.From, 40)),
                    new Text((m.Urgent ? "! " : string.Empty) + MessageText.Preview(m.Subject, 80)),
                    new Text(MailCommands.Age(m.CreatedAt, now)),
                    new Text(state.Length == 0 ? "read" : state));
            }

            console.Write(table);
            console.WriteLine("Read one with 'baton mail read <id>'.");
        }));
    }
}
