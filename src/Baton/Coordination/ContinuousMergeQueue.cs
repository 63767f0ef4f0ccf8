using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Workflows;
using Baton.Sessions;
using Baton.Storage;
using Baton.Tracking.Local;
using Baton.Workspaces;

namespace Baton.Coordination;

/// <summary>What the continuous merge queue of one orchestrator works with.</summary>
public sealed record ContinuousMergeOptions
{
    /// <summary>The project as inspected (path, default branch).</summary>
    public required Project Project { get; init; }

    public required WorkspaceLayout Layout { get; init; }

    public required LocalTracker Tracker { get; init; }

    public required StateStore Store { get; init; }

    public required SessionService Sessions { get; init; }

    public required string BatonHome { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>The workflow's current settings: read before every pass, so a reload turns the queue on or off.</summary>
    public required Func<WorkflowSettings> Settings { get; init; }

    /// <summary>A log line: message and key=value fields; warnings are flagged.</summary>
    public required Action<bool, string, (string Key, object? Value)[]> Log { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How often the wake file is looked at between passes.</summary>
    public TimeSpan WakeCheck { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The merge queue inside <c>baton run</c> when the workflow says <c>merge.continuous: true</c>: a pass runs whenever a
/// task changes (the tracker's wake file, the same signal that wakes the orchestrator) and at every poll interval, and
/// lands every task in the merge state. It shares the project's merge lock with <c>baton merge</c>, so a pass that
/// finds one running simply waits for the next; a refusal (a dirty checkout) is logged once, not every second.
/// </summary>
public sealed class ContinuousMergeQueue
{
    private readonly ContinuousMergeOptions _options;
    private string? _lastProblem;

    private ContinuousMergeQueue(ContinuousMergeOptions options, CancellationToken life)
    {
        _options = options;
        Completion = Task.Run(() => LoopAsync(life), CancellationToken.None);
    }

    /// <summary>Runs until <paramref name="life"/> is cancelled (the orchestrator's shutdown).</summary>
    public static ContinuousMergeQueue Start(ContinuousMergeOptions options, CancellationToken life)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ContinuousMergeQueue(options, life);
    }

    /// <summary>Ends after the pass in progress (its git and validation steps are cancelled; the journal covers that).</summary>
    public Task Completion { get; }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var wakePath = WakeOnExit.PathFor(_options.Project);
        var lastWake = default(DateTime);
        var nextPass = DateTimeOffset.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            var settings = _options.Settings();
            var wake = File.Exists(wakePath) ? File.GetLastWriteTimeUtc(wakePath) : default;
            var now = _options.Time.GetUtcNow();
            if (settings.Merge.Continuous && (wake != lastWake || now >= nextPass))
            {
                lastWake = wake;
                nextPass = now + TimeSpan.FromMilliseconds(settings.PollIntervalMs);
                await PassAsync(settings, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(_options.WakeCheck, _options.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PassAsync(WorkflowSettings settings, CancellationToken cancellationToken)
    {
        var project = _options.Project;
        try
        {
            // Cheap first: most passes find nothing to do and start no git process.
            var queued = _options.Tracker.List(new TaskQuery { States = [project.States.Merge] }).Count;
            if (queued == 0 && !File.Exists(MergePaths.For(project).Journal))
            {
                return;
            }

            var queue = await MergeQueue.CreateAsync(
                new MergeQueueOptions
                {
                    Project = project,
                    Layout = _options.Layout,
                    Tracker = _options.Tracker,
                    Store = _options.Store,
                    BatonHome = _options.BatonHome,
                    Environment = _options.Environment,
                    Settings = settings.Merge,
                    Validation = settings.Proof.Validate,
                    Sessions = _options.Sessions,
                    Time = _options.Time,
                    Progress = line => _options.Log(false, "merge queue", [("project", project.Id), ("step", line)]),
                },
                cancellationToken).ConfigureAwait(false);
            var result = await queue.RunAsync(cancellationToken).ConfigureAwait(false);
            foreach (var item in result.Tasks)
            {
                _options.Log(item.Outcome != MergeOutcomes.Merged, "merge queue task", [("project", project.Id), ("identifier", item.Task), ("outcome", item.Outcome), ("commit", item.Commit), ("reason", item.Reason)]);
            }

            _lastProblem = null;
        }
        catch (BatonException error) when (error.Code == MergeLock.InProgress)
        {
            // 'baton merge' is running: it does this pass's work.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            var problem = error is BatonException known ? $"{known.Code}: {known.Message}" : error.ToString();
            if (problem != _lastProblem)
            {
                _options.Log(true, "merge queue pass failed", [("project", project.Id), ("error", problem)]);
                _lastProblem = problem;
            }
        }
    }
}
