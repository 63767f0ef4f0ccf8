namespace Baton.Core.Tasks;

/// <summary>
/// A project's task states. Active states are dispatched, hand-off states hold review-ready work, terminal
/// states end a task, inactive states exist but are not dispatched. Names compare trimmed and lower-cased
/// (Symphony §4.2) and keep the project's spelling.
/// </summary>
/// <remarks>
/// Every project also has the merge queue's two states: <see cref="Merge"/> (work waiting to be landed; a hand-off
/// state, so no agent is dispatched on it) and <see cref="Rework"/> (the queue sent it back; an active state, so the
/// task's next run fixes it). <see cref="Create"/> adds them to the lists when a project's own lists leave them out.
/// </remarks>
public sealed record TaskStates(
    IReadOnlyList<string> Active,
    IReadOnlyList<string> Handoff,
    IReadOnlyList<string> Terminal,
    IReadOnlyList<string> Inactive)
{
    public const string DefaultMerge = "Merging";
    public const string DefaultRework = "Rework";

    /// <summary>The lists a project gets for the ones its config leaves out (without the merge queue's states).</summary>
    internal static readonly string[] DefaultActive = ["Todo", "In Progress"];
    internal static readonly string[] DefaultHandoff = ["Human Review"];
    internal static readonly string[] DefaultTerminal = ["Done", "Cancelled"];

    public static TaskStates Default { get; } = Create(DefaultActive, DefaultHandoff, DefaultTerminal, []);

    /// <summary>The state the merge queue takes tasks from (default <c>Merging</c>).</summary>
    public string Merge { get; init; } = DefaultMerge;

    /// <summary>The active state the merge queue sends a task back to on a conflict or red validation (default <c>Rework</c>).</summary>
    public string Rework { get; init; } = DefaultRework;

    public static string Normalize(string state) => state.Trim().ToLowerInvariant();

    /// <summary>
    /// States with the merge queue's two: <paramref name="merge"/> is appended to the hand-off states and
    /// <paramref name="rework"/> to the active states, unless a list already names them.
    /// </summary>
    public static TaskStates Create(
        IReadOnlyList<string> active,
        IReadOnlyList<string> handoff,
        IReadOnlyList<string> terminal,
        IReadOnlyList<string> inactive,
        string? merge = null,
        string? rework = null)
    {
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(handoff);
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(inactive);
        var mergeState = string.IsNullOrWhiteSpace(merge) ? DefaultMerge : merge.Trim();
        var reworkState = string.IsNullOrWhiteSpace(rework) ? DefaultRework : rework.Trim();
        var listed = active.Concat(handoff).Concat(terminal).Concat(inactive).Select(Normalize).ToHashSet(StringComparer.Ordinal);
        var activeList = listed.Contains(Normalize(reworkState)) ? active : [.. active, reworkState];
        var handoffList = listed.Contains(Normalize(mergeState)) ? handoff : [.. handoff, mergeState];
        return new TaskStates(activeList, handoffList, terminal, inactive)
        {
            Merge = Spelling(mergeState, [activeList, handoffList, terminal, inactive]),
            Rework = Spelling(reworkState, [activeList, handoffList, terminal, inactive]),
        };
    }

    /// <summary>
    /// Why these merge-queue states cannot work, or null: the merge state must be neither active (an agent would be
    /// dispatched on work waiting to land) nor terminal, and the rework state must be active (the next run fixes it).
    /// </summary>
    public string? QueueStatesProblem()
    {
        if (Normalize(Merge) == Normalize(Rework))
        {
            return $"the merge state and the rework state are both '{Merge}'";
        }

        if (IsActive(Merge) || IsTerminal(Merge))
        {
            return $"the merge state '{Merge}' is {(IsActive(Merge) ? "active" : "terminal")}; it must be a hand-off or inactive state";
        }

        return IsActive(Rework) ? null : $"the rework state '{Rework}' is not active; list it under 'active'";
    }

    /// <summary>The state a new task starts in: the first active state.</summary>
    public string Initial => Active.Count > 0 ? Active[0] : All.First();

    /// <summary>The state <c>task close</c> uses by default: the first terminal state.</summary>
    public string Closed => Terminal.Count > 0 ? Terminal[0] : All.Last();

    public IEnumerable<string> All => Active.Concat(Handoff).Concat(Inactive).Concat(Terminal);

    public bool IsActive(string state) => Contains(Active, state);

    public bool IsHandoff(string state) => Contains(Handoff, state);

    public bool IsTerminal(string state) => Contains(Terminal, state);

    public bool IsMerge(string state) => Normalize(state) == Normalize(Merge);

    /// <summary>The project's own spelling of <paramref name="state"/>, or null when the project does not define it.</summary>
    public string? Canonical(string state)
    {
        var wanted = Normalize(state);
        return All.FirstOrDefault(s => Normalize(s) == wanted);
    }

    private static bool Contains(IReadOnlyList<string> states, string state)
    {
        var wanted = Normalize(state);
        return states.Any(s => Normalize(s) == wanted);
    }

    private static string Spelling(string state, IReadOnlyList<string>[] lists) =>
        lists.SelectMany(l => l).FirstOrDefault(s => Normalize(s) == Normalize(state)) ?? state;
}
