using System.Globalization;
using Baton.Core.Workflows;

namespace Baton.Core.Templates;

/// <summary>
/// Builds the node tree from tokens. Every problem is a <c>template_parse_error</c> with the line and column of the
/// offending markup: unknown tags and filters, wrong filter arity, stray or mismatched <c>end</c> tags, blocks never
/// closed, <c>break</c>/<c>continue</c> outside a loop.
/// </summary>
internal sealed class TemplateParser
{
    private const int MaxBlockDepth = 100;

    private static readonly HashSet<string> s_blockEnds =
        new(["else", "elsif", "when", "endif", "endunless", "endcase", "endfor", "endcapture", "endcomment", "endraw"], StringComparer.Ordinal);

    private readonly string _source;
    private readonly string _sourceName;
    private readonly SourceMap _map;
    private readonly List<TemplateToken> _tokens;
    private int _index;
    private int _loopDepth;
    private int _blockDepth;

    private TemplateParser(string source, string sourceName, SourceMap map, List<TemplateToken> tokens, int loopDepth, int blockDepth)
    {
        _source = source;
        _sourceName = sourceName;
        _map = map;
        _tokens = tokens;
        _loopDepth = loopDepth;
        _blockDepth = blockDepth;
    }

    public static IReadOnlyList<Node> Parse(string source, string sourceName, SourceMap map)
    {
        var tokens = TemplateLexer.Tokenize(source, (offset, message, suggestion) => Error(sourceName, map, offset, message, suggestion));
        return new TemplateParser(source, sourceName, map, tokens, 0, 0).ParseDocument();
    }

    public TemplateException Error(int offset, string message, string? suggestion = null) =>
        Error(_sourceName, _map, offset, message, suggestion);

    private static TemplateException Error(string sourceName, SourceMap map, int offset, string message, string? suggestion)
    {
        var (line, column) = map.At(offset);
        return new TemplateException(
            WorkflowErrorCodes.TemplateParseError,
            sourceName,
            line,
            column,
            message,
            suggestion ?? $"Fix the template in {sourceName} at line {line.ToString(CultureInfo.InvariantCulture)}; it uses Liquid syntax.");
    }

    private List<Node> ParseDocument()
    {
        var nodes = ParseBody(null, null, out var end);
        if (end is not null)
        {
            throw Stray(end.Value.Token, end.Value.Name);
        }

        return nodes;
    }

    /// <summary>
    /// Parses nodes until a tag in <paramref name="terminators"/> (returned in <paramref name="end"/>) or the end of
    /// the tokens (<paramref name="end"/> is null). Any other block-ending tag is an error here.
    /// </summary>
    private List<Node> ParseBody(
        IReadOnlySet<string>? terminators,
        (TemplateToken Token, string Name)? opener,
        out (TemplateToken Token, string Name, string Markup, int MarkupOffset)? end)
    {
        var nodes = new List<Node>();
        while (_index < _tokens.Count)
        {
            var token = _tokens[_index++];
            switch (token.Kind)
            {
                case TokenKind.Text:
                    if (token.Content.Length > 0)
                    {
                        nodes.Add(new TextNode(token.Content, token.Offset));
                    }

                    continue;
                case TokenKind.Output:
                    nodes.Add(ParseOutput(token.ContentOffset, token.ContentOffset + token.Content.Length, token.Offset));
                    continue;
            }

            var (name, markup, markupOffset) = token.SplitTag();
            if (terminators is not null && terminators.Contains(name))
            {
                end = (token, name, markup, markupOffset);
                return nodes;
            }

            if (s_blockEnds.Contains(name))
            {
                if (terminators is null)
                {
                    end = (token, name, markup, markupOffset);
                    return nodes;
                }

                throw Mismatch(token, name, opener!.Value.Token, opener.Value.Name);
            }

            if (ParseTag(token, name, markup, markupOffset) is { } node)
            {
                nodes.Add(node);
            }
        }

        end = null;
        return nodes;
    }

    private TemplateException Stray(TemplateToken token, string name) => name switch
    {
        "else" => Error(token.Offset, "{% else %} is not inside an if, unless, case or for block"),
        "elsif" => Error(token.Offset, "{% elsif %} is not inside an if or unless block"),
        "when" => Error(token.Offset, "{% when %} is not inside a case block"),
        _ => Error(token.Offset, $"{{% {name} %}} has no matching {{% {name[3..]} %}}"),
    };

    private TemplateException Mismatch(TemplateToken token, string name, TemplateToken opener, string openerName)
    {
        var (line, column) = _map.At(opener.Offset);
        var where = string.Create(CultureInfo.InvariantCulture, $"line {line}, column {column}");
        return name.StartsWith("end", StringComparison.Ordinal)
            ? Error(token.Offset, $"{{% {name} %}} does not close '{openerName}' opened at {where} (expected {{% end{openerName} %}})")
            : Error(token.Offset, $"{{% {name} %}} is not valid inside '{openerName}' (opened at {where})");
    }

    private Node ParseOutput(int start, int end, int offset)
    {
        var parser = new ExpressionParser(this, _source, start, end);
        if (parser.AtEnd)
        {
            return new TextNode(string.Empty, offset);
        }

        var expression = parser.ParseFiltered();
        parser.ExpectEnd();
        return new OutputNode(expression, offset);
    }

    private Node? ParseTag(TemplateToken token, string name, string markup, int markupOffset)
    {
        var markupEnd = markupOffset + markup.Length;
        switch (name)
        {
            case "#":
                return null;
            case "":
                throw Error(token.ContentOffset, "a tag needs a name, as in {% if … %} or {% assign … %}");
            case "if" or "unless":
                return ParseIf(token, name, markupOffset, markupEnd);
            case "case":
                return ParseCase(token, markupOffset, markupEnd);
            case "for":
                return ParseFor(token, markupOffset, markupEnd);
            case "assign":
                return ParseAssign(token, markupOffset, markupEnd);
            case "capture":
                return ParseCapture(token, markupOffset, markupEnd);
            case "comment":
                ExpectNoArguments(name, markup, markupOffset);
                SkipComment(token);
                return null;
            case "raw":
                // The lexer took the body verbatim and added the endraw tag after it.
                if (_index + 1 >= _tokens.Count || _tokens[_index].Kind != TokenKind.Raw)
                {
                    throw Error(token.Offset, "'raw' cannot be used inside {% liquid %}");
                }

                var raw = _tokens[_index];
                _index += 2;
                return new TextNode(raw.Content, raw.Offset);
            case "echo":
                return ParseOutput(markupOffset, markupEnd, token.Offset) is OutputNode output ? output : throw Error(markupOffset, "'echo' needs a value");
            case "break" or "continue":
                ExpectNoArguments(name, markup, markupOffset);
                if (_loopDepth == 0)
                {
                    throw Error(token.Offset, $"{{% {name} %}} is only allowed inside a for loop");
                }

                return new InterruptNode(name == "break" ? Interrupt.Break : Interrupt.Continue, token.Offset);
            case "liquid":
                return ParseLiquidTag(markup, markupOffset, token.Offset);
            default:
                throw Error(
                    token.ContentOffset,
                    $"unknown tag '{name}'",
                    $"Supported tags: {string.Join(", ", LiquidTemplate.SupportedTags)}.");
        }
    }

    private void ExpectNoArguments(string name, string markup, int markupOffset)
    {
        if (!string.IsNullOrWhiteSpace(markup))
        {
            var offset = markupOffset + (markup.Length - markup.TrimStart().Length);
            throw Error(offset, $"'{name}' takes no arguments");
        }
    }

    private List<Node> ParseNested(IReadOnlySet<string> terminators, TemplateToken opener, string openerName, out (TemplateToken Token, string Name, string Markup, int MarkupOffset) end)
    {
        if (++_blockDepth > MaxBlockDepth)
        {
            throw Error(opener.Offset, $"blocks are nested more than {MaxBlockDepth} deep");
        }

        try
        {
            var body = ParseBody(terminators, (opener, openerName), out var found);
            if (found is null)
            {
                throw Error(opener.Offset, $"'{openerName}' is never closed with {{% end{openerName} %}}", $"Add {{% end{openerName} %}} where the block ends.");
            }

            end = found.Value;
            return body;
        }
        finally
        {
            _blockDepth--;
        }
    }

    private void ExpectEndArguments(string name, string markup, int markupOffset)
    {
        if (name.StartsWith("end", StringComparison.Ordinal) || name == "else")
        {
            ExpectNoArguments(name, markup, markupOffset);
        }
    }

    private IfNode ParseIf(TemplateToken token, string name, int markupOffset, int markupEnd)
    {
        var terminators = new HashSet<string>(["elsif", "else", "end" + name], StringComparer.Ordinal);
        var branches = new List<(Condition?, bool, IReadOnlyList<Node>)>();
        var condition = ParseCondition(markupOffset, markupEnd, name);
        var negate = name == "unless";
        var sawElse = false;
        while (true)
        {
            var body = ParseNested(terminators, token, name, out var end);
            branches.Add((condition, negate, body));
            ExpectEndArguments(end.Name, end.Markup, end.MarkupOffset);
            if (end.Name == "end" + name)
            {
                return new IfNode(branches, token.Offset);
            }

            if (sawElse)
            {
                throw Error(end.Token.Offset, $"{{% {end.Name} %}} after {{% else %}} in '{name}'");
            }

            negate = false;
            if (end.Name == "else")
            {
                sawElse = true;
                condition = null;
            }
            else
            {
                condition = ParseCondition(end.MarkupOffset, end.MarkupOffset + end.Markup.Length, "elsif");
            }
        }
    }

    private Condition ParseCondition(int start, int end, string tag)
    {
        var parser = new ExpressionParser(this, _source, start, end);
        if (parser.AtEnd)
        {
            throw Error(start, $"'{tag}' needs a condition");
        }

        var condition = parser.ParseCondition();
        parser.ExpectEnd();
        return condition;
    }

    private CaseNode ParseCase(TemplateToken token, int markupOffset, int markupEnd)
    {
        var parser = new ExpressionParser(this, _source, markupOffset, markupEnd);
        if (parser.AtEnd)
        {
            throw Error(markupOffset, "'case' needs a value");
        }

        var subject = parser.ParseValue();
        parser.ExpectEnd();

        var terminators = new HashSet<string>(["when", "else", "endcase"], StringComparer.Ordinal);
        var whens = new List<(IReadOnlyList<Expr>, IReadOnlyList<Node>)>();
        IReadOnlyList<Node>? otherwise = null;

        // Whatever sits between {% case %} and the first {% when %} is ignored, as in Liquid.
        ParseNested(terminators, token, "case", out var end);
        while (true)
        {
            ExpectEndArguments(end.Name, end.Markup, end.MarkupOffset);
            switch (end.Name)
            {
                case "endcase":
                    return new CaseNode(subject, whens, otherwise, token.Offset);
                case "when" when otherwise is not null:
                    throw Error(end.Token.Offset, "{% when %} after {% else %} in 'case'");
                case "when":
                    var values = ParseWhenValues(end.MarkupOffset, end.MarkupOffset + end.Markup.Length);
                    var body = ParseNested(terminators, token, "case", out end);
                    whens.Add((values, body));
                    break;
                default:
                    if (otherwise is not null)
                    {
                        throw Error(end.Token.Offset, "a second {% else %} in 'case'");
                    }

                    otherwise = ParseNested(terminators, token, "case", out end);
                    break;
            }
        }
    }

    private List<Expr> ParseWhenValues(int start, int end)
    {
        var parser = new ExpressionParser(this, _source, start, end);
        var values = new List<Expr>();
        do
        {
            values.Add(parser.ParseValue());
        }
        while (parser.TryConsume(ExprTokenKind.Comma) || parser.TryConsume(ExprTokenKind.Identifier, "or"));

        parser.ExpectEnd();
        return values;
    }

    private ForNode ParseFor(TemplateToken token, int markupOffset, int markupEnd)
    {
        var parser = new ExpressionParser(this, _source, markupOffset, markupEnd);
        var variable = parser.Expect(ExprTokenKind.Identifier, "a loop variable, as in {% for label in issue.labels %}");
        if (!parser.TryConsume(ExprTokenKind.Identifier, "in"))
        {
            throw Error(parser.Peek.Offset, $"expected 'in' after the loop variable, found {parser.Peek.Display}");
        }

        var collection = parser.ParseValue();
        Expr? limit = null;
        Expr? offset = null;
        var reversed = false;
        while (!parser.AtEnd)
        {
            var word = parser.Expect(ExprTokenKind.Identifier, "'reversed', 'limit:' or 'offset:'");
            switch (word.Text)
            {
                case "reversed":
                    reversed = true;
                    break;
                case "limit" or "offset":
                    parser.Expect(ExprTokenKind.Colon, $"':' after '{word.Text}'");
                    var value = parser.ParseValue();
                    if (word.Text == "limit")
                    {
                        limit = value;
                    }
                    else
                    {
                        offset = value;
                    }

                    break;
                default:
                    throw Error(word.Offset, $"unknown 'for' option '{word.Text}' (expected reversed, limit: or offset:)");
            }

            parser.TryConsume(ExprTokenKind.Comma);
        }

        var terminators = new HashSet<string>(["else", "endfor"], StringComparer.Ordinal);
        _loopDepth++;
        List<Node> body;
        (TemplateToken Token, string Name, string Markup, int MarkupOffset) end;
        try
        {
            body = ParseNested(terminators, token, "for", out end);
        }
        finally
        {
            _loopDepth--;
        }

        ExpectEndArguments(end.Name, end.Markup, end.MarkupOffset);
        List<Node>? otherwise = null;
        if (end.Name == "else")
        {
            otherwise = ParseNested(new HashSet<string>(["endfor"], StringComparer.Ordinal), token, "for", out end);
            ExpectEndArguments(end.Name, end.Markup, end.MarkupOffset);
        }

        return new ForNode(variable.Text, collection, limit, offset, reversed, body, otherwise, token.Offset);
    }

    private AssignNode ParseAssign(TemplateToken token, int markupOffset, int markupEnd)
    {
        var parser = new ExpressionParser(this, _source, markupOffset, markupEnd);
        var name = parser.Expect(ExprTokenKind.Identifier, "a variable name, as in {% assign name = value %}");
        parser.Expect(ExprTokenKind.Equals, "'=' after the variable name");
        if (parser.AtEnd)
        {
            throw Error(parser.Peek.Offset, "'assign' needs a value after '='");
        }

        var value = parser.ParseFiltered();
        parser.ExpectEnd();
        return new AssignNode(name.Text, value, token.Offset);
    }

    private CaptureNode ParseCapture(TemplateToken token, int markupOffset, int markupEnd)
    {
        var parser = new ExpressionParser(this, _source, markupOffset, markupEnd);
        var name = parser.Peek.Kind == ExprTokenKind.String
            ? parser.Next()
            : parser.Expect(ExprTokenKind.Identifier, "a variable name, as in {% capture name %}");
        parser.ExpectEnd();
        var body = ParseNested(new HashSet<string>(["endcapture"], StringComparer.Ordinal), token, "capture", out var end);
        ExpectEndArguments(end.Name, end.Markup, end.MarkupOffset);
        return new CaptureNode(name.Text, body, token.Offset);
    }

    /// <summary>Skips to the matching endcomment; tags inside a comment are not parsed (nested comments count).</summary>
    private void SkipComment(TemplateToken opener)
    {
        var depth = 1;
        while (_index < _tokens.Count)
        {
            var token = _tokens[_index++];
            if (token.Kind != TokenKind.Tag)
            {
                continue;
            }

            var name = token.SplitTag().Name;
            if (name == "comment")
            {
                depth++;
            }
            else if (name == "endcomment" && --depth == 0)
            {
                return;
            }
        }

        throw Error(opener.Offset, "'comment' is never closed with {% endcomment %}", "Add {% endcomment %} where the comment ends.");
    }

    /// <summary><c>{% liquid %}</c>: one tag per line, without delimiters; <c>echo</c> writes a value.</summary>
    private BlockNode ParseLiquidTag(string markup, int markupOffset, int offset)
    {
        var tokens = new List<TemplateToken>();
        var lineStart = 0;
        while (lineStart <= markup.Length)
        {
            var newline = markup.IndexOf('\n', lineStart);
            var lineEnd = newline < 0 ? markup.Length : newline;
            var line = markup[lineStart..lineEnd];
            if (!string.IsNullOrWhiteSpace(line))
            {
                tokens.Add(new TemplateToken(TokenKind.Tag, line, markupOffset + lineStart, markupOffset + lineStart, false, false));
            }

            lineStart = lineEnd + 1;
        }

        var parser = new TemplateParser(_source, _sourceName, _map, tokens, _loopDepth, _blockDepth);
        return new BlockNode(parser.ParseDocument(), offset);
    }
}
