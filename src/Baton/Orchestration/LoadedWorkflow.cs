using System.Security.Cryptography;
using Baton.Core.Errors;
using Baton.Core.Scheduling;
using Baton.Core.Tasks;
using Baton.Core.Templates;
using Baton.Core.Workflows;

namespace Baton.Orchestration;

/// <summary>What identifies one version of WORKFLOW.md on disk: a change of any part means "reload" (§6.2).</summary>
public sealed record WorkflowStamp(DateTime ModifiedUtc, long Length, string Hash)
{
    public static WorkflowStamp? Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }

            var bytes = File.ReadAllBytes(path);
            return new WorkflowStamp(info.LastWriteTimeUtc, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>
/// One validated version of a workflow: its settings, its parsed prompt template, the scheduler's view, and the agent
/// it launches. Built whole or not at all, so a bad edit never half-applies (§6.2: keep the last known good config).
/// </summary>
public sealed record LoadedWorkflow
{
    public const string DefaultAgent = "codex";

    public required string Path { get; init; }

    public required WorkflowStamp Stamp { get; init; }

    public required WorkflowSettings Settings { get; init; }

    public required LiquidTemplate Template { get; init; }

    public required SchedulerConfig Scheduler { get; init; }

    /// <summary><c>agent.kind</c> (Baton's extension); the spec's agent, Codex, when absent.</summary>
    public required string AgentKind { get; init; }

    /// <summary>The command line: <c>agent.command</c>, else <c>codex.command</c> (§5.3.6).</summary>
    public string? Command { get; init; }

    /// <summary><c>agent.model</c>: <c>provider/model</c> or <c>replay:&lt;script&gt;</c> (Baton's extension).</summary>
    public string? Model { get; init; }

    /// <summary>What a Codex run needs of <c>codex.*</c> (approval policy, thread sandbox, read timeout), for the worker.</summary>
    public Sessions.CodexLaunchSettings CodexLaunch => new()
    {
        ApprovalPolicy = FrontMatterJson.ToElement(Settings.Codex.ApprovalPolicy),
        ThreadSandbox = Settings.Codex.ThreadSandbox,
        ReadTimeoutMs = Settings.Codex.ReadTimeoutMs,
    };

    /// <summary>The placeholder in <c>agent.model</c> that becomes the dispatched task's identifier.</summary>
    public const string IdentifierPlaceholder = "{identifier}";

    /// <summary>
    /// <c>agent.model</c> for one task (Baton's extension): <c>{identifier}</c> becomes the task identifier, and a relative
    /// <c>replay:</c> script path resolves against the directory of WORKFLOW.md, e.g.
    /// <c>replay:scripts/{identifier}.json</c> gives each task its own script.
    /// </summary>
    public string? ModelFor(string identifier) => ResolveModel(Model, identifier, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);

    /// <inheritdoc cref="ModelFor"/>
    public static string? ResolveModel(string? model, string identifier, string workflowDirectory)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return model;
        }

        var resolved = model.Replace(IdentifierPlaceholder, identifier, StringComparison.Ordinal);
        const string Replay = "replay:";
        if (resolved.StartsWith(Replay, StringComparison.Ordinal))
        {
            var script = resolved[Replay.Length..];
            if (script.Length > 0 && !System.IO.Path.IsPathRooted(script))
            {
                resolved = Replay + System.IO.Path.GetFullPath(System.IO.Path.Combine(workflowDirectory, script));
            }
        }

        return resolved;
    }

    /// <summary>
    /// Reads and validates the file (§6.3 startup validation). Throws <see cref="BatonException"/> with the spec's error
    /// classes: <c>missing_workflow_file</c>, <c>workflow_parse_error</c>, <c>workflow_front_matter_not_a_map</c>,
    /// <c>workflow_invalid</c>, <c>template_parse_error</c>.
    /// </summary>
    public static LoadedWorkflow Load(string path, TaskStates trackerStates, Func<string, string?> environment, string homeDirectory)
    {
        var stamp = WorkflowStamp.Read(path) ?? throw new BatonException(
            WorkflowErrorCodes.MissingFile,
            $"no workflow file at {path}",
            "Create WORKFLOW.md (YAML front matter between '---' lines, then the prompt), or pass its path: baton run path/to/WORKFLOW.md.");
        var document = WorkflowDocument.Parse(File.ReadAllText(path), path);
        var settings = WorkflowSettings.From(document, environment, homeDirectory, System.IO.Path.GetTempPath());
        // A TemplateException is already a BatonException with the spec's template_parse_error class (§5.5).
        var template = PromptBuilder.ParsePrompt(document.Prompt, System.IO.Path.GetFileName(path));

        var agent = settings.Agent.Kind ?? DefaultAgent;
        if (!Agents.AgentRegistry.Kinds.Contains(agent))
        {
            throw new BatonException(WorkflowErrorCodes.Invalid, $"{System.IO.Path.GetFileName(path)}: agent.kind '{agent}' is not one of {string.Join(", ", Agents.AgentRegistry.Kinds)}", $"Set agent.kind in {path} to one of {string.Join(", ", Agents.AgentRegistry.Kinds)}.");
        }

        var agentMap = document.FrontMatter.GetValueOrDefault("agent") as IReadOnlyDictionary<string, object?>;
        var codexMap = document.FrontMatter.GetValueOrDefault("codex") as IReadOnlyDictionary<string, object?>;
        // Without codex.command the adapter runs Baton's own codex (BATON_HOME/tools or PATH) with "app-server": the
        // spec's default command, but found the way every Baton session finds it. Spelled out as a command it would
        // run under `bash -lc`, whose login profile resets PATH and so loses a codex that 'baton doctor --fix' installed.
        var command = agentMap?.GetValueOrDefault("command") as string
            ?? (agent == DefaultAgent && codexMap?.GetValueOrDefault("command") is null ? null : settings.Codex.Command);
        if (agent == "command" && string.IsNullOrWhiteSpace(agentMap?.GetValueOrDefault("command") as string) && document.FrontMatter.GetValueOrDefault("codex") is null)
        {
            throw new BatonException(WorkflowErrorCodes.Invalid, $"{System.IO.Path.GetFileName(path)}: agent.kind 'command' needs agent.command", $"Add 'command: your-agent {{prompt}}' under agent: in {path}.");
        }

        return new LoadedWorkflow
        {
            Path = path,
            Stamp = stamp,
            Settings = settings,
            Template = template,
            Scheduler = SchedulerConfig.From(settings, trackerStates),
            AgentKind = agent,
            Command = agent is "codex" or "command" ? command : null,
            Model = agentMap?.GetValueOrDefault("model") as string,
        };
    }
}
