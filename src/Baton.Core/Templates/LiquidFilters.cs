using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Baton.Core.Templates;

internal delegate object? FilterFunction(object? input, object?[] args, IReadOnlyDictionary<string, object?> keywords, RenderContext context);

/// <summary>A filter and its arity, checked when the template is parsed.</summary>
internal sealed record FilterDefinition(string Name, int MinArguments, int MaxArguments, FilterFunction Apply, params string[] Keywords)
{
    public string ArityText => (MinArguments, MaxArguments) switch
    {
        (0, 0) => "no arguments",
        (1, 1) => "1 argument",
        var (min, max) when min == max => $"{min.ToString(CultureInfo.InvariantCulture)} arguments",
        var (min, max) => $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)} arguments",
    };
}

/// <summary>
/// The standard Liquid filters with Liquid's semantics, plus <c>json</c> (not standard Liquid: writes the value as
/// JSON, handy to hand structured data to a model).
/// </summary>
internal static class LiquidFilters
{
    private static readonly Regex s_htmlBlocks = new(
        @"<script.*?</script>|<!--.*?-->|<style.*?</style>",
        RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    private static readonly Regex s_htmlTags = new(@"<[^>]*>", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    private static readonly char[] s_rubyWhitespace = [' ', '\t', '\n', '\v', '\f', '\r', '\0'];

    public static IReadOnlyDictionary<string, FilterDefinition> All { get; } = Build();

    private static Dictionary<string, FilterDefinition> Build()
    {
        FilterDefinition[] filters =
        [
            // Strings
            new("append", 1, 1, (i, a, _, c) => Concat(c, Str(i, c), Str(a[0], c))),
            new("prepend", 1, 1, (i, a, _, c) => Concat(c, Str(a[0], c), Str(i, c))),
            new("upcase", 0, 0, (i, _, _, c) => Str(i, c).ToUpperInvariant()),
            new("downcase", 0, 0, (i, _, _, c) => Str(i, c).ToLowerInvariant()),
            new("capitalize", 0, 0, (i, _, _, c) => Capitalize(Str(i, c))),
            new("strip", 0, 0, (i, _, _, c) => Str(i, c).Trim(s_rubyWhitespace)),
            new("lstrip", 0, 0, (i, _, _, c) => Str(i, c).TrimStart(s_rubyWhitespace)),
            new("rstrip", 0, 0, (i, _, _, c) => Str(i, c).TrimEnd(s_rubyWhitespace)),
            new("strip_newlines", 0, 0, (i, _, _, c) => Str(i, c).Replace("\r\n", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal)),
            new("newline_to_br", 0, 0, (i, _, _, c) => ReplaceAll(c, Str(i, c).Replace("\r\n", "\n", StringComparison.Ordinal), "\n", "<br />\n")),
            new("escape", 0, 0, (i, _, _, c) => i is null ? null : Escape(Str(i, c), once: false)),
            new("h", 0, 0, (i, _, _, c) => i is null ? null : Escape(Str(i, c), once: false)),
            new("escape_once", 0, 0, (i, _, _, c) => i is null ? null : Escape(Str(i, c), once: true)),
            new("strip_html", 0, 0, (i, _, _, c) => s_htmlTags.Replace(s_htmlBlocks.Replace(Str(i, c), string.Empty), string.Empty)),
            new("url_encode", 0, 0, (i, _, _, c) => i is null ? null : UrlEncode(Str(i, c))),
            new("url_decode", 0, 0, (i, _, _, c) => i is null ? null : UrlDecode(Str(i, c))),
            new("replace", 1, 2, (i, a, _, c) => ReplaceAll(c, Str(i, c), Str(a[0], c), Str(Arg(a, 1), c))),
            new("replace_first", 1, 2, (i, a, _, c) => ReplaceOne(c, Str(i, c), Str(a[0], c), Str(Arg(a, 1), c), last: false)),
            new("replace_last", 2, 2, (i, a, _, c) => ReplaceOne(c, Str(i, c), Str(a[0], c), Str(a[1], c), last: true)),
            new("remove", 1, 1, (i, a, _, c) => ReplaceAll(c, Str(i, c), Str(a[0], c), string.Empty)),
            new("remove_first", 1, 1, (i, a, _, c) => ReplaceOne(c, Str(i, c), Str(a[0], c), string.Empty, last: false)),
            new("remove_last", 1, 1, (i, a, _, c) => ReplaceOne(c, Str(i, c), Str(a[0], c), string.Empty, last: true)),
            new("split", 1, 1, (i, a, _, c) => Split(c, Str(i, c), Str(a[0], c))),
            new("slice", 1, 2, (i, a, _, c) => Slice(c, i, LiquidConvert.ToInteger(a[0]), a.Length > 1 ? LiquidConvert.ToInteger(a[1]) : 1)),
            new("truncate", 0, 2, (i, a, _, c) => i is null ? null : Truncate(Str(i, c), a.Length > 0 ? LiquidConvert.ToInteger(a[0]) : 50, a.Length > 1 ? Str(a[1], c) : "...")),
            new("truncatewords", 0, 2, (i, a, _, c) => i is null ? null : TruncateWords(Str(i, c), a.Length > 0 ? LiquidConvert.ToInteger(a[0]) : 15, a.Length > 1 ? Str(a[1], c) : "...")),
            new("date", 1, 1, (i, a, _, c) => Date(c, i, a[0])),
            new("default", 0, 1, Default, "allow_false"),
            new("json", 0, 0, (i, _, _, c) => Json(c, i)),

            // Collections
            new("size", 0, 0, (i, _, _, c) => Size(c, i)),
            new("join", 0, 1, (i, a, _, c) => Join(c, i, a.Length > 0 ? Str(a[0], c) : " ")),
            new("first", 0, 0, (i, _, _, c) => i is LiquidRange r ? (r.Count > 0 ? r.Start : null) : LiquidValues.IsList(i) ? List(c, i, flatten: false).FirstOrDefault() : null),
            new("last", 0, 0, (i, _, _, c) => i is LiquidRange r ? (r.Count > 0 ? r.End : null) : LiquidValues.IsList(i) ? List(c, i, flatten: false).LastOrDefault() : null),
            new("map", 1, 1, (i, a, _, c) => List(c, i).Select(item => Property(item, Str(a[0], c))).ToList()),
            new("where", 1, 2, Where),
            new("sort", 0, 1, (i, a, _, c) => Sort(c, i, a.Length > 0 ? Str(a[0], c) : null, natural: false)),
            new("sort_natural", 0, 1, (i, a, _, c) => Sort(c, i, a.Length > 0 ? Str(a[0], c) : null, natural: true)),
            new("uniq", 0, 1, (i, a, _, c) => Uniq(c, i, a.Length > 0 ? Str(a[0], c) : null)),
            new("reverse", 0, 0, (i, _, _, c) => Enumerable.Reverse(List(c, i)).ToList()),
            new("compact", 0, 1, (i, a, _, c) => List(c, i).Where(item => (a.Length > 0 ? Property(item, Str(a[0], c)) : item) is not null).ToList()),
            new("concat", 1, 1, ConcatLists),
            new("sum", 0, 1, Sum),

            // Math
            new("plus", 1, 1, (i, a, _, _) => Arithmetic(i, a[0], '+')),
            new("minus", 1, 1, (i, a, _, _) => Arithmetic(i, a[0], '-')),
            new("times", 1, 1, (i, a, _, _) => Arithmetic(i, a[0], '*')),
            new("divided_by", 1, 1, (i, a, _, _) => Arithmetic(i, a[0], '/')),
            new("modulo", 1, 1, (i, a, _, _) => Arithmetic(i, a[0], '%')),
            new("abs", 0, 0, (i, _, _, _) => LiquidConvert.ToNumber(i) switch
            {
                long l => l == long.MinValue ? -(double)l : (object)Math.Abs(l),
                var d => (object)Math.Abs((double)d),
            }),
            new("ceil", 0, 0, (i, _, _, _) => LiquidConvert.Integral(Math.Ceiling(LiquidValues.ToDouble(LiquidConvert.ToNumber(i))))),
            new("floor", 0, 0, (i, _, _, _) => LiquidConvert.Integral(Math.Floor(LiquidValues.ToDouble(LiquidConvert.ToNumber(i))))),
            new("round", 0, 1, (i, a, _, _) => Round(LiquidConvert.ToNumber(i), a.Length > 0 ? LiquidConvert.ToInteger(a[0]) : 0)),
            new("at_least", 1, 1, (i, a, _, _) => MinMax(i, a[0], max: true)),
            new("at_most", 1, 1, (i, a, _, _) => MinMax(i, a[0], max: false)),
        ];

        return filters.ToDictionary(f => f.Name, StringComparer.Ordinal);
    }

    /// <summary>"Did you mean …?" for an unknown filter name.</summary>
    public static string Suggest(string name)
    {
        var best = All.Keys
            .Select(k => (Name: k, Distance: Distance(name, k)))
            .OrderBy(p => p.Distance)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .First();
        var known = $"Known filters: {string.Join(", ", All.Keys.Order(StringComparer.Ordinal))}.";
        return best.Distance <= 2 ? $"Did you mean '{best.Name}'? {known}" : known;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static object? Arg(object?[] args, int index) => index < args.Length ? args[index] : null;

    private static string Str(object? value, RenderContext context) => LiquidValues.ToText(value, context.Options.MaxOutputLength);

    private static List<object?> List(RenderContext context, object? value, bool flatten = true) =>
        LiquidValues.FilterInput(value, context.Options.MaxIterations, flatten);

    private static object? Property(object? item, string key) =>
        item is not null && LiquidValues.IsMap(item) && LiquidValues.TryGetKey(item, key, out var value) ? value : null;

    private static string Concat(RenderContext context, string a, string b)
    {
        new CappedBuilder(context.Options.MaxOutputLength).Ensure((long)a.Length + b.Length);
        return a + b;
    }

    private static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    private static string Escape(string text, bool once)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '&' when once && IsEntity(text, i):
                    builder.Append('&');
                    break;
                case '&':
                    builder.Append("&amp;");
                    break;
                case '<':
                    builder.Append("&lt;");
                    break;
                case '>':
                    builder.Append("&gt;");
                    break;
                case '"':
                    builder.Append("&quot;");
                    break;
                case '\'':
                    builder.Append("&#39;");
                    break;
                default:
                    builder.Append(text[i]);
                    break;
            }
        }

        return builder.ToString();
    }

    // "&name;" or "&#123;" (Liquid's escape_once leaves these alone).
    private static bool IsEntity(string text, int ampersand)
    {
        var i = ampersand + 1;
        var numeric = i < text.Length && text[i] == '#';
        if (numeric)
        {
            i++;
        }

        var start = i;
        while (i < text.Length && (numeric ? char.IsAsciiDigit(text[i]) : char.IsAsciiLetter(text[i])))
        {
            i++;
        }

        return i > start && i < text.Length && text[i] == ';';
    }

    private static string UrlEncode(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '~')
            {
                builder.Append(c);
            }
            else if (c == ' ')
            {
                builder.Append('+');
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static string UrlDecode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '%' && i + 2 < text.Length && byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string ReplaceAll(RenderContext context, string text, string search, string replacement)
    {
        var output = new CappedBuilder(context.Options.MaxOutputLength);
        if (search.Length == 0)
        {
            // Ruby's gsub("") inserts between every character and at both ends.
            output.Append(replacement);
            foreach (var c in text)
            {
                output.Append(c).Append(replacement);
            }

            return output.ToString();
        }

        var position = 0;
        while (true)
        {
            var found = text.IndexOf(search, position, StringComparison.Ordinal);
            if (found < 0)
            {
                output.Append(text[position..]);
                return output.ToString();
            }

            output.Append(text[position..found]).Append(replacement);
            position = found + search.Length;
        }
    }

    private static string ReplaceOne(RenderContext context, string text, string search, string replacement, bool last)
    {
        var found = last
            ? (search.Length == 0 ? text.Length : text.LastIndexOf(search, StringComparison.Ordinal))
            : text.IndexOf(search, StringComparison.Ordinal);
        if (found < 0)
        {
            return text;
        }

        new CappedBuilder(context.Options.MaxOutputLength).Ensure((long)text.Length - search.Length + replacement.Length);
        return string.Concat(text.AsSpan(0, found), replacement, text.AsSpan(found + search.Length));
    }

    private static List<object?> Split(RenderContext context, string text, string pattern)
    {
        string[] parts;
        if (pattern.Length == 0)
        {
            parts = text.Select(c => c.ToString()).ToArray();
        }
        else if (pattern == " ")
        {
            // Ruby's split(" ") splits on runs of whitespace and drops leading empties.
            parts = text.Split(s_rubyWhitespace, StringSplitOptions.RemoveEmptyEntries);
        }
        else
        {
            parts = text.Split(pattern, StringSplitOptions.None);
        }

        var count = parts.Length;
        while (count > 0 && parts[count - 1].Length == 0)
        {
            count--;
        }

        if (count > context.Options.MaxIterations)
        {
            throw LiquidValues.TooMany(context.Options.MaxIterations);
        }

        return parts.Take(count).Cast<object?>().ToList();
    }

    private static object? Slice(RenderContext context, object? input, long offset, long length)
    {
        if (LiquidValues.IsList(input))
        {
            var items = List(context, input, flatten: false);
            var (start, count) = SliceBounds(items.Count, offset, length);
            return start < 0 ? new List<object?>() : items.GetRange(start, count);
        }

        var text = Str(input, context);
        var (from, take) = SliceBounds(text.Length, offset, length);
        return from < 0 ? string.Empty : text.Substring(from, take);
    }

    private static (int Start, int Count) SliceBounds(int size, long offset, long length)
    {
        var start = offset < 0 ? size + offset : offset;
        if (start < 0 || start > size || length < 0)
        {
            return (-1, 0);
        }

        return ((int)start, (int)Math.Min(length, size - start));
    }

    private static string Truncate(string text, long length, string ellipsis)
    {
        if (text.Length <= length)
        {
            return text;
        }

        var keep = (int)Math.Clamp(length - ellipsis.Length, 0, text.Length);
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1]))
        {
            keep--;
        }

        return string.Concat(text.AsSpan(0, keep), ellipsis);
    }

    private static string TruncateWords(string text, long words, string ellipsis)
    {
        var count = (int)Math.Clamp(words, 1, int.MaxValue - 1);
        var list = text.Split(s_rubyWhitespace, StringSplitOptions.RemoveEmptyEntries);
        return list.Length <= count ? text : string.Join(' ', list.Take(count)) + ellipsis;
    }

    private static object? Default(object? input, object?[] args, IReadOnlyDictionary<string, object?> keywords, RenderContext context)
    {
        var allowFalse = keywords.TryGetValue("allow_false", out var flag) && LiquidValues.IsTruthy(flag);
        var useFallback = (allowFalse ? input is null : !LiquidValues.IsTruthy(input)) || LiquidValues.IsEmpty(input);
        return useFallback ? (args.Length > 0 ? args[0] : string.Empty) : input;
    }

    private static string Json(RenderContext context, object? input)
    {
        var builder = new CappedBuilder(context.Options.MaxOutputLength);
        JsonText.Append(builder, input, 0);
        return builder.ToString();
    }

    private static object? Date(RenderContext context, object? input, object? format)
    {
        var pattern = Str(format, context);
        if (input is null || pattern.Length == 0)
        {
            return input;
        }

        DateTimeOffset? time = input switch
        {
            DateTimeOffset d => d,
            "now" or "today" => context.Options.TimeProvider.GetUtcNow(),
            long seconds when seconds is >= -62135596800 and <= 253402300799 => DateTimeOffset.FromUnixTimeSeconds(seconds),
            double seconds when double.IsFinite(seconds) && seconds is >= -62135596800 and <= 253402300799 =>
                DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)),
            string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                && n is >= -62135596800 and <= 253402300799 => DateTimeOffset.FromUnixTimeSeconds(n),
            string s when DateTimeOffset.TryParse(
                s,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces,
                out var parsed) => parsed,
            _ => null,
        };

        // Like Liquid, a value that is not a date passes through unchanged.
        return time is { } t ? Strftime.Format(t, pattern, context.Options.MaxOutputLength) : input;
    }

    private static long Size(RenderContext context, object? input) => input switch
    {
        string s => s.Length,
        LiquidRange r => r.Count,
        _ when LiquidValues.IsMap(input) => LiquidValues.MapCount(input!),
        _ when LiquidValues.IsList(input) => List(context, input, flatten: false).Count,
        _ => 0,
    };

    private static string Join(RenderContext context, object? input, string separator)
    {
        if (input is string s)
        {
            return s;
        }

        var output = new CappedBuilder(context.Options.MaxOutputLength);
        var first = true;
        foreach (var item in List(context, input))
        {
            if (!first)
            {
                output.Append(separator);
            }

            first = false;
            LiquidValues.AppendText(output, item, 0);
        }

        return output.ToString();
    }

    private static object? Where(object? input, object?[] args, IReadOnlyDictionary<string, object?> keywords, RenderContext context)
    {
        var key = Str(args[0], context);
        var target = Arg(args, 1);
        return List(context, input)
            .Where(item => item is not null && LiquidValues.IsMap(item))
            .Where(item => target is null ? LiquidValues.IsTruthy(Property(item, key)) : LiquidValues.AreEqual(Property(item, key), target))
            .ToList();
    }

    private static List<object?> Sort(RenderContext context, object? input, string? key, bool natural)
    {
        var items = List(context, input);
        var keyed = items.Select(item => (Item: item, Key: key is null ? item : Property(item, key))).ToList();
        var present = keyed.Where(p => p.Key is not null).ToList();
        var missing = keyed.Where(p => p.Key is null).Select(p => p.Item);
        IEnumerable<object?> sorted;
        if (natural)
        {
            sorted = present
                .OrderBy(p => LiquidValues.ToText(p.Key, context.Options.MaxOutputLength), StringComparer.OrdinalIgnoreCase)
                .Select(p => p.Item);
        }
        else
        {
            // Check every key is comparable with the first before sorting: a comparer that throws mid-sort is wrapped
            // by the framework into an unhelpful InvalidOperationException.
            foreach (var pair in present.Skip(1))
            {
                if (LiquidValues.Compare(present[0].Key, pair.Key) is null)
                {
                    throw new LiquidRuntimeException($"cannot sort {LiquidValues.Describe(present[0].Key)} with {LiquidValues.Describe(pair.Key)}");
                }
            }

            if (present.Count == 1 && LiquidValues.Compare(present[0].Key, present[0].Key) is null)
            {
                return items;
            }

            sorted = present
                .OrderBy(p => p.Key, Comparer<object?>.Create((a, b) => LiquidValues.Compare(a, b) ?? 0))
                .Select(p => p.Item);
        }

        return sorted.Concat(missing).ToList();
    }

    private static List<object?> Uniq(RenderContext context, object? input, string? key)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<object?>();
        foreach (var item in List(context, input))
        {
            var value = key is null ? item : Property(item, key);
            var identity = new CappedBuilder(context.Options.MaxOutputLength).Append(value is double ? "d" : "v");
            JsonText.Append(identity, value, 0);
            if (seen.Add(identity.ToString()))
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static object? ConcatLists(object? input, object?[] args, IReadOnlyDictionary<string, object?> keywords, RenderContext context)
    {
        if (args[0] is not null && !LiquidValues.IsList(args[0]))
        {
            throw new LiquidRuntimeException($"the argument must be an array, not {LiquidValues.Describe(args[0])}");
        }

        var result = List(context, input);
        var more = List(context, args[0], flatten: false);
        if ((long)result.Count + more.Count > context.Options.MaxIterations)
        {
            throw LiquidValues.TooMany(context.Options.MaxIterations);
        }

        result.AddRange(more);
        return result;
    }

    private static object? Sum(object? input, object?[] args, IReadOnlyDictionary<string, object?> keywords, RenderContext context)
    {
        object total = 0L;
        foreach (var item in List(context, input))
        {
            var value = args.Length > 0 ? Property(item, Str(args[0], context)) : item;
            total = Arithmetic(total, value, '+');
        }

        return total;
    }

    private static object Arithmetic(object? left, object? right, char op)
    {
        var a = LiquidConvert.ToNumber(left);
        var b = LiquidConvert.ToNumber(right);
        if (op is '/' or '%' && LiquidValues.ToDouble(b) == 0)
        {
            throw new LiquidRuntimeException("divided by 0");
        }

        if (a is long x && b is long y)
        {
            try
            {
                return op switch
                {
                    '+' => checked(x + y),
                    '-' => checked(x - y),
                    '*' => checked(x * y),
                    '/' => FloorDivide(x, y),
                    _ => y == -1 ? 0L : ((x % y) + y) % y,
                };
            }
            catch (OverflowException)
            {
                // Ruby has big integers; past long, fall back to floats rather than wrap around.
            }
        }

        var p = LiquidValues.ToDouble(a);
        var q = LiquidValues.ToDouble(b);
        return op switch
        {
            '+' => p + q,
            '-' => p - q,
            '*' => p * q,
            '/' => p / q,
            _ => p - (q * Math.Floor(p / q)),
        };
    }

    private static long FloorDivide(long x, long y)
    {
        var quotient = checked(x / y);
        return (x % y != 0) && ((x < 0) != (y < 0)) ? quotient - 1 : quotient;
    }

    private static object Round(object number, long digits)
    {
        if (number is long l)
        {
            if (digits >= 0)
            {
                return l;
            }

            number = (double)l;
        }

        var d = (double)number;
        if (!double.IsFinite(d))
        {
            return d;
        }

        if (digits > 0)
        {
            return Math.Round(d, (int)Math.Min(digits, 15), MidpointRounding.AwayFromZero);
        }

        var factor = Math.Pow(10, Math.Min(-digits, 308));
        return LiquidConvert.Integral(Math.Round(d / factor, MidpointRounding.AwayFromZero) * factor);
    }

    private static object MinMax(object? input, object? other, bool max)
    {
        var a = LiquidConvert.ToNumber(input);
        var b = LiquidConvert.ToNumber(other);
        var aWins = LiquidValues.Compare(a, b) is var c && (max ? c >= 0 : c <= 0);
        return aWins ? a : b;
    }
}
