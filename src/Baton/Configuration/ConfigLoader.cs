using Baton.Cli;
using Baton.Core.Configuration;
using Baton.Core.Errors;

namespace Baton.Configuration;

/// <summary>A loaded config with its projects resolved (ids, prefixes, instance directories); git facts are not read yet.</summary>
public sealed record LoadedConfig(BatonConfig Config, IReadOnlyList<Project> Projects)
{
    public Project? FindProject(string idOrPrefix) =>
        Projects.FirstOrDefault(p => string.Equals(p.Id, idOrPrefix, StringComparison.OrdinalIgnoreCase))
        ?? Projects.FirstOrDefault(p => string.Equals(p.InstanceId, idOrPrefix, StringComparison.Ordinal))
        ?? Projects.FirstOrDefault(p => string.Equals(p.SessionPrefix, idOrPrefix, StringComparison.OrdinalIgnoreCase));
}

public static class ConfigLoader
{
    public static LoadedConfig Load(CliContext context, string configPath, bool printWarnings = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        string text;
        try
        {
            text = File.ReadAllText(configPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatonException(ErrorCodes.ConfigNotFound, $"cannot read {configPath}: {ex.Message}", "Check the file's permissions.");
        }

        var config = ConfigParser.Parse(text, configPath);
        if (printWarnings)
        {
            foreach (var warning in config.Warnings)
            {
                context.Err.WriteLine($"warning: {Path.GetFileName(configPath)}:{warning.Line}:{warning.Column}: {warning.Message}");
            }
        }

        var projects = ProjectResolver.Resolve(config, context.BatonHome, p => context.ResolvePath(p, config.Directory));
        return new LoadedConfig(config, projects);
    }
}
