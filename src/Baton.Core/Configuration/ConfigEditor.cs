using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Baton.Core.Configuration;

/// <summary>
/// Edits <c>baton.yaml</c> as text, so a person's comments, ordering and other keys survive
/// <c>project add</c> and <c>project remove</c>. Positions come from the YAML parser, not from guessing.
/// </summary>
public static partial class ConfigEditor
{
    public const string Header =
        "# Baton configuration. Only `path` is required for each project; Baton derives the rest\n" +
        "# (id, name, repo, defaultBranch, sessionPrefix). `baton info` shows the derived values.\n";

    public static string NewFile(IReadOnlyList<KeyValuePair<string, string>> project) =>
        Header + "projects:\n" + ItemText(project, "  ");

    public static string AddProject(string text, IReadOnlyList<KeyValuePair<string, string>> project)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            return NewFile(project);
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode as YamlMappingNode : null;
        var lines = SplitLines(text);
        var projectsNode = root?.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode { Value: "projects" });

        if (root is null || projectsNode?.Key is null)
        {
            var prefix = text.EndsWith('\n') ? text : text + "\n";
            return prefix + "projects:\n" + ItemText(project, "  ");
        }

        var keyLine = checked((int)projectsNode.Value.Key.Start.Line) - 1;
        if (projectsNode.Value.Value is YamlSequenceNode { Style: not YamlDotNet.Core.Events.SequenceStyle.Flow } sequence && sequence.Children.Count > 0)
        {
            var first = sequence.Children[0];
            var dashLine = lines[checked((int)first.Start.Line) - 1];
            var indent = new string(' ', dashLine.Length - dashLine.TrimStart().Length);
            var last = sequence.Children[^1];
            var insertAt = EndLineExclusive(lines, last);
            lines.InsertRange(insertAt, SplitLines(ItemText(project, indent)).Where(l => l.Length > 0));
            return JoinLines(lines);
        }

        // 'projects:' with nothing, null, or an empty flow list: replace the value with a block list.
        var keyText = lines[keyLine];
        var colon = keyText.IndexOf(':', StringComparison.Ordinal);
        var comment = CommentOf(keyText[(colon + 1)..]);
        lines[keyLine] = keyText[..(colon + 1)] + comment;
        var keyIndent = keyText.Length - keyText.TrimStart().Length;
        lines.InsertRange(keyLine + 1, SplitLines(ItemText(project, new string(' ', keyIndent + 2))).Where(l => l.Length > 0));
        return JoinLines(lines);
    }

    /// <summary>Removes <c>projects[index]</c> together with its lines; everything else is left byte for byte.</summary>
    public static string RemoveProject(string text, int index)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var entry = root.Children.First(kv => kv.Key is YamlScalarNode { Value: "projects" });
        var sequence = (YamlSequenceNode)entry.Value;
        var lines = SplitLines(text);
        if (sequence.Style == YamlDotNet.Core.Events.SequenceStyle.Flow)
        {
            // A flow list cannot be edited by lines: rewrite the document (comments are lost in this rare form).
            sequence.Children.RemoveAt(index);
            var output = new StringWriter();
            stream.Save(output, assignAnchors: false);
            return output.ToString().Replace("\n...\n", "\n", StringComparison.Ordinal);
        }

        var item = sequence.Children[index];
        var from = checked((int)item.Start.Line) - 1;
        var to = EndLineExclusive(lines, item);
        lines.RemoveRange(from, to - from);
        if (sequence.Children.Count == 1)
        {
            var keyLine = checked((int)entry.Key.Start.Line) - 1;
            var keyText = lines[keyLine];
            var colon = keyText.IndexOf(':', StringComparison.Ordinal);
            lines[keyLine] = keyText[..(colon + 1)] + " []" + CommentOf(keyText[(colon + 1)..]);
        }

        return JoinLines(lines);
    }

    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return PlainSafe().IsMatch(value) && !IsReserved(value) ? value : JsonSerializer.Serialize(value, ConfigEditorJson.Default.String);
    }

    private static string ItemText(IReadOnlyList<KeyValuePair<string, string>> project, string indent)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < project.Count; i++)
        {
            builder.Append(indent).Append(i == 0 ? "- " : "  ").Append(project[i].Key).Append(": ").Append(Quote(project[i].Value)).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>
    /// The line after the last content line of the sequence item starting at <paramref name="node"/>. YamlDotNet does
    /// not record where a block mapping ends, so the extent comes from indentation: the item owns every following line
    /// indented deeper than its dash; trailing blank and comment lines stay where they are.
    /// </summary>
    private static int EndLineExclusive(List<string> lines, YamlNode node)
    {
        var first = checked((int)node.Start.Line) - 1;
        var dashIndent = lines[first].Length - lines[first].TrimStart().Length;
        var lastContent = first;
        for (var i = first + 1; i < lines.Count; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            if (lines[i].Length - trimmed.Length <= dashIndent)
            {
                break;
            }

            lastContent = i;
        }

        return lastContent + 1;
    }

    private static string CommentOf(string rest)
    {
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        return hash >= 0 ? " " + rest[hash..].Trim() : string.Empty;
    }

    private static List<string> SplitLines(string text)
    {
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private static string JoinLines(List<string> lines) => string.Join('\n', lines) + "\n";

    private static bool IsReserved(string value) =>
        value.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~" or "y" or "n";

    [GeneratedRegex(@"^[A-Za-z0-9_./~+@-](?:[A-Za-z0-9_./~+@ -]*[A-Za-z0-9_./~+@-])?$")]
    private static partial Regex PlainSafe();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ConfigEditorJson : System.Text.Json.Serialization.JsonSerializerContext;
