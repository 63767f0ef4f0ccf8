namespace Baton.Processes;

/// <summary>An immutable description of one process launch. Arguments are passed as a list, never joined.</summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables to set (a null value removes the variable) on top of the inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Text written to stdin (UTF-8, no BOM), then stdin is closed.</summary>
    public string? StandardInput { get; init; }

    public TimeSpan? Timeout { get; init; }

    /// <summary>Output beyond this many characters per stream is dropped (the result says so).</summary>
    public int MaxOutputChars { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Start the process as the leader of a new session and process group (through <c>setsid</c>), so a timeout or
    /// cancellation kills everything it started, including children that left its process tree.
    /// </summary>
    public bool NewProcessGroup { get; init; }
}

public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, bool TimedOut, bool OutputTruncated, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}
