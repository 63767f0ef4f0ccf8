using Baton.Agents.Claude;
using Baton.Agents.Codex;
using Baton.Agents.Command;
using Baton.Agents.Pi;

namespace Baton.Agents;

/// <summary>The agent adapters Baton knows, by kind (adapters hold no state, so one of each serves every session).</summary>
public static class AgentRegistry
{
    private static readonly Dictionary<string, IAgentAdapter> s_adapters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pi"] = new PiAdapter(),
        ["claude"] = new ClaudeAdapter(),
        ["codex"] = new CodexAdapter(),
        ["command"] = new CommandAdapter(),
    };

    public static IReadOnlyList<string> Kinds { get; } = ["pi", "claude", "codex", "command"];

    public static IAgentAdapter? Find(string kind) => s_adapters.GetValueOrDefault(kind.Trim());
}
