using System.Globalization;
using Baton.Core.Errors;
using Baton.Core.Proofs;

namespace Baton.Core.Workflows;

/// <summary>
/// The typed, defaulted and validated front matter of a <c>WORKFLOW.md</c> (Symphony §5.3, §6.1–§6.4).
/// Unknown top-level keys are ignored (§5.3); Baton's own settings are extra keys that change nothing when absent.
/// </summary>
public sealed record WorkflowSettings
{
    public required TrackerSettings Tracker { get; init; }

    public int PollIntervalMs { get; init; } = 30_000;

    /// <summary>Absolute workspace root (§5.3.3).</summary>
    public required string WorkspaceRoot { get; init; }

    /// <summary>Baton extension <c>workspace.strategy</c>: <c>worktree</c> or <c>directory</c>; null = the caller's default.</summary>
    public string? WorkspaceStrategy { get; init; }

    public required HookSettings Hooks { get; init; }

    public required AgentSettings Agent { get; init; }

    public required CodexSettings Codex { get; init; }

    public int? ServerPort { get; init; }

    public string ServerHost { get; init; } = "127.0.0.1";

    /// <summary>Baton extension <c>proof</c>: validation commands (none by default).</summary>
    public ProofSettings Proof { get; init; } = ProofSettings.None;

    /// <summary>Baton extension <c>handoff</c>: off by default (Symphony's agent moves its own task).</summary>
    public HandoffSettings Handoff { get; init; } = HandoffSettings.None;

    public SupervisorSettings Supervisor { get; init; } = SupervisorSettings.None;

    /// <summary>Baton extension <c>merge</c>: the merge queue's continuous mode and push.</summary>
    public Coordination.MergeSettings Merge { get; init; } = Coordination.MergeSettings.None;

    public static WorkflowSettings From(WorkflowDocument document, Func<string, string?> environment, string homeDirectory, string tempDirectory)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(environment);
        var errors = new List<string>();
        var reader = new SettingsReader(document.FrontMatter, errors);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(document.Path)) ?? "/";

        var tracker = new TrackerSettings
        {
            Kind = reader.String("tracker.kind"),
            Provider = reader.Map("tracker.provider") ?? new Dictionary<string, object?>(),
            ActiveStates = reader.StringList("tracker.active_states"),
            TerminalStates = reader.StringList("tracker.terminal_states"),
            RequiredLabels = reader.StringList("tracker.required_labels") ?? [],
            Raw = reader.Map("tracker") ?? new Dictionary<string, object?>(),
        };

        var rootValue = reader.String("workspace.root");
        var root = rootValue is null
            ? System.IO.Path.Combine(tempDirectory, "symphony_workspaces")
            : ResolvePath(rootValue, directory, environment, homeDirectory, errors, "workspace.root");

        var strategy = reader.String("workspace.strategy");
        if (strategy is not null and not "worktree" and not "directory")
        {
            errors.Add($"workspace.strategy must be 'worktree' or 'directory', not '{strategy}'");
        }

        var hooks = new HookSettings
        {
            AfterCreate = reader.String("hooks.after_create", trim: false),
            BeforeRun = reader.String("hooks.before_run", trim: false),
            AfterRun = reader.String("hooks.after_run", trim: false),
            BeforeRemove = reader.String("hooks.before_remove", trim: false),
            TimeoutMs = reader.PositiveInt("hooks.timeout_ms") ?? 60_000,
        };

        var byState = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (state, value) in reader.Map("agent.max_concurrent_agents_by_state") ?? new Dictionary<string, object?>())
        {
            // §5.3.5: keys are normalized; non-positive or non-numeric entries are ignored, not fatal.
            if (state.Trim().Length > 0 && int.TryParse(value as string, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) && limit > 0)
            {
                byState[state.Trim().ToLowerInvariant()] = limit;
            }
        }

        var agent = new AgentSettings
        {
            MaxConcurrentAgents = reader.PositiveInt("agent.max_concurrent_agents") ?? 10,
            MaxTurns = reader.PositiveInt("agent.max_turns") ?? 20,
            MaxRetryBackoffMs = reader.PositiveInt("agent.max_retry_backoff_ms") ?? 300_000,
            MaxConcurrentAgentsByState = byState,
            Kind = reader.String("agent.kind"),
            ContextHandoffPercent = reader.Int("agent.context_handoff_percent") ?? Coordination.ContextHandoff.DefaultThresholdPercent,
        };

        var command = reader.String("codex.command", trim: false);
        if (command is not null && command.Trim().Length == 0)
        {
            errors.Add("codex.command must not be empty");
        }

        var codex = new CodexSettings
        {
            Command = command ?? "codex app-server",
            ApprovalPolicy = reader.Raw("codex.approval_policy"),
            ThreadSandbox = reader.String("codex.thread_sandbox"),
            TurnSandboxPolicy = reader.Raw("codex.turn_sandbox_policy"),
            TurnTimeoutMs = reader.PositiveInt("codex.turn_timeout_ms") ?? 3_600_000,
            ReadTimeoutMs = reader.PositiveInt("codex.read_timeout_ms") ?? 5_000,
            StallTimeoutMs = reader.Int("codex.stall_timeout_ms") ?? 300_000,
        };

        var settings = new WorkflowSettings
        {
            Tracker = tracker,
            PollIntervalMs = reader.PositiveInt("polling.interval_ms") ?? 30_000,
            WorkspaceRoot = root,
            WorkspaceStrategy = strategy,
            Hooks = hooks,
            Agent = agent,
            Codex = codex,
            ServerPort = reader.Int("server.port"),
            ServerHost = reader.String("server.host") ?? "127.0.0.1",
            Proof = ProofSettings.Read(reader, errors),
            Handoff = HandoffSettings.Read(reader, errors),
            Supervisor = SupervisorSettings.Read(reader, errors),
            Merge = Coordination.MergeSettings.Read(reader, errors),
        };

        if (settings.Agent.ContextHandoffPercent is < 0 or > 100)
        {
            errors.Add($"agent.context_handoff_percent must be 0 (off) to 100, not {settings.Agent.ContextHandoffPercent}");
        }

        if (settings.ServerPort is < 0 or > 65535)
        {
            errors.Add($"server.port must be 0–65535, not {settings.ServerPort}");
        }

        if (errors.Count > 0)
        {
            throw new BatonException(
                WorkflowErrorCodes.Invalid,
                $"{System.IO.Path.GetFileName(document.Path)}: {string.Join("; ", errors)}",
                $"Fix the front matter of {document.Path}; every key and default is listed in the README's workflow section.");
        }

        return settings;
    }

    /// <summary>§6.1: <c>~</c> and a whole-value <c>$VAR</c> are expanded for paths; relative paths resolve against WORKFLOW.md's directory.</summary>
    public static string ResolvePath(string value, string baseDirectory, Func<string, string?> environment, string homeDirectory, List<string> errors, string key)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(errors);
        var path = value.Trim();
        if (path.StartsWith('$'))
        {
            var slash = path.IndexOf('/', StringComparison.Ordinal);
            var name = slash < 0 ? path[1..] : path[1..slash];
            var resolved = environment(name);
            if (string.IsNullOrEmpty(resolved))
            {
                errors.Add($"{key} refers to ${name}, which is not set");
                return baseDirectory;
            }

            path = slash < 0 ? resolved : resolved + path[slash..];
        }

        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = System.IO.Path.Combine(homeDirectory, path.Length > 2 ? path[2..] : string.Empty);
        }

        return System.IO.Path.GetFullPath(path, baseDirectory);
    }
}

public sealed record TrackerSettings
{
    public string? Kind { get; init; }

    public required IReadOnlyDictionary<string, object?> Provider { get; init; }

    public IReadOnlyList<string>? ActiveStates { get; init; }

    public IReadOnlyList<string>? TerminalStates { get; init; }

    public IReadOnlyList<string> RequiredLabels { get; init; } = [];

    /// <summary>The whole <c>tracker</c> map, for adapters that accept legacy flat keys.</summary>
    public required IReadOnlyDictionary<string, object?> Raw { get; init; }
}

public sealed record HookSettings
{
    public string? AfterCreate { get; init; }

    public string? BeforeRun { get; init; }

    public string? AfterRun { get; init; }

    public string? BeforeRemove { get; init; }

    public int TimeoutMs { get; init; } = 60_000;

    public static HookSettings None { get; } = new();
}

public sealed record AgentSettings
{
    public int MaxConcurrentAgents { get; init; } = 10;

    public int MaxTurns { get; init; } = 20;

    public int MaxRetryBackoffMs { get; init; } = 300_000;

    public IReadOnlyDictionary<string, int> MaxConcurrentAgentsByState { get; init; } = new Dictionary<string, int>();

    /// <summary>Baton extension <c>agent.kind</c>: codex (default), pi, claude or command.</summary>
    public string? Kind { get; init; }

    /// <summary>
    /// Baton extension <c>agent.context_handoff_percent</c>: when the agent reports its context this full (pi does), the
    /// worker asks it to hand off to a fresh run with <c>baton handoff</c>; 0 = never.
    /// </summary>
    public int ContextHandoffPercent { get; init; } = Coordination.ContextHandoff.DefaultThresholdPercent;
}

public sealed record CodexSettings
{
    public string Command { get; init; } = "codex app-server";

    public object? ApprovalPolicy { get; init; }

    public string? ThreadSandbox { get; init; }

    public object? TurnSandboxPolicy { get; init; }

    public int TurnTimeoutMs { get; init; } = 3_600_000;

    public int ReadTimeoutMs { get; init; } = 5_000;

    /// <summary>≤ 0 disables stall detection (§5.3.6).</summary>
    public int StallTimeoutMs { get; init; } = 300_000;
}

/// <summary>Reads dotted keys out of the plain front-matter tree, collecting type errors instead of throwing at the first.</summary>
internal sealed class SettingsReader(IReadOnlyDictionary<string, object?> root, List<string> errors)
{
    public object? Raw(string key)
    {
        object? current = root;
        foreach (var part in key.Split('.'))
        {
            if (current is not IReadOnlyDictionary<string, object?> map || !map.TryGetValue(part, out current))
            {
                return null;
            }
        }

        return current;
    }

    public string? String(string key, bool trim = true)
    {
        var value = Raw(key);
        switch (value)
        {
            case null:
                return null;
            case string s:
                return trim ? (s.Trim().Length == 0 ? null : s.Trim()) : s;
            default:
                errors.Add($"{key} must be a single value");
                return null;
        }
    }

    /// <summary><c>true</c> or <c>false</c> (any case); anything else is an error naming the key.</summary>
    public bool? Bool(string key)
    {
        var text = String(key);
        switch (text?.ToLowerInvariant())
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                errors.Add($"{key} must be true or false, not '{text}'");
                return null;
        }
    }

    public int? Int(string key)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add($"{key} must be an integer, not '{text}'");
        return null;
    }

    public int? PositiveInt(string key)
    {
        var value = Int(key);
        if (value is <= 0)
        {
            errors.Add($"{key} must be a positive integer, not {value}");
            return null;
        }

        return value;
    }

    public IReadOnlyList<string>? StringList(string key)
    {
        var value = Raw(key);
        switch (value)
        {
            case null:
                return null;
            case List<object?> list when list.All(v => v is string):
                return list.Cast<string>().Select(s => s.Trim()).ToList();
            default:
                errors.Add($"{key} must be a list of strings (a comma-separated string is not accepted)");
                return null;
        }
    }

    public IReadOnlyDictionary<string, object?>? Map(string key)
    {
        var value = Raw(key);
        switch (value)
        {
            case null:
                return null;
            case Dictionary<string, object?> map:
                return map;
            default:
                errors.Add($"{key} must be a mapping");
                return null;
        }
    }
}
