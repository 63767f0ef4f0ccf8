using System.Globalization;
using System.Text.RegularExpressions;

namespace Baton.Core.Doctor;

/// <summary>
/// A dotted version as printed by the tools Baton drives: <c>git version 2.39.5</c>, <c>tmux 3.3a</c>,
/// <c>v20.20.2</c>, <c>2.1.197 (Claude Code)</c>, <c>codex-cli 0.169.0</c>. A single trailing letter
/// (tmux's <c>3.3a</c>) orders after the bare number.
/// </summary>
public readonly partial record struct ToolVersion(int Major, int Minor, int Patch, string Suffix) : IComparable<ToolVersion>
{
    public ToolVersion(int major, int minor, int patch = 0)
        : this(major, minor, patch, string.Empty)
    {
    }

    /// <summary>
    /// The first version-looking token in <paramref name="text"/> (at least major.minor), or null. Names such as
    /// <c>codex-cli</c> or <c>tmux next-3.4</c> around the number are ignored.
    /// </summary>
    public static ToolVersion? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var match = VersionPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        // A component too large for an int is not a version anyone prints; treat the text as unreadable.
        if (!TryInt(match.Groups["major"].Value, out var major)
            || !TryInt(match.Groups["minor"].Value, out var minor)
            || !TryInt(match.Groups["patch"].Success ? match.Groups["patch"].Value : "0", out var patch))
        {
            return null;
        }

        return new ToolVersion(major, minor, patch, match.Groups["suffix"].Value);
    }

    public int CompareTo(ToolVersion other)
    {
        var result = Major.CompareTo(other.Major);
        if (result == 0)
        {
            result = Minor.CompareTo(other.Minor);
        }

        if (result == 0)
        {
            result = Patch.CompareTo(other.Patch);
        }

        return result != 0 ? result : string.CompareOrdinal(Suffix ?? string.Empty, other.Suffix ?? string.Empty);
    }

    public static bool operator <(ToolVersion left, ToolVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(ToolVersion left, ToolVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(ToolVersion left, ToolVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(ToolVersion left, ToolVersion right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}{Suffix}");

    private static bool TryInt(string digits, out int value) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    // Not preceded by a digit or dot (so "12.3" inside "1.12.3" is not picked from the middle); the suffix is one
    // lowercase letter not followed by another letter, so "3.3a" keeps its "a" but "1.2rc1" does not become "1.2r".
    [GeneratedRegex(@"(?<![\d.])(?<major>\d+)\.(?<minor>\d+)(?:\.(?<patch>\d+))?(?<suffix>[a-z](?![a-z]))?(?!\d)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
