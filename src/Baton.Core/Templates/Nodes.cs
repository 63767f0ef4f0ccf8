namespace Baton.Core.Templates;

internal enum Interrupt
{
    None,
    Break,
    Continue,
}

internal abstract class Node(int offset)
{
    public int Offset { get; } = offset;

    public abstract Interrupt Render(RenderContext context, CappedBuilder output);

    /// <summary>Renders nodes in order; a positionless failure gets the position of the node it happened in.</summary>
    public static Interrupt RenderAll(IReadOnlyList<Node> nodes, RenderContext context, CappedBuilder output)
    {
        foreach (var node in nodes)
        {
            Interrupt interrupt;
            try
            {
                interrupt = node.Render(context, output);
            }
            catch (LiquidRuntimeException e)
            {
                throw context.Error(node.Offset, e.Message, null);
            }

            if (interrupt != Interrupt.None)
            {
                return interrupt;
            }
        }

        return Interrupt.None;
    }
}

internal sealed class TextNode(string text, int offset) : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output)
    {
        output.Append(text);
        return Interrupt.None;
    }
}

internal sealed class OutputNode(Expr expression, int offset) : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output)
    {
        LiquidValues.AppendText(output, expression.Evaluate(context), 0);
        return Interrupt.None;
    }
}

internal sealed class BlockNode(IReadOnlyList<Node> body, int offset) : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output) => RenderAll(body, context, output);
}

internal sealed class AssignNode(string name, Expr expression, int offset) : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output)
    {
        context.Assigns[name] = expression.Evaluate(context);
        return Interrupt.None;
    }
}

internal sealed class CaptureNode(string name, IReadOnlyList<Node> body, int offset) : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output)
    {
        var captured = new CappedBuilder(context.Options.MaxOutputLength);
        var interrupt = RenderAll(body, context, captured);
        context.Assigns[name] = captured.ToString();
        return interrupt;
    }
}

internal sealed class InterruptNode(Interrupt interrupt, int offset) : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output) => interrupt;
}

/// <summary><c>if</c>/<c>elsif</c>/<c>else</c>, and <c>unless</c> (whose first condition is negated).</summary>
internal sealed class IfNode(IReadOnlyList<(Condition? Condition, bool Negate, IReadOnlyList<Node> Body)> branches, int offset) : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output)
    {
        foreach (var (condition, negate, body) in branches)
        {
            if (condition is null || condition.Evaluate(context) != negate)
            {
                return RenderAll(body, context, output);
            }
        }

        return Interrupt.None;
    }
}

/// <summary><c>case</c>: as in Liquid, every matching <c>when</c> renders; <c>else</c> only when none matched.</summary>
internal sealed class CaseNode(Expr subject, IReadOnlyList<(IReadOnlyList<Expr> Values, IReadOnlyList<Node> Body)> whens, IReadOnlyList<Node>? otherwise, int offset)
    : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output)
    {
        var value = subject.Evaluate(context);
        var matched = false;
        foreach (var (values, body) in whens)
        {
            if (values.Any(v => LiquidValues.AreEqual(v.Evaluate(context), value)))
            {
                matched = true;
                var interrupt = RenderAll(body, context, output);
                if (interrupt != Interrupt.None)
                {
                    return interrupt;
                }
            }
        }

        return !matched && otherwise is not null ? RenderAll(otherwise, context, output) : Interrupt.None;
    }
}

internal sealed class ForNode(
    string variable,
    Expr collection,
    Expr? limit,
    Expr? offsetExpr,
    bool reversed,
    IReadOnlyList<Node> body,
    IReadOnlyList<Node>? otherwise,
    int offset) : Node(offset)
{
    public override Interrupt Render(RenderContext context, CappedBuilder output)
    {
        var items = Items(context);
        if (items.Count == 0)
        {
            return otherwise is null ? Interrupt.None : RenderAll(otherwise, context, output);
        }

        context.TryResolve("forloop", out var parent);
        var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
        context.PushScope(scope);
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                context.CountIteration();
                scope[variable] = items[i];
                scope["forloop"] = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["index"] = (long)(i + 1),
                    ["index0"] = (long)i,
                    ["rindex"] = (long)(items.Count - i),
                    ["rindex0"] = (long)(items.Count - i - 1),
                    ["first"] = i == 0,
                    ["last"] = i == items.Count - 1,
                    ["length"] = (long)items.Count,
                    ["parentloop"] = parent is IDictionary<string, object?> ? parent : null,
                };
                if (RenderAll(body, context, output) == Interrupt.Break)
                {
                    break;
                }
            }
        }
        finally
        {
            context.PopScope();
        }

        return Interrupt.None;
    }

    private List<object?> Items(RenderContext context)
    {
        var max = context.Options.MaxIterations;
        var from = offsetExpr is null ? 0 : Math.Max(0, Integer(offsetExpr, context) ?? 0);
        var count = limit is null ? null : Integer(limit, context) is { } l ? Math.Max(0, l) : (long?)null;
        var value = collection.Evaluate(context);
        List<object?> items;
        switch (value)
        {
            case null:
                return [];
            case string s:
                items = s.Length == 0 ? [] : [s];
                break;
            case LiquidRange range:
                var start = (long)Int128.Min((Int128)range.Start + from, long.MaxValue);
                var end = count is { } c ? (long)Int128.Min(range.End, (Int128)start + c - 1) : range.End;
                return Reverse(LiquidValues.Elements(new LiquidRange(start, end), max));
            default:
                if (LiquidValues.IsMap(value))
                {
                    items = [];
                    foreach (var (key, item) in LiquidValues.Entries(value))
                    {
                        if (items.Count >= max)
                        {
                            throw LiquidValues.TooMany(max);
                        }

                        items.Add(new List<object?> { key, item });
                    }
                }
                else if (LiquidValues.IsList(value))
                {
                    items = LiquidValues.Elements(value, max);
                }
                else
                {
                    throw context.Error(collection.Offset, $"'for' cannot iterate over {LiquidValues.Describe(value)}", "Iterate over an array, a map or a range such as (1..3).");
                }

                break;
        }

        if (from > 0 || count is not null)
        {
            var skip = (int)Math.Min(from, items.Count);
            var take = (int)Math.Min(count ?? long.MaxValue, items.Count - skip);
            items = items.GetRange(skip, take);
        }

        return Reverse(items);
    }

    private List<object?> Reverse(List<object?> items)
    {
        if (reversed)
        {
            items.Reverse();
        }

        return items;
    }

    private static long? Integer(Expr expr, RenderContext context)
    {
        var value = expr.Evaluate(context);
        if (value is null)
        {
            return null;
        }

        try
        {
            return LiquidConvert.ToInteger(value);
        }
        catch (LiquidRuntimeException)
        {
            throw context.Error(expr.Offset, $"'limit' and 'offset' must be integers, not {LiquidValues.Describe(value)}", null);
        }
    }
}
