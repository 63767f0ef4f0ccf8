using Baton.Processes;

namespace Baton.Git;

/// <summary>Runs git with a stable, locale-free environment that never prompts.</summary>
public static class GitCli
{
    private static readonly Dictionary<string, string?> s_environment = new()
    {
        ["LC_ALL"] = "C",
        ["LANG"] = "C",
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_OPTIONAL_LOCKS"] = "0",
        ["GIT_PAGER"] = "cat",
        ["PAGER"] = "cat",
    };

    public static Task<ProcessResult> RunAsync(string workingDirectory, IReadOnlyList<string> arguments, CancellationToken cancellationToken = default, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync(
            new ProcessSpec("git", arguments)
            {
                WorkingDirectory = workingDirectory,
                Environment = s_environment,
                Timeout = timeout ?? TimeSpan.FromSeconds(60),
            },
            cancellationToken);

    /// <summary>Runs git with <paramref name="extraEnvironment"/> on top of the stable environment (identity, markers).</summary>
    public static Task<ProcessResult> RunAsync(string workingDirectory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> extraEnvironment, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(extraEnvironment);
        var environment = new Dictionary<string, string?>(s_environment);
        foreach (var (name, value) in extraEnvironment)
        {
            environment[name] = value;
        }

        return ProcessRunner.RunAsync(
            new ProcessSpec("git", arguments)
            {
                WorkingDirectory = workingDirectory,
                Environment = environment,
                Timeout = timeout ?? TimeSpan.FromSeconds(60),
            },
            cancellationToken);
    }

    /// <summary>Runs git and returns trimmed stdout, or null when git exits non-zero.</summary>
    public static async Task<string?> TryReadAsync(string workingDirectory, IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(workingDirectory, arguments, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput.Trim() : null;
    }
}
