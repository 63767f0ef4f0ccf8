using Baton.Agents.Pi;

namespace Baton.Agents;

/// <summary>The agent adapters Baton ships, found by <see cref="IAgentAdapter.Kind"/>.</summary>
public static class AgentRegistry
{
    public static IReadOnlyList<IAgentAdapter> All { get; } =
    [
        new PiAdapter(),
    ];

    /// <summary>The adapter for <paramref name="kind"/> (<c>pi</c>, …), or null when Baton has none.</summary>
    public static IAgentAdapter? Find(string kind) =>
        All.FirstOrDefault(a => string.Equals(a.Kind, kind, StringComparison.OrdinalIgnoreCase));
}
