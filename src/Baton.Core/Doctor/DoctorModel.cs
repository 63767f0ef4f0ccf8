namespace Baton.Core.Doctor;

public enum CheckStatus
{
    Ok,
    Warn,
    Missing,
    TooOld,
}

/// <summary>Where a checked program was found.</summary>
public enum ToolSource
{
    /// <summary>The .NET runtime running Baton itself.</summary>
    Runtime,

    /// <summary><c>BATON_HOME/tools/node_modules/.bin</c>, preferred over PATH.</summary>
    Tools,

    Path,
}

/// <summary>
/// What one check looks for: a program, the arguments that make it print its version, the lowest version that
/// works, and the one-line fixes shown to people. <see cref="Required"/> checks decide the exit code; the others
/// only warn.
/// </summary>
/// <param name="Recommended">A higher version some feature needs; below it the check warns with <paramref name="RecommendedNote"/>.</param>
/// <param name="SearchTools">Also look in <c>BATON_HOME/tools/node_modules/.bin</c>, before PATH.</param>
public sealed record ToolCheck(
    string Name,
    string Kind,
    string Binary,
    IReadOnlyList<string> VersionArguments,
    bool Required,
    ToolVersion? Minimum,
    string MissingFix,
    string TooOldFix,
    bool SearchTools = false,
    ToolVersion? Recommended = null,
    string? RecommendedNote = null);

/// <summary>What was observed about one program: where it is and what <c>--version</c> said.</summary>
/// <param name="Failure">Why the version could not be asked (could not start, timed out); null when it ran.</param>
public sealed record ToolProbe(string? Path, ToolSource? Source, int ExitCode = 0, string Output = "", string? Failure = null)
{
    public static ToolProbe NotFound { get; } = new(null, null);

    public bool Found => Path is not null;
}

/// <summary>The verdict of one check, as printed in the table and the JSON.</summary>
public sealed record CheckOutcome(
    string Name,
    string Kind,
    bool Required,
    CheckStatus Status,
    string? Version,
    string? Minimum,
    string? Path,
    ToolSource? Source,
    string? Detail,
    string? Fix)
{
    /// <summary>True when this check makes <c>baton doctor</c> fail: a required program that is missing or too old.</summary>
    public bool Blocks => Required && Status is CheckStatus.Missing or CheckStatus.TooOld;
}
