using System.Globalization;
using System.Text;
using Baton.Core.Errors;

namespace Baton.Core.Coordination;

/// <summary>
/// The limits of a message. A message is a note that goes into an agent's context (a 64 KiB body is about 16,000
/// tokens), not a way to move files: anything larger belongs in the workspace or in git, and the message names it.
/// </summary>
public static class MessageRules
{
    /// <summary>The largest body, in UTF-8 bytes.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>The longest subject, in characters; a subject is one line.</summary>
    public const int MaxSubjectChars = 200;

    private const string TooLargeSuggestion = "A message is a note, not a file: commit the file in the workspace (or put it in a shared path) and send its path.";

    /// <summary>Checks a message before anything is stored. Control characters are kept as given (they are escaped on display).</summary>
    public static void Validate(string? subject, string? body)
    {
        ValidateSubject(subject);
        ValidateBody(body, "message body", ErrorCodes.MessageBodyMissing, "Write the message with -m \"…\" (or -m - to read it from standard input).");
    }

    public static void ValidateSubject(string? subject)
    {
        if (string.IsNullOrWhiteSpace(subject))
        {
            throw BatonException.Usage(ErrorCodes.MessageSubjectMissing, "the message has no subject", "Give it one with -s \"…\": the recipient sees it first.");
        }

        if (subject.Contains('\n', StringComparison.Ordinal) || subject.Contains('\r', StringComparison.Ordinal))
        {
            throw BatonException.Usage(ErrorCodes.MessageSubjectInvalid, "the subject is more than one line", "Keep the subject to one line and put the rest in the body (-m).");
        }

        if (subject.Length > MaxSubjectChars)
        {
            throw BatonException.Usage(
                ErrorCodes.MessageSubjectInvalid,
                string.Create(CultureInfo.InvariantCulture, $"the subject is {subject.Length} characters; the limit is {MaxSubjectChars}"),
                "Shorten the subject and put the details in the body (-m).");
        }
    }

    /// <summary>Checks a body (or a hand-off note): present, and at most <see cref="MaxBodyBytes"/> bytes.</summary>
    public static void ValidateBody(string? body, string what, string missingCode, string missingSuggestion)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            throw BatonException.Usage(missingCode, $"the {what} is empty", missingSuggestion);
        }

        var bytes = Encoding.UTF8.GetByteCount(body);
        if (bytes > MaxBodyBytes)
        {
            throw BatonException.Usage(
                ErrorCodes.MessageTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"the {what} is {bytes:N0} bytes; the limit is {MaxBodyBytes:N0} bytes (64 KiB)"),
                TooLargeSuggestion);
        }
    }

    /// <summary>
    /// Reads standard input for <c>-m -</c>, never more than one character past the limit, so a huge (or endless)
    /// input is refused without being held in memory. A UTF-8 character is at least one byte, so reading
    /// <see cref="MaxBodyBytes"/> + 1 characters is enough to know the body is too large (<c>message_too_large</c>).
    /// </summary>
    public static async Task<string> ReadBoundedAsync(TextReader input, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var buffer = new char[MaxBodyBytes + 1];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await input.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        if (total == buffer.Length)
        {
            throw BatonException.Usage(
                ErrorCodes.MessageTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"the {what} on standard input is more than {MaxBodyBytes:N0} bytes (64 KiB), the limit"),
                TooLargeSuggestion);
        }

        return new string(buffer, 0, total);
    }
}
