using Baton.Agents.Claude;

namespace Baton.Agents;

/// <summary>The agent adapters by kind (<c>agent.kind</c> in the workflow).</summary>
public static class AgentRegistry
{
    public static IAgentAdapter? Find(string kind) => kind switch
    {
        "claude" => new ClaudeAdapter(),
        _ => null,
    };
}
