using Baton.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Baton.Core.Workflows;

/// <summary>
/// A <c>WORKFLOW.md</c> split into its YAML front matter (as a plain tree of dictionaries, lists and strings)
/// and its prompt body, following Symphony §5.2.
/// </summary>
public sealed record WorkflowDocument(string Path, IReadOnlyDictionary<string, object?> FrontMatter, string Prompt)
{
    public static WorkflowDocument Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (yaml, prompt, yamlFirstLine) = Split(text);
        if (yaml is null)
        {
            return new WorkflowDocument(path, new Dictionary<string, object?>(), prompt.Trim());
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException)
        {
            var line = ex is YamlException y ? y.Start.Line + yamlFirstLine - 1 : yamlFirstLine;
            var column = ex is YamlException y2 ? y2.Start.Column : 1;
            throw new BatonException(
                WorkflowErrorCodes.ParseError,
                $"{System.IO.Path.GetFileName(path)}:{line}:{column}: the front matter is not valid YAML ({(ex.InnerException ?? ex).Message})",
                $"Fix the YAML between the '---' lines of {path}.");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return new WorkflowDocument(path, new Dictionary<string, object?>(), prompt.Trim());
        }

        if (ToPlain(stream.Documents[0].RootNode) is not Dictionary<string, object?> map)
        {
            throw new BatonException(
                WorkflowErrorCodes.FrontMatterNotAMap,
                $"the front matter of {path} must be a YAML mapping (key: value), not a list or a single value",
                "Start the file with '---', then keys such as 'tracker:' and 'hooks:', then '---' and the prompt.");
        }

        return new WorkflowDocument(path, map, prompt.Trim());
    }

    /// <summary>
    /// Front matter runs from a first line of <c>---</c> to the next <c>---</c> line; with no closing line the whole
    /// rest is YAML and the prompt is empty (as the reference implementation does).
    /// </summary>
    private static (string? Yaml, string Prompt, int YamlFirstLine) Split(string text)
    {
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        var lines = normalized.Split('\n');
        if (lines.Length == 0 || lines[0].TrimEnd() != "---")
        {
            return (null, normalized, 0);
        }

        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() == "---")
            {
                return (string.Join('\n', lines[1..i]), string.Join('\n', lines[(i + 1)..]), 2);
            }
        }

        return (string.Join('\n', lines[1..]), string.Empty, 2);
    }

    private static object? ToPlain(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(
            kv => kv.Key is YamlScalarNode { Value: { } key } ? key : kv.Key.ToString(),
            kv => ToPlain(kv.Value),
            StringComparer.Ordinal),
        YamlSequenceNode sequence => sequence.Children.Select(ToPlain).ToList(),
        YamlScalarNode scalar when scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "~" or "null" or "Null" or "NULL" => null,
        YamlScalarNode scalar => scalar.Value,
        _ => null,
    };
}

/// <summary>Symphony's workflow error classes (§5.5) plus Baton's validation code.</summary>
public static class WorkflowErrorCodes
{
    public const string MissingFile = "missing_workflow_file";
    public const string ParseError = "workflow_parse_error";
    public const string FrontMatterNotAMap = "workflow_front_matter_not_a_map";
    public const string Invalid = "workflow_invalid";
    public const string TemplateParseError = "template_parse_error";
    public const string TemplateRenderError = "template_render_error";
}
