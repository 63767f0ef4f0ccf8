using System.Text.RegularExpressions;

namespace Baton.Core.Templates;

internal enum TokenKind
{
    Text,
    Output,
    Tag,

    /// <summary>The body of <c>{% raw %}</c>: text that neighbouring whitespace control does not touch.</summary>
    Raw,
}

/// <summary>
/// One piece of the template. <see cref="Content"/> is the markup between the delimiters (without the <c>-</c> of
/// whitespace control), starting at <see cref="ContentOffset"/> in the source; <see cref="Offset"/> is where the
/// delimiter starts.
/// </summary>
internal sealed record TemplateToken(TokenKind Kind, string Content, int Offset, int ContentOffset, bool TrimLeft, bool TrimRight)
{
    /// <summary>The tag's name (<c>if</c>, <c>endfor</c>, <c>#</c>) and where its arguments start.</summary>
    public (string Name, string Markup, int MarkupOffset) SplitTag()
    {
        var i = 0;
        while (i < Content.Length && char.IsWhiteSpace(Content[i]))
        {
            i++;
        }

        if (i < Content.Length && Content[i] == '#')
        {
            return ("#", Content[(i + 1)..], ContentOffset + i + 1);
        }

        var start = i;
        while (i < Content.Length && (char.IsAsciiLetterOrDigit(Content[i]) || Content[i] == '_'))
        {
            i++;
        }

        return (Content[start..i], Content[i..], ContentOffset + i);
    }
}

/// <summary>Maps offsets in the source to 1-based lines and columns (the first line can be offset, for a body that
/// starts below front matter).</summary>
internal sealed class SourceMap
{
    private readonly List<int> _lineStarts = [0];
    private readonly int _firstLine;

    public SourceMap(string source, int firstLine)
    {
        _firstLine = firstLine;
        for (var i = 0; i < source.Length; i++)
        {
            if (source[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public (int Line, int Column) At(int offset)
    {
        var index = _lineStarts.BinarySearch(offset);
        if (index < 0)
        {
            index = ~index - 1;
        }

        return (index + _firstLine, offset - _lineStarts[index] + 1);
    }
}

/// <summary>
/// Splits a template into text, <c>{{ output }}</c> and <c>{% tag %}</c> tokens, as Liquid does: a delimiter ends at
/// the first closing delimiter (quotes are not special), <c>{% raw %}</c> bodies are taken verbatim, and
/// <c>{{-</c>/<c>-}}</c> strip the whitespace (newlines included) of the neighbouring text.
/// </summary>
internal static class TemplateLexer
{
    private static readonly Regex s_endRaw = new(@"\{%(-?)\s*endraw\s*(-?)%\}", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    public static List<TemplateToken> Tokenize(string source, Func<int, string, string, Exception> error)
    {
        var tokens = new List<TemplateToken>();
        var pos = 0;
        while (pos < source.Length)
        {
            var open = FindOpening(source, pos);
            if (open < 0)
            {
                tokens.Add(new(TokenKind.Text, source[pos..], pos, pos, false, false));
                break;
            }

            if (open > pos)
            {
                tokens.Add(new(TokenKind.Text, source[pos..open], pos, pos, false, false));
            }

            var isOutput = source[open + 1] == '{';
            var closer = isOutput ? "}}" : "%}";
            var close = source.IndexOf(closer, open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                var opener = isOutput ? "{{" : "{%";
                throw error(
                    open,
                    $"'{opener}' is never closed with '{closer}'",
                    $"Close the {(isOutput ? "output" : "tag")} with '{closer}', or write a literal '{opener}' inside {{% raw %}}…{{% endraw %}}.");
            }

            var contentStart = open + 2;
            var contentEnd = close;
            var trimLeft = contentStart < contentEnd && source[contentStart] == '-';
            if (trimLeft)
            {
                contentStart++;
            }

            var trimRight = contentEnd > contentStart && source[contentEnd - 1] == '-';
            if (trimRight)
            {
                contentEnd--;
            }

            var token = new TemplateToken(
                isOutput ? TokenKind.Output : TokenKind.Tag,
                source[contentStart..contentEnd],
                open,
                contentStart,
                trimLeft,
                trimRight);
            tokens.Add(token);
            pos = close + 2;

            if (!isOutput && token.SplitTag() is ("raw", var markup, _))
            {
                if (!string.IsNullOrWhiteSpace(markup))
                {
                    throw error(token.ContentOffset, "'raw' takes no arguments", "Write {% raw %} on its own.");
                }

                var end = s_endRaw.Match(source, pos);
                if (!end.Success)
                {
                    throw error(open, "'raw' is never closed with {% endraw %}", "Add {% endraw %} after the literal text.");
                }

                var body = source[pos..end.Index];
                if (trimRight)
                {
                    body = TrimStart(body);
                }

                if (end.Groups[1].Length > 0)
                {
                    body = TrimEnd(body);
                }

                tokens.Add(new(TokenKind.Raw, body, pos, pos, false, false));
                tokens.Add(new(
                    TokenKind.Tag,
                    "endraw",
                    end.Index,
                    end.Index + 2 + end.Groups[1].Length,
                    end.Groups[1].Length > 0,
                    end.Groups[2].Length > 0));
                pos = end.Index + end.Length;
            }
        }

        ApplyWhitespaceControl(tokens);
        return tokens;
    }

    private static int FindOpening(string source, int from)
    {
        var i = source.IndexOf('{', from);
        while (i >= 0 && i + 1 < source.Length)
        {
            if (source[i + 1] is '{' or '%')
            {
                return i;
            }

            i = source.IndexOf('{', i + 1);
        }

        return -1;
    }

    private static void ApplyWhitespaceControl(List<TemplateToken> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Kind != TokenKind.Text)
            {
                continue;
            }

            var text = token.Content;
            if (i > 0 && tokens[i - 1].TrimRight)
            {
                text = TrimStart(text);
            }

            if (i + 1 < tokens.Count && tokens[i + 1].TrimLeft)
            {
                text = TrimEnd(text);
            }

            if (!ReferenceEquals(text, token.Content))
            {
                tokens[i] = token with { Content = text };
            }
        }
    }

    // Liquid strips ASCII whitespace only (Ruby's lstrip/rstrip).
    private static readonly char[] s_whitespace = [' ', '\t', '\n', '\v', '\f', '\r'];

    private static string TrimStart(string text) => text.TrimStart(s_whitespace);

    private static string TrimEnd(string text) => text.TrimEnd(s_whitespace);
}
