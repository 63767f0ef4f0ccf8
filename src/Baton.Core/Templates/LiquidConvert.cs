using System.Globalization;

namespace Baton.Core.Templates;

/// <summary>Liquid's conversions for filter arguments and math.</summary>
internal static class LiquidConvert
{
    /// <summary>An integer argument (Liquid's <c>to_integer</c>): integers, floats (truncated), numeric strings.</summary>
    public static long ToInteger(object? value)
    {
        switch (value)
        {
            case long l:
                return l;
            case double d when double.IsFinite(d) && Math.Abs(d) < 9.2e18:
                return (long)d;
            case string s:
                var trimmed = s.Trim();
                if (long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
                {
                    return parsed;
                }

                if (double.TryParse(trimmed, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var f)
                    && Math.Abs(f) < 9.2e18)
                {
                    return (long)f;
                }

                break;
        }

        throw new LiquidRuntimeException($"expected an integer, not {LiquidValues.Describe(value)}");
    }

    /// <summary>
    /// A number for math filters (Liquid's <c>to_number</c>): numbers as they are, <c>"1.5"</c> as a float, a string's
    /// leading integer otherwise (<c>"12abc"</c> is 12, <c>"abc"</c> is 0), and 0 for anything else.
    /// </summary>
    public static object ToNumber(object? value)
    {
        switch (value)
        {
            case long or double:
                return value;
            case string s:
                var t = s.Trim();
                if (t.Contains('.', StringComparison.Ordinal)
                    && double.TryParse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d))
                {
                    return d;
                }

                var end = t.Length > 0 && t[0] is '-' or '+' ? 1 : 0;
                while (end < t.Length && char.IsAsciiDigit(t[end]))
                {
                    end++;
                }

                if (long.TryParse(t.AsSpan(0, end), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    return l;
                }

                return end > 1 && double.TryParse(t.AsSpan(0, end), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big) ? big : (object)0L;
            default:
                return 0L;
        }
    }

    /// <summary>An integral double as a <see cref="long"/> when it fits (Ruby's <c>ceil</c>/<c>floor</c>/<c>round</c> give Integers).</summary>
    public static object Integral(double value) =>
        double.IsFinite(value) && value >= -9.2e18 && value <= 9.2e18 ? (long)value : (object)value;
}
