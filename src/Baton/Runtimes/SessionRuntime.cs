using System.Diagnostics;
using Baton.Core.Errors;
using Baton.Sessions;

namespace Baton.Runtimes;

/// <summary>Where a session's worker host runs: a tmux session a person can attach to, or a headless process.</summary>
public interface ISessionRuntime
{
    string Kind { get; }

    /// <summary>
    /// Starts <c>baton worker &lt;session-dir&gt;</c> for the session, followed by its reaper, with
    /// <paramref name="environment"/> added and <paramref name="hiddenVariables"/> (secrets, §1.18) removed from what
    /// the worker would otherwise inherit (the tmux server's or this process's environment).
    /// </summary>
    Task StartAsync(SessionRecord session, string batonExecutable, IReadOnlyDictionary<string, string> environment, IReadOnlyCollection<string> hiddenVariables, CancellationToken cancellationToken);

    /// <summary>Whether the runtime's container (the tmux session) still exists; a headless process has none.</summary>
    Task<bool> ExistsAsync(SessionRecord session, CancellationToken cancellationToken);

    /// <summary>Removes the container (kills the tmux session). The worker handles SIGHUP by ending its run cleanly.</summary>
    Task CloseAsync(SessionRecord session, CancellationToken cancellationToken);

    /// <summary>Whether the worker this runtime started has already ended (its pane is dead, its process gone).</summary>
    Task<bool> HasEndedAsync(SessionRecord session, CancellationToken cancellationToken);
}

public static class SessionRuntimes
{
    public const string Tmux = "tmux";
    public const string Process = "process";

    /// <summary>
    /// The command every runtime runs: the worker, then — however the worker ended, even by SIGKILL — the reaper,
    /// which kills whatever the agent left behind.
    /// </summary>
    public static IReadOnlyList<string> WorkerCommand(string batonExecutable, string sessionDirectory, string? logFile = null)
    {
        var redirect = logFile is null ? string.Empty : "exec >>\"$2\" 2>&1 </dev/null; ";
        return ["sh", "-c", $"{redirect}\"$0\" worker \"$1\"; \"$0\" worker --reap \"$1\"", batonExecutable, sessionDirectory, .. logFile is null ? Array.Empty<string>() : [logFile]];
    }

    public static ISessionRuntime For(string kind, TmuxClient tmux) => kind switch
    {
        Tmux => new TmuxRuntime(tmux),
        Process => new ProcessRuntime(),
        _ => throw BatonException.Usage("unknown_runtime", $"no runtime '{kind}'", "Use --runtime tmux (default) or --runtime process."),
    };
}

public sealed class TmuxRuntime(TmuxClient tmux) : ISessionRuntime
{
    public string Kind => SessionRuntimes.Tmux;

    public TmuxClient Client => tmux;

    public async Task StartAsync(SessionRecord session, string batonExecutable, IReadOnlyDictionary<string, string> environment, IReadOnlyCollection<string> hiddenVariables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(hiddenVariables);
        try
        {
            // tmux ignores "-e PATH=…" (a new pane gets the server's PATH), so PATH travels on the command line; the
            // pane also inherits the server's environment, which has whatever the process that started tmux had, so
            // secrets are unset there too.
            var prefix = new List<string> { "env" };
            foreach (var name in hiddenVariables)
            {
                prefix.AddRange(["-u", name]);
            }

            if (environment.TryGetValue("PATH", out var path))
            {
                prefix.Add($"PATH={path}");
            }

            IReadOnlyList<string> command = prefix.Count > 1
                ? [.. prefix, .. SessionRuntimes.WorkerCommand(batonExecutable, session.Directory)]
                : SessionRuntimes.WorkerCommand(batonExecutable, session.Directory);
            await tmux.NewSessionAsync(session.RuntimeName, session.Workspace, command, environment, session.Files.PaneLog, cancellationToken).ConfigureAwait(false);
        }
        catch (TmuxException ex)
        {
            throw new BatonException(
                ex.StandardError.Contains("duplicate session", StringComparison.Ordinal) ? "session_exists" : "tmux_failed",
                ex.Message,
                "Check 'tmux -L baton ls'; 'baton doctor' checks tmux itself.");
        }
    }

    public Task<bool> ExistsAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return tmux.HasSessionAsync(session.RuntimeName, cancellationToken);
    }

    public Task CloseAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return tmux.KillSessionAsync(session.RuntimeName, cancellationToken);
    }

    public async Task<bool> HasEndedAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var pane = (await tmux.ListSessionsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.Name == session.RuntimeName);
        return pane is null or { PaneDead: true };
    }
}

/// <summary>Headless: the worker in its own session and process group, output appended to the session's pane.log.</summary>
public sealed class ProcessRuntime : ISessionRuntime
{
    private readonly Dictionary<string, int> _started = new(StringComparer.Ordinal);

    public string Kind => SessionRuntimes.Process;

    public Task StartAsync(SessionRecord session, string batonExecutable, IReadOnlyDictionary<string, string> environment, IReadOnlyCollection<string> hiddenVariables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(hiddenVariables);
        var command = SessionRuntimes.WorkerCommand(batonExecutable, session.Directory, session.Files.PaneLog);
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = session.Workspace };
        foreach (var word in command)
        {
            start.ArgumentList.Add(word);
        }

        foreach (var name in hiddenVariables)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = System.Diagnostics.Process.Start(start) ?? throw new BatonException("worker_start_failed", "could not start the worker process", "Run 'baton doctor'.");
        _started[session.Name] = process.Id;

        // Reap the shell when it ends so it does not linger as a zombie of this process.
        _ = process.WaitForExitAsync(CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task<bool> HasEndedAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Task.FromResult(!_started.TryGetValue(session.Name, out var pid) || !Processes.ProcessTable.IsAlive(pid));
    }

    public Task<bool> ExistsAsync(SessionRecord session, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task CloseAsync(SessionRecord session, CancellationToken cancellationToken) => Task.CompletedTask;
}
