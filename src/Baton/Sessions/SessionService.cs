using Baton.Agents;
using Baton.Coordination;
using Baton.Core.Agents;
using Baton.Core.Coordination;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Sessions;
using Baton.Core.Tasks;
using Baton.Core.Templates;
using Baton.Core.Workflows;
using Baton.Replay;
using Baton.Runtimes;
using Baton.Storage;
using Baton.Workspaces;

namespace Baton.Sessions;

/// <summary>What to spawn: a task (or a bare prompt) of a project, run by an agent in a runtime.</summary>
public sealed record SpawnRequest
{
    public required Project Project { get; init; }

    public required WorkspaceLayout Layout { get; init; }

    public TaskRecord? Task { get; init; }

    /// <summary>A prompt instead of the task's rendered prompt (required when there is no task).</summary>
    public string? Prompt { get; init; }

    public string Agent { get; init; } = "pi";

    public string Runtime { get; init; } = SessionRuntimes.Tmux;

    /// <summary>A <see cref="ModelSpec"/> in text form (<c>provider/model</c> or <c>replay:&lt;script&gt;</c>).</summary>
    public string? Model { get; init; }

    public string? Command { get; init; }

    public string? Purpose { get; init; }

    public int IdleTimeoutSeconds { get; init; } = 600;

    public int SilenceTimeoutSeconds { get; init; } = 3600;

    /// <summary>Tracker secrets (§1.18) the worker removes from the agent's environment, beside its built-in list.</summary>
    public IReadOnlyList<string> SecretEnvironmentNames { get; init; } = [];

    /// <summary>WORKFLOW.md's <c>codex.*</c> settings for a Codex run; null = the adapter's defaults.</summary>
    public CodexLaunchSettings? Codex { get; init; }

    /// <summary>Host-side tools the agent is offered (served by the orchestrator); null = none.</summary>
    public HostToolAccess? HostTools { get; init; }

    /// <summary>How long spawn waits for the worker to report that the agent started.</summary>
    public TimeSpan StartWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// When the agent reports its context this full (percent), the worker asks it to hand off; 0 = never, null = the
    /// default (<see cref="ContextHandoff.DefaultThresholdPercent"/>). Only agents that report context usage (pi) are asked.
    /// </summary>
    public int? HandoffThresholdPercent { get; init; }
}

/// <summary>The effects behind the session commands: spawn, find, stop, remove. The orchestrator uses the same.</summary>
public sealed class SessionService(StateStore store, string batonHome, IReadOnlyDictionary<string, string> environment, TmuxClient tmux, TimeProvider time)
{
    public const string NotFound = ErrorCodes.SessionNotFound;
    public const string Finished = "session_finished";

    public TmuxClient Tmux => tmux;

    public async Task<SessionRecord> SpawnAsync(SpawnRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckAgent(request);
        if (!ReplacesAgentBinary(request))
        {
            AgentAvailability.Ensure(request.Agent, batonHome, environment.GetValueOrDefault("PATH"));
        }

        var model = request.Model is null ? null : ModelSpec.Parse(request.Model, p => Path.GetFullPath(p));
        if (model is { IsReplay: true })
        {
            ReplayScriptFile.Load(model.ReplayScript!);
        }
        else if (model is { ApiKeyVariable: { } keyVariable } && string.IsNullOrEmpty(environment.GetValueOrDefault(keyVariable)))
        {
            throw new BatonException(
                "model_key_missing",
                $"the model {model} needs ${keyVariable}, which is not set",
                $"Export {keyVariable}, or rehearse offline with --model replay:<script.json>.");
        }

        var handoffThreshold = ContextHandoff.Validate(request.HandoffThresholdPercent ?? ContextHandoff.DefaultThresholdPercent, "the hand-off threshold");
        var runtime = SessionRuntimes.For(request.Runtime, tmux);
        var prompt = request.Prompt ?? RenderPrompt(request);
        var taken = (await tmux.ListSessionsAsync(cancellationToken).ConfigureAwait(false)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var sessionsRoot = Path.Combine(request.Project.InstanceDirectory, "sessions");
        if (Directory.Exists(sessionsRoot))
        {
            taken.UnionWith(Directory.EnumerateDirectories(sessionsRoot).Select(d => Path.GetFileName(d)!));
        }

        // A task's workspace exists before its session; a bare prompt's workspace is named after the session.
        Workspace? workspace = null;
        if (request.Task is { } task)
        {
            workspace = await WorkspaceManager.CreateOrReuseAsync(request.Layout, new WorkspaceTask(task.Id, task.Identifier, task.BranchName), cancellationToken).ConfigureAwait(false);
        }

        var record = SessionRows.Allocate(store, request.Project, taken, (number, name, runtimeName) => new SessionRecord
        {
            Project = request.Project.InstanceId,
            Number = number,
            Name = name,
            RuntimeName = runtimeName,
            Runtime = runtime.Kind,
            Agent = request.Agent,
            Model = model?.ToString(),
            TaskId = request.Task?.Id,
            TaskIdentifier = request.Task?.Identifier,
            Workspace = workspace?.Path ?? WorkspaceManager.PathFor(request.Layout, new WorkspaceTask(name, name)),
            Branch = workspace?.Branch,
            Directory = Path.Combine(sessionsRoot, name),
            Purpose = request.Purpose,
            CreatedAt = time.GetUtcNow(),
        });

        if (workspace is null)
        {
            workspace = await WorkspaceManager.CreateOrReuseAsync(request.Layout, new WorkspaceTask(record.Name, record.Name), cancellationToken).ConfigureAwait(false);
            record = record with { Branch = workspace.Branch };
        }

        // The task's next run: what waited for the task's earlier sessions (hand-off notes, messages) goes into this
        // run's prompt, and the manifest links the previous session so the transcripts read as one chain.
        var previous = record.TaskId is { } taskId
            ? store.Read(db => SessionRows.ForTask(db, taskId)).Where(s => s.Project == record.Project && s.Number < record.Number).MaxBy(s => s.Number)?.Name
            : null;
        var pending = PendingMessages.Claim(store, record, time.GetUtcNow());
        try
        {
            await StartAsync(request, record, runtime, model, MessageText.AppendToPrompt(prompt, pending), previous, handoffThreshold, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The run never started: the messages wait for the next one.
            PendingMessages.Release(store, record, pending);
            throw;
        }

        return record;
    }

    private async Task StartAsync(SpawnRequest request, SessionRecord record, ISessionRuntime runtime, ModelSpec? model, string prompt, string? previous, int handoffThreshold, CancellationToken cancellationToken)
    {
        var files = record.Files;
        Directory.CreateDirectory(files.Directory);
        await File.WriteAllTextAsync(files.Prompt, prompt, cancellationToken).ConfigureAwait(false);
        files.WriteManifest(new SessionManifest
        {
            Name = record.Name,
            Project = record.Project,
            ProjectId = request.Project.Id,
            RuntimeName = record.RuntimeName,
            Runtime = record.Runtime,
            Agent = record.Agent,
            Model = record.Model,
            TaskId = record.TaskId,
            TaskIdentifier = record.TaskIdentifier,
            TaskTitle = request.Task?.Title,
            Workspace = record.Workspace,
            Branch = record.Branch,
            BatonHome = batonHome,
            Command = request.Command,
            IdleTimeoutSeconds = request.IdleTimeoutSeconds,
            SilenceTimeoutSeconds = request.SilenceTimeoutSeconds,
            CreatedAt = record.CreatedAt,
            BeforeRunHook = request.Layout.Hooks.BeforeRun,
            AfterRunHook = request.Layout.Hooks.AfterRun,
            HookTimeoutMs = request.Layout.Hooks.TimeoutMs,
            SecretEnvironmentNames = request.SecretEnvironmentNames.Count == 0 ? null : [.. request.SecretEnvironmentNames],
            Codex = request.Codex,
            HostTools = request.HostTools,
            PreviousSession = previous,
            HandoffThresholdPercent = handoffThreshold,
        });

        var workerEnvironment = WorkerEnvironment(record, model);
        await AddGitIdentityAsync(workerEnvironment, request.Project.Path, record.Name, cancellationToken).ConfigureAwait(false);
        // Tracker credentials stay with the orchestrator (§1.18): neither the worker nor its agent inherits them.
        var hidden = SecretVariables.WellKnown.Concat(request.SecretEnvironmentNames).Distinct(StringComparer.Ordinal).ToList();
        await runtime.StartAsync(record, BatonExecutable(), workerEnvironment, hidden, cancellationToken).ConfigureAwait(false);
        await WaitForStartAsync(record, runtime, request.StartWait, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A session by name (<c>int-3</c>) or by task identifier (its latest session); the config's projects win a tie.</summary>
    public SessionRecord Find(string nameOrTask, IReadOnlyCollection<string> preferredProjects, string? environmentProject)
    {
        ArgumentNullException.ThrowIfNull(nameOrTask);
        var candidates = store.Read(db => SessionRows.FindByName(db, nameOrTask));
        if (candidates.Count == 0 && TaskIdentifier.TryParse(nameOrTask, out _, out _))
        {
            candidates = store.Read(db => SessionRows.List(db, null, includeArchived: true))
                .Where(s => string.Equals(s.TaskIdentifier, nameOrTask.Trim(), StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(s => s.CreatedAt)
                .ToList();
        }

        var live = candidates.Where(s => s.ArchivedAt is null).ToList();
        var pool = live.Count > 0 ? live : candidates;
        return pool.FirstOrDefault(s => preferredProjects.Contains(s.Project))
            ?? pool.FirstOrDefault(s => s.Project == environmentProject)
            ?? pool.FirstOrDefault()
            ?? throw new BatonException(NotFound, $"no session '{nameOrTask}'", "See 'baton list --all' for the sessions there are.");
    }

    /// <summary>The session's truthful status, from its status.json and the processes that are really alive.</summary>
    public SessionState Observe(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var status = session.Files.ReadStatus();
        var workerAlive = status is not null && status.EndedAt is null && Processes.ProcessTable.IsAlive(status.WorkerPid, status.WorkerStartTime);
        var agentAlive = status?.AgentMarker is { } marker && !workerAlive
            && Processes.ProcessTable.WithEnvironment(Processes.ProcessTable.RunMarkerVariable, marker).Count > 0;
        return new SessionState(SessionStatus.Derive(status?.Status, workerAlive, agentAlive), workerAlive, status);
    }

    /// <summary>Stops the session's run: asks the worker, and if it does not answer, kills it and reaps its agent.</summary>
    public async Task StopAsync(SessionRecord session, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var state = Observe(session);
        if (state.WorkerAlive && state.Reported?.Socket is { } socket)
        {
            await Workers.WorkerClient.SendAsync(socket, new Workers.WorkerRequest(Workers.WorkerCommands.Stop), TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            var deadline = time.GetUtcNow() + wait;
            while (time.GetUtcNow() < deadline && Observe(session).WorkerAlive)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        state = Observe(session);
        if (state.WorkerAlive && state.Reported is { } alive)
        {
            Processes.Posix.Signal(alive.WorkerPid, Processes.Posix.SigKill);
        }

        Cli.Commands.WorkerCommand.Reap(session.Files, time);
    }

    public static string BatonExecutable(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.GetValueOrDefault("BATON_EXECUTABLE") is { Length: > 0 } configured)
        {
            return configured;
        }

        if (Environment.ProcessPath is { } path && Path.GetFileName(path) == "baton")
        {
            return path;
        }

        var beside = Path.Combine(AppContext.BaseDirectory, "baton");
        return File.Exists(beside) ? beside : "baton";
    }

    private string BatonExecutable() => BatonExecutable(environment);

    /// <summary>A <c>codex.command</c> that runs another program (a wrapper, a stand-in) needs no installed codex.</summary>
    private static bool ReplacesAgentBinary(SpawnRequest request) =>
        request.Agent == "codex" && request.Command is { } command && command.Trim().Split(' ', 2)[0] is { Length: > 0 } program
        && Path.GetFileName(program.Trim('\'', '"')) != "codex";

    private static void CheckAgent(SpawnRequest request)
    {
        if (!AgentRegistry.Kinds.Contains(request.Agent))
        {
            throw BatonException.Usage("unknown_agent", $"no agent '{request.Agent}'", $"Use --agent {string.Join(", ", AgentRegistry.Kinds)}.");
        }

        if (request.Agent == "command" && string.IsNullOrWhiteSpace(request.Command))
        {
            throw BatonException.Usage("agent_command_missing", "the command agent needs --command", "Pass --command \"your-agent {prompt}\" ({prompt} is replaced by the quoted prompt; without it the prompt arrives on stdin).");
        }
    }

    private string RenderPrompt(SpawnRequest request)
    {
        var task = request.Task ?? throw BatonException.Usage("prompt_missing", "spawn needs a task or --prompt", "Pass a task identifier (baton spawn app APP-3) or --prompt \"…\".");
        var workflowPath = Path.Combine(request.Project.Path, ProjectWorkspaces.WorkflowFileName);
        var template = PromptBuilder.DefaultTemplate;
        if (File.Exists(workflowPath))
        {
            var document = WorkflowDocument.Parse(File.ReadAllText(workflowPath), workflowPath);
            template = PromptBuilder.ParsePrompt(document.Prompt, ProjectWorkspaces.WorkflowFileName);
        }

        return PromptBuilder.Render(template, task, attempt: null);
    }

    /// <summary>What the worker (and through it the agent) sees: Baton's variables, PATH, identity, and the model's key.</summary>
    private Dictionary<string, string> WorkerEnvironment(SessionRecord session, ModelSpec? model)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["BATON_HOME"] = batonHome,
            ["BATON_PROJECT"] = session.Project,
            ["BATON_SESSION"] = session.Name,
            ["BATON_EXECUTABLE"] = BatonExecutable(),
        };
        foreach (var name in new[] { "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TERM", "NO_COLOR", "DOTNET_ROOT", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_CONFIG_GLOBAL", "TMPDIR" })
        {
            if (environment.GetValueOrDefault(name) is { Length: > 0 } value)
            {
                result[name] = value;
            }
        }

        if (model?.ApiKeyVariable is { } key && environment.GetValueOrDefault(key) is { Length: > 0 } secret)
        {
            result[key] = secret;
        }

        return result;
    }

    /// <summary>
    /// Agents run with a private HOME, so they cannot see the person's global git identity: hand it over explicitly
    /// (from the repository's effective config), falling back to a Baton identity so an agent can always commit.
    /// </summary>
    private static async Task AddGitIdentityAsync(Dictionary<string, string> workerEnvironment, string repository, string session, CancellationToken cancellationToken)
    {
        var name = workerEnvironment.GetValueOrDefault("GIT_AUTHOR_NAME") ?? await Git.GitCli.TryReadAsync(repository, ["config", "user.name"], cancellationToken).ConfigureAwait(false);
        var email = workerEnvironment.GetValueOrDefault("GIT_AUTHOR_EMAIL") ?? await Git.GitCli.TryReadAsync(repository, ["config", "user.email"], cancellationToken).ConfigureAwait(false);
        name = string.IsNullOrWhiteSpace(name) ? $"Baton agent ({session})" : name;
        email = string.IsNullOrWhiteSpace(email) ? "baton-agent@localhost" : email;
        workerEnvironment["GIT_AUTHOR_NAME"] = name;
        workerEnvironment["GIT_AUTHOR_EMAIL"] = email;
        workerEnvironment.TryAdd("GIT_COMMITTER_NAME", name);
        workerEnvironment.TryAdd("GIT_COMMITTER_EMAIL", email);
    }

    private async Task WaitForStartAsync(SessionRecord session, ISessionRuntime runtime, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + wait;
        var polls = 0;
        while (time.GetUtcNow() < deadline)
        {
            var status = session.Files.ReadStatus();
            if (status is null && ++polls % 10 == 0 && await runtime.HasEndedAsync(session, cancellationToken).ConfigureAwait(false))
            {
                var tail = File.Exists(session.Files.PaneLog)
                    ? string.Join(" ", File.ReadAllLines(session.Files.PaneLog).Select(l => Workers.TranscriptRenderer.OneLine(l, 300)).Where(l => l.Length > 0).TakeLast(3))
                    : "no output";
                throw new BatonException("session_failed_to_start", $"the worker of {session.Name} ended before starting the agent: {tail}", $"See {session.Files.PaneLog}; 'baton doctor' checks the machine.");
            }

            if (status is not null && (status.AgentPid is not null || status.EndedAt is not null))
            {
                if (status.EndedAt is not null && status.Outcome is not (Core.Events.Outcomes.Succeeded or Core.Events.Outcomes.HandedOff))
                {
                    throw new BatonException(
                        "session_failed_to_start",
                        $"session {session.Name} ended at once: {status.Reason}",
                        $"See 'baton logs {session.Name}'; 'baton doctor' checks the agents.");
                }

                return;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>What is true of a session right now.</summary>
public sealed record SessionState(string Status, bool WorkerAlive, WorkerStatus? Reported);

/// <summary>Checks the agent program is installed before anything is created for it.</summary>
/// <summary>Environment variables that hold credentials no session may inherit (a tracker's own names come on top, §1.18).</summary>
public static class SecretVariables
{
    public static IReadOnlyList<string> WellKnown { get; } = ["LINEAR_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "BATON_API_TOKEN"];
}

public static class AgentAvailability
{
    public static void Ensure(string agent, string batonHome, string? pathVariable)
    {
        if (AgentCatalog.Find(agent) is { } tool && AgentLocator.Find(tool.Binary, batonHome, pathVariable) is null)
        {
            throw new BatonException(
                AgentLocator.NotFound,
                $"the {tool.Name} agent ({tool.PackageSpec}) is not installed: '{tool.Binary}' is neither in {AgentCatalog.BinDirectory(batonHome)} nor on PATH",
                $"Run 'baton doctor --fix' to install it into {AgentCatalog.ToolsDirectory(batonHome)}.");
        }
    }
}
