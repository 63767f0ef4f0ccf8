using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using Baton.Coordination;
using Baton.Core.Coordination;
using Baton.Core.Errors;
using Baton.Core.Sessions;

namespace Baton.Cli.Commands;

/// <summary>A message as <c>baton mail</c> prints it (the body as stored: control characters are escaped in JSON).</summary>
public sealed record MessageView(
    long Id,
    string Kind,
    string From,
    string To,
    string? Via,
    string Subject,
    string Body,
    bool Urgent,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeliveredAt,
    string? DeliveredTo,
    string? Delivery,
    DateTimeOffset? ReadAt)
{
    public static MessageView Of(MailMessage m) =>
        new(m.Id, m.Kind, m.Sender, m.Recipient, m.Via, m.Subject, m.Body, m.Urgent, m.CreatedAt, m.DeliveredAt, m.DeliveredTo, m.Delivery, m.ReadAt);
}

public sealed record InboxView(string Address, IReadOnlyList<MessageView> Messages);

public sealed record MailSentView(string From, IReadOnlyList<MailSent> Messages);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MessageView))]
[JsonSerializable(typeof(InboxView))]
[JsonSerializable(typeof(MailSentView))]
[JsonSerializable(typeof(HandoffResult))]
internal sealed partial class MailJsonContext : JsonSerializerContext;

/// <summary><c>baton mail …</c>: messages between sessions and people.</summary>
public static class MailCommands
{
    public const string SessionEnvironmentVariable = "BATON_SESSION";

    public static Command Create(CliContext context)
    {
        var mail = new Command(
            "mail",
            "Messages between sessions and people, kept in BATON_HOME/state.db.\n\n" +
            $"Addresses: {MailAddress.Forms}.\n" +
            "A message to a live session goes into its agent at once (a follow-up, or steering with --urgent) and shows in its transcript; " +
            "to a session whose run has ended, it waits for the next run of its task, whose prompt carries it.\n" +
            $"The sender is $BATON_SESSION (set for agents), else human. A body holds at most {MessageRules.MaxBodyBytes / 1024} KiB, a subject {MessageRules.MaxSubjectChars} characters.\n\n" +
            "Examples:\n  baton mail send app-3 -s \"utils.py changed\" -m \"I renamed parse() to parse_line(); rebase before you touch it.\"\n" +
            "  baton mail send human -s \"Question\" -m \"Which region: eu-west-1 or us-east-1?\"\n  baton mail inbox --unread\n  baton mail read 12");
        mail.Subcommands.Add(new MailSendCommand(context));
        mail.Subcommands.Add(new MailInboxCommand(context));
        mail.Subcommands.Add(new MailReadCommand(context));
        return mail;
    }

    /// <summary>The sender of what this process sends: its session ($BATON_SESSION, checked) or <c>human</c>.</summary>
    internal static string Sender(CliContext context)
    {
        if (context.GetEnvironment(SessionEnvironmentVariable) is not { } session)
        {
            return MailAddress.HumanName;
        }

        if (!SessionNames.TryParse(session, out var prefix, out var number))
        {
            throw BatonException.Usage(
                ErrorCodes.InvalidSender,
                $"{SessionEnvironmentVariable}='{MessageText.TerminalSafe(session, multiline: false)}' is not a session name",
                $"Unset {SessionEnvironmentVariable} to send as human; inside a session Baton sets it (e.g. app-3).");
        }

        return SessionNames.Name(prefix, number);
    }

    internal static MailService Service(SessionContext sessions) =>
        new(sessions.Tracker.Store, sessions.Service, sessions.Cli.BatonHome, sessions.Cli.Time);

    internal static IReadOnlyCollection<string> PreferredProjects(SessionContext sessions) =>
        sessions.Tracker.Config?.Projects.Select(p => p.InstanceId).ToList() ?? [];

    /// <summary>Reads <c>-m -</c> from standard input (bounded), or returns the text as given.</summary>
    internal static async Task<string?> BodyAsync(CliContext context, string? text, string what, CancellationToken cancellationToken) =>
        text == "-" ? await MessageRules.ReadBoundedAsync(context.In, what, cancellationToken).ConfigureAwait(false) : text;

    internal static string Age(DateTimeOffset at, DateTimeOffset now)
    {
        var age = now - at;
        return age.TotalMinutes < 1 ? "now"
            : age.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes}m")
            : age.TotalDays < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}h")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalDays}d");
    }
}
