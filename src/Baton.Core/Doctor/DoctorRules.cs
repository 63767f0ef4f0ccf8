using Baton.Core.Agents;
using Baton.Core.Errors;

namespace Baton.Core.Doctor;

/// <summary>
/// The checks of <c>baton doctor</c> and their verdicts. git and tmux are required (every session is a git
/// worktree in a tmux session); .NET SDK, Node.js, npm and the agents only warn, because a machine can run
/// Baton with one agent, or with a <c>command</c> agent and none of them.
/// </summary>
public static class DoctorRules
{
    public const string FixAgents = "baton doctor --fix";
    public const string InstallNode = "apt-get install -y nodejs npm";

    public static ToolVersion GitMinimum { get; } = new(2, 30);

    public static ToolVersion TmuxMinimum { get; } = new(3, 0);

    public static ToolVersion NodeMinimum { get; } = new(18, 0);

    public static ToolVersion DotnetMinimum { get; } = new(10, 0);

    /// <summary>The checks of programs found by name, in the order they are shown. The .NET runtime is checked in-process.</summary>
    public static IReadOnlyList<ToolCheck> Checks(IReadOnlyList<AgentTool> agents)
    {
        ArgumentNullException.ThrowIfNull(agents);
        var (nodeRecommended, nodeNote) = NodeRecommendation(agents);
        var checks = new List<ToolCheck>
        {
            new("dotnet sdk", "system", "dotnet", ["--version"], Required: false, DotnetMinimum,
                "install the .NET 10 SDK: https://learn.microsoft.com/dotnet/core/install/linux-debian (only needed to build Baton)",
                "install the .NET 10 SDK: https://learn.microsoft.com/dotnet/core/install/linux-debian"),
            new("git", "system", "git", ["--version"], Required: true, GitMinimum, "apt-get install -y git", "apt-get install -y git (Debian 12 ships 2.39)"),
            new("tmux", "system", "tmux", ["-V"], Required: true, TmuxMinimum, "apt-get install -y tmux", "apt-get install -y tmux (Debian 12 ships 3.3a)"),
            new("node", "system", "node", ["--version"], Required: false, NodeMinimum, InstallNode, "install Node.js 20 or later (https://nodejs.org)",
                Recommended: nodeRecommended, RecommendedNote: nodeNote),
            new("npm", "system", "npm", ["--version"], Required: false, null, InstallNode, InstallNode),
        };
        foreach (var agent in agents)
        {
            checks.Add(new(agent.Name, "agent", agent.Binary, ["--version"], Required: false, agent.MinimumVersion, FixAgents, FixAgents, SearchTools: true));
        }

        return checks;
    }

    /// <summary>Turns what was observed into a status, a detail for people and a one-line fix.</summary>
    public static CheckOutcome Evaluate(ToolCheck check, ToolProbe probe)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(probe);
        var minimum = check.Minimum?.ToString();
        CheckOutcome Outcome(CheckStatus status, string? version, string? detail, string? fix) =>
            new(check.Name, check.Kind, check.Required, status, version, minimum, probe.Path, probe.Source, detail, fix);

        if (!probe.Found)
        {
            var where = check.SearchTools ? "in BATON_HOME/tools or on PATH" : "on PATH";
            return Outcome(CheckStatus.Missing, null, $"'{check.Binary}' not found {where}", check.MissingFix);
        }

        var asked = $"'{check.Binary} {string.Join(' ', check.VersionArguments)}'";
        if (probe.Failure is not null)
        {
            return Outcome(CheckStatus.Warn, null, $"{asked} {probe.Failure}", check.MissingFix);
        }

        var firstLine = FirstLine(probe.Output);
        if (probe.ExitCode != 0)
        {
            var said = firstLine.Length == 0 ? string.Empty : $": {firstLine}";
            return Outcome(CheckStatus.Warn, null, $"{asked} exited with {probe.ExitCode}{said}", check.MissingFix);
        }

        var version = ToolVersion.Parse(probe.Output);
        if (version is null)
        {
            return check.Minimum is null
                ? Outcome(CheckStatus.Ok, NullIfEmpty(firstLine), null, null)
                : Outcome(CheckStatus.Warn, NullIfEmpty(firstLine), $"no version number in the output of {asked}", null);
        }

        var shown = ShortVersion(version.Value, probe.Output);
        if (check.Minimum is { } lowest && version.Value < lowest)
        {
            return Outcome(CheckStatus.TooOld, shown, $"{check.Name} {shown} is older than {lowest}", check.TooOldFix);
        }

        if (check.Recommended is { } recommended && version.Value < recommended)
        {
            return Outcome(CheckStatus.Warn, shown, check.RecommendedNote ?? $"{recommended} or later is recommended", check.TooOldFix);
        }

        return Outcome(CheckStatus.Ok, shown, null, null);
    }

    /// <summary>True when nothing required is missing or too old.</summary>
    public static bool IsHealthy(IEnumerable<CheckOutcome> outcomes) => !outcomes.Any(o => o.Blocks);

    public static int ExitCode(IEnumerable<CheckOutcome> outcomes) => IsHealthy(outcomes) ? ExitCodes.Ok : ExitCodes.Failed;

    /// <summary>The agents <c>--fix</c> should (re)install: every agent check that is not ok.</summary>
    public static IReadOnlyList<AgentTool> AgentsToInstall(IReadOnlyList<AgentTool> agents, IEnumerable<CheckOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(agents);
        var notOk = outcomes.Where(o => o.Kind == "agent" && o.Status != CheckStatus.Ok).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        return agents.Where(a => notOk.Contains(a.Name)).ToList();
    }

    /// <summary>The word people read: ok, warn, missing, too old.</summary>
    public static string StatusText(CheckStatus status) => status switch
    {
        CheckStatus.Ok => "ok",
        CheckStatus.Warn => "warn",
        CheckStatus.Missing => "missing",
        CheckStatus.TooOld => "too old",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>The JSON value: lower_snake_case like every code Baton prints.</summary>
    public static string StatusCode(CheckStatus status) => status == CheckStatus.TooOld ? "too_old" : StatusText(status);

    public static string SourceCode(ToolSource source) => source switch
    {
        ToolSource.Runtime => "runtime",
        ToolSource.Tools => "tools",
        ToolSource.Path => "path",
        _ => throw new ArgumentOutOfRangeException(nameof(source)),
    };

    private static (ToolVersion? Version, string? Note) NodeRecommendation(IReadOnlyList<AgentTool> agents)
    {
        // The agent with the highest engines.node decides what "new enough for every agent" means (pi: 20.6).
        var strictest = agents
            .Select(a => (Agent: a, Engine: ToolVersion.Parse(a.NodeEngine)))
            .Where(x => x.Engine is not null)
            .OrderByDescending(x => x.Engine!.Value)
            .FirstOrDefault();
        return strictest.Agent is null || strictest.Engine!.Value <= NodeMinimum
            ? (null, null)
            : (strictest.Engine, $"{strictest.Agent.Name} needs node {strictest.Engine.Value} or later");
    }

    /// <summary>Keeps the tool's own spelling (<c>3.3a</c>, <c>2.1.197</c>) when it is short, else the parsed version.</summary>
    private static string ShortVersion(ToolVersion version, string output)
    {
        var text = version.ToString();
        var twoPart = $"{version.Major}.{version.Minor}{version.Suffix}";
        return version.Patch == 0 && output.Contains(twoPart, StringComparison.Ordinal) && !output.Contains(text, StringComparison.Ordinal) ? twoPart : text;
    }

    private static string FirstLine(string output)
    {
        var line = output.Trim().Split('\n', 2)[0].Trim();
        return line.Length > 120 ? line[..120] + "…" : line;
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
