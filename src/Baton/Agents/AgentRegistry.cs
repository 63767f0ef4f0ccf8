using Baton.Agents.Codex;

namespace Baton.Agents;

/// <summary>The agent adapters Baton ships, by kind.</summary>
public static class AgentRegistry
{
    public static IAgentAdapter? Find(string kind) => kind switch
    {
        "codex" => new CodexAdapter(),
        _ => null,
    };
}
