using System.Text.RegularExpressions;
using Baton.Core.Errors;
using Baton.Core.Naming;
using Baton.Core.Tasks;

namespace Baton.Core.Configuration;

/// <summary>
/// Convention over configuration: turns the entries of a <c>baton.yaml</c> into projects with an id, name,
/// session prefix and instance directory, and rejects what would make two projects collide.
/// </summary>
public static partial class ProjectResolver
{
    /// <param name="resolvePath">Expands <c>~</c> and makes a path absolute against the config file's directory.</param>
    public static IReadOnlyList<Project> Resolve(BatonConfig config, string batonHome, Func<string, string> resolvePath)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(resolvePath);
        var hash = InstanceNaming.ConfigHash(config.Directory);
        var projects = config.Projects.Select(entry => ResolveOne(config, entry, hash, batonHome, resolvePath)).ToList();
        EnsureDistinct(config, projects);
        return projects;
    }

    public static Project ResolveOne(BatonConfig config, ProjectEntry entry, string configHash, string batonHome, Func<string, string> resolvePath)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(resolvePath);
        var derived = new List<string>();
        var path = resolvePath(entry.Path);
        var id = entry.Id;
        if (id is null)
        {
            id = System.IO.Path.GetFileName(path.TrimEnd('/'));
            derived.Add("id");
        }

        if (!ValidId().IsMatch(id))
        {
            throw new BatonException(
                ErrorCodes.ConfigInvalid,
                $"project id '{id}' (line {entry.Line}) can only use letters, digits, '.', '_' and '-'",
                $"Add 'id: {Sanitize(id)}' to the project at line {entry.Line} of {config.FilePath}.");
        }

        var prefix = entry.SessionPrefix?.ToLowerInvariant();
        if (prefix is null)
        {
            prefix = SessionPrefix.Generate(id);
            derived.Add("sessionPrefix");
        }

        if (!SessionPrefix.IsValid(prefix))
        {
            throw new BatonException(
                ErrorCodes.SessionPrefixInvalid,
                $"session prefix '{prefix}' of project '{id}' must be 1–16 lower-case letters or digits",
                $"Set 'sessionPrefix:' for the project at line {entry.Line} of {config.FilePath}, e.g. 'sessionPrefix: {Sanitize(prefix).Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant()}'.");
        }

        if (entry.Name is null)
        {
            derived.Add("name");
        }

        if (entry.States is null)
        {
            derived.Add("states");
        }

        var instanceId = InstanceNaming.InstanceId(configHash, id);
        return new Project
        {
            Id = id,
            Name = entry.Name ?? id,
            Path = path,
            SessionPrefix = prefix,
            ConfigPath = config.FilePath,
            ConfigHash = configHash,
            InstanceId = instanceId,
            InstanceDirectory = System.IO.Path.Combine(batonHome, instanceId),
            States = entry.States ?? TaskStates.Default,
            Repo = entry.Repo,
            DefaultBranch = entry.DefaultBranch,
            Derived = derived,
        };
    }

    /// <summary>Two projects may not share an id, a path or a session prefix.</summary>
    public static void EnsureDistinct(BatonConfig config, IReadOnlyList<Project> projects)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(projects);
        for (var i = 0; i < projects.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                var (a, b) = (projects[j], projects[i]);
                if (a.Path == b.Path)
                {
                    throw new BatonException(
                        ErrorCodes.ProjectDuplicate,
                        $"the repository {a.Path} is listed twice ('{a.Id}' and '{b.Id}')",
                        $"Remove one of the entries from {config.FilePath} (baton project remove {b.Id}).");
                }

                if (string.Equals(a.Id, b.Id, StringComparison.OrdinalIgnoreCase))
                {
                    throw new BatonException(
                        ErrorCodes.ProjectDuplicate,
                        $"two projects have the id '{a.Id}' ({a.Path} and {b.Path})",
                        $"Give one of them its own id: add 'id: {b.Id}-2' under its path in {config.FilePath}.");
                }

                if (a.SessionPrefix == b.SessionPrefix)
                {
                    throw new BatonException(
                        ErrorCodes.SessionPrefixConflict,
                        $"projects '{a.Id}' and '{b.Id}' both get the session prefix '{a.SessionPrefix}'",
                        $"Set a distinct 'sessionPrefix:' for one of them in {config.FilePath} (e.g. 'sessionPrefix: {b.SessionPrefix}2' for '{b.Id}').");
                }
            }
        }
    }

    private static string Sanitize(string value) => InvalidIdChars().Replace(value, "-").Trim('-') is { Length: > 0 } clean ? clean : "project";

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex ValidId();

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex InvalidIdChars();
}
