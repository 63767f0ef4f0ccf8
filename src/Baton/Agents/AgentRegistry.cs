using Baton.Agents.Claude;
using Baton.Agents.Codex;
using Baton.Agents.Command;
using Baton.Agents.Pi;

namespace Baton.Agents;

/// <summary>The agent adapters Baton knows, by kind.</summary>
public static class AgentRegistry
{
    public static IReadOnlyList<string> Kinds { get; } = ["pi", "claude", "codex", "command"];

    public static IAgentAdapter? Find(string kind) => kind switch
    {
        "pi" => new PiAdapter(),
        "claude" => new ClaudeAdapter(),
        "codex" => new CodexAdapter(),
        "command" => new CommandAdapter(),
        _ => null,
    };
}
