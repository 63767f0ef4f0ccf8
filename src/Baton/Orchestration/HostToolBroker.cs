using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Baton.Agents;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Tracking;
using Baton.Sessions;
using Baton.Tracking.Linear;

namespace Baton.Orchestration;

/// <summary>
/// Runs host-side agent tools for the sessions of one orchestrator (Symphony §10.5, checklist §1.18): the tracker
/// credential stays in this process and never enters a session's environment, so a tool like <c>linear_graphql</c>
/// is executed here. The worker's Codex adapter forwards <c>item/tool/call</c> to this unix socket
/// (<see cref="HostToolClient"/>), one JSON line each way.
/// </summary>
/// <remarks>
/// The socket sits in the project's runtime directory under a stable name, so sessions adopted after a restart reach
/// the new orchestrator. It is readable by its owner only. A call made while no orchestrator listens fails as a tool
/// result; the run goes on.
/// </remarks>
public sealed class HostToolBroker : IAsyncDisposable
{
    public const string SocketFile = "tools.sock";

    /// <summary>A request line longer than this is refused (a GraphQL document with variables is far smaller).</summary>
    public const int MaxRequestChars = 1024 * 1024;

    private readonly Socket _listener;
    private readonly Func<HostToolRequest, CancellationToken, Task<HostToolResult>> _execute;
    private readonly RunLog _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private HostToolBroker(Socket listener, HostToolAccess access, Func<HostToolRequest, CancellationToken, Task<HostToolResult>> execute, RunLog log)
    {
        _listener = listener;
        Access = access;
        _execute = execute;
        _log = log;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>What sessions are told: the socket and the tools it serves.</summary>
    public HostToolAccess Access { get; }

    /// <summary>The broker socket of a project: in its runtime directory, or a short path when that is too deep for a socket (107 bytes).</summary>
    public static string PathFor(Project project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var path = Path.Combine(project.InstanceDirectory, SocketFile);
        if (Encoding.UTF8.GetByteCount(path) <= 107)
        {
            return path;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..16];
        return Path.Combine("/tmp", "baton-sockets", $"{hash}-tools.sock");
    }

    /// <summary>The <c>linear_graphql</c> tool over the orchestrator's own Linear tracker (its credential, its endpoint).</summary>
    public static Task<HostToolBroker> StartForLinearAsync(LinearTracker tracker, Project project, RunLog log)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        return StartAsync(PathFor(project), [LinearTool.Name], async (request, cancellationToken) =>
        {
            var result = await tracker.ExecuteToolAsync(request.Arguments, cancellationToken).ConfigureAwait(false);
            return new HostToolResult(result.Success, result.OutputText);
        }, log);
    }

    /// <summary>
    /// Listens on <paramref name="path"/>. A socket file left by a dead orchestrator is replaced; one that still
    /// accepts connections belongs to another live orchestrator of the same project, which is refused.
    /// </summary>
    public static async Task<HostToolBroker> StartAsync(
        string path, IReadOnlyList<string> tools, Func<HostToolRequest, CancellationToken, Task<HostToolResult>> execute, RunLog log)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(execute);
        ArgumentNullException.ThrowIfNull(log);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            if (await IsListeningAsync(path).ConfigureAwait(false))
            {
                throw new BatonException(
                    "orchestrator_already_running",
                    $"another orchestrator of this project already serves agent tools on {path}",
                    "Stop the other 'baton run' first; two orchestrators of one project would dispatch the same tasks twice.");
            }

            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(64);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        log.Info("agent tools served", ("socket", path), ("tools", string.Join(",", tools)));
        return new HostToolBroker(listener, new HostToolAccess(path, tools), execute, log);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        try
        {
            File.Delete(Access.Socket);
        }
        catch (IOException)
        {
        }

        _stop.Dispose();
    }

    private static async Task<bool> IsListeningAsync(string path)
    {
        try
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            try
            {
                var request = await ReadRequestAsync(stream).ConfigureAwait(false);
                var result = request is null
                    ? HostToolResult.Failure("Baton's tool broker could not read the call.")
                    : await ExecuteAsync(request).ConfigureAwait(false);
                await stream.WriteAsync(Encoding.UTF8.GetBytes(HostToolWire.Encode(result) + "\n"), _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The worker went away (or the orchestrator is stopping): nobody is left to answer.
            }
        }
    }

    private async Task<HostToolRequest?> ReadRequestAsync(NetworkStream stream)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
        var line = new StringBuilder();
        var buffer = new char[4096];
        while (line.Length <= MaxRequestChars)
        {
            var read = await reader.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            var newline = Array.IndexOf(buffer, '\n', 0, read);
            line.Append(buffer, 0, newline < 0 ? read : newline);
            if (newline >= 0)
            {
                try
                {
                    return HostToolWire.DecodeRequest(line.ToString());
                }
                catch (JsonException)
                {
                    return null;
                }
            }
        }

        return null;
    }

    private async Task<HostToolResult> ExecuteAsync(HostToolRequest request)
    {
        if (!Access.Tools.Contains(request.Tool, StringComparer.Ordinal))
        {
            _log.Warn("agent tool call refused", ("session", request.Session), ("tool", request.Tool), ("reason", "not served"));
            return HostToolResult.Failure($"Unsupported tool '{request.Tool}': this orchestrator serves {string.Join(", ", Access.Tools)}.");
        }

        HostToolResult result;
        try
        {
            result = await _execute(request, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // A tool failure is the agent's result to read, never the orchestrator's crash (§10.5).
            result = HostToolResult.Failure($"{request.Tool} failed: {ex.Message}");
        }

        // Neither the arguments nor the answer go to the log: they may be large, and the answer is the tracker's data.
        _log.Info("agent tool call", ("session", request.Session), ("tool", request.Tool), ("success", result.Success));
        return result;
    }
}
