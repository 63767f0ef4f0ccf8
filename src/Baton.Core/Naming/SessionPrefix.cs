using System.Text.RegularExpressions;

namespace Baton.Core.Naming;

/// <summary>
/// The session prefix heuristic of the agent-orchestrator seed (003), exactly as written there:
/// at most 4 characters → lower-cased; CamelCase with two or more capitals → the capitals;
/// kebab-case or snake_case → the initials; otherwise the first three characters.
/// </summary>
public static partial class SessionPrefix
{
    public static string Generate(string projectId)
    {
        ArgumentNullException.ThrowIfNull(projectId);
        if (projectId.Length <= 4)
        {
            return projectId.ToLowerInvariant();
        }

        var capitals = projectId.Where(c => c is >= 'A' and <= 'Z').ToArray();
        if (capitals.Length > 1)
        {
            return new string(capitals).ToLowerInvariant();
        }

        if (projectId.Contains('-') || projectId.Contains('_'))
        {
            // The seed splits on '-' when present, otherwise on '_'; an empty segment contributes nothing
            // (JavaScript's join turns the undefined w[0] into an empty string).
            var separator = projectId.Contains('-') ? '-' : '_';
            var initials = projectId.Split(separator).Where(w => w.Length > 0).Select(w => w[0]);
            return new string([.. initials]).ToLowerInvariant();
        }

        return projectId[..3].ToLowerInvariant();
    }

    /// <summary>A prefix must be usable in a task identifier (<c>INT-12</c>) and a tmux session name.</summary>
    public static bool IsValid(string prefix) => ValidPattern().IsMatch(prefix);

    [GeneratedRegex("^[a-z0-9]{1,16}$")]
    private static partial Regex ValidPattern();
}
