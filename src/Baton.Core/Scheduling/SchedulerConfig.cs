using Baton.Core.Tasks;
using Baton.Core.Workflows;

namespace Baton.Core.Scheduling;

/// <summary>
/// The part of the effective workflow config that scheduling decisions read. It is swapped whole by
/// <see cref="ConfigChanged"/>, so new limits, states and timeouts apply to the next decision (§6.2, §5.3.5)
/// without touching runs already in flight.
/// </summary>
public sealed record SchedulerConfig
{
    public IReadOnlyList<string> ActiveStates { get; init; } = TaskStates.Default.Active;

    public IReadOnlyList<string> TerminalStates { get; init; } = TaskStates.Default.Terminal;

    /// <summary>§5.3.1 <c>tracker.required_labels</c>: every one must be on a task to dispatch or to continue.</summary>
    public IReadOnlyList<string> RequiredLabels { get; init; } = [];

    public int MaxConcurrentAgents { get; init; } = 10;

    /// <summary>§5.3.5: keys trimmed and lower-cased; non-positive entries are ignored (see <see cref="StateLimit"/>).</summary>
    public IReadOnlyDictionary<string, int> MaxConcurrentAgentsByState { get; init; } = new Dictionary<string, int>();

    public int MaxTurns { get; init; } = 20;

    public int MaxRetryBackoffMs { get; init; } = 300_000;

    /// <summary>§5.3.6: ≤ 0 disables stall detection.</summary>
    public int StallTimeoutMs { get; init; } = 300_000;

    public int PollIntervalMs { get; init; } = 30_000;

    /// <summary>
    /// When true (the default), a task picked from a poll is first re-fetched by id (a <see cref="Revalidate"/>
    /// action) and dispatched only if the fresh copy is still eligible — the reference implementation's extra
    /// freshness check against a stale candidate list.
    /// </summary>
    public bool RevalidateBeforeDispatch { get; init; } = true;

    /// <summary>
    /// Baton's <c>handoff</c> extension: a successful turn that leaves the task active is followed by a check of the
    /// work (<see cref="CheckWork"/>) instead of a continuation turn. Off for a plain Symphony workflow.
    /// </summary>
    public bool Handoff { get; init; }

    /// <summary>How many fix follow-ups a run gets when a hand-off check fails, before it fails (bounded by <see cref="MaxTurns"/> too).</summary>
    public int MaxFixRequests { get; init; } = 1;

    /// <summary>Baton's supervisor: silence before a nudge (0 = never nudge; the stall abort keeps its own timing).</summary>
    public int NudgeAfterMs { get; init; }

    public string NudgeMessage { get; init; } = SupervisorSettings.DefaultNudgeMessage;

    /// <summary>Baton's supervisor: check the workspace before a run that ends normally is stopped.</summary>
    public bool CheckWorkspaceBeforeStop { get; init; }

    /// <summary>Baton's supervisor: failed attempts of any kind before the task is escalated to a person (0 = never).</summary>
    public int EscalateAfter { get; init; }

    public static SchedulerConfig Default { get; } = new();

    /// <summary>
    /// The scheduler's view of a workflow. <paramref name="trackerStates"/> supplies the adapter's documented
    /// default states when the workflow names none (§5.3.1).
    /// </summary>
    public static SchedulerConfig From(WorkflowSettings settings, TaskStates trackerStates)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(trackerStates);
        return new SchedulerConfig
        {
            ActiveStates = settings.Tracker.ActiveStates ?? trackerStates.Active,
            TerminalStates = settings.Tracker.TerminalStates ?? trackerStates.Terminal,
            RequiredLabels = settings.Tracker.RequiredLabels,
            MaxConcurrentAgents = settings.Agent.MaxConcurrentAgents,
            MaxConcurrentAgentsByState = settings.Agent.MaxConcurrentAgentsByState,
            MaxTurns = settings.Agent.MaxTurns,
            MaxRetryBackoffMs = settings.Agent.MaxRetryBackoffMs,
            StallTimeoutMs = settings.Codex.StallTimeoutMs,
            PollIntervalMs = settings.PollIntervalMs,
            Handoff = settings.Handoff.Enabled,
            NudgeAfterMs = settings.Supervisor.EffectiveNudgeAfterMs(settings.Codex.StallTimeoutMs),
            NudgeMessage = settings.Supervisor.NudgeMessage,
            CheckWorkspaceBeforeStop = settings.Supervisor.Enabled && settings.Supervisor.CheckWorkspace,
            EscalateAfter = settings.Supervisor.Enabled ? settings.Supervisor.EscalateAfter : 0,
        };
    }

    public bool IsActive(string state) => Contains(ActiveStates, state);

    public bool IsTerminal(string state) => Contains(TerminalStates, state);

    /// <summary>
    /// §8.3: the per-state limit for <paramref name="state"/>, else the global limit. Entries are looked up by the
    /// normalized name, and an entry that is not a positive number is ignored (§5.3.5) even when a caller built the
    /// map by hand rather than through <see cref="WorkflowSettings"/>.
    /// </summary>
    public int StateLimit(string state)
    {
        var wanted = TaskStates.Normalize(state);
        foreach (var (key, limit) in MaxConcurrentAgentsByState)
        {
            if (limit > 0 && TaskStates.Normalize(key) == wanted && wanted.Length > 0)
            {
                return limit;
            }
        }

        return MaxConcurrentAgents;
    }

    private static bool Contains(IReadOnlyList<string> states, string state)
    {
        var wanted = TaskStates.Normalize(state);
        return wanted.Length > 0 && states.Any(s => TaskStates.Normalize(s) == wanted);
    }
}
