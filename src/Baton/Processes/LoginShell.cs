using Baton.Core.Workspaces;

namespace Baton.Processes;

/// <summary>
/// Scripts run the way Symphony runs them, <c>bash -lc &lt;script&gt;</c>. A login shell reads /etc/profile, which on
/// Debian sets PATH from scratch: a program the caller found on its own PATH (an agent in Baton's tools folder, baton
/// itself, a node from nvm) would be "command not found". The script therefore first puts the caller's PATH back in
/// front of the login PATH, on the same line, so bash's line numbers in error messages stay those of the script.
/// </summary>
public static class LoginShell
{
    /// <summary>The arguments for <c>bash</c>: <c>-lc</c> and <paramref name="script"/> with <paramref name="callerPath"/> restored.</summary>
    public static IReadOnlyList<string> Arguments(string script, string? callerPath) => ["-lc", WithPath(script, callerPath)];

    public static string WithPath(string script, string? callerPath)
    {
        ArgumentNullException.ThrowIfNull(script);
        return string.IsNullOrEmpty(callerPath) ? script : $"export PATH={ShellQuote.Quote(callerPath)}:\"$PATH\"; {script}";
    }
}
