using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Baton.Core.Tracking;

namespace Baton.Agents;

/// <summary>A tool offered to the agent that runs outside the agent's process (Symphony §10.5, the client-side tool extension).</summary>
public sealed record HostToolSpec(string Name, string Description, JsonObject InputSchema);

/// <summary>What a host tool call gave: <see cref="Output"/> is the text handed back to the agent, a failure included.</summary>
public sealed record HostToolResult(bool Success, string Output)
{
    /// <summary>A failure in the shape Symphony's tools use: <c>{"error":{"message":…}}</c>.</summary>
    public static HostToolResult Failure(string message) =>
        new(false, new JsonObject { ["error"] = new JsonObject { ["message"] = message } }.ToJsonString());
}

/// <summary>The host tools of one run, as an adapter sees them: what to offer, and how to call one.</summary>
public interface IHostTools
{
    IReadOnlyList<HostToolSpec> Specs { get; }

    /// <summary>Runs one call. Never throws for a tool-side problem: that comes back as a failed result.</summary>
    Task<HostToolResult> CallAsync(string tool, JsonNode? arguments, CancellationToken cancellationToken);
}

/// <summary>The host tools Baton knows by name.</summary>
public static class HostToolCatalog
{
    /// <summary>The spec of a known tool, or null.</summary>
    public static HostToolSpec? Find(string name) => name switch
    {
        LinearTool.Name => new HostToolSpec(LinearTool.Name, LinearTool.Description, LinearTool.InputSchema()),
        _ => null,
    };
}

/// <summary>One call on the broker's socket: the session asking, the tool and its arguments as the agent wrote them.</summary>
public sealed record HostToolRequest(string Session, string Tool, JsonNode? Arguments);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HostToolRequest))]
[JsonSerializable(typeof(HostToolResult))]
internal sealed partial class HostToolJsonContext : JsonSerializerContext;

/// <summary>
/// The wire of the host-tool broker: a unix socket the orchestrator listens on (it holds the tracker credential, which
/// never enters a session's environment, §1.18). One JSON line in (<see cref="HostToolRequest"/>), one line back
/// (<see cref="HostToolResult"/>), then the connection closes.
/// </summary>
public static class HostToolWire
{
    public static string Encode(HostToolRequest request) => JsonSerializer.Serialize(request, HostToolJsonContext.Default.HostToolRequest);

    public static string Encode(HostToolResult result) => JsonSerializer.Serialize(result, HostToolJsonContext.Default.HostToolResult);

    public static HostToolRequest? DecodeRequest(string line) => JsonSerializer.Deserialize(line, HostToolJsonContext.Default.HostToolRequest);

    public static HostToolResult? DecodeResult(string line) => JsonSerializer.Deserialize(line, HostToolJsonContext.Default.HostToolResult);
}

/// <summary>The worker's side of the broker: forwards a call to the orchestrator's socket and returns its answer.</summary>
public sealed class HostToolClient(string socketPath, string session, IReadOnlyList<HostToolSpec> specs) : IHostTools
{
    /// <summary>A call longer than this comes back as a failure (Linear's own request timeout is 30 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);

    public IReadOnlyList<HostToolSpec> Specs => specs;

    public async Task<HostToolResult> CallAsync(string tool, JsonNode? arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tool);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var line = HostToolWire.Encode(new HostToolRequest(session, tool, arguments)) + "\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line), deadline.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, new UTF8Encoding(false));
            var answer = await reader.ReadLineAsync(deadline.Token).ConfigureAwait(false);
            return answer is null
                ? HostToolResult.Failure($"Baton's orchestrator closed the connection without answering the {tool} call.")
                : HostToolWire.DecodeResult(answer) ?? HostToolResult.Failure($"Baton's orchestrator answered the {tool} call with nothing.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HostToolResult.Failure(string.Create(CultureInfo.InvariantCulture, $"Baton's orchestrator did not answer the {tool} call within {Timeout.TotalSeconds:0} s."));
        }
        catch (Exception ex) when (ex is SocketException or IOException or JsonException)
        {
            // The orchestrator is down or restarting: the agent gets a failed call, the run goes on.
            return HostToolResult.Failure($"{tool} is served by Baton's orchestrator (baton run), which cannot be reached: {ex.Message}");
        }
    }
}
