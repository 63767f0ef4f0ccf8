namespace Baton.Core.Workspaces;

// Placeholder until the workspaces branch lands; it provides the real implementation.
public static class WorkspaceKey
{
    public static string From(string identifier) => identifier;
}
