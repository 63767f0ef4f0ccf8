namespace Baton.Core.Templates;

/// <summary>
/// A strict, Liquid-compatible template (Symphony §5.4, §12): parsed once, so a workflow's prompt is validated when it
/// is loaded (<c>template_parse_error</c>), then rendered any number of times (<c>template_render_error</c>).
/// See <c>docs/templates.md</c> for the supported tags and filters and the strictness rules.
/// </summary>
public sealed class LiquidTemplate
{
    private readonly IReadOnlyList<Node> _nodes;
    private readonly SourceMap _map;

    private LiquidTemplate(string source, string sourceName, IReadOnlyList<Node> nodes, SourceMap map)
    {
        Source = source;
        SourceName = sourceName;
        _nodes = nodes;
        _map = map;
    }

    /// <summary>The tags a template may use.</summary>
    public static IReadOnlyList<string> SupportedTags { get; } =
    [
        "if", "elsif", "else", "unless", "case", "when", "for", "break", "continue", "assign", "capture",
        "comment", "#", "raw", "echo", "liquid",
    ];

    /// <summary>The filters a template may use (any other is a parse error).</summary>
    public static IReadOnlyList<string> SupportedFilters { get; } = [.. LiquidFilters.All.Keys.Order(StringComparer.Ordinal)];

    public string Source { get; }

    public string SourceName { get; }

    /// <summary>
    /// Parses <paramref name="source"/>. <paramref name="sourceName"/> and <paramref name="firstLine"/> only shape
    /// error messages (<c>WORKFLOW.md:12:5: …</c>): pass the line the prompt body starts on in its file.
    /// </summary>
    /// <exception cref="TemplateException">With code <c>template_parse_error</c>.</exception>
    public static LiquidTemplate Parse(string source, string sourceName = "template", int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceName);
        var map = new SourceMap(source, firstLine);
        return new LiquidTemplate(source, sourceName, TemplateParser.Parse(source, sourceName, map), map);
    }

    /// <summary>
    /// Renders with <paramref name="variables"/> as the top-level names (for a prompt: <c>issue</c> and
    /// <c>attempt</c>). A name present with a null value is defined (nil); a name absent is an error when used.
    /// </summary>
    /// <exception cref="TemplateException">With code <c>template_render_error</c>.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables, TemplateRenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        options ??= TemplateRenderOptions.Default;
        var context = new RenderContext(variables, options, SourceName, _map);
        var output = new CappedBuilder(options.MaxOutputLength);
        try
        {
            Node.RenderAll(_nodes, context, output);
        }
        catch (LiquidRuntimeException e)
        {
            throw context.Error(0, e.Message, null);
        }

        return output.ToString();
    }
}
