using Baton.Core.Configuration;
using Baton.Core.Coordination;
using Baton.Core.Workflows;
using Baton.Sessions;
using Baton.Storage;
using Baton.Tracking.Local;
using Baton.Workspaces;

namespace Baton.Coordination;

/// <summary>Builds a project's merge queue the way <c>baton merge</c> and <c>baton doctor</c> need it: from baton.yaml and its WORKFLOW.md.</summary>
public static class MergeSetup
{
    public static async Task<MergeQueue> ForProjectAsync(
        Project project,
        StateStore store,
        SessionService? sessions,
        string batonHome,
        IReadOnlyDictionary<string, string> environment,
        string homeDirectory,
        TimeProvider time,
        bool once,
        Action<string>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(environment);
        var (inspected, layout) = await ProjectWorkspaces.LayoutAsync(project, batonHome, environment.GetValueOrDefault, homeDirectory, cancellationToken).ConfigureAwait(false);
        var settings = ReadWorkflow(inspected, environment, homeDirectory);
        return await MergeQueue.CreateAsync(
            new MergeQueueOptions
            {
                Project = inspected,
                Layout = layout,
                Tracker = new LocalTracker(store, inspected, time),
                Store = store,
                BatonHome = batonHome,
                Environment = environment,
                Settings = settings?.Merge ?? MergeSettings.None,
                Validation = settings?.Proof.Validate ?? [],
                Sessions = sessions,
                Once = once,
                Time = time,
                Hooks = MergeHooks.From(environment),
                Progress = progress,
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The project's WORKFLOW.md settings, or null when it has none (an invalid one is an error, as for <c>baton run</c>).</summary>
    public static WorkflowSettings? ReadWorkflow(Project project, IReadOnlyDictionary<string, string> environment, string homeDirectory)
    {
        ArgumentNullException.ThrowIfNull(project);
        var path = Path.Combine(project.Path, ProjectWorkspaces.WorkflowFileName);
        return File.Exists(path)
            ? WorkflowSettings.From(WorkflowDocument.Parse(File.ReadAllText(path), path), environment.GetValueOrDefault, homeDirectory, Path.GetTempPath())
            : null;
    }
}
