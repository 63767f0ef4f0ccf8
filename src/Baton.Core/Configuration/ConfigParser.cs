using Baton.Core.Errors;
using Baton.Core.Tasks;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Baton.Core.Configuration;

/// <summary>
/// Reads <c>baton.yaml</c> text into a <see cref="BatonConfig"/>. Malformed YAML and wrong shapes are errors
/// with the line and column; unknown keys are warnings that name the key.
/// </summary>
public static class ConfigParser
{
    private static readonly HashSet<string> s_rootKeys = ["projects"];
    private static readonly HashSet<string> s_projectKeys = ["path", "id", "name", "repo", "defaultBranch", "sessionPrefix", "states"];
    private static readonly HashSet<string> s_stateKeys = ["active", "handoff", "terminal", "inactive", "merge", "rework"];

    public static BatonConfig Parse(string text, string filePath)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fileName = System.IO.Path.GetFileName(filePath);
        CheckSyntax(text, filePath);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw SyntaxError(filePath, checked((int)ex.Start.Line), checked((int)ex.Start.Column), Describe(ex));
        }

        var warnings = new List<ConfigWarning>();
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return new BatonConfig(filePath, [], warnings);
        }

        var root = stream.Documents[0].RootNode as YamlMappingNode
            ?? throw Invalid(filePath, stream.Documents[0].RootNode, "the file must be a mapping with a 'projects' list");

        var projects = new List<ProjectEntry>();
        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = KeyOf(keyNode);
            if (!s_rootKeys.Contains(key))
            {
                warnings.Add(Unknown(key, keyNode));
                continue;
            }

            if (valueNode is YamlScalarNode { Value: null or "" or "~" or "null" })
            {
                continue;
            }

            if (valueNode is not YamlSequenceNode sequence)
            {
                throw Invalid(filePath, valueNode, "'projects' must be a list of entries with a 'path'");
            }

            var index = 0;
            foreach (var item in sequence.Children)
            {
                projects.Add(ParseProject(filePath, item, $"projects[{index}]", warnings));
                index++;
            }
        }

        return new BatonConfig(filePath, projects, warnings);
    }

    private static ProjectEntry ParseProject(string filePath, YamlNode node, string where, List<ConfigWarning> warnings)
    {
        if (node is not YamlMappingNode map)
        {
            throw Invalid(filePath, node, $"{where} must be a mapping with at least 'path'");
        }

        string? path = null, id = null, name = null, repo = null, branch = null, prefix = null;
        TaskStates? states = null;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = KeyOf(keyNode);
            switch (key)
            {
                case "path": path = Scalar(filePath, valueNode, $"{where}.path"); break;
                case "id": id = Scalar(filePath, valueNode, $"{where}.id"); break;
                case "name": name = Scalar(filePath, valueNode, $"{where}.name"); break;
                case "repo": repo = Scalar(filePath, valueNode, $"{where}.repo"); break;
                case "defaultBranch": branch = Scalar(filePath, valueNode, $"{where}.defaultBranch"); break;
                case "sessionPrefix": prefix = Scalar(filePath, valueNode, $"{where}.sessionPrefix"); break;
                case "states": states = ParseStates(filePath, valueNode, $"{where}.states", warnings); break;
                default: warnings.Add(Unknown($"{where}.{key}", keyNode)); break;
            }
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            throw Invalid(filePath, node, $"{where} has no 'path' (the only required key)");
        }

        return new ProjectEntry
        {
            Path = path,
            Id = id,
            Name = name,
            Repo = repo,
            DefaultBranch = branch,
            SessionPrefix = prefix,
            States = states,
            Line = checked((int)node.Start.Line),
        };
    }

    private static TaskStates ParseStates(string filePath, YamlNode node, string where, List<ConfigWarning> warnings)
    {
        if (node is not YamlMappingNode map)
        {
            throw Invalid(filePath, node, $"{where} must be a mapping of active, handoff, terminal and inactive state lists (and the merge and rework states)");
        }

        // The lists the file leaves out are the defaults without the merge queue's states: Create adds those once.
        IReadOnlyList<string> active = TaskStates.DefaultActive, handoff = TaskStates.DefaultHandoff, terminal = TaskStates.DefaultTerminal, inactive = [];
        string? merge = null, rework = null;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = KeyOf(keyNode);
            if (!s_stateKeys.Contains(key))
            {
                warnings.Add(Unknown($"{where}.{key}", keyNode));
                continue;
            }

            if (key is "merge" or "rework")
            {
                var name = Scalar(filePath, valueNode, $"{where}.{key}")
                    ?? throw Invalid(filePath, valueNode, $"{where}.{key} must name a state");
                (merge, rework) = key == "merge" ? (name, rework) : (merge, name);
                continue;
            }

            var list = StringList(filePath, valueNode, $"{where}.{key}");
            switch (key)
            {
                case "active": active = list; break;
                case "handoff": handoff = list; break;
                case "terminal": terminal = list; break;
                default: inactive = list; break;
            }
        }

        if (active.Count == 0 || terminal.Count == 0)
        {
            throw Invalid(filePath, node, $"{where} needs at least one active and one terminal state");
        }

        var all = active.Concat(handoff).Concat(terminal).Concat(inactive).Select(TaskStates.Normalize).ToList();
        var duplicate = all.GroupBy(s => s).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw Invalid(filePath, node, $"{where} lists the state '{duplicate.Key}' more than once");
        }

        var states = TaskStates.Create(active, handoff, terminal, inactive, merge, rework);
        if (states.QueueStatesProblem() is { } problem)
        {
            throw Invalid(filePath, node, $"{where}: {problem}");
        }

        return states;
    }

    private static List<string> StringList(string filePath, YamlNode node, string where)
    {
        switch (node)
        {
            case YamlScalarNode scalar when !string.IsNullOrWhiteSpace(scalar.Value):
                return [scalar.Value.Trim()];
            case YamlSequenceNode sequence:
                var list = new List<string>();
                foreach (var item in sequence.Children)
                {
                    var value = Scalar(filePath, item, where);
                    if (string.IsNullOrWhiteSpace(value))
                    {
                        throw Invalid(filePath, item, $"{where} has a blank state name");
                    }

                    list.Add(value.Trim());
                }

                return list;
            default:
                throw Invalid(filePath, node, $"{where} must be a state name or a list of state names");
        }
    }

    private static string? Scalar(string filePath, YamlNode node, string where)
    {
        if (node is not YamlScalarNode scalar)
        {
            throw Invalid(filePath, node, $"{where} must be a plain value");
        }

        return string.IsNullOrWhiteSpace(scalar.Value) ? null : scalar.Value.Trim();
    }

    /// <summary>
    /// Runs the YAML parser over the text first, so every syntax error gets a position: YamlDotNet reports tabs at 1:1
    /// and fails on some malformed flow collections with an InvalidOperationException that carries no position.
    /// </summary>
    private static void CheckSyntax(string text, string filePath)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ').Length;
            if (indent < lines[i].Length && lines[i][indent] == '\t' && lines[i].Trim().Length > 0)
            {
                throw SyntaxError(filePath, i + 1, indent + 1, "a tab is used for indentation; YAML indents with spaces");
            }
        }

        var parser = new Parser(new StringReader(text));
        var last = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                last = parser.Current!.End;
            }
        }
        catch (YamlException ex)
        {
            throw SyntaxError(filePath, checked((int)ex.Start.Line), checked((int)ex.Start.Column), Describe(ex));
        }
        catch (InvalidOperationException)
        {
            throw SyntaxError(filePath, checked((int)last.Line), checked((int)last.Column), "the YAML is malformed after this point (an unclosed bracket or quote?)");
        }
    }

    private static BatonException SyntaxError(string filePath, int line, int column, string reason) =>
        new(ErrorCodes.ConfigParseError,
            $"{System.IO.Path.GetFileName(filePath)}:{line}:{column}: {reason}",
            $"Fix the YAML at line {line}, column {column} of {filePath}.");

    private static string KeyOf(YamlNode node) => node is YamlScalarNode { Value: { } value } ? value : node.ToString();

    private static ConfigWarning Unknown(string key, YamlNode node) =>
        new(key, $"unknown key '{key}' is ignored", checked((int)node.Start.Line), checked((int)node.Start.Column));

    private static BatonException Invalid(string filePath, YamlNode node, string message) =>
        new(ErrorCodes.ConfigInvalid,
            $"{System.IO.Path.GetFileName(filePath)}:{node.Start.Line}:{node.Start.Column}: {message}",
            $"Edit {filePath}; a minimal file is 'projects:' followed by '  - path: /path/to/repo'.");

    private static string Describe(YamlException ex)
    {
        // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (…): "; keep only the reason.
        var message = ex.InnerException?.Message ?? ex.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return (cut >= 0 ? message[(cut + 3)..] : message).Trim();
    }
}
