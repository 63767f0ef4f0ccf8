using Baton.Core.Tasks;

namespace Baton.Core.Configuration;

/// <summary>
/// A project with every value resolved: given in <c>baton.yaml</c> or derived. <see cref="Repo"/> and
/// <see cref="DefaultBranch"/> come from git and are filled by the project inspector when a command needs them.
/// </summary>
public sealed record Project
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    /// <summary>Absolute path of the repository.</summary>
    public required string Path { get; init; }

    public required string SessionPrefix { get; init; }

    public required string ConfigPath { get; init; }

    public required string ConfigHash { get; init; }

    /// <summary><c>{hash}-{projectId}</c>: the project's key in the state store and its folder under BATON_HOME.</summary>
    public required string InstanceId { get; init; }

    public required string InstanceDirectory { get; init; }

    public required TaskStates States { get; init; }

    public string? Repo { get; init; }

    public string? DefaultBranch { get; init; }

    /// <summary>The names of the values Baton derived rather than read from the file.</summary>
    public IReadOnlyList<string> Derived { get; init; } = [];

    /// <summary>What is wrong with the project on disk (missing path, not a repository), or null.</summary>
    public string? Problem { get; init; }

    public string IdentifierPrefix => SessionPrefix.ToUpperInvariant();
}
