using Baton.Core.Events;

namespace Baton.Agents;

/// <summary>
/// Where the agent's model is: a real provider (key from an environment variable) or Baton's replay model.
/// </summary>
/// <param name="Provider">e.g. <c>anthropic</c>, <c>openai</c>, or <c>replay</c>.</param>
/// <param name="Model">The model id the agent should ask for.</param>
/// <param name="BaseUrl">The server root without a trailing <c>/v1</c> (replay: <c>http://127.0.0.1:port</c>); null = the agent's default.</param>
/// <param name="ApiKey">The key to hand to the agent; for real providers taken from <see cref="ApiKeyVariable"/>.</param>
public sealed record ModelEndpoint(string Provider, string Model, string? BaseUrl, string? ApiKey, string? ApiKeyVariable, ModelPricing Pricing)
{
    public bool IsReplay => Provider == "replay";

    public string Display => Model.Length == 0 ? Provider : $"{Provider}/{Model}";
}

/// <summary>Everything an adapter needs to start its agent for one run of one session.</summary>
public sealed record AgentLaunchContext
{
    public required string Session { get; init; }

    public required int Run { get; init; }

    /// <summary>The workspace: the agent's working directory.</summary>
    public required string Workspace { get; init; }

    /// <summary><c>sessions/&lt;s&gt;/</c>: events, raw stream, transcript exports.</summary>
    public required string SessionDirectory { get; init; }

    /// <summary>
    /// A private directory of this session for the agent's HOME, config directories (PI_CODING_AGENT_DIR,
    /// CLAUDE_CONFIG_DIR, CODEX_HOME) and TMPDIR — never the user's own home.
    /// </summary>
    public required string AgentHome { get; init; }

    public required ModelEndpoint Model { get; init; }

    /// <summary>The environment the agent process gets on top of the isolation variables (PATH, BATON_*, git identity…).</summary>
    public required IReadOnlyDictionary<string, string?> Environment { get; init; }

    /// <summary>BATON_HOME: agents installed by <c>baton doctor --fix</c> live in its <c>tools</c> folder.</summary>
    public required string BatonHome { get; init; }

    /// <summary>A command line for the <c>command</c> agent, or Codex's <c>codex.command</c>; null = the adapter's default.</summary>
    public string? Command { get; init; }

    /// <summary>Tools the agent may call that run outside it (e.g. <c>linear_graphql</c>, §10.5); null = none. Codex offers them as dynamic tools.</summary>
    public IHostTools? HostTools { get; init; }

    /// <summary>Turn off the agent's own retries: Baton retries runs itself.</summary>
    public bool DisableAgentRetries { get; init; } = true;

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>What an agent's protocol allows beyond a prompt.</summary>
public sealed record AgentCapabilities(bool Steer, bool FollowUp, bool Abort, bool ExportTranscript);

/// <summary>One kind of agent program: finds it, writes its config, starts it and speaks its protocol.</summary>
public interface IAgentAdapter
{
    /// <summary><c>pi</c>, <c>claude</c>, <c>codex</c> or <c>command</c>.</summary>
    string Kind { get; }

    AgentCapabilities Capabilities { get; }

    /// <summary>
    /// Writes the agent's config into <see cref="AgentLaunchContext.AgentHome"/>, starts the program in the workspace
    /// and completes its handshake. Throws <c>agent_not_found</c> (suggesting <c>baton doctor --fix</c>) when the program
    /// is missing, and <c>agent_start_failed</c> when it exits or does not answer during the handshake.
    /// </summary>
    Task<IAgentConnection> StartAsync(AgentLaunchContext context, IAgentEventSink sink, CancellationToken cancellationToken);
}

/// <summary>Where a connection puts what the agent says: normalized events, and every raw line it printed.</summary>
public interface IAgentEventSink
{
    /// <summary>A normalized event (session, run and time already set by the adapter).</summary>
    void Event(WorkerEvent workerEvent);

    /// <summary>A raw line of the agent's own stream (stdout protocol or stderr), kept beside events.jsonl.</summary>
    void Raw(string stream, string line);
}

/// <summary>A live agent process speaking its protocol.</summary>
public interface IAgentConnection : IAsyncDisposable
{
    int ProcessId { get; }

    /// <summary>Completes with the exit code when the agent process ends (for any reason).</summary>
    Task<int> Exited { get; }

    /// <summary>Starts a turn with <paramref name="prompt"/>. The turn ends with a <c>turn_finished</c> event.</summary>
    Task SendPromptAsync(string prompt, CancellationToken cancellationToken);

    /// <summary>Delivers a message into the running turn (before the next model call), or as a follow-up when not supported.</summary>
    Task SteerAsync(string message, CancellationToken cancellationToken);

    /// <summary>Queues a message for when the agent would otherwise stop; when idle, starts a turn with it.</summary>
    Task FollowUpAsync(string message, CancellationToken cancellationToken);

    /// <summary>Stops the current turn (and kills a running tool); the turn ends with outcome <c>aborted</c>.</summary>
    Task AbortAsync(CancellationToken cancellationToken);

    /// <summary>Writes the transcript as HTML to <paramref name="path"/> when the agent can; returns whether it did.</summary>
    Task<bool> ExportTranscriptAsync(string path, CancellationToken cancellationToken);

    /// <summary>A clean end: close the agent's input, wait up to <paramref name="grace"/>, then kill its whole process tree.</summary>
    Task StopAsync(TimeSpan grace, CancellationToken cancellationToken);
}

/// <summary>A connection whose agent can say how full its context window is (pi: <c>get_session_stats</c>).</summary>
public interface IContextUsageSource
{
    /// <summary>The context window's fill in percent, or null when the agent does not know yet.</summary>
    Task<double?> ContextUsagePercentAsync(CancellationToken cancellationToken);
}
