using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Events;
using Baton.Files;

namespace Baton.Sessions;

/// <summary>
/// What <c>baton spawn</c> writes for the worker host (<c>session.json</c>): everything it needs to start the agent,
/// so the worker depends on nothing but this file and BATON_HOME.
/// </summary>
public sealed record SessionManifest
{
    public required string Name { get; init; }

    public required string Project { get; init; }

    public required string ProjectId { get; init; }

    public required string RuntimeName { get; init; }

    public required string Runtime { get; init; }

    public required string Agent { get; init; }

    /// <summary>A <see cref="Core.Sessions.ModelSpec"/> in text form, or null for the agent's default.</summary>
    public string? Model { get; init; }

    public string? TaskId { get; init; }

    public string? TaskIdentifier { get; init; }

    public string? TaskTitle { get; init; }

    public required string Workspace { get; init; }

    public string? Branch { get; init; }

    public required string BatonHome { get; init; }

    /// <summary>The <c>command</c> agent's command line (or Codex's codex.command).</summary>
    public string? Command { get; init; }

    /// <summary>After a turn, how long the agent waits idle for a message before the run ends cleanly.</summary>
    public int IdleTimeoutSeconds { get; init; } = 600;

    /// <summary>A turn with no event from the agent for this long is aborted (Symphony's turn_timeout_ms is a silence timeout).</summary>
    public int SilenceTimeoutSeconds { get; init; } = 3600;

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>WORKFLOW.md's <c>hooks.before_run</c>: runs in the workspace before the agent starts; a failure fails the run.</summary>
    public string? BeforeRunHook { get; init; }

    /// <summary>WORKFLOW.md's <c>hooks.after_run</c>: runs after every run, however it ended; a failure is logged and ignored.</summary>
    public string? AfterRunHook { get; init; }

    public int HookTimeoutMs { get; init; } = 60_000;

    /// <summary>Environment variable names holding tracker secrets (§1.18), removed from the agent's environment.</summary>
    public IReadOnlyList<string>? SecretEnvironmentNames { get; init; }

    /// <summary>WORKFLOW.md's <c>codex.*</c> settings the Codex adapter needs; null = Baton's defaults.</summary>
    public CodexLaunchSettings? Codex { get; init; }

    /// <summary>Host-side tools (e.g. <c>linear_graphql</c>) and the orchestrator socket that runs them; null = none.</summary>
    public HostToolAccess? HostTools { get; init; }

    /// <summary>The task's session before this one (its previous run): the transcript chain across hand-offs and retries.</summary>
    public string? PreviousSession { get; init; }

    /// <summary>The context fill (percent) at which the worker asks the agent to hand off; 0 = never; null = the default.</summary>
    public int? HandoffThresholdPercent { get; init; }
}

/// <summary>How Codex runs, from WORKFLOW.md's <c>codex.*</c> keys (Symphony §5.3.6), carried to the worker.</summary>
public sealed record CodexLaunchSettings
{
    /// <summary><c>codex.approval_policy</c> as written: a policy name, or a map passed to Codex unchanged.</summary>
    public JsonElement? ApprovalPolicy { get; init; }

    /// <summary><c>codex.thread_sandbox</c>.</summary>
    public string? ThreadSandbox { get; init; }

    /// <summary><c>codex.read_timeout_ms</c>: the handshake and every request must be answered within it.</summary>
    public int? ReadTimeoutMs { get; init; }
}

/// <summary>Which host tools a run is offered, and the orchestrator's socket that executes them (it holds the credential).</summary>
public sealed record HostToolAccess(string Socket, IReadOnlyList<string> Tools);

/// <summary>
/// What the worker host says about itself (<c>status.json</c>), rewritten atomically on every change and on a heartbeat.
/// </summary>
public sealed record WorkerStatus
{
    public required string Session { get; init; }

    public required int Run { get; init; }

    /// <summary>A value of <see cref="Core.Sessions.SessionStatus"/>.</summary>
    public required string Status { get; init; }

    public int WorkerPid { get; init; }

    public long? WorkerStartTime { get; init; }

    public int? AgentPid { get; init; }

    /// <summary>The run marker every agent process carries (see ProcessTable).</summary>
    public string? AgentMarker { get; init; }

    public string? Socket { get; init; }

    public int Turns { get; init; }

    public TokenUsage Usage { get; init; } = TokenUsage.Zero;

    /// <summary>Usage of every earlier run of the session, so totals survive new runs.</summary>
    public TokenUsage PreviousRunsUsage { get; init; } = TokenUsage.Zero;

    public string? LastEvent { get; init; }

    public DateTimeOffset? LastEventAt { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset HeartbeatAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public string? Outcome { get; init; }

    public string? Reason { get; init; }

    public TokenUsage TotalUsage => PreviousRunsUsage.Add(Usage);
}

/// <summary>The question a run ended on (§10.5 posture: the task is blocked until a person answers).</summary>
public sealed record BlockedNote
{
    public required string TaskId { get; init; }

    public string? TaskIdentifier { get; init; }

    public string? Question { get; init; }

    public required DateTimeOffset BlockedAt { get; init; }
}

/// <summary>A person's answer to a <see cref="BlockedNote"/>.</summary>
public sealed record AnswerNote
{
    public required string Text { get; init; }

    public required DateTimeOffset AnsweredAt { get; init; }

    /// <summary>Where it came from: <c>cli</c> (baton send) or <c>api</c>.</summary>
    public required string By { get; init; }
}

/// <summary>A question and its answer after the orchestrator started a run with them.</summary>
public sealed record AnsweredNote
{
    public string? Question { get; init; }

    public required string Answer { get; init; }

    public required DateTimeOffset AnsweredAt { get; init; }

    public string? By { get; init; }
}

/// <summary>The files of one session directory.</summary>
public sealed class SessionFiles(string directory)
{
    public const string ManifestFile = "session.json";
    public const string StatusFile = "status.json";
    public const string EventsFile = "events.jsonl";
    public const string RawFile = "agent.jsonl";
    public const string PromptFile = "prompt.md";
    public const string PaneLogFile = "pane.log";
    public const string SocketFile = "worker.sock";
    public const string BlockedFile = "blocked.json";
    public const string AnswerFile = "answer.json";
    public const string AnsweredFile = "answered.json";

    public string Directory { get; } = directory;

    public string Manifest => Path.Combine(Directory, ManifestFile);

    public string Status => Path.Combine(Directory, StatusFile);

    public string Events => Path.Combine(Directory, EventsFile);

    public string Raw => Path.Combine(Directory, RawFile);

    public string Prompt => Path.Combine(Directory, PromptFile);

    public string PaneLog => Path.Combine(Directory, PaneLogFile);

    /// <summary>Written by the orchestrator when the session's run ended waiting for a person.</summary>
    public string Blocked => Path.Combine(Directory, BlockedFile);

    /// <summary>A person's answer to <see cref="Blocked"/>, waiting for the orchestrator to pick it up.</summary>
    public string Answer => Path.Combine(Directory, AnswerFile);

    /// <summary>The question and answer once the orchestrator started a run with them (kept for the record).</summary>
    public string Answered => Path.Combine(Directory, AnsweredFile);

    public string AgentHome => Path.Combine(Directory, "agent");

    public string Transcripts => Path.Combine(Directory, "transcripts");

    /// <summary>
    /// The worker's unix socket. A socket path holds at most 107 bytes; a deeper session directory gets a short
    /// path under /tmp keyed by a hash of the directory (DESIGN.md).
    /// </summary>
    public string SocketPath
    {
        get
        {
            var path = Path.Combine(Directory, SocketFile);
            if (System.Text.Encoding.UTF8.GetByteCount(path) <= 107)
            {
                return path;
            }

            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Directory)))[..16];
            return Path.Combine("/tmp", "baton-sockets", $"{hash}.sock");
        }
    }

    public SessionManifest ReadManifest() =>
        JsonSerializer.Deserialize(File.ReadAllText(Manifest), SessionJsonContext.Default.SessionManifest)
        ?? throw new InvalidDataException($"{Manifest} is empty");

    public void WriteManifest(SessionManifest manifest) =>
        AtomicFile.WriteAllText(Manifest, JsonSerializer.Serialize(manifest, SessionJsonContext.Default.SessionManifest));

    /// <summary>The last status the worker wrote, or null when it never wrote one (or the file is unreadable).</summary>
    public WorkerStatus? ReadStatus()
    {
        try
        {
            return File.Exists(Status) ? JsonSerializer.Deserialize(File.ReadAllText(Status), SessionJsonContext.Default.WorkerStatus) : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
    }

    public void WriteStatus(WorkerStatus status) =>
        AtomicFile.WriteAllText(Status, JsonSerializer.Serialize(status, SessionJsonContext.Default.WorkerStatus));

    public BlockedNote? ReadBlocked() => ReadOptional(Blocked, SessionJsonContext.Default.BlockedNote);

    public void WriteBlocked(BlockedNote note) =>
        AtomicFile.WriteAllText(Blocked, JsonSerializer.Serialize(note, SessionJsonContext.Default.BlockedNote));

    public AnswerNote? ReadAnswer() => ReadOptional(Answer, SessionJsonContext.Default.AnswerNote);

    public AnsweredNote? ReadAnswered() => ReadOptional(Answered, SessionJsonContext.Default.AnsweredNote);

    public void WriteAnswer(AnswerNote note) =>
        AtomicFile.WriteAllText(Answer, JsonSerializer.Serialize(note, SessionJsonContext.Default.AnswerNote));

    /// <summary>
    /// Closes the question once its answer is on its way to a new run: the pair is kept in answered.json, and
    /// blocked.json and answer.json go, so neither a restart nor a second <c>baton send</c> answers it twice.
    /// </summary>
    public void CloseQuestion(BlockedNote? question, AnswerNote answer)
    {
        var record = new AnsweredNote { Question = question?.Question, Answer = answer.Text, AnsweredAt = answer.AnsweredAt, By = answer.By };
        AtomicFile.WriteAllText(Answered, JsonSerializer.Serialize(record, SessionJsonContext.Default.AnsweredNote));
        File.Delete(Answer);
        File.Delete(Blocked);
    }

    private static T? ReadOptional<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), type) : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
    }

    public IEnumerable<WorkerEvent> ReadEvents()
    {
        if (!File.Exists(Events))
        {
            yield break;
        }

        using var stream = new FileStream(Events, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            WorkerEvent? parsed = null;
            try
            {
                parsed = JsonSerializer.Deserialize(line, SessionJsonContext.Default.WorkerEvent);
            }
            catch (JsonException)
            {
                // A line cut short by a crash: skip it, keep the rest.
            }

            if (parsed is not null)
            {
                yield return parsed;
            }
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SessionManifest))]
[JsonSerializable(typeof(WorkerStatus))]
[JsonSerializable(typeof(WorkerEvent))]
[JsonSerializable(typeof(BlockedNote))]
[JsonSerializable(typeof(AnswerNote))]
[JsonSerializable(typeof(AnsweredNote))]
public sealed partial class SessionJsonContext : JsonSerializerContext;
