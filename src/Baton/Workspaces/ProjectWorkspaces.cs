using Baton.Configuration;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Workflows;

namespace Baton.Workspaces;

/// <summary>The workspace layout of a project of <c>baton.yaml</c>: worktrees under its instance directory, hooks from its WORKFLOW.md.</summary>
public static class ProjectWorkspaces
{
    public const string WorkflowFileName = "WORKFLOW.md";

    public static string WorktreeRoot(Project project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return Path.Combine(project.InstanceDirectory, "worktrees");
    }

    public static async Task<(Project Project, WorkspaceLayout Layout)> LayoutAsync(
        Project project, string batonHome, Func<string, string?> environment, string homeDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        var inspected = await ProjectInspector.InspectAsync(project, cancellationToken).ConfigureAwait(false);
        if (inspected.Problem is { } problem)
        {
            throw new BatonException(ErrorCodes.ProjectNotGitRepository, $"project '{project.Id}': {problem}", "Fix the project's path in baton.yaml ('baton project list' shows each project's status).");
        }

        var hooks = HookSettings.None;
        var strategy = WorkspaceLayout.Worktree;
        var root = WorktreeRoot(project);
        var workflowPath = Path.Combine(project.Path, WorkflowFileName);
        if (File.Exists(workflowPath))
        {
            var settings = WorkflowSettings.From(
                WorkflowDocument.Parse(await File.ReadAllTextAsync(workflowPath, cancellationToken).ConfigureAwait(false), workflowPath),
                environment,
                homeDirectory,
                Path.GetTempPath());
            hooks = settings.Hooks;
            if (settings.WorkspaceStrategy == WorkspaceLayout.Directory)
            {
                strategy = WorkspaceLayout.Directory;
                root = settings.WorkspaceRoot;
            }
        }

        var layout = new WorkspaceLayout
        {
            Strategy = strategy,
            Root = root,
            RepositoryPath = inspected.Path,
            DefaultBranch = inspected.DefaultBranch,
            Hooks = hooks,
            Environment = new Dictionary<string, string?>
            {
                ["BATON_HOME"] = batonHome,
                ["BATON_PROJECT"] = project.InstanceId,
            },
        };
        return (inspected, layout);
    }
}
