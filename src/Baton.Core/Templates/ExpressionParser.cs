using System.Globalization;

namespace Baton.Core.Templates;

/// <summary>
/// Parses the markup of one output or tag: values (<c>"text"</c>, <c>42</c>, <c>1.5</c>, <c>true</c>, <c>nil</c>,
/// <c>empty</c>, <c>blank</c>, <c>(1..n)</c>, <c>issue.labels[0]</c>), filter chains, and conditions.
/// Positions are offsets into the whole template.
/// </summary>
internal sealed class ExpressionParser
{
    private const int MaxNesting = 32;

    private readonly TemplateParser _owner;
    private readonly List<ExprToken> _tokens;
    private int _index;
    private int _nesting;

    public ExpressionParser(TemplateParser owner, string source, int start, int end)
    {
        _owner = owner;
        _tokens = Tokenize(source, start, end);
    }

    public ExprToken Peek => _tokens[_index];

    public ExprToken PeekAt(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    public bool AtEnd => Peek.Kind == ExprTokenKind.End;

    public ExprToken Next() => _tokens[_index < _tokens.Count - 1 ? _index++ : _index];

    public bool TryConsume(ExprTokenKind kind, string? text = null)
    {
        if (Peek.Kind == kind && (text is null || Peek.Text == text))
        {
            _index++;
            return true;
        }

        return false;
    }

    public ExprToken Expect(ExprTokenKind kind, string what)
    {
        if (Peek.Kind != kind)
        {
            throw _owner.Error(Peek.Offset, $"expected {what}, found {Peek.Display}");
        }

        return Next();
    }

    public void ExpectEnd()
    {
        if (!AtEnd)
        {
            throw _owner.Error(Peek.Offset, $"unexpected {Peek.Display}");
        }
    }

    /// <summary>A value followed by any number of <c>| filter: arg, key: value</c>.</summary>
    public Expr ParseFiltered()
    {
        var input = ParseValue();
        var filters = new List<FilterCall>();
        while (TryConsume(ExprTokenKind.Pipe))
        {
            var nameToken = Expect(ExprTokenKind.Identifier, "a filter name after '|'");
            if (!LiquidFilters.All.TryGetValue(nameToken.Text, out var definition))
            {
                throw _owner.Error(nameToken.Offset, $"unknown filter '{nameToken.Text}'", LiquidFilters.Suggest(nameToken.Text));
            }

            var arguments = new List<Expr>();
            var keywords = new List<(string, Expr)>();
            if (TryConsume(ExprTokenKind.Colon))
            {
                do
                {
                    if (Peek.Kind == ExprTokenKind.Identifier && PeekAt(1).Kind == ExprTokenKind.Colon)
                    {
                        var keyword = Next();
                        Next();
                        if (!definition.Keywords.Contains(keyword.Text))
                        {
                            throw _owner.Error(keyword.Offset, $"filter '{definition.Name}' has no option '{keyword.Text}'");
                        }

                        keywords.Add((keyword.Text, ParseValue()));
                    }
                    else
                    {
                        arguments.Add(ParseValue());
                    }
                }
                while (TryConsume(ExprTokenKind.Comma));
            }

            if (arguments.Count < definition.MinArguments || arguments.Count > definition.MaxArguments)
            {
                throw _owner.Error(nameToken.Offset, $"filter '{definition.Name}' takes {definition.ArityText}, not {arguments.Count.ToString(CultureInfo.InvariantCulture)}");
            }

            filters.Add(new FilterCall(definition, arguments, keywords, nameToken.Offset));
        }

        return filters.Count == 0 ? input : new FilteredExpr(input, filters);
    }

    /// <summary><c>a == b and c contains "x" or d</c>.</summary>
    public Condition ParseCondition()
    {
        var parts = new List<Comparison> { ParseComparison() };
        var isOr = new List<bool>();
        while (Peek.Kind == ExprTokenKind.Identifier && Peek.Text is "and" or "or")
        {
            isOr.Add(Next().Text == "or");
            parts.Add(ParseComparison());
        }

        if (Peek.Kind == ExprTokenKind.Pipe)
        {
            throw _owner.Error(Peek.Offset, "filters cannot be used in a condition", "Assign the filtered value first: {% assign x = value | filter %}.");
        }

        return new Condition(parts, isOr);
    }

    private Comparison ParseComparison()
    {
        var start = Peek.Offset;
        var left = ParseValue();
        if (Peek.Kind == ExprTokenKind.Comparison || (Peek.Kind == ExprTokenKind.Identifier && Peek.Text == "contains"))
        {
            var op = Next();
            var right = ParseValue();
            return new Comparison(left, op.Text, right, op.Offset);
        }

        return new Comparison(left, null, null, start);
    }

    /// <summary>A literal, a range or a variable lookup (no filters).</summary>
    public Expr ParseValue()
    {
        if (++_nesting > MaxNesting)
        {
            throw _owner.Error(Peek.Offset, $"the expression is nested more than {MaxNesting} deep");
        }

        try
        {
            var token = Next();
            switch (token.Kind)
            {
                case ExprTokenKind.String:
                    return new LiteralExpr(token.Text, token.Offset);
                case ExprTokenKind.Integer:
                    return new LiteralExpr(
                        long.TryParse(token.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                            ? (object)l
                            : double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture),
                        token.Offset);
                case ExprTokenKind.Float:
                    return new LiteralExpr(double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture), token.Offset);
                case ExprTokenKind.LeftParen:
                    var from = ParseValue();
                    Expect(ExprTokenKind.DotDot, "'..' in a range such as (1..5)");
                    var to = ParseValue();
                    Expect(ExprTokenKind.RightParen, "')' to close the range");
                    return new RangeExpr(from, to, token.Offset);
                case ExprTokenKind.Identifier:
                    switch (token.Text)
                    {
                        case "true":
                            return new LiteralExpr(true, token.Offset);
                        case "false":
                            return new LiteralExpr(false, token.Offset);
                        case "nil" or "null":
                            return new LiteralExpr(null, token.Offset);
                        case "empty":
                            return new LiteralExpr(LiquidSpecial.Empty, token.Offset);
                        case "blank":
                            return new LiteralExpr(LiquidSpecial.Blank, token.Offset);
                    }

                    return ParsePath(token);
                default:
                    throw _owner.Error(token.Offset, $"expected a value, found {token.Display}");
            }
        }
        finally
        {
            _nesting--;
        }
    }

    private VariableExpr ParsePath(ExprToken name)
    {
        var path = new List<Accessor>();
        while (true)
        {
            if (TryConsume(ExprTokenKind.Dot))
            {
                var property = Expect(ExprTokenKind.Identifier, "a property name after '.'");
                path.Add(new Accessor(property.Text, null, property.Offset));
            }
            else if (Peek.Kind == ExprTokenKind.LeftBracket)
            {
                var open = Next();
                var index = ParseValue();
                Expect(ExprTokenKind.RightBracket, "']'");
                path.Add(new Accessor(null, index, open.Offset));
            }
            else
            {
                return new VariableExpr(name.Text, path, name.Offset);
            }
        }
    }

    private List<ExprToken> Tokenize(string source, int start, int end)
    {
        var tokens = new List<ExprToken>();
        var i = start;
        while (i < end)
        {
            var c = source[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var begin = i;
            switch (c)
            {
                case '"' or '\'':
                    var close = source.IndexOf(c, i + 1, end - i - 1);
                    if (close < 0)
                    {
                        throw _owner.Error(i, $"the string starting here is never closed with {c}");
                    }

                    tokens.Add(new(ExprTokenKind.String, source[(i + 1)..close], begin));
                    i = close + 1;
                    continue;
                case '.':
                    if (i + 1 < end && source[i + 1] == '.')
                    {
                        tokens.Add(new(ExprTokenKind.DotDot, "..", begin));
                        i += 2;
                    }
                    else
                    {
                        tokens.Add(new(ExprTokenKind.Dot, ".", begin));
                        i++;
                    }

                    continue;
                case '[':
                    tokens.Add(new(ExprTokenKind.LeftBracket, "[", begin));
                    i++;
                    continue;
                case ']':
                    tokens.Add(new(ExprTokenKind.RightBracket, "]", begin));
                    i++;
                    continue;
                case '(':
                    tokens.Add(new(ExprTokenKind.LeftParen, "(", begin));
                    i++;
                    continue;
                case ')':
                    tokens.Add(new(ExprTokenKind.RightParen, ")", begin));
                    i++;
                    continue;
                case '|':
                    tokens.Add(new(ExprTokenKind.Pipe, "|", begin));
                    i++;
                    continue;
                case ':':
                    tokens.Add(new(ExprTokenKind.Colon, ":", begin));
                    i++;
                    continue;
                case ',':
                    tokens.Add(new(ExprTokenKind.Comma, ",", begin));
                    i++;
                    continue;
                case '=' or '!' or '<' or '>':
                    var two = i + 1 < end ? source.Substring(i, 2) : string.Empty;
                    if (two is "==" or "!=" or "<>" or "<=" or ">=")
                    {
                        tokens.Add(new(ExprTokenKind.Comparison, two, begin));
                        i += 2;
                    }
                    else if (c is '<' or '>')
                    {
                        tokens.Add(new(ExprTokenKind.Comparison, c.ToString(), begin));
                        i++;
                    }
                    else if (c == '=')
                    {
                        tokens.Add(new(ExprTokenKind.Equals, "=", begin));
                        i++;
                    }
                    else
                    {
                        throw _owner.Error(i, "unexpected '!' (Liquid has no 'not'; use 'unless' or '!=')");
                    }

                    continue;
            }

            if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < end && char.IsAsciiDigit(source[i + 1])))
            {
                i++;
                while (i < end && char.IsAsciiDigit(source[i]))
                {
                    i++;
                }

                var kind = ExprTokenKind.Integer;
                if (i + 1 < end && source[i] == '.' && char.IsAsciiDigit(source[i + 1]))
                {
                    kind = ExprTokenKind.Float;
                    i++;
                    while (i < end && char.IsAsciiDigit(source[i]))
                    {
                        i++;
                    }
                }

                tokens.Add(new(kind, source[begin..i], begin));
                continue;
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                i++;
                while (i < end && (char.IsAsciiLetterOrDigit(source[i]) || source[i] is '_' or '-'))
                {
                    i++;
                }

                if (i < end && source[i] == '?')
                {
                    i++;
                }

                tokens.Add(new(ExprTokenKind.Identifier, source[begin..i], begin));
                continue;
            }

            throw _owner.Error(i, $"unexpected character '{c}'");
        }

        tokens.Add(new(ExprTokenKind.End, string.Empty, end));
        return tokens;
    }
}
