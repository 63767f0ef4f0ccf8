using Baton.Core.Errors;
using Baton.Core.Sessions;

namespace Baton.Core.Coordination;

/// <summary>What a message can be addressed to.</summary>
public enum MailAddressKind
{
    /// <summary>One session, e.g. <c>app-3</c>; when its run has ended, the next session of its task gets the message.</summary>
    Session,

    /// <summary>The people running Baton: read with <c>baton mail inbox</c>.</summary>
    Human,

    /// <summary>A running <c>baton run</c>: it logs the message on its next tick.</summary>
    Orchestrator,

    /// <summary><c>project:&lt;id&gt;</c>: every live session of the project, one message each.</summary>
    Project,
}

/// <summary>A parsed message address. Parsing checks the form only; whether the session or project exists is the sender's job.</summary>
public sealed record MailAddress(MailAddressKind Kind, string Value)
{
    public const string HumanName = "human";
    public const string OrchestratorName = "orchestrator";
    public const string ProjectPrefix = "project:";

    public static MailAddress Human { get; } = new(MailAddressKind.Human, HumanName);

    public static MailAddress Orchestrator { get; } = new(MailAddressKind.Orchestrator, OrchestratorName);

    public const string Forms = "a session (app-3), human, orchestrator, or project:<id> (every live session of a project)";

    public override string ToString() => Kind == MailAddressKind.Project ? ProjectPrefix + Value : Value;

    /// <summary>Parses <paramref name="text"/>; an address of no known form is a usage error (<c>invalid_address</c>).</summary>
    public static MailAddress Parse(string? text)
    {
        var trimmed = text?.Trim() ?? string.Empty;
        if (string.Equals(trimmed, HumanName, StringComparison.OrdinalIgnoreCase))
        {
            return Human;
        }

        if (string.Equals(trimmed, OrchestratorName, StringComparison.OrdinalIgnoreCase))
        {
            return Orchestrator;
        }

        if (trimmed.StartsWith(ProjectPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var id = trimmed[ProjectPrefix.Length..].Trim();
            if (id.Length > 0 && id.All(c => !char.IsWhiteSpace(c) && !char.IsControl(c)))
            {
                return new MailAddress(MailAddressKind.Project, id);
            }
        }
        else if (SessionNames.TryParse(trimmed, out var prefix, out var number))
        {
            return new MailAddress(MailAddressKind.Session, SessionNames.Name(prefix, number));
        }

        throw BatonException.Usage(
            ErrorCodes.InvalidAddress,
            trimmed.Length == 0 ? "the message has no address" : $"'{MessageText.TerminalSafe(trimmed, multiline: false)}' is not an address",
            $"Address {Forms}; 'baton list' shows the sessions.");
    }
}
