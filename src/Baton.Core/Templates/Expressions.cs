using System.Globalization;

namespace Baton.Core.Templates;

/// <summary>An expression: a literal, a range, a variable lookup, or one of those through filters.</summary>
internal abstract class Expr(int offset)
{
    public int Offset { get; } = offset;

    public abstract object? Evaluate(RenderContext context);
}

internal sealed class LiteralExpr(object? value, int offset) : Expr(offset)
{
    public object? Value { get; } = value;

    public override object? Evaluate(RenderContext context) => Value;
}

internal sealed class RangeExpr(Expr start, Expr end, int offset) : Expr(offset)
{
    public override object? Evaluate(RenderContext context)
    {
        var from = Bound(start, context);
        var to = Bound(end, context);
        return new LiquidRange(from, to);
    }

    private static long Bound(Expr bound, RenderContext context)
    {
        var value = bound.Evaluate(context);
        try
        {
            return LiquidConvert.ToInteger(value);
        }
        catch (LiquidRuntimeException)
        {
            throw context.Error(bound.Offset, $"a range bound must be an integer, not {LiquidValues.Describe(value)}", null);
        }
    }
}

/// <summary>One step of a lookup: <c>.name</c> or <c>[expression]</c>.</summary>
internal sealed record Accessor(string? Name, Expr? Index, int Offset);

/// <summary>
/// <c>name.key[0]["other"].size</c>. Strict: an undefined name, a missing map key, or any property of nil, a string
/// (other than <c>size</c>) or a number is a render error that names the path. An array index out of range is nil,
/// as in Liquid.
/// </summary>
internal sealed class VariableExpr(string name, IReadOnlyList<Accessor> path, int offset) : Expr(offset)
{
    public string Name { get; } = name;

    public override object? Evaluate(RenderContext context)
    {
        if (!context.TryResolve(Name, out var value))
        {
            throw context.Error(Offset, $"undefined variable '{Name}'", context.DescribeDefinedNames());
        }

        var described = Name;
        foreach (var accessor in path)
        {
            object? key = accessor.Name;
            if (accessor.Index is { } index)
            {
                key = LiquidValues.Normalize(index.Evaluate(context));
            }

            value = Access(context, value, key, described, accessor);
            described += accessor.Name is { } n ? "." + n : "[" + LiquidValues.ToText(key, 200) + "]";
        }

        return value;
    }

    private static object? Access(RenderContext context, object? value, object? key, string described, Accessor accessor)
    {
        var keyText = key switch
        {
            string s => s,
            long l => l.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
        if (keyText is null)
        {
            throw context.Error(accessor.Offset, $"cannot look up '{described}' with {LiquidValues.Describe(key)} as the key", null);
        }

        switch (value)
        {
            case null:
                throw context.Error(
                    accessor.Offset,
                    $"'{described}' is nil, so it has no property '{keyText}'",
                    $"Check it first: {{% if {described} %}}…{{% endif %}}.");
            case string s:
                if (keyText == "size")
                {
                    return (long)s.Length;
                }

                throw context.Error(accessor.Offset, $"'{described}' is a string; it has .size but no property '{keyText}'", null);
        }

        if (LiquidValues.IsMap(value))
        {
            if (LiquidValues.TryGetKey(value!, keyText, out var found))
            {
                return found;
            }

            if (keyText == "size")
            {
                return (long)LiquidValues.MapCount(value!);
            }

            var keys = LiquidValues.Entries(value!).Select(e => e.Key).Take(30).ToList();
            throw context.Error(
                accessor.Offset,
                $"'{described}' has no key '{keyText}'",
                keys.Count == 0 ? $"'{described}' is an empty map." : $"Its keys are: {string.Join(", ", keys)}.");
        }

        if (value is System.Collections.IList direct)
        {
            // Fast path: index an input list without copying it (templates index inside loops).
            var count = direct.Count;
            switch (key)
            {
                case long at:
                    var i = at < 0 ? count + at : at;
                    return i >= 0 && i < count ? LiquidValues.Normalize(direct[(int)i]) : null;
                case "size":
                    return (long)count;
                case "first":
                    return count > 0 ? LiquidValues.Normalize(direct[0]) : null;
                case "last":
                    return count > 0 ? LiquidValues.Normalize(direct[count - 1]) : null;
            }
        }

        if (LiquidValues.IsList(value))
        {
            if (key is long index)
            {
                var items = LiquidValues.Elements(value!, context.Options.MaxIterations);
                var i = index < 0 ? items.Count + index : index;
                return i >= 0 && i < items.Count ? items[(int)i] : null;
            }

            switch (keyText)
            {
                case "size":
                    return value is LiquidRange r ? r.Count : (long)LiquidValues.Elements(value!, context.Options.MaxIterations).Count;
                case "first":
                    return value is LiquidRange r1 ? (r1.Count > 0 ? r1.Start : null) : LiquidValues.Elements(value!, context.Options.MaxIterations).FirstOrDefault();
                case "last":
                    return value is LiquidRange r2 ? (r2.Count > 0 ? r2.End : null) : LiquidValues.Elements(value!, context.Options.MaxIterations).LastOrDefault();
            }

            throw context.Error(
                accessor.Offset,
                $"'{described}' is an array; it has .size, .first, .last and [index] but no property '{keyText}'",
                null);
        }

        throw context.Error(accessor.Offset, $"'{described}' is {LiquidValues.Describe(value)}, which has no property '{keyText}'", null);
    }
}

internal sealed class FilterCall(FilterDefinition definition, IReadOnlyList<Expr> arguments, IReadOnlyList<(string Name, Expr Value)> keywords, int offset)
{
    public FilterDefinition Definition { get; } = definition;

    public IReadOnlyList<Expr> Arguments { get; } = arguments;

    public IReadOnlyList<(string Name, Expr Value)> Keywords { get; } = keywords;

    public int Offset { get; } = offset;
}

internal sealed class FilteredExpr(Expr input, IReadOnlyList<FilterCall> filters) : Expr(input.Offset)
{
    public override object? Evaluate(RenderContext context)
    {
        var value = input.Evaluate(context);
        foreach (var filter in filters)
        {
            var arguments = new object?[filter.Arguments.Count];
            for (var i = 0; i < arguments.Length; i++)
            {
                arguments[i] = filter.Arguments[i].Evaluate(context);
            }

            var keywords = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (name, expr) in filter.Keywords)
            {
                keywords[name] = expr.Evaluate(context);
            }

            try
            {
                value = LiquidValues.Normalize(filter.Definition.Apply(value, arguments, keywords, context));
                if (value is string s && s.Length > context.Options.MaxOutputLength)
                {
                    new CappedBuilder(context.Options.MaxOutputLength).Ensure(s.Length);
                }
            }
            catch (LiquidRuntimeException e)
            {
                throw context.Error(filter.Offset, $"filter '{filter.Definition.Name}': {e.Message}", null);
            }
        }

        return value;
    }
}

/// <summary>One comparison of a condition; with no operator, the value's truthiness.</summary>
internal sealed class Comparison(Expr left, string? op, Expr? right, int offset)
{
    public object? Evaluate(RenderContext context)
    {
        var a = left.Evaluate(context);
        if (op is null)
        {
            return a;
        }

        var b = right!.Evaluate(context);
        try
        {
            return op switch
            {
                "==" => LiquidValues.AreEqual(a, b),
                "!=" or "<>" => !LiquidValues.AreEqual(a, b),
                "<" => LiquidValues.Compare(a, b) is < 0,
                ">" => LiquidValues.Compare(a, b) is > 0,
                "<=" => LiquidValues.Compare(a, b) is <= 0,
                ">=" => LiquidValues.Compare(a, b) is >= 0,
                "contains" => Contains(a, b, context),
                _ => throw new LiquidRuntimeException($"unknown operator '{op}'"),
            };
        }
        catch (LiquidRuntimeException e)
        {
            throw context.Error(offset, e.Message, null);
        }
    }

    private static bool Contains(object? container, object? item, RenderContext context)
    {
        if (item is null || container is null)
        {
            return false;
        }

        if (container is string s)
        {
            return s.Contains(LiquidValues.ToText(item, context.Options.MaxOutputLength), StringComparison.Ordinal);
        }

        if (LiquidValues.IsMap(container))
        {
            return item is string key && LiquidValues.TryGetKey(container, key, out _);
        }

        return LiquidValues.IsList(container)
            && LiquidValues.Elements(container, context.Options.MaxIterations).Exists(e => LiquidValues.AreEqual(e, item));
    }
}

/// <summary>
/// <c>a and b or c</c>: Liquid has no precedence and no parentheses; it evaluates from the right, so this is
/// <c>a and (b or c)</c>, short-circuiting from the left.
/// </summary>
internal sealed class Condition(IReadOnlyList<Comparison> parts, IReadOnlyList<bool> isOr)
{
    public bool Evaluate(RenderContext context)
    {
        for (var i = 0; ; i++)
        {
            var result = parts[i].Evaluate(context);
            var truthy = LiquidValues.IsTruthy(result);
            if (i == parts.Count - 1 || (isOr[i] && truthy) || (!isOr[i] && !truthy))
            {
                return truthy;
            }
        }
    }
}

internal enum ExprTokenKind
{
    Identifier,
    String,
    Integer,
    Float,
    Dot,
    DotDot,
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    Pipe,
    Colon,
    Comma,
    Comparison,
    Equals,
    End,
}

internal readonly record struct ExprToken(ExprTokenKind Kind, string Text, int Offset)
{
    public string Display => Kind == ExprTokenKind.End ? "the end of the markup" : $"'{Text}'";
}
