using Baton.Core.Doctor;
using Baton.Core.Errors;

namespace Baton.Core.Agents;

/// <summary>
/// One coding agent Baton installs from npm: <paramref name="Name"/> is how Baton and people call it,
/// <paramref name="Binary"/> the executable npm links into <c>node_modules/.bin</c>.
/// </summary>
/// <param name="Version">The pinned version <c>baton doctor --fix</c> installs; older ones are reported as too old.</param>
/// <param name="NodeEngine">The lowest Node.js the package declares in <c>engines.node</c>, if any.</param>
public sealed record AgentTool(string Name, string NpmPackage, string Version, string Binary, string? NodeEngine = null)
{
    /// <summary><c>package@version</c>, as given to <c>npm install</c>.</summary>
    public string PackageSpec => $"{NpmPackage}@{Version}";

    public ToolVersion MinimumVersion => ToolVersion.Parse(Version) ?? new ToolVersion(0, 0);
}

/// <summary>
/// The agents Baton knows how to install and where they go: the single source for <c>baton doctor</c> and the
/// agent adapters. Agents are installed into <c>BATON_HOME/tools</c> with <c>npm install --prefix</c>, never globally.
/// </summary>
public static class AgentCatalog
{
    /// <summary>
    /// For tests only: replaces the catalog <c>baton doctor</c> checks and installs, so <c>--fix</c> can be exercised
    /// with a tiny package instead of three large agents. Format: <c>binary=package@version</c>, comma-separated.
    /// </summary>
    public const string OverrideVariable = "BATON_DOCTOR_PACKAGES";

    // Versions verified offline against Baton's replay model (see the team's reference/agents.md).
    public static AgentTool Pi { get; } = new("pi", "@mariozechner/pi-coding-agent", "0.73.1", "pi", "20.6.0");

    public static AgentTool Claude { get; } = new("claude", "@anthropic-ai/claude-code", "2.1.197", "claude", "18.0.0");

    public static AgentTool Codex { get; } = new("codex", "@openai/codex", "0.169.0", "codex", "16.0.0");

    public static IReadOnlyList<AgentTool> All { get; } = [Pi, Claude, Codex];

    public static AgentTool? Find(string name) =>
        All.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary><c>BATON_HOME/tools</c>: the npm prefix the agents are installed under.</summary>
    public static string ToolsDirectory(string batonHome) => Path.Combine(batonHome, "tools");

    /// <summary><c>BATON_HOME/tools/node_modules/.bin</c>: where npm links the agents' executables.</summary>
    public static string BinDirectory(string batonHome) => Path.Combine(ToolsDirectory(batonHome), "node_modules", ".bin");

    /// <summary>The arguments of the one npm command that installs <paramref name="tools"/> into the tools directory.</summary>
    public static IReadOnlyList<string> NpmInstallArguments(string batonHome, IEnumerable<AgentTool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var arguments = new List<string> { "install", "--prefix", ToolsDirectory(batonHome), "--no-audit", "--no-fund" };
        arguments.AddRange(tools.Select(t => t.PackageSpec));
        return arguments;
    }

    /// <summary>The catalog, or the test override from <see cref="OverrideVariable"/> when it is set.</summary>
    public static IReadOnlyList<AgentTool> Resolve(string? overrideValue) =>
        string.IsNullOrWhiteSpace(overrideValue) ? All : ParseOverride(overrideValue);

    /// <summary>Parses <c>binary=package@version[,…]</c>; scoped packages (<c>@scope/name@1.2.3</c>) are fine.</summary>
    public static IReadOnlyList<AgentTool> ParseOverride(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var tools = new List<AgentTool>();
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var spec = equals < 0 ? string.Empty : entry[(equals + 1)..];
            var at = spec.LastIndexOf('@');
            if (equals <= 0 || at <= 0 || at == spec.Length - 1)
            {
                throw BatonException.Usage(
                    ErrorCodes.BadUsage,
                    $"{OverrideVariable} entry '{entry}' is not binary=package@version",
                    $"Unset {OverrideVariable} (it is for tests), or write e.g. {OverrideVariable}=mkdirp=mkdirp@1.0.4");
            }

            var binary = entry[..equals];
            tools.Add(new AgentTool(binary, spec[..at], spec[(at + 1)..], binary));
        }

        return tools;
    }
}
