using Baton.Cli;
using Baton.Core.Errors;

namespace Baton.Configuration;

/// <summary>Finds <c>baton.yaml</c>: <c>--config</c>, then <c>BATON_CONFIG</c>, then walking up from the working directory.</summary>
public static class ConfigLocator
{
    public const string FileName = "baton.yaml";

    public static string? Find(CliContext context, string? explicitPath)
    {
        ArgumentNullException.ThrowIfNull(context);
        var given = explicitPath ?? context.GetEnvironment("BATON_CONFIG");
        if (given is not null)
        {
            var path = context.ResolvePath(given);
            if (Directory.Exists(path))
            {
                path = Path.Combine(path, FileName);
            }

            if (!File.Exists(path))
            {
                var source = explicitPath is not null ? "--config" : "BATON_CONFIG";
                throw new BatonException(
                    ErrorCodes.ConfigNotFound,
                    $"{source} points to {path}, which does not exist",
                    $"Create it with 'baton init' in its directory, or fix {source}.");
            }

            return path;
        }

        for (var directory = new DirectoryInfo(context.WorkingDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static string Require(CliContext context, string? explicitPath) =>
        Find(context, explicitPath) ?? throw new BatonException(
            ErrorCodes.ConfigNotFound,
            $"no {FileName} in {context.WorkingDirectory} or any directory above it",
            "Run 'baton init' in the directory that should hold the config (it registers the repository there), or pass --config.");
}
