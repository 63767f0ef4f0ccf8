using Baton.Core.Workspaces;
using Baton.Git;

namespace Baton.Workspaces;

/// <summary>Reads the worktrees git has registered for a repository.</summary>
public static class WorktreeList
{
    public static async Task<IReadOnlyList<WorktreeEntry>> ReadAsync(string repositoryPath, CancellationToken cancellationToken = default)
    {
        var result = await GitCli.RunAsync(repositoryPath, ["worktree", "list", "--porcelain", "-z"], cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? GitPorcelain.ParseWorktreeList(result.StandardOutput) : [];
    }
}
