using System.Text;
using Baton.Processes;

namespace Baton.Workspaces;

/// <summary>The four workspace hooks of Symphony §5.3.4.</summary>
public static class HookNames
{
    public const string AfterCreate = "after_create";
    public const string BeforeRun = "before_run";
    public const string AfterRun = "after_run";
    public const string BeforeRemove = "before_remove";
}

/// <summary>What a hook did. <see cref="Excerpt"/> is the output as logs show it: at most 2 KB (Symphony §1.16).</summary>
public sealed record HookResult(string Name, int ExitCode, bool TimedOut, string Output, TimeSpan Duration)
{
    public const int LogExcerptBytes = 2048;

    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public string Excerpt => Truncate(Output, LogExcerptBytes);

    public string Describe() => TimedOut
        ? $"hook {Name} timed out after {Duration.TotalMilliseconds:0} ms and was killed with its process group"
        : $"hook {Name} exited with code {ExitCode}";

    public static string Truncate(string text, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        var cut = maxBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        return Encoding.UTF8.GetString(bytes, 0, cut) + "... (truncated)";
    }
}

/// <summary>
/// Runs a hook script with <c>bash -lc</c> in the workspace, with the task in the environment, under one timeout.
/// The hook leads its own process group, so a timeout kills everything it started (a loop, a background server).
/// </summary>
public static class HookRunner
{
    /// <summary>Output kept in memory per stream; a hook printing megabytes is drained, not stored.</summary>
    private const int MaxKeptChars = 64 * 1024;

    public static async Task<HookResult> RunAsync(
        string name,
        string script,
        string workspacePath,
        IReadOnlyDictionary<string, string?> environment,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var result = await ProcessRunner.RunAsync(
            new ProcessSpec("bash", LoginShell.Arguments(script, environment.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH")))
            {
                WorkingDirectory = workspacePath,
                Environment = environment,
                Timeout = timeout,
                NewProcessGroup = true,
                MaxOutputChars = MaxKeptChars,
            },
            cancellationToken).ConfigureAwait(false);
        var output = result.StandardError.Length == 0 ? result.StandardOutput : result.StandardOutput + result.StandardError;
        return new HookResult(name, result.ExitCode, result.TimedOut, output, result.Duration);
    }
}
