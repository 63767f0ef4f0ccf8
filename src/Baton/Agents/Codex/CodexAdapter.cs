using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Agents;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Processes;

namespace Baton.Agents.Codex;

/// <summary>Which Codex protocol to speak.</summary>
public enum CodexMode
{
    /// <summary>
    /// <c>codex app-server</c>; when Baton's own codex binary (no <c>codex.command</c>) fails its handshake, fall back to
    /// <c>codex exec --json</c> and say so in an <c>error</c> event. A configured <c>codex.command</c> never falls back:
    /// Symphony requires it to speak the app-server protocol, and hiding its failure would run something else.
    /// </summary>
    Auto,

    /// <summary><c>codex app-server</c> only (Symphony's <c>codex.command</c> default).</summary>
    AppServer,

    /// <summary><c>codex exec --json</c>, one process per turn (no steering, no approvals to answer).</summary>
    Exec,
}

/// <summary>
/// How Baton runs Codex. The defaults are the high-trust posture Symphony describes (§10.5): approval policy
/// <c>never</c> and sandbox <c>danger-full-access</c>, because Codex's <c>workspace-write</c> sandbox mounts
/// <c>.git</c> read-only and the agent could not commit its work (reference/agents.md §4, gotcha 2). Isolation is then
/// the job of Baton's environment (worktree, container, bubblewrap), not of Codex.
/// <para>
/// Approvals: with policy <c>never</c>, any approval request Codex still sends is granted for the session
/// (<c>acceptForSession</c> / <c>approved_for_session</c>). With any other policy nobody is there to approve, so the
/// request is refused, <c>input_requested</c> is emitted and the turn ends <c>input_required</c>; questions for the
/// user (<c>item/tool/requestUserInput</c>, MCP elicitations) always end that way. Runs never stall on a question.
/// </para>
/// </summary>
public sealed record CodexAdapterOptions
{
    public CodexMode Mode { get; init; } = CodexMode.Auto;

    /// <summary>Symphony's <c>codex.read_timeout_ms</c>: how long the handshake and other requests may take to be answered.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Symphony's <c>codex.turn_timeout_ms</c>: a turn silent this long is interrupted and ends <c>timed_out</c>.</summary>
    public TimeSpan TurnSilenceTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Codex's approval policy: <c>never</c>, <c>on-request</c>, <c>untrusted</c> (Symphony's <c>codex.approval_policy</c>).</summary>
    public string ApprovalPolicy { get; init; } = "never";

    /// <summary>
    /// An approval policy given as a map (e.g. Codex's <c>{"granular": {…}}</c>): passed to <c>thread/start</c> unchanged
    /// (Symphony §5.3.6) and wins over <see cref="ApprovalPolicy"/>. Never auto-approves.
    /// </summary>
    public JsonObject? ApprovalPolicyObject { get; init; }

    /// <summary>Approvals are granted only when Codex itself was told never to ask.</summary>
    public bool AutoApprove => ApprovalPolicyObject is null && ApprovalPolicy == "never";

    /// <summary>
    /// Baton's defaults with WORKFLOW.md's <c>codex.approval_policy</c> (a name or a map), <c>codex.thread_sandbox</c>
    /// and <c>codex.read_timeout_ms</c> applied where given.
    /// </summary>
    public static CodexAdapterOptions From(JsonElement? approvalPolicy, string? threadSandbox, int? readTimeoutMs)
    {
        var options = new CodexAdapterOptions();
        if (approvalPolicy is { ValueKind: JsonValueKind.String } name && name.GetString() is { Length: > 0 } policy)
        {
            options = options with { ApprovalPolicy = policy };
        }
        else if (approvalPolicy is { ValueKind: JsonValueKind.Object } map)
        {
            options = options with { ApprovalPolicyObject = JsonNode.Parse(map.GetRawText()) as JsonObject };
        }

        if (!string.IsNullOrWhiteSpace(threadSandbox))
        {
            options = options with { Sandbox = threadSandbox.Trim() };
        }

        if (readTimeoutMs is > 0 and var milliseconds)
        {
            options = options with { ReadTimeout = TimeSpan.FromMilliseconds(milliseconds) };
        }

        return options;
    }

    /// <summary>Codex's sandbox mode: <c>danger-full-access</c>, <c>workspace-write</c>, <c>read-only</c> (Symphony's <c>codex.thread_sandbox</c>).</summary>
    public string Sandbox { get; init; } = "danger-full-access";
}

/// <summary>
/// The Codex CLI as a Baton agent (codex-cli 0.169.0): <c>codex app-server</c> over stdio, or <c>codex exec --json</c>
/// (see <see cref="CodexMode"/>). Each run gets its own HOME, CODEX_HOME with Baton's <c>config.toml</c>, and TMPDIR
/// under <see cref="AgentLaunchContext.AgentHome"/>; the user's <c>~/.codex</c> is never read.
/// </summary>
public sealed class CodexAdapter(CodexAdapterOptions? options = null) : IAgentAdapter
{
    private readonly CodexAdapterOptions _options = options ?? new CodexAdapterOptions();

    public string Kind => "codex";

    /// <summary>Steering uses <c>turn/steer</c> of the app-server; <c>codex exec</c> turns it into a follow-up.</summary>
    public AgentCapabilities Capabilities => new(Steer: _options.Mode != CodexMode.Exec, FollowUp: true, Abort: true, ExportTranscript: false);

    public async Task<IAgentConnection> StartAsync(AgentLaunchContext context, IAgentEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sink);
        if (!Directory.Exists(context.Workspace))
        {
            throw new BatonException("invalid_workspace_cwd", $"the workspace {context.Workspace} does not exist", "Create the workspace first (baton workspace create).");
        }

        var codexSink = new CodexSink(sink);
        var setup = CodexSetup.Prepare(context, _options);
        var custom = !string.IsNullOrWhiteSpace(context.Command);
        // A codex.command is run as Symphony runs it: bash -lc in the workspace. It replaces the app-server only.
        var codex = custom && _options.Mode != CodexMode.Exec ? null : AgentLocator.Find(AgentCatalog.Codex, context);
        if (_options.Mode == CodexMode.Exec)
        {
            return new CodexExecConnection(codex!, setup, codexSink, context);
        }

        var spec = custom
            ? new AgentProcessSpec("bash", LoginShell.Arguments(context.Command!, setup.Environment.GetValueOrDefault("PATH") ?? System.Environment.GetEnvironmentVariable("PATH")), context.Workspace) { Environment = setup.Environment, RunMarker = setup.RunMarker }
            : new AgentProcessSpec(codex!, ["app-server"], context.Workspace) { Environment = setup.Environment, RunMarker = setup.RunMarker };
        try
        {
            return await CodexAppServerConnection.StartAsync(context, spec, codexSink, _options, cancellationToken).ConfigureAwait(false);
        }
        catch (BatonException ex) when (ex.Code == "agent_start_failed" && _options.Mode == CodexMode.Auto && !custom)
        {
            codexSink.Event(new WorkerEvent
            {
                Ts = context.Time.GetUtcNow(),
                Session = context.Session,
                Run = context.Run,
                Type = WorkerEventTypes.Error,
                Text = $"{ex.Message}; falling back to codex exec --json",
                Reason = "app_server_fallback",
            });
            return new CodexExecConnection(codex!, setup, codexSink, context);
        }
    }
}

/// <summary>
/// <c>sessions/&lt;s&gt;/codex-thread.json</c>: the Codex thread and its rollout file (Codex's own full transcript,
/// including failed commands), for proofs and for a person reading the session later.
/// </summary>
internal static class CodexThreadRecord
{
    public const string FileName = "codex-thread.json";

    public static void Write(AgentLaunchContext context, string mode, string threadId, string? rolloutPath)
    {
        Directory.CreateDirectory(context.SessionDirectory);
        var path = Path.Combine(context.SessionDirectory, FileName);
        var temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("mode", mode);
            writer.WriteNumber("run", context.Run);
            writer.WriteString("threadId", threadId);
            writer.WriteString("rolloutPath", rolloutPath);
            writer.WriteEndObject();
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary><c>$CODEX_HOME/sessions/YYYY/MM/DD/rollout-&lt;ts&gt;-&lt;thread&gt;.jsonl</c>, found by the thread id.</summary>
    public static string? FindRollout(string codexHome, string threadId)
    {
        var sessions = Path.Combine(codexHome, "sessions");
        return Directory.Exists(sessions)
            ? Directory.EnumerateFiles(sessions, $"rollout-*{threadId}.jsonl", SearchOption.AllDirectories).FirstOrDefault()
            : null;
    }
}
