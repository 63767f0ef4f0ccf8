using System.CommandLine;

namespace Baton.Cli;

/// <summary>Options every command accepts.</summary>
public static class GlobalOptions
{
    public static Option<string?> Config { get; } = new("--config")
    {
        Description = "Path to baton.yaml (default: $BATON_CONFIG, else the nearest baton.yaml above the current directory)",
        Recursive = true,
    };
}
