using Baton.Core.Workspaces;
using System.Globalization;
using Baton.Processes;

namespace Baton.Runtimes;

/// <summary>A tmux session as <c>list-sessions</c> reports it.</summary>
public sealed record TmuxSession(string Name, DateTimeOffset Created, bool Attached, int? PanePid, bool PaneDead, int? PaneExitStatus);

/// <summary>
/// A thin client for Baton's own tmux server (<c>tmux -L &lt;socket&gt;</c>, default <c>baton</c>) that never reads a
/// person's <c>~/.tmux.conf</c>. Panes stay after their process exits (remain-on-exit) so an exit status can be read.
/// </summary>
public sealed class TmuxClient(string socketName, string configFile)
{
    public const string DefaultSocket = "baton";

    /// <summary>Options every session gets; written to the server's config file so they apply before the first pane starts.</summary>
    public const string Config =
        "set-option -g remain-on-exit on\n" +
        "set-option -g history-limit 50000\n" +
        "set-option -g mouse on\n" +
        "set-option -g status-right ' baton #{session_name} '\n";

    public string SocketName { get; } = socketName;

    public static TmuxClient ForHome(string batonHome, string? socketName = null)
    {
        Directory.CreateDirectory(batonHome);
        var config = Path.Combine(batonHome, "tmux.conf");
        if (!File.Exists(config) || File.ReadAllText(config) != Config)
        {
            Files.AtomicFile.WriteAllText(config, Config);
        }

        return new TmuxClient(socketName ?? DefaultSocket, config);
    }

    /// <summary>Starts a detached session running <paramref name="command"/> in <paramref name="workingDirectory"/>.</summary>
    public async Task NewSessionAsync(string name, string workingDirectory, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string? pipeToFile = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(environment);
        var arguments = new List<string> { "new-session", "-d", "-s", name, "-x", "200", "-y", "50", "-c", workingDirectory };
        foreach (var (key, value) in environment)
        {
            arguments.Add("-e");
            arguments.Add($"{key}={value}");
        }

        // tmux runs a single argument through the shell; quote every word so paths with spaces survive.
        arguments.Add(string.Join(' ', command.Select(ShellQuote.Quote)));
        arguments.AddRange([";", "set-option", "-g", "remain-on-exit", "on"]);
        if (pipeToFile is not null)
        {
            arguments.AddRange([";", "pipe-pane", "-o", "-t", name, $"cat >> {ShellQuote.Quote(pipeToFile)}"]);
        }

        var result = await RunAsync(arguments, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new TmuxException($"tmux new-session {name} failed: {result.StandardError.Trim()}", result.StandardError);
        }
    }

    public async Task<bool> HasSessionAsync(string name, CancellationToken cancellationToken = default) =>
        (await RunAsync(["has-session", "-t", $"={name}"], cancellationToken).ConfigureAwait(false)).ExitCode == 0;

    public async Task<IReadOnlyList<TmuxSession>> ListSessionsAsync(CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["list-panes", "-a", "-F", "#{session_name}\t#{session_created}\t#{session_attached}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}"], cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            // No server running means no sessions.
            return [];
        }

        var sessions = new Dictionary<string, TmuxSession>(StringComparer.Ordinal);
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            if (f.Length < 6 || sessions.ContainsKey(f[0]))
            {
                continue;
            }

            sessions[f[0]] = new TmuxSession(
                f[0],
                DateTimeOffset.FromUnixTimeSeconds(long.TryParse(f[1], CultureInfo.InvariantCulture, out var created) ? created : 0),
                f[2] != "0",
                int.TryParse(f[3], CultureInfo.InvariantCulture, out var pid) ? pid : null,
                f[4] == "1",
                int.TryParse(f[5], CultureInfo.InvariantCulture, out var status) ? status : null);
        }

        return [.. sessions.Values];
    }

    public async Task KillSessionAsync(string name, CancellationToken cancellationToken = default) =>
        await RunAsync(["kill-session", "-t", $"={name}"], cancellationToken).ConfigureAwait(false);

    /// <summary>The pane's text: the last <paramref name="lines"/> lines of history and screen, wrapped lines joined.</summary>
    public async Task<string> CapturePaneAsync(string name, int lines = 2000, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["capture-pane", "-p", "-J", "-t", $"={name}:", "-S", (-lines).ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput : string.Empty;
    }

    /// <summary>Types <paramref name="text"/> literally into the pane, then Enter.</summary>
    public async Task SendLineAsync(string name, string text, CancellationToken cancellationToken = default)
    {
        await RunAsync(["send-keys", "-t", $"={name}:", "-l", text], cancellationToken).ConfigureAwait(false);
        await RunAsync(["send-keys", "-t", $"={name}:", "Enter"], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The command a person runs to attach (used by <c>baton attach</c>, which execs it).</summary>
    public IReadOnlyList<string> AttachCommand(string name) => ["tmux", "-L", SocketName, "-f", configFile, "attach-session", "-t", $"={name}"];

    /// <summary>Stops the server and removes its socket file, which tmux leaves behind (reference/machine.md §1).</summary>
    public async Task KillServerAsync(CancellationToken cancellationToken = default)
    {
        await RunAsync(["kill-server"], cancellationToken).ConfigureAwait(false);
        var directory = Environment.GetEnvironmentVariable("TMUX_TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp";
        var socket = Path.Combine(directory, $"tmux-{Processes.Posix.EffectiveUserId}", SocketName);
        try
        {
            File.Delete(socket);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Another process may be starting a server on the same name; leave its socket alone.
        }
    }

    public Task<ProcessResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken = default) =>
        ProcessRunner.RunAsync(
            new ProcessSpec("tmux", ["-L", SocketName, "-f", configFile, .. arguments])
            {
                Timeout = TimeSpan.FromSeconds(15),
                // A tmux server started here keeps its environment for every pane: no well-known credential in it.
                Environment = new Dictionary<string, string?>(Sessions.SecretVariables.WellKnown.Select(n => KeyValuePair.Create(n, (string?)null))) { ["TMUX"] = null },
            },
            cancellationToken);
}

public sealed class TmuxException(string message, string standardError) : Exception(message)
{
    public string StandardError { get; } = standardError;
}
