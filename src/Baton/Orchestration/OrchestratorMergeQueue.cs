using Baton.Coordination;
using Baton.Core.Configuration;
using Baton.Core.Workflows;
using Baton.Tracking.Local;
using Baton.Workspaces;

namespace Baton.Orchestration;

/// <summary>
/// Starts the orchestrator's continuous merge queue (<c>merge.continuous</c>) for a project of Baton's own tracker. It
/// idles until the workflow turns it on, so a live reload can switch it either way.
/// </summary>
internal static class OrchestratorMergeQueue
{
    public static ContinuousMergeQueue? Start(OrchestratorOptions options, Project inspected, WorkspaceLayout layout, Func<WorkflowSettings> settings, CancellationToken life)
    {
        if (options.Tracker is not LocalTracker tracker || layout.Strategy != WorkspaceLayout.Worktree)
        {
            if (settings().Merge.Continuous)
            {
                options.Log.Warn("merge.continuous is ignored: the merge queue lands worktree branches of Baton's own tracker", ("project", options.Project.Id));
            }

            return null;
        }

        return ContinuousMergeQueue.Start(
            new ContinuousMergeOptions
            {
                Project = inspected,
                Layout = layout,
                Tracker = new LocalTracker(options.Store, inspected, options.Time),
                Store = options.Store,
                Sessions = options.Sessions,
                BatonHome = options.BatonHome,
                Environment = options.Environment,
                Settings = settings,
                Log = (warn, message, fields) =>
                {
                    if (warn)
                    {
                        options.Log.Warn(message, fields);
                    }
                    else
                    {
                        options.Log.Info(message, fields);
                    }
                },
                Time = options.Time,
            },
            life);
    }
}
