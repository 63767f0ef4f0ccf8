using Baton.Core.Agents;
using Baton.Core.Errors;
using Baton.Processes;

namespace Baton.Agents;

/// <summary>Finds an agent program: <c>BATON_HOME/tools</c> (where <c>baton doctor --fix</c> installs) first, then PATH.</summary>
public static class AgentLocator
{
    public const string NotFound = "agent_not_found";

    public static string Find(AgentTool tool, AgentLaunchContext context)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Environment.TryGetValue("PATH", out var configured) && configured is not null ? configured : Environment.GetEnvironmentVariable("PATH");
        return Find(tool.Binary, context.BatonHome, path) ?? throw new BatonException(
            NotFound,
            $"the {tool.Name} agent ({tool.PackageSpec}) is not installed: '{tool.Binary}' is neither in {AgentCatalog.BinDirectory(context.BatonHome)} nor on PATH",
            $"Run 'baton doctor --fix' to install it into {AgentCatalog.ToolsDirectory(context.BatonHome)}.");
    }

    public static string? Find(string binary, string batonHome, string? pathVariable) =>
        ExecutableLocator.Find(binary, [AgentCatalog.BinDirectory(batonHome), .. ExecutableLocator.SplitPath(pathVariable)]);
}
