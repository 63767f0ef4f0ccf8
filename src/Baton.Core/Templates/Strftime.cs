using System.Globalization;
using System.Text;

namespace Baton.Core.Templates;

/// <summary>
/// Ruby's <c>strftime</c>, which Liquid's <c>date</c> filter uses: <c>%Y-%m-%d</c>, <c>%b %-d, %Y</c>, <c>%H:%M</c> and
/// the rest. Flags <c>-</c> (no padding), <c>_</c> (spaces), <c>0</c> (zeros), <c>^</c> (upper case) and <c>:</c> (for
/// <c>%:z</c>). An unknown directive is written as is, as Ruby does.
/// </summary>
internal static class Strftime
{
    private static readonly string[] s_days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    private static readonly string[] s_months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string Format(DateTimeOffset time, string format, int max)
    {
        var output = new CappedBuilder(max);
        var i = 0;
        while (i < format.Length)
        {
            var c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                output.Append(c);
                i++;
                continue;
            }

            var start = i;
            i++;
            char? padFlag = null;
            var upper = false;
            var colons = 0;
            while (i < format.Length && format[i] is '-' or '_' or '0' or '^' or '#' or ':')
            {
                switch (format[i])
                {
                    case '^' or '#':
                        upper = true;
                        break;
                    case ':':
                        colons++;
                        break;
                    default:
                        padFlag = format[i];
                        break;
                }

                i++;
            }

            var width = 0;
            while (i < format.Length && char.IsAsciiDigit(format[i]) && width < 100)
            {
                width = (width * 10) + (format[i] - '0');
                i++;
            }

            if (i >= format.Length)
            {
                output.Append(format[start..]);
                break;
            }

            var directive = format[i];
            i++;
            var text = Directive(time, directive, padFlag, colons);
            if (text is null)
            {
                output.Append(format[start..i]);
                continue;
            }

            if (width > text.Length)
            {
                var pad = padFlag == '_' || (padFlag is null && directive is 'a' or 'A' or 'b' or 'B' or 'h' or 'p' or 'P' or 'Z') ? ' ' : '0';
                text = new string(pad, width - text.Length) + text;
            }

            output.Append(upper ? text.ToUpperInvariant() : text);
        }

        return output.ToString();
    }

    private static string? Directive(DateTimeOffset t, char directive, char? flag, int colons)
    {
        string Num(long value, int width, char defaultPad = '0')
        {
            var digits = value.ToString(CultureInfo.InvariantCulture);
            var pad = flag switch { '-' => (char?)null, '_' => ' ', '0' => '0', _ => defaultPad };
            return pad is { } p && digits.Length < width ? new string(p, width - digits.Length) + digits : digits;
        }

        var hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        return directive switch
        {
            'Y' => t.Year.ToString(CultureInfo.InvariantCulture),
            'C' => Num(t.Year / 100, 2),
            'y' => Num(t.Year % 100, 2),
            'm' => Num(t.Month, 2),
            'B' => s_months[t.Month - 1],
            'b' or 'h' => s_months[t.Month - 1][..3],
            'd' => Num(t.Day, 2),
            'e' => Num(t.Day, 2, ' '),
            'j' => Num(t.DayOfYear, 3),
            'H' => Num(t.Hour, 2),
            'k' => Num(t.Hour, 2, ' '),
            'I' => Num(hour12, 2),
            'l' => Num(hour12, 2, ' '),
            'P' => t.Hour < 12 ? "am" : "pm",
            'p' => t.Hour < 12 ? "AM" : "PM",
            'M' => Num(t.Minute, 2),
            'S' => Num(t.Second, 2),
            'L' => Num(t.Millisecond, 3),
            'N' => Num((t.Ticks % TimeSpan.TicksPerSecond) * 100, 9),
            'z' => Offset(t.Offset, colons),
            'Z' => t.Offset == TimeSpan.Zero ? "UTC" : Offset(t.Offset, 1),
            'A' => s_days[(int)t.DayOfWeek],
            'a' => s_days[(int)t.DayOfWeek][..3],
            'u' => Num(t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek, 1),
            'w' => Num((int)t.DayOfWeek, 1),
            'U' => Num((t.DayOfYear + 6 - (int)t.DayOfWeek) / 7, 2),
            'W' => Num((t.DayOfYear + 6 - (((int)t.DayOfWeek + 6) % 7)) / 7, 2),
            'G' => ISOWeek.GetYear(t.DateTime).ToString(CultureInfo.InvariantCulture),
            'g' => Num(ISOWeek.GetYear(t.DateTime) % 100, 2),
            'V' => Num(ISOWeek.GetWeekOfYear(t.DateTime), 2),
            's' => t.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            'F' => Format(t, "%Y-%m-%d", 64),
            'D' or 'x' => Format(t, "%m/%d/%y", 64),
            'T' or 'X' => Format(t, "%H:%M:%S", 64),
            'R' => Format(t, "%H:%M", 64),
            'r' => Format(t, "%I:%M:%S %p", 64),
            'c' => Format(t, "%a %b %e %H:%M:%S %Y", 64),
            'v' => Format(t, "%e-%^b-%Y", 64),
            'n' => "\n",
            't' => "\t",
            '%' => "%",
            _ => null,
        };
    }

    private static string Offset(TimeSpan offset, int colons)
    {
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        var builder = new StringBuilder().Append(sign).Append(abs.Hours.ToString("00", CultureInfo.InvariantCulture));
        if (colons > 0)
        {
            builder.Append(':');
        }

        builder.Append(abs.Minutes.ToString("00", CultureInfo.InvariantCulture));
        return builder.ToString();
    }
}
