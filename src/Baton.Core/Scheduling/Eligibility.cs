namespace Baton.Core.Scheduling;

/// <summary>Why a candidate is not dispatched (§8.2), for logs and tests.</summary>
public enum Ineligibility
{
    None,
    MissingFields,
    NotActive,
    Terminal,
    NotDispatchable,
    MissingLabels,
    Running,
    Claimed,
    NoGlobalSlot,
    NoStateSlot,
}

/// <summary>The eligibility and concurrency rules of §8.2 and §8.3 over a <see cref="SchedulerState"/>.</summary>
public static class Eligibility
{
    /// <summary>§8.2: <c>id</c>, <c>identifier</c>, <c>title</c> and <c>state</c> are present.</summary>
    public static bool HasRequiredFields(TrackedTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return !string.IsNullOrWhiteSpace(task.Task.Id)
            && !string.IsNullOrWhiteSpace(task.Task.Identifier)
            && !string.IsNullOrWhiteSpace(task.Task.Title)
            && !string.IsNullOrWhiteSpace(task.Task.State);
    }

    /// <summary>§5.3.1: every required label is on the task, ignoring case and surrounding space; a blank one matches nothing.</summary>
    public static bool HasRequiredLabels(TrackedTask task, SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(config);
        var labels = task.Task.Labels.Select(Normalize).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal);
        return config.RequiredLabels.All(required => Normalize(required) is { Length: > 0 } wanted && labels.Contains(wanted));
    }

    /// <summary>§8.2 <c>issue_routable</c>: dispatchable and carrying every required label. Used for refresh and continuation.</summary>
    public static bool IsRoutable(TrackedTask task, SchedulerConfig config) => task.Dispatchable && HasRequiredLabels(task, config);

    /// <summary>Active and not terminal (a state listed in both is terminal, §8.2).</summary>
    public static bool IsActive(TrackedTask task, SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(config);
        return config.IsActive(task.State) && !config.IsTerminal(task.State);
    }

    /// <summary>Active, not terminal and routable: may keep (or start) an agent.</summary>
    public static bool MayRun(TrackedTask task, SchedulerConfig config) =>
        HasRequiredFields(task) && IsActive(task, config) && IsRoutable(task, config);

    /// <summary>§8.3: <c>max(max_concurrent_agents - running_count, 0)</c>.</summary>
    public static int FreeGlobalSlots(SchedulerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Math.Max(state.Config.MaxConcurrentAgents - state.Running.Count, 0);
    }

    /// <summary>§8.3: the per-state limit minus running entries counted by their current tracked state.</summary>
    public static int FreeStateSlots(SchedulerState state, string taskState, string? exceptTaskId = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var wanted = Normalize(taskState);
        var used = state.Running.Values.Count(e => e.Task.Id != exceptTaskId && Normalize(e.Task.State) == wanted);
        return Math.Max(state.Config.StateLimit(taskState) - used, 0);
    }

    /// <summary>Whether a global and a per-state slot are free for a task not yet in <c>running</c>.</summary>
    public static bool HasSlot(SchedulerState state, TrackedTask task) =>
        FreeGlobalSlots(state) > 0 && FreeStateSlots(state, task.State) > 0;

    /// <summary>Every §8.2 rule for a poll candidate, the first one broken.</summary>
    public static Ineligibility Check(SchedulerState state, TrackedTask task)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(task);
        var config = state.Config;
        if (!HasRequiredFields(task))
        {
            return Ineligibility.MissingFields;
        }

        if (config.IsTerminal(task.State))
        {
            return Ineligibility.Terminal;
        }

        if (!config.IsActive(task.State))
        {
            return Ineligibility.NotActive;
        }

        if (!task.Dispatchable)
        {
            return Ineligibility.NotDispatchable;
        }

        if (!HasRequiredLabels(task, config))
        {
            return Ineligibility.MissingLabels;
        }

        if (state.Running.ContainsKey(task.Id))
        {
            return Ineligibility.Running;
        }

        if (state.Claimed.Contains(task.Id))
        {
            return Ineligibility.Claimed;
        }

        if (FreeGlobalSlots(state) == 0)
        {
            return Ineligibility.NoGlobalSlot;
        }

        return FreeStateSlots(state, task.State) == 0 ? Ineligibility.NoStateSlot : Ineligibility.None;
    }

    public static bool IsEligible(SchedulerState state, TrackedTask task) => Check(state, task) == Ineligibility.None;

    private static string Normalize(string value) => value.Trim().ToLowerInvariant();
}
