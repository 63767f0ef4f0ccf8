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
        var sequence = (YamlSequenceNode)root.Children.First(kv => kv.Key is YamlScalarNode { Value: "projects" }).Value;
        var lines = SplitLines(text);
        if (sequence.Style == YamlDotNet.Core.Events.SequenceStyle.Flow || sequence.Children.Count == 1)
        {
            // Flow lists and the last entry: rewrite just the value of 'projects'.
            var remaining = sequence.Children.Where((_, i) => i != index).ToList();
            if (remaining.Count == 0)
            {
                var keyLine = checked((int)sequence.Start.Line) - 1;
                var start = checked((int)sequence.Start.Line) - 1;
                var end = EndLineExclusive(lines, sequence);
                var keyNodeLine = checked((int)root.Children.First(kv => kv.Key is YamlScalarNode { Value: "projects" }).Key.Start.Line) - 1;
                if (sequence.Style == YamlDotNet.Core.Events.SequenceStyle.Flow)
                {
                    var l = lines[keyLine];
                    lines[keyLine] = l[..checked((int)sequence.Start.Column - 1)] + "[]" + l[Math.Min(l.Length, checked((int)sequence.End.Column - 1))..];
                    return JoinLines(lines);
                }

                lines.RemoveRange(start, end - start);
                lines[keyNodeLine] = lines[keyNodeLine].TrimEnd() + " []";
                return JoinLines(lines);
            }

            sequence.Children.RemoveAt(index);
            var output = new StringWriter();
            stream.Save(output, assignAnchors: false);
            return output.ToString().Replace("\n...\n", "\n", StringComparison.Ordinal);
        }

        var item = sequence.Children[index];
        var from = checked((int)item.Start.Line) - 1;
        var to = index + 1 < sequence.Children.Count
            ? checked((int)sequence.Children[index + 1].Start.Line) - 1
            : EndLineExclusive(lines, item);
        lines.RemoveRange(from, to - from);
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

    /// <summary>The first line after <paramref name="node"/>, skipping trailing blank lines so they stay between entries.</summary>
    private static int EndLineExclusive(List<string> lines, YamlNode node)
    {
        var endLine = checked((int)node.End.Line) - 1;
        var endColumn = checked((int)node.End.Column) - 1;
        var exclusive = endColumn == 0 || endLine >= lines.Count || lines[endLine][..Math.Min(endColumn, lines[endLine].Length)].Trim().Length == 0
            ? endLine
            : endLine + 1;
        exclusive = Math.Min(exclusive, lines.Count);
        while (exclusive > checked((int)node.Start.Line) && exclusive - 1 < lines.Count && lines[exclusive - 1].Trim().Length == 0)
        {
            exclusive--;
        }

        return exclusive;
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
