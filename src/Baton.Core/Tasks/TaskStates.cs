namespace Baton.Core.Tasks;

/// <summary>
/// A project's task states. Active states are dispatched, hand-off states hold review-ready work, terminal
/// states end a task, inactive states exist but are not dispatched. Names compare trimmed and lower-cased
/// (Symphony §4.2) and keep the project's spelling.
/// </summary>
public sealed record TaskStates(
    IReadOnlyList<string> Active,
    IReadOnlyList<string> Handoff,
    IReadOnlyList<string> Terminal,
    IReadOnlyList<string> Inactive)
{
    public static TaskStates Default { get; } = new(["Todo", "In Progress"], ["Human Review"], ["Done", "Cancelled"], []);

    public static string Normalize(string state) => state.Trim().ToLowerInvariant();

    /// <summary>The state a new task starts in: the first active state.</summary>
    public string Initial => Active.Count > 0 ? Active[0] : All.First();

    /// <summary>The state <c>task close</c> uses by default: the first terminal state.</summary>
    public string Closed => Terminal.Count > 0 ? Terminal[0] : All.Last();

    public IEnumerable<string> All => Active.Concat(Handoff).Concat(Inactive).Concat(Terminal);

    public bool IsActive(string state) => Contains(Active, state);

    public bool IsHandoff(string state) => Contains(Handoff, state);

    public bool IsTerminal(string state) => Contains(Terminal, state);

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
}
