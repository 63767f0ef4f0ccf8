using Baton.Core.Errors;

namespace Baton.Workspaces;

/// <summary>
/// Symphony §9.5 invariant 2, hardened: a workspace path is absolute, resolved through every symlink, strictly
/// inside the (resolved) root and never the root itself. Checked before anything runs in or deletes a workspace.
/// </summary>
public static class PathSafety
{
    public const string OutsideRoot = "workspace_outside_root";
    public const string EqualsRoot = "workspace_equals_root";
    public const string SymlinkEscape = "workspace_symlink_escape";
    public const string RootNotDirectory = "workspace_root_not_directory";

    /// <summary>Returns the canonical path of <paramref name="path"/> after checking it lies inside <paramref name="root"/>.</summary>
    public static string EnsureInside(string root, string path)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(path);
        if (!Path.IsPathRooted(root) || !Path.IsPathRooted(path))
        {
            throw new BatonException(OutsideRoot, $"workspace paths must be absolute ({path} under {root})", "This is a bug in the caller; please report it.");
        }

        var canonicalRoot = Canonicalize(Path.GetFullPath(root));
        var lexical = Path.GetFullPath(path);
        var lexicalRoot = Path.GetFullPath(root).TrimEnd('/');
        if (!IsStrictlyInside(lexicalRoot, lexical) && !IsStrictlyInside(canonicalRoot, lexical))
        {
            throw Outside(path, root, lexical == lexicalRoot || lexical == canonicalRoot);
        }

        string canonical;
        try
        {
            canonical = Canonicalize(lexical);
        }
        catch (IOException ex)
        {
            // A symlink loop: nothing sensible lives at the end of it.
            throw new BatonException(SymlinkEscape, $"{path} cannot be resolved: {ex.Message}", $"Remove the symlink at {FirstSymlink(lexical) ?? path}.");
        }

        if (canonical == canonicalRoot)
        {
            throw Outside(path, root, equalsRoot: true);
        }

        if (!IsStrictlyInside(canonicalRoot, canonical))
        {
            throw new BatonException(
                SymlinkEscape,
                $"{path} resolves through a symlink to {canonical}, outside the workspace root {canonicalRoot}",
                $"Remove the symlink at {FirstSymlink(lexical) ?? path}; Baton only works in directories inside its root.");
        }

        return canonical;
    }

    /// <summary>Resolves symlinks segment by segment; the part that does not exist yet is appended unchanged.</summary>
    public static string Canonicalize(string absolutePath)
    {
        ArgumentNullException.ThrowIfNull(absolutePath);
        var parts = absolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = "/";
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists && info.LinkTarget is null)
            {
                return Path.GetFullPath(Path.Combine([current, .. parts[i..]]));
            }

            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            current = target is not null ? Canonicalize(target.FullName) : next;
        }

        return current;
    }

    private static bool IsStrictlyInside(string root, string path)
    {
        var prefix = root.EndsWith('/') ? root : root + "/";
        return path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length;
    }

    private static string? FirstSymlink(string path)
    {
        var current = "/";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            if (new FileInfo(current).LinkTarget is not null)
            {
                return current;
            }
        }

        return null;
    }

    private static BatonException Outside(string path, string root, bool equalsRoot) => equalsRoot
        ? new BatonException(EqualsRoot, $"{path} is the workspace root itself, not a workspace inside it", "A workspace is a directory inside the root; check the task identifier.")
        : new BatonException(OutsideRoot, $"{path} is outside the workspace root {root}", "Baton only creates, runs in and removes directories inside its workspace root.");
}
