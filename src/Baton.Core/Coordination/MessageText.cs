using System.Globalization;
using System.Text;

namespace Baton.Core.Coordination;

/// <summary>
/// How messages read: to an agent (live, or in a new run's prompt) and to a person at a terminal. Bodies are stored as
/// given, control characters included; only what reaches a terminal is escaped.
/// </summary>
public static class MessageText
{
    /// <summary>How much of the pending messages' bodies a new run's prompt carries; the rest are named with their ids.</summary>
    public const int PromptBudgetBytes = 2 * MessageRules.MaxBodyBytes;

    /// <summary>
    /// Text that is safe to print to a terminal: every control character (C0, DEL, C1: what starts an escape sequence)
    /// and every bidirectional override becomes a visible escape such as <c>\x1b</c> or <c>\u202e</c>. Tabs stay; line
    /// breaks stay when <paramref name="multiline"/>, and become <c>\n</c> otherwise.
    /// </summary>
    public static string TerminalSafe(string? text, bool multiline)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' && multiline)
            {
                continue; // CRLF reads as one line break
            }

            if ((c == '\n' && multiline) || c == '\t')
            {
                builder.Append(c);
            }
            else if (c == '\n')
            {
                builder.Append("\\n");
            }
            else if (char.IsControl(c))
            {
                builder.Append(string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"));
            }
            else if (IsBidiControl(c))
            {
                builder.Append(string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>The first line of a body, made safe and cut to <paramref name="max"/> characters: for tables and logs.</summary>
    public static string Preview(string? text, int max)
    {
        var safe = TerminalSafe(text, multiline: false).Replace('\t', ' ');
        return safe.Length <= max ? safe : safe[..Math.Max(0, max - 1)] + "…";
    }

    /// <summary>
    /// A message as a live agent receives it: a header that names the number, the sender and the subject (the transcript
    /// shows it), the body, and how to answer.
    /// </summary>
    public static string ForAgent(MailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var builder = new StringBuilder();
        builder.Append(Header(message)).Append('\n').Append('\n');
        builder.Append(message.Body.TrimEnd()).Append('\n');
        if (ReplyHint(message) is { } hint)
        {
            builder.Append('\n').Append(hint).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>The one line that names a message: <c>[Baton message #12 from app-2 (urgent)] Subject: …</c>.</summary>
    public static string Header(MailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var urgent = message.Urgent ? " (urgent)" : string.Empty;
        var via = message.Via is { } v ? $" to {v}" : string.Empty;
        return message.IsHandoff
            ? string.Create(CultureInfo.InvariantCulture, $"[Baton hand-off note #{message.Id} from {message.Sender}, the previous run of this task] Subject: {message.Subject}")
            : string.Create(CultureInfo.InvariantCulture, $"[Baton message #{message.Id} from {message.Sender}{via}{urgent}] Subject: {message.Subject}");
    }

    /// <summary>
    /// The section a new run's prompt gets for the messages that waited for it: hand-off notes first and clearly
    /// labelled, then the other messages oldest first. Bodies share <paramref name="budgetBytes"/>; what does not fit is
    /// listed by id so the agent can read it with <c>baton mail read</c>. Empty when there is nothing.
    /// </summary>
    public static string PromptSection(IReadOnlyList<MailMessage> pending, int budgetBytes = PromptBudgetBytes)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (pending.Count == 0)
        {
            return string.Empty;
        }

        var ordered = pending.OrderBy(m => m.IsHandoff ? 0 : 1).ThenBy(m => m.Id).ToList();
        var builder = new StringBuilder();
        builder.Append("---\n\n");
        var handoffs = ordered.Count(m => m.IsHandoff);
        if (handoffs > 0)
        {
            builder.Append("# Hand-off from the previous run\n\n");
            builder.Append("This is a fresh conversation in the same workspace: an earlier run of this task ended with a hand-off, and its note below is all you have of that conversation. ");
            builder.Append("Check the workspace (git status, git log) against the note, then carry on with the task above.\n\n");
        }
        else
        {
            builder.Append("# Messages for this task\n\n");
            builder.Append("These arrived for the task's earlier sessions after their runs had ended.\n\n");
        }

        var used = 0;
        var left = new List<MailMessage>();
        foreach (var message in ordered)
        {
            var size = Encoding.UTF8.GetByteCount(message.Body);
            if (used + size > budgetBytes && used > 0)
            {
                left.Add(message);
                continue;
            }

            used += size;
            var title = message.IsHandoff
                ? string.Create(CultureInfo.InvariantCulture, $"## HAND-OFF NOTE from {message.Sender} (message #{message.Id})")
                : string.Create(CultureInfo.InvariantCulture, $"## Message #{message.Id} from {message.Sender}{(message.Urgent ? " (urgent)" : string.Empty)}: {message.Subject}");
            builder.Append(title).Append("\n\n").Append(message.Body.TrimEnd()).Append("\n\n");
        }

        if (left.Count > 0)
        {
            builder.Append(string.Create(CultureInfo.InvariantCulture, $"{left.Count} more message(s) did not fit here: "));
            builder.Append(string.Join(", ", left.Select(m => string.Create(CultureInfo.InvariantCulture, $"#{m.Id} from {m.Sender}"))));
            builder.Append(". Read each with 'baton mail read <id>'.\n\n");
        }

        if (handoffs < ordered.Count)
        {
            builder.Append("Reply to a message with 'baton mail send <sender> -s \"…\" -m \"…\"'; 'baton mail inbox' lists your messages.\n");
        }

        return builder.ToString().TrimEnd() + "\n";
    }

    /// <summary>A prompt with the pending messages' section after it (the task stays the first thing the agent reads).</summary>
    public static string AppendToPrompt(string prompt, IReadOnlyList<MailMessage> pending)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var section = PromptSection(pending);
        return section.Length == 0 ? prompt : $"{prompt.TrimEnd()}\n\n{section}";
    }

    private static string? ReplyHint(MailMessage message) => message.IsHandoff || message.Sender == MailAddress.OrchestratorName
        ? null
        : $"(Reply with: baton mail send {message.Sender} -s \"Re: …\" -m \"…\")";

    /// <summary>The Unicode controls that reorder text on screen (the "trojan source" characters).</summary>
    private static bool IsBidiControl(char c) => c is (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') or '\u200e' or '\u200f' or '\u061c';
}
