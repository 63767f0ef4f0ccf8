using System.Collections;
using System.Globalization;
using System.Text;

namespace Baton.Core.Templates;

/// <summary>A failure while rendering that has no position yet; the node or filter that catches it adds one.</summary>
internal sealed class LiquidRuntimeException(string message) : Exception(message);

/// <summary>An integer range <c>(a..b)</c>, inclusive at both ends, iterated lazily.</summary>
internal sealed record LiquidRange(long Start, long End)
{
    public long Count => End < Start ? 0 : (long)Int128.Min((Int128)End - Start + 1, long.MaxValue);
}

/// <summary>The <c>empty</c> and <c>blank</c> literals, which only mean something in comparisons.</summary>
internal sealed class LiquidSpecial(string name)
{
    public static readonly LiquidSpecial Empty = new("empty");
    public static readonly LiquidSpecial Blank = new("blank");

    public string Name { get; } = name;

    public override string ToString() => Name;
}

/// <summary>A string builder that refuses to grow past the output bound.</summary>
internal sealed class CappedBuilder(int max)
{
    private readonly StringBuilder _builder = new();

    public int Length => _builder.Length;

    public int Max { get; } = max;

    public CappedBuilder Append(string? text)
    {
        if (text is null)
        {
            return this;
        }

        Ensure(text.Length);
        _builder.Append(text);
        return this;
    }

    public CappedBuilder Append(char c)
    {
        Ensure(1);
        _builder.Append(c);
        return this;
    }

    public void Ensure(long more)
    {
        if (_builder.Length + more > Max)
        {
            throw new LiquidRuntimeException(
                $"the rendered text would exceed {Max.ToString(CultureInfo.InvariantCulture)} characters (the output limit)");
        }
    }

    public override string ToString() => _builder.ToString();
}

/// <summary>
/// Liquid's value semantics over plain .NET values: dictionaries are maps, other enumerables are arrays, integers are
/// <see cref="long"/>, floats are <see cref="double"/>. Only <c>nil</c> and <c>false</c> are falsy.
/// </summary>
internal static class LiquidValues
{
    public const int MaxDepth = 64;

    public static object? Normalize(object? value) => value switch
    {
        null or string or bool or long or double or DateTimeOffset or LiquidRange or LiquidSpecial => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        sbyte sb => (long)sb,
        ushort us => (long)us,
        uint ui => (long)ui,
        ulong ul => ul <= long.MaxValue ? (long)ul : (object)(double)ul,
        float f => (double)f,
        decimal m => (double)m,
        DateTime dt => dt.Kind == DateTimeKind.Unspecified
            ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc))
            : new DateTimeOffset(dt),
        DateOnly d => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        char c => c.ToString(),
        Enum e => e.ToString(),
        IReadOnlyDictionary<string, object?> or IDictionary or IEnumerable => value,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    public static bool IsTruthy(object? value) => value is not null and not false;

    public static bool IsMap(object? value) => value is IReadOnlyDictionary<string, object?> or IDictionary;

    public static bool IsList(object? value) => value is LiquidRange || (value is IEnumerable and not string && !IsMap(value));

    public static bool IsNumber(object? value) => value is long or double;

    public static bool TryGetKey(object map, string key, out object? value)
    {
        switch (map)
        {
            case IReadOnlyDictionary<string, object?> typed:
                if (typed.TryGetValue(key, out var found))
                {
                    value = Normalize(found);
                    return true;
                }

                break;
            case IDictionary untyped:
                if (untyped.Contains(key))
                {
                    value = Normalize(untyped[key]);
                    return true;
                }

                break;
        }

        value = null;
        return false;
    }

    public static IEnumerable<KeyValuePair<string, object?>> Entries(object map)
    {
        switch (map)
        {
            case IReadOnlyDictionary<string, object?> typed:
                foreach (var pair in typed)
                {
                    yield return new(pair.Key, Normalize(pair.Value));
                }

                break;
            case IDictionary untyped:
                foreach (DictionaryEntry entry in untyped)
                {
                    yield return new(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty, Normalize(entry.Value));
                }

                break;
        }
    }

    public static int MapCount(object map) => map switch
    {
        IReadOnlyDictionary<string, object?> typed => typed.Count,
        ICollection collection => collection.Count,
        _ => Entries(map).Count(),
    };

    /// <summary>The elements of an array (or range), normalized, refusing more than <paramref name="max"/>.</summary>
    public static List<object?> Elements(object list, int max)
    {
        if (list is LiquidRange range)
        {
            if (range.Count > max)
            {
                throw TooMany(max);
            }

            var items = new List<object?>((int)range.Count);
            for (var i = 0L; i < range.Count; i++)
            {
                items.Add(range.Start + i);
            }

            return items;
        }

        var result = list is ICollection c ? new List<object?>(Math.Min(c.Count, max)) : [];
        foreach (var item in (IEnumerable)list)
        {
            if (result.Count >= max)
            {
                throw TooMany(max);
            }

            result.Add(Normalize(item));
        }

        return result;
    }

    public static LiquidRuntimeException TooMany(int max) =>
        new($"a collection would have more than {max.ToString(CultureInfo.InvariantCulture)} items (the iteration limit)");

    /// <summary>Liquid's input iterator for array filters: nil is empty, arrays are flattened, anything else is one item.</summary>
    public static List<object?> FilterInput(object? input, int max, bool flatten = true)
    {
        if (input is null)
        {
            return [];
        }

        if (!IsList(input))
        {
            return [input];
        }

        var items = Elements(input, max);
        if (!flatten || !items.Exists(IsList))
        {
            return items;
        }

        var flat = new List<object?>();
        Flatten(items, flat, max, 0);
        return flat;
    }

    private static void Flatten(List<object?> items, List<object?> into, int max, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new LiquidRuntimeException($"arrays are nested more than {MaxDepth} deep");
        }

        foreach (var item in items)
        {
            if (IsList(item))
            {
                Flatten(Elements(item!, max), into, max, depth + 1);
            }
            else
            {
                if (into.Count >= max)
                {
                    throw TooMany(max);
                }

                into.Add(item);
            }
        }
    }

    public static bool IsEmpty(object? value) => value switch
    {
        string s => s.Length == 0,
        LiquidRange r => r.Count == 0,
        _ when IsMap(value) => MapCount(value!) == 0,
        IEnumerable e and not string => !e.Cast<object?>().Any(),
        _ => false,
    };

    public static bool IsBlank(object? value) => value switch
    {
        null or false => true,
        string s => string.IsNullOrWhiteSpace(s),
        _ => IsEmpty(value),
    };

    public static bool AreEqual(object? left, object? right) => AreEqual(left, right, 0);

    private static bool AreEqual(object? left, object? right, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new LiquidRuntimeException($"values are nested more than {MaxDepth} deep");
        }

        if (left is LiquidSpecial || right is LiquidSpecial)
        {
            var (special, other) = left is LiquidSpecial s ? (s, right) : ((LiquidSpecial)right!, left);
            if (other is LiquidSpecial otherSpecial)
            {
                return ReferenceEquals(special, otherSpecial);
            }

            return ReferenceEquals(special, LiquidSpecial.Empty) ? other is not null && IsEmpty(other) : IsBlank(other);
        }

        switch (left, right)
        {
            case (null, null):
                return true;
            case (null, _) or (_, null):
                return false;
            case (long a, long b):
                return a == b;
            case (long or double, long or double):
                return ToDouble(left) == ToDouble(right);
            case (string a, string b):
                return string.Equals(a, b, StringComparison.Ordinal);
            case (bool a, bool b):
                return a == b;
            case (DateTimeOffset a, DateTimeOffset b):
                return a == b;
        }

        if (IsMap(left) && IsMap(right))
        {
            if (MapCount(left) != MapCount(right))
            {
                return false;
            }

            foreach (var (key, value) in Entries(left))
            {
                if (!TryGetKey(right, key, out var other) || !AreEqual(value, other, depth + 1))
                {
                    return false;
                }
            }

            return true;
        }

        if (IsList(left) && IsList(right))
        {
            var a = Elements(left, int.MaxValue);
            var b = Elements(right, int.MaxValue);
            if (a.Count != b.Count)
            {
                return false;
            }

            for (var i = 0; i < a.Count; i++)
            {
                if (!AreEqual(a[i], b[i], depth + 1))
                {
                    return false;
                }
            }

            return true;
        }

        return false;
    }

    /// <summary>
    /// Orders two values for <c>&lt;</c>, <c>sort</c> and friends: numbers with numbers, strings with strings, dates with
    /// dates. Returns null when Liquid would answer "not comparable" (nil, booleans, arrays, maps); throws when Liquid
    /// raises (a number against a string).
    /// </summary>
    public static int? Compare(object? left, object? right)
    {
        switch (left, right)
        {
            case (long a, long b):
                return a.CompareTo(b);
            case (long or double, long or double):
                return ToDouble(left).CompareTo(ToDouble(right));
            case (string a, string b):
                return string.CompareOrdinal(a, b) switch { < 0 => -1, > 0 => 1, _ => 0 };
            case (DateTimeOffset a, DateTimeOffset b):
                return a.CompareTo(b);
            case (long or double or string or DateTimeOffset, long or double or string or DateTimeOffset):
                throw new LiquidRuntimeException($"cannot compare {Describe(left)} with {Describe(right)}");
            default:
                return null;
        }
    }

    public static double ToDouble(object? number) => number switch
    {
        long l => l,
        double d => d,
        _ => 0,
    };

    /// <summary>A short description of a value for error messages: its kind and, for scalars, the value.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "nil",
        string s => s.Length > 40 ? $"the string \"{s[..40]}…\"" : $"the string \"{s}\"",
        long or double => $"the number {ToText(value, 100)}",
        bool b => b ? "true" : "false",
        DateTimeOffset => "a date",
        LiquidSpecial special => special.Name,
        _ when IsMap(value) => "a map",
        _ when IsList(value) => "an array",
        _ => "a value",
    };

    public static string ToText(object? value, int max)
    {
        switch (value)
        {
            case null:
                return string.Empty;
            case string s:
                if (s.Length > max)
                {
                    new CappedBuilder(max).Ensure(s.Length);
                }

                return s;
            case bool b:
                return b ? "true" : "false";
            case long l:
                return l.ToString(CultureInfo.InvariantCulture);
            case double d:
                return FormatFloat(d);
        }

        var builder = new CappedBuilder(max);
        AppendText(builder, value, 0);
        return builder.ToString();
    }

    public static void AppendText(CappedBuilder builder, object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new LiquidRuntimeException($"values are nested more than {MaxDepth} deep");
        }

        switch (value)
        {
            case null or LiquidSpecial:
                return;
            case string s:
                builder.Append(s);
                return;
            case bool or long or double:
                builder.Append(ToText(value, builder.Max));
                return;
            case DateTimeOffset date:
                builder.Append(FormatIso(date));
                return;
            case LiquidRange range:
                builder.Append(string.Create(CultureInfo.InvariantCulture, $"{range.Start}..{range.End}"));
                return;
        }

        if (IsMap(value))
        {
            JsonText.Append(builder, value, depth);
            return;
        }

        foreach (var item in (IEnumerable)value)
        {
            AppendText(builder, Normalize(item), depth + 1);
        }
    }

    /// <summary>ISO-8601 as Symphony's reference implementation writes dates: UTC, seconds, fraction only when present.</summary>
    public static string FormatIso(DateTimeOffset date) =>
        date.Offset == TimeSpan.Zero
            ? date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
            : date.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    /// <summary>Formats a float the way Ruby's <c>Float#to_s</c> does: <c>1.0</c>, <c>0.1</c>, <c>1.0e+20</c>.</summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        var text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? text : text.Remove(dot, 1);
        var point = (dot < 0 ? text.Length : dot) + exponent;
        while (digits.Length > 1 && digits[0] == '0')
        {
            digits = digits[1..];
            point--;
        }

        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        string result;
        if (point < -3 || point > 16)
        {
            var mantissa = digits.Length == 1 ? digits + ".0" : digits[..1] + "." + digits[1..];
            var exp = point - 1;
            result = mantissa + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (point <= 0)
        {
            result = "0." + new string('0', -point) + digits;
        }
        else if (point >= digits.Length)
        {
            result = digits + new string('0', point - digits.Length) + ".0";
        }
        else
        {
            result = digits[..point] + "." + digits[point..];
        }

        return value < 0 ? "-" + result : result;
    }
}
