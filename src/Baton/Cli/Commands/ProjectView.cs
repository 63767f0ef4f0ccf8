using System.Text.Json.Serialization;
using Baton.Core.Configuration;
using Baton.Core.Tasks;

namespace Baton.Cli.Commands;

/// <summary>A project as the CLI prints it (JSON and tables).</summary>
public sealed record ProjectView(
    string Id,
    string Name,
    string Path,
    string? Repo,
    string? DefaultBranch,
    string SessionPrefix,
    string InstanceId,
    string InstanceDirectory,
    StatesView States,
    IReadOnlyList<string> Derived,
    string? Problem)
{
    public static ProjectView From(Project project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return new(project.Id, project.Name, project.Path, project.Repo, project.DefaultBranch, project.SessionPrefix,
            project.InstanceId, project.InstanceDirectory, StatesView.From(project.States), project.Derived, project.Problem);
    }
}

public sealed record StatesView(IReadOnlyList<string> Active, IReadOnlyList<string> Handoff, IReadOnlyList<string> Terminal, IReadOnlyList<string> Inactive, string Merge, string Rework)
{
    public static StatesView From(TaskStates states)
    {
        ArgumentNullException.ThrowIfNull(states);
        return new(states.Active, states.Handoff, states.Terminal, states.Inactive, states.Merge, states.Rework);
    }
}

public sealed record InfoView(string? ConfigPath, string? ConfigHash, string BatonHome, string StateDatabase, IReadOnlyList<ProjectView> Projects);

public sealed record ProjectRemovedView(string Id, string ConfigPath);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ProjectView))]
[JsonSerializable(typeof(IReadOnlyList<ProjectView>))]
[JsonSerializable(typeof(InfoView))]
[JsonSerializable(typeof(ProjectRemovedView))]
internal sealed partial class ProjectJsonContext : JsonSerializerContext;
