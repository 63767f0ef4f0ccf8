using Baton.Core.Tasks;

namespace Baton.Core.Configuration;

/// <summary>A parsed <c>baton.yaml</c>, as written: only <see cref="ProjectEntry.Path"/> is required.</summary>
public sealed record BatonConfig(string FilePath, IReadOnlyList<ProjectEntry> Projects, IReadOnlyList<ConfigWarning> Warnings)
{
    public string Directory => System.IO.Path.GetDirectoryName(FilePath) ?? "/";
}

/// <summary>One <c>projects[]</c> entry as written. Null means "derive it".</summary>
public sealed record ProjectEntry
{
    public required string Path { get; init; }

    public string? Id { get; init; }

    public string? Name { get; init; }

    public string? Repo { get; init; }

    public string? DefaultBranch { get; init; }

    public string? SessionPrefix { get; init; }

    public TaskStates? States { get; init; }

    /// <summary>1-based line of the entry in the file, for messages.</summary>
    public int Line { get; init; }
}

public sealed record ConfigWarning(string Key, string Message, int Line, int Column);
