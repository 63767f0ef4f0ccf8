using System.Text.RegularExpressions;
using Baton.Core.Configuration;
using Baton.Core.Naming;
using Baton.Core.Tasks;
using Baton.Core.Tracking;
using Baton.Core.Workflows;
using Baton.Tracking.Linear;
using Baton.Workspaces;

namespace Baton.Orchestration;

/// <summary>
/// What <c>baton run path/to/WORKFLOW.md</c> runs with when the file says <c>tracker.kind: linear</c> and no
/// <c>baton.yaml</c> project owns it. Sessions still need a project row, so one is derived from the workflow's
/// directory, the way <c>baton.yaml</c> derives an unnamed project:
/// <list type="bullet">
/// <item>project id: the directory's name (characters outside <c>[A-Za-z0-9._-]</c> become <c>-</c>);</item>
/// <item>session prefix: <see cref="SessionPrefix.Generate"/> of that id;</item>
/// <item>config hash: <see cref="InstanceNaming.ConfigHash"/> of the directory, so sessions live under
/// <c>BATON_HOME/{hash}-{id}/sessions</c>;</item>
/// <item>states: the Linear settings' active and terminal states;</item>
/// <item>workspaces: Symphony's model, one plain directory per issue under <c>workspace.root</c>, populated by the
/// hooks (e.g. <c>git clone</c> in <c>hooks.after_create</c>). Only <c>workspace.strategy: worktree</c> in a
/// directory that is a git repository gives git worktrees of that repository instead.</item>
/// </list>
/// </summary>
public sealed partial record BareLinearWorkflow(Project Project, LinearSettings Settings, WorkspaceLayout? Layout)
{
    /// <summary>Validates the Linear settings (throws the spec's <c>missing_linear_api_token</c> etc.) and derives the project.</summary>
    public static BareLinearWorkflow Resolve(string workflowPath, string batonHome, Func<string, string?> environment, string homeDirectory)
    {
        var document = WorkflowDocument.Parse(File.ReadAllText(workflowPath), workflowPath);
        var settings = WorkflowSettings.From(document, environment, homeDirectory, Path.GetTempPath());
        var linear = LinearSettings.From(settings.Tracker, environment);

        var directory = Path.GetDirectoryName(Path.GetFullPath(workflowPath))!;
        var name = Path.GetFileName(directory.TrimEnd('/'));
        var id = InvalidIdChars().Replace(name, "-").Trim('-') is { Length: > 0 } clean ? clean : "workflow";
        var hash = InstanceNaming.ConfigHash(directory);
        var instanceId = InstanceNaming.InstanceId(hash, id);
        var project = new Project
        {
            Id = id,
            Name = id,
            Path = directory,
            SessionPrefix = SessionPrefix.Generate(id),
            ConfigPath = workflowPath,
            ConfigHash = hash,
            InstanceId = instanceId,
            InstanceDirectory = Path.Combine(batonHome, instanceId),
            States = new TaskStates([.. linear.ActiveStates], [], [.. linear.TerminalStates], []),
            Derived = ["id", "name", "sessionPrefix", "states"],
        };

        var isRepository = Directory.Exists(Path.Combine(directory, ".git")) || File.Exists(Path.Combine(directory, ".git"));

        // Null: the orchestrator lays out git worktrees of the directory, as for a baton.yaml project.
        var layout = settings.WorkspaceStrategy == WorkspaceLayout.Worktree && isRepository ? null : new WorkspaceLayout
        {
            Strategy = WorkspaceLayout.Directory,
            Root = settings.WorkspaceRoot,
            Hooks = settings.Hooks,
            Environment = new Dictionary<string, string?>
            {
                ["BATON_HOME"] = batonHome,
                ["BATON_PROJECT"] = instanceId,
            },
        };
        return new BareLinearWorkflow(project, linear, layout);
    }

    public LinearTracker OpenTracker() =>
        new(Settings, Project.InstanceId, new LinearTrackerOptions { RequestTimeout = TimeSpan.FromMilliseconds(Settings.RequestTimeoutMs) });

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex InvalidIdChars();
}
