using System.Collections;
using System.Globalization;

namespace Baton.Core.Templates;

/// <summary>
/// JSON for the <c>json</c> filter and for maps written to the output. Written by hand into a
/// <see cref="CappedBuilder"/> so that a huge value fails at the output bound instead of allocating first;
/// non-ASCII text is kept as is, since the reader is a model, not a browser.
/// </summary>
internal static class JsonText
{
    public static void Append(CappedBuilder builder, object? value, int depth)
    {
        if (depth > LiquidValues.MaxDepth)
        {
            throw new LiquidRuntimeException($"values are nested more than {LiquidValues.MaxDepth} deep");
        }

        value = LiquidValues.Normalize(value);
        switch (value)
        {
            case null or LiquidSpecial:
                builder.Append("null");
                return;
            case bool b:
                builder.Append(b ? "true" : "false");
                return;
            case long l:
                builder.Append(l.ToString(CultureInfo.InvariantCulture));
                return;
            case double d:
                builder.Append(double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "null");
                return;
            case string s:
                AppendString(builder, s);
                return;
            case DateTimeOffset date:
                AppendString(builder, LiquidValues.FormatIso(date));
                return;
            case LiquidRange range:
                builder.Ensure(range.Count * 2);
                builder.Append('[');
                for (var i = 0L; i < range.Count; i++)
                {
                    if (i != 0)
                    {
                        builder.Append(',');
                    }

                    builder.Append((range.Start + i).ToString(CultureInfo.InvariantCulture));
                }

                builder.Append(']');
                return;
        }

        if (LiquidValues.IsMap(value))
        {
            builder.Append('{');
            var first = true;
            foreach (var (key, item) in LiquidValues.Entries(value!))
            {
                if (!first)
                {
                    builder.Append(',');
                }

                first = false;
                AppendString(builder, key);
                builder.Append(':');
                Append(builder, item, depth + 1);
            }

            builder.Append('}');
            return;
        }

        builder.Append('[');
        var firstItem = true;
        foreach (var item in (IEnumerable)value!)
        {
            if (!firstItem)
            {
                builder.Append(',');
            }

            firstItem = false;
            Append(builder, item, depth + 1);
        }

        builder.Append(']');
    }

    private static void AppendString(CappedBuilder builder, string text)
    {
        builder.Ensure(text.Length + 2);
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case '\b':
                    builder.Append("\\b");
                    break;
                case '\f':
                    builder.Append("\\f");
                    break;
                case < ' ' or '\u2028' or '\u2029':
                    builder.Append("\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        builder.Append('"');
    }
}
