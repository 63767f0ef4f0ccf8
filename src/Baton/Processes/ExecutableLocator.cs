namespace Baton.Processes;

/// <summary>
/// Finds programs the way a shell would, but from a given PATH (the command's environment, not this process's),
/// optionally looking in extra directories first, such as <c>BATON_HOME/tools/node_modules/.bin</c>.
/// </summary>
public static class ExecutableLocator
{
    /// <summary>The first executable file named <paramref name="name"/> in <paramref name="directories"/>, or null.</summary>
    public static string? Find(string name, IEnumerable<string> directories)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(directories);
        foreach (var directory in directories)
        {
            // An empty PATH entry means the current directory to a shell; Baton does not run programs from there.
            if (string.IsNullOrEmpty(directory) || !Path.IsPathRooted(directory))
            {
                continue;
            }

            var candidate = Path.Combine(directory, name);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The directories of a PATH value, in order.</summary>
    public static IReadOnlyList<string> SplitPath(string? path) =>
        string.IsNullOrEmpty(path) ? [] : path.Split(Path.PathSeparator);

    public static bool IsExecutableFile(string path)
    {
        try
        {
            // npm's .bin entries are symlinks: judge the file they point at; a dangling link is not a program.
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? path : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (target is null || !File.Exists(target))
            {
                return false;
            }

            const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return (File.GetUnixFileMode(target) & AnyExecute) != 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
