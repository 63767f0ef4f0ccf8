using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Agents;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Processes;

namespace Baton.Agents.Pi;

/// <summary>Timings and the extension folder of the pi adapter; the defaults suit real runs, tests shorten them.</summary>
public sealed record PiAdapterOptions
{
    /// <summary>
    /// A folder of pi extensions, each loaded with <c>-e</c>, instead of the ones Baton ships (<see cref="BundledExtensions"/>).
    /// Null = Baton's own, unless <see cref="LoadBundledExtensions"/> is off.
    /// </summary>
    public string? ExtensionsDirectory { get; init; }

    /// <summary>Whether pi gets the extensions Baton ships (send_message, read_messages) when no folder is given.</summary>
    public bool LoadBundledExtensions { get; init; } = true;

    /// <summary>How long pi may take to answer the <c>get_state</c> readiness probe (node start, extension compile).</summary>
    public TimeSpan ReadinessTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an abort may take to end the turn before pi is signalled, then killed.</summary>
    public TimeSpan AbortGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long pi may take to answer a command (export, steer, abort).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long pi may take to accept a prompt: it answers after preflight, which can compact the context (a model call).
    /// When it passes, the turn stays open and the supervisor's stall detection takes over.
    /// </summary>
    public TimeSpan PromptTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Runs <c>pi --mode rpc</c> (reference/agents.md §1): an isolated HOME and agent directory per session, Baton's model
/// in models.json, pi's own retries off, then a <c>get_state</c> handshake before the connection is handed out.
/// </summary>
public sealed class PiAdapter(PiAdapterOptions? options = null) : IAgentAdapter
{
    public const string AgentKind = "pi";

    private readonly PiAdapterOptions _options = options ?? new PiAdapterOptions();

    public string Kind => AgentKind;

    public AgentCapabilities Capabilities { get; } = new(Steer: true, FollowUp: true, Abort: true, ExportTranscript: true);

    public async Task<IAgentConnection> StartAsync(AgentLaunchContext context, IAgentEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sink);
        var program = AgentLocator.Find(AgentCatalog.Pi, context);
        var paths = PiConfig.Write(context);
        var environment = PiConfig.Environment(context, paths);

        // The worker host may choose the marker (to record it before the process exists); otherwise one per run.
        var marker = context.Environment.TryGetValue(ProcessTable.RunMarkerVariable, out var given) && !string.IsNullOrEmpty(given)
            ? given
            : $"{context.Session}-{context.Run}-{Guid.NewGuid():N}";
        var extensions = _options.ExtensionsDirectory;
        if (extensions is null && _options.LoadBundledExtensions)
        {
            try
            {
                extensions = BundledExtensions.Directory(context.BatonHome);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The agent can still use the baton CLI; say why its tools are missing rather than not start at all.
                sink.Event(new WorkerEvent
                {
                    Ts = context.Time.GetUtcNow(),
                    Session = context.Session,
                    Run = context.Run,
                    Type = WorkerEventTypes.Error,
                    Text = $"Baton's pi extensions (send_message, read_messages) could not be written under {context.BatonHome}: {ex.Message}; pi runs without them",
                });
            }
        }

        var spec = new AgentProcessSpec(program, PiConfig.Arguments(context.Model, paths, PiConfig.Extensions(extensions)), context.Workspace)
        {
            Environment = environment,
            RunMarker = marker,
        };

        var tail = new PiOutputTail(sink);
        var process = AgentProcess.Start(spec, tail, AgentKind);
        var mapper = new PiEventMapper(context.Session, context.Run, context.Model.Pricing, context.Time);
        var connection = new PiConnection(process, tail, mapper, _options);
        try
        {
            // pi announces nothing when it is ready: the answer to get_state is the handshake (reference/agents.md §1.2).
            var state = await connection.RequestAsync(new JsonObject { ["type"] = "get_state" }, _options.ReadinessTimeout, cancellationToken).ConfigureAwait(false);
            if (!state.Success)
            {
                throw new BatonException(ErrorCodes.Internal, $"get_state failed: {state.Error}", "");
            }

            connection.SessionFile = state.Data is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty("sessionFile", out var file) && file.ValueKind == JsonValueKind.String
                ? file.GetString()
                : null;
            return connection;
        }
        catch (BatonException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            var exit = process.Exited.IsCompletedSuccessfully ? $" (exit code {process.Exited.Result})" : "";
            var output = tail.Describe();
            throw new BatonException(
                PiConnection.StartFailed,
                $"pi did not start{exit}: {ex.Message}{(output.Length > 0 ? $"; its last output: {output}" : "")}",
                "Run 'baton doctor' to check the agent, and see the session's raw output (baton logs <session> --raw).",
                inner: ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
