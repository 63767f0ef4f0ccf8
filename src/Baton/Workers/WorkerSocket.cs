using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Errors;
using Baton.Sessions;

namespace Baton.Workers;

/// <summary>A command to a worker host over its unix socket: one JSON line in, one JSON line back.</summary>
/// <param name="Reason">For <see cref="WorkerCommands.Note"/>: the supervisor's action (nudge, workspace_check, escalation).</param>
public sealed record WorkerRequest(string Command, string? Text = null, string? Reason = null);

public sealed record WorkerReply(bool Ok, string? ErrorCode = null, string? Message = null, WorkerStatus? Status = null)
{
    public static WorkerReply Fail(string code, string message) => new(false, code, message);
}

public static class WorkerCommands
{
    public const string Steer = "steer";
    public const string FollowUp = "follow_up";
    public const string Abort = "abort";
    public const string Stop = "stop";
    public const string Status = "status";

    /// <summary>Records a supervisor action in the session's log (a <c>supervisor</c> event); the agent is not told.</summary>
    public const string Note = "note";

    /// <summary>Send: steering while the agent works, a follow-up when it is idle — the worker decides.</summary>
    public const string Send = "send";

    /// <summary>
    /// Hand-off (<c>baton handoff</c>, text = the note's message id): end the run after the current turn, with outcome
    /// <c>handed_off</c>; messages that arrive meanwhile are refused, so they wait for the task's next run.
    /// </summary>
    public const string Handoff = "handoff";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Steer, FollowUp, Abort, Stop, Status, Send, Note, Handoff };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WorkerRequest))]
[JsonSerializable(typeof(WorkerReply))]
internal sealed partial class WorkerSocketJsonContext : JsonSerializerContext;

/// <summary>The worker host's side: accepts connections and hands each request to <c>handle</c>.</summary>
public sealed class WorkerSocketServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _path;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private WorkerSocketServer(Socket listener, string path, Func<WorkerRequest, Task<WorkerReply>> handle)
    {
        _listener = listener;
        _path = path;
        _accepting = Task.Run(() => AcceptAsync(handle));
    }

    /// <summary>
    /// Binds <paramref name="path"/>. A socket file left by a dead worker is replaced; one that still answers means
    /// another worker owns the session, which is refused.
    /// </summary>
    public static async Task<WorkerSocketServer> StartAsync(string path, Func<WorkerRequest, Task<WorkerReply>> handle)
    {
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            if (await WorkerClient.IsAnsweringAsync(path).ConfigureAwait(false))
            {
                throw new BatonException("worker_already_running", $"another worker already answers on {path}", "Stop it first with 'baton kill <session>'.");
            }

            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(16);
        return new WorkerSocketServer(listener, path, handle);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(Func<WorkerRequest, Task<WorkerReply>> handle)
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

            _ = Task.Run(() => ServeAsync(client, handle));
        }
    }

    private static async Task ServeAsync(Socket client, Func<WorkerRequest, Task<WorkerReply>> handle)
    {
        using (client)
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                using var reader = new StreamReader(stream, new UTF8Encoding(false));
                var line = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
                WorkerReply reply;
                WorkerRequest? request = null;
                try
                {
                    request = line is null ? null : JsonSerializer.Deserialize(line, WorkerSocketJsonContext.Default.WorkerRequest);
                }
                catch (JsonException)
                {
                }

                reply = request is null || !WorkerCommands.All.Contains(request.Command)
                    ? WorkerReply.Fail("bad_request", $"not a worker command: {line}")
                    : await handle(request).ConfigureAwait(false);
                var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(reply, WorkerSocketJsonContext.Default.WorkerReply) + "\n");
                await stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // The client went away; nothing to answer.
            }
        }
    }
}

/// <summary>The CLI's side: sends one request to a worker and waits for the reply.</summary>
public static class WorkerClient
{
    public const string Unreachable = "worker_unreachable";

    public static async Task<WorkerReply> SendAsync(string socketPath, WorkerRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, WorkerSocketJsonContext.Default.WorkerRequest) + "\n");
            await stream.WriteAsync(bytes, deadline.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, new UTF8Encoding(false));
            var line = await reader.ReadLineAsync(deadline.Token).ConfigureAwait(false);
            return line is null
                ? WorkerReply.Fail(Unreachable, "the worker closed the connection without answering")
                : JsonSerializer.Deserialize(line, WorkerSocketJsonContext.Default.WorkerReply) ?? WorkerReply.Fail(Unreachable, "empty reply");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or JsonException)
        {
            return WorkerReply.Fail(Unreachable, $"no worker answers on {socketPath}: {ex.Message}");
        }
    }

    public static async Task<bool> IsAnsweringAsync(string socketPath) =>
        (await SendAsync(socketPath, new WorkerRequest(WorkerCommands.Status), TimeSpan.FromSeconds(2)).ConfigureAwait(false)).ErrorCode != Unreachable;
}
