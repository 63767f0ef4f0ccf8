using System.Globalization;
using Baton.Core.Agents;
using Baton.Core.Errors;
using Baton.Core.Events;

namespace Baton.Agents.Claude;

/// <summary>
/// Claude Code in its SDK mode: <c>claude -p --input-format stream-json --output-format stream-json</c>, one long-lived
/// process per run, one user message per turn (see the team's reference/agents.md §3).
/// </summary>
/// <remarks>
/// <para>Permissions: Claude runs with <c>--dangerously-skip-permissions</c>. The workspace is the agent's own git
/// worktree and nobody is there to approve a prompt; an approval request would stall the run. Containing what the
/// agent can reach is Baton's job (a PreToolUse guard and OS sandboxing come later), not Claude's prompts.</para>
/// <para>Readiness: Claude prints <c>system/init</c> only once the first user message arrives, so the start is
/// confirmed with the SDK's <c>initialize</c> control request instead: Claude answers it at once, and a broken start
/// (bad flag, refused as root, bad config) exits within a fraction of a second, which the same wait sees.</para>
/// <para>Retries: Claude's own API retries are turned off with <c>CLAUDE_CODE_MAX_RETRIES=0</c> (an environment
/// variable; 2.1.197 has no flag for it) when <see cref="AgentLaunchContext.DisableAgentRetries"/> is set, so a failing
/// model ends the turn at once and Baton's retry policy decides.</para>
/// </remarks>
public sealed class ClaudeAdapter : IAgentAdapter
{
    /// <summary>How long Claude may take to answer the <c>initialize</c> handshake.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an interrupt may take to end the turn before the agent is killed instead.</summary>
    public TimeSpan AbortTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string Kind => "claude";

    // Steer is false: Baton holds a message sent during a turn and delivers it as the next turn (see ClaudeConnection).
    public AgentCapabilities Capabilities { get; } = new(Steer: false, FollowUp: true, Abort: true, ExportTranscript: false);

    public async Task<IAgentConnection> StartAsync(AgentLaunchContext context, IAgentEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sink);
        var claude = AgentLocator.Find(AgentCatalog.Claude, context);
        var layout = ClaudeLayout.Create(context.AgentHome);
        var sessionId = Guid.NewGuid().ToString("D", CultureInfo.InvariantCulture);
        var spec = new AgentProcessSpec(claude, Arguments(context.Model.Model, sessionId), context.Workspace)
        {
            Environment = BuildEnvironment(context, layout),
            RunMarker = $"claude-{context.Session}-{context.Run.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}",
        };
        var transcript = Path.Combine(layout.Config, "projects", ProjectDirectoryName(context.Workspace), sessionId + ".jsonl");
        var connection = ClaudeConnection.Start(spec, context, sink, sessionId, transcript, AbortTimeout);
        try
        {
            await connection.HandshakeAsync(HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The command line after the program name.</summary>
    public static IReadOnlyList<string> Arguments(string model, string sessionId) =>
    [
        "-p",
        "--input-format", "stream-json",
        "--output-format", "stream-json",
        "--verbose", // stream-json output requires it in print mode
        "--model", model,
        "--dangerously-skip-permissions",
        // A known session id makes the transcript's path known before Claude writes it.
        "--session-id", sessionId,
    ];

    /// <summary>
    /// The variables Claude gets on top of <see cref="AgentLaunchContext.Environment"/>. They are applied last, so
    /// the isolation (HOME, config, temp) and the model endpoint cannot be overridden by accident.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> BuildEnvironment(AgentLaunchContext context, ClaudeLayout layout)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(layout);
        var environment = new Dictionary<string, string?>(context.Environment, StringComparer.Ordinal)
        {
            ["HOME"] = layout.Home,
            ["CLAUDE_CONFIG_DIR"] = layout.Config,
            ["TMPDIR"] = layout.Temp,
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            ["DISABLE_TELEMETRY"] = "1",
            ["DISABLE_ERROR_REPORTING"] = "1",
            ["DISABLE_AUTOUPDATER"] = "1",
            // Credentials and providers inherited from the user's shell must not redirect the run.
            ["ANTHROPIC_AUTH_TOKEN"] = null,
            ["CLAUDE_CODE_USE_BEDROCK"] = null,
            ["CLAUDE_CODE_USE_VERTEX"] = null,
        };
        var model = context.Model;
        if (model.IsReplay)
        {
            environment["ANTHROPIC_BASE_URL"] = model.BaseUrl; // no /v1: Claude posts to /v1/messages itself
            environment["ANTHROPIC_API_KEY"] = model.ApiKey ?? "sk-ant-replay";

            // Claude asks for its small and haiku models by name for side calls; the replay server knows one model.
            environment["ANTHROPIC_MODEL"] = model.Model;
            environment["ANTHROPIC_SMALL_FAST_MODEL"] = model.Model;
            environment["ANTHROPIC_DEFAULT_HAIKU_MODEL"] = model.Model;
        }
        else
        {
            environment["ANTHROPIC_BASE_URL"] = model.BaseUrl;
            environment["ANTHROPIC_API_KEY"] = model.ApiKey
                ?? (model.ApiKeyVariable is { } variable ? context.Environment.GetValueOrDefault(variable) ?? Environment.GetEnvironmentVariable(variable) : null);
        }

        if (context.DisableAgentRetries)
        {
            environment["CLAUDE_CODE_MAX_RETRIES"] = "0";
        }

        // --dangerously-skip-permissions refuses to run as root unless told it is inside a sandbox.
        if (IsRoot())
        {
            environment["IS_SANDBOX"] = "1";
        }

        return environment;
    }

    /// <summary>
    /// The folder name Claude keeps a project's sessions under: every character but ASCII letters and digits becomes
    /// '-' (so <c>/tmp/w.1</c> is <c>-tmp-w-1</c>). Claude shortens names over 200 characters with a hash of its own;
    /// the connection then finds the transcript by its session id instead.
    /// </summary>
    public static string ProjectDirectoryName(string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(workingDirectory);
        return string.Create(workingDirectory.Length, workingDirectory, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsAsciiLetterOrDigit(source[i]) ? source[i] : '-';
            }
        });
    }

    private static bool IsRoot() => Environment.UserName == "root";
}

/// <summary>The per-session folders in the agent home: <c>home/</c> (HOME), <c>config/</c> (CLAUDE_CONFIG_DIR), <c>tmp/</c> (TMPDIR).</summary>
public sealed record ClaudeLayout(string Home, string Config, string Temp)
{
    public static ClaudeLayout Create(string agentHome)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentHome);
        var layout = new ClaudeLayout(Path.Combine(agentHome, "home"), Path.Combine(agentHome, "config"), Path.Combine(agentHome, "tmp"));
        try
        {
            Directory.CreateDirectory(layout.Home);
            Directory.CreateDirectory(layout.Config);
            Directory.CreateDirectory(layout.Temp);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatonException("agent_start_failed", $"could not create Claude's folders in {agentHome}: {ex.Message}", "Check that the session directory is writable.");
        }

        return layout;
    }
}
