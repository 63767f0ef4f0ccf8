using System.Security.Cryptography;
using System.Text;
using Baton.Core.Errors;

namespace Baton.Core.Workspaces;

/// <summary>
/// The directory name of a task's workspace (Symphony §9.5 invariant 3): only <c>[A-Za-z0-9._-]</c>.
/// Replacing characters loses information, so whenever the identifier is not kept verbatim a suffix
/// <c>--</c> + the first 16 hex characters of sha256(identifier) is appended; <c>team/a 1</c> and
/// <c>team_a_1</c> therefore never share a directory.
/// </summary>
public static class WorkspaceKey
{
    /// <summary>Keeps the whole name well under the 255-byte file name limit, suffix included.</summary>
    public const int MaxSanitizedLength = 120;

    private const int HashHexLength = 16;
    private const string SuffixSeparator = "--";

    public static string From(string identifier)
    {
        if (string.IsNullOrEmpty(identifier))
        {
            throw BatonException.Usage(
                ErrorCodes.InvalidWorkspaceKey,
                "A workspace needs a non-empty task identifier.",
                "Give the task an identifier such as INT-12.");
        }

        var builder = new StringBuilder(identifier.Length);
        var replaced = false;
        foreach (var c in identifier)
        {
            if (IsSafe(c))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('_');
                replaced = true;
            }
        }

        var sanitized = builder.ToString();

        // "." and ".." are made of safe characters but name the directory itself or its parent.
        if (sanitized is "." or "..")
        {
            sanitized = new string('_', sanitized.Length);
            replaced = true;
        }

        if (sanitized.Length > MaxSanitizedLength)
        {
            sanitized = sanitized[..MaxSanitizedLength];
            replaced = true;
        }

        // A verbatim identifier that already ends like a suffix could equal another identifier's
        // suffixed key; giving it a suffix of its own keeps keys one-to-one.
        if (!replaced && !LooksSuffixed(sanitized))
        {
            return sanitized;
        }

        return sanitized + SuffixSeparator + Hash(identifier);
    }

    public static bool IsValid(string key) =>
        !string.IsNullOrEmpty(key) && key is not "." and not ".." && key.All(IsSafe);

    private static bool IsSafe(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-';

    private static bool LooksSuffixed(string value)
    {
        var start = value.Length - HashHexLength - SuffixSeparator.Length;
        if (start < 0 || !value.AsSpan(start, SuffixSeparator.Length).SequenceEqual(SuffixSeparator))
        {
            return false;
        }

        return !value.AsSpan(start + SuffixSeparator.Length).ContainsAnyExcept("0123456789abcdef");
    }

    private static string Hash(string identifier) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identifier)))[..HashHexLength];
}
