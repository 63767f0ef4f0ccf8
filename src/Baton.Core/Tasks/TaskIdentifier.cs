using System.Globalization;

namespace Baton.Core.Tasks;

/// <summary>Task identifiers are <c>&lt;PREFIX&gt;-&lt;n&gt;</c> in upper case, e.g. <c>INT-12</c>.</summary>
public static class TaskIdentifier
{
    public static string Format(string sessionPrefix, long number) =>
        string.Create(CultureInfo.InvariantCulture, $"{sessionPrefix.ToUpperInvariant()}-{number}");

    /// <summary>Splits <c>int-12</c> or <c>INT-12</c> into the lower-case prefix and the number.</summary>
    public static bool TryParse(string? value, out string prefix, out long number)
    {
        prefix = string.Empty;
        number = 0;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var text = value.Trim();
        var dash = text.LastIndexOf('-');
        if (dash <= 0 || dash == text.Length - 1)
        {
            return false;
        }

        if (!long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out number) || number <= 0)
        {
            return false;
        }

        prefix = text[..dash].ToLowerInvariant();
        return true;
    }
}
