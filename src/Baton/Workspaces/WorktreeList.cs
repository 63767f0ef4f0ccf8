using Baton.Git;

namespace Baton.Workspaces;

/// <summary>One entry of <c>git worktree list --porcelain</c>.</summary>
public sealed record WorktreeEntry(string Path, string? Head, string? Branch, bool Detached, bool Bare, bool Locked, string? LockReason, bool Prunable);

/// <summary>Reads the worktrees git has registered for a repository.</summary>
public static class WorktreeList
{
    public static async Task<IReadOnlyList<WorktreeEntry>> ReadAsync(string repositoryPath, CancellationToken cancellationToken = default)
    {
        var result = await GitCli.RunAsync(repositoryPath, ["worktree", "list", "--porcelain"], cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Parse(result.StandardOutput) : [];
    }

    public static IReadOnlyList<WorktreeEntry> Parse(string porcelain)
    {
        ArgumentNullException.ThrowIfNull(porcelain);
        var entries = new List<WorktreeEntry>();
        foreach (var block in porcelain.Replace("\r", string.Empty, StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? path = null, head = null, branch = null, lockReason = null;
            bool detached = false, bare = false, locked = false, prunable = false;
            foreach (var line in block.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var key = space < 0 ? line : line[..space];
                var value = space < 0 ? null : line[(space + 1)..];
                switch (key)
                {
                    case "worktree": path = value; break;
                    case "HEAD": head = value; break;
                    case "branch": branch = value?.StartsWith("refs/heads/", StringComparison.Ordinal) == true ? value["refs/heads/".Length..] : value; break;
                    case "detached": detached = true; break;
                    case "bare": bare = true; break;
                    case "locked": locked = true; lockReason = value; break;
                    case "prunable": prunable = true; break;
                }
            }

            if (path is not null)
            {
                entries.Add(new WorktreeEntry(path, head, branch, detached, bare, locked, lockReason, prunable));
            }
        }

        return entries;
    }
}
