using System.CommandLine;
using Baton.Core.Agents;
using Baton.Core.Doctor;
using Baton.Core.Errors;
using Baton.Doctor;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton doctor [--fix]</c>: checks the programs Baton drives and installs the missing agents.</summary>
public sealed class DoctorCommand : BatonCommand
{
    private readonly Option<bool> _fix = new("--fix")
    {
        Description = "Install the agents that are missing or too old from npm into BATON_HOME/tools (never globally), then check again. System packages are never installed: the apt-get command is printed",
    };

    public DoctorCommand(CliContext context)
        : base("doctor", HelpText, context)
    {
        Options.Add(_fix);
    }

    // A constant, not built from AgentCatalog/DoctorRules: every command is constructed on every start (even for
    // 'baton --version'), and reading those would load Baton.Core.dll up front. DoctorCommandTests checks it agrees.
    internal const string HelpText =
        "Check what Baton needs: the .NET runtime and SDK, git (≥ 2.30), tmux (≥ 3.0), Node.js (≥ 18) and npm, and the agents " +
        "pi (0.73.1), claude (2.1.197), codex (0.169.0), looked for in BATON_HOME/tools/node_modules/.bin first, then on PATH. " +
        "Each problem comes with a one-line fix.\n\n" +
        "git and tmux are required: the exit code is 1 when either is missing or too old. Everything else only warns " +
        "(exit 0): Baton can run with a single agent, or with a 'command' agent and none of them.\n\n" +
        "--fix runs 'npm install --prefix BATON_HOME/tools' with the pinned versions above, for the agents that are not ok. " +
        "For Baton's own tests, BATON_DOCTOR_PACKAGES=binary=package@version[,…] replaces the agent list.\n\n" +
        "Examples:\n  baton doctor\n  baton doctor --fix\n  baton doctor --json | jq '.data.checks[] | select(.status != \"ok\")'";

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var home = Context.BatonHome;
        var agents = AgentCatalog.Resolve(Context.GetEnvironment(AgentCatalog.OverrideVariable));
        var outcomes = await DoctorRunner.RunAsync(home, Context.Environment, agents, cancellationToken).ConfigureAwait(false);
        DoctorFixView? fix = null;
        if (parseResult.GetValue(_fix))
        {
            (outcomes, fix) = await FixAsync(agents, outcomes, IsJson(parseResult), cancellationToken).ConfigureAwait(false);
        }

        var report = new DoctorReport(DoctorRules.IsHealthy(outcomes), AgentCatalog.ToolsDirectory(home), outcomes.Select(DoctorCheckView.From).ToList(), fix);
        WriteData(parseResult, report, DoctorJsonContext.Default.DoctorReport, console => WriteHuman(console, report));
        return DoctorRules.ExitCode(outcomes);
    }

    private async Task<(IReadOnlyList<CheckOutcome> Outcomes, DoctorFixView Fix)> FixAsync(
        IReadOnlyList<AgentTool> agents,
        IReadOnlyList<CheckOutcome> outcomes,
        bool json,
        CancellationToken cancellationToken)
    {
        var home = Context.BatonHome;
        var toInstall = DoctorRules.AgentsToInstall(agents, outcomes);
        string? command = null;
        if (toInstall.Count > 0)
        {
            var npm = outcomes.FirstOrDefault(o => o.Name == "npm");
            if (npm?.Path is null)
            {
                throw new BatonException(
                    ErrorCodes.ToolMissing,
                    $"npm is not installed, so {string.Join(", ", toInstall.Select(a => a.Name))} cannot be installed",
                    $"{DoctorRules.InstallNode}, then run 'baton doctor --fix' again.");
            }

            var arguments = AgentCatalog.NpmInstallArguments(home, toInstall);
            command = "npm " + string.Join(' ', arguments);
            if (!json)
            {
                Context.Err.WriteLine($"Installing {string.Join(", ", toInstall.Select(a => a.PackageSpec))} into {AgentCatalog.ToolsDirectory(home)} (this can take a few minutes)…");
            }

            var environment = DoctorRunner.ChildEnvironment(Context.Environment);
            var result = await AgentInstaller.InstallAsync(npm.Path, home, environment, toInstall, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                var why = result.TimedOut ? $"timed out after {AgentInstaller.InstallTimeout.TotalMinutes:0} minutes" : $"exited with {result.ExitCode}";
                var lastLine = result.StandardError.Trim().Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim();
                throw new BatonException(
                    ErrorCodes.DoctorFixFailed,
                    $"npm install {why}{(lastLine is null ? string.Empty : $": {lastLine}")}",
                    $"Run it yourself to see npm's full output: {command}");
            }

            outcomes = await DoctorRunner.RunAsync(home, Context.Environment, agents, cancellationToken).ConfigureAwait(false);
        }

        // System packages stay with the person: Baton prints the command instead of running apt-get as root.
        var manual = outcomes
            .Where(o => o.Kind != "agent" && o.Status != CheckStatus.Ok && o.Fix is not null)
            .Select(o => $"{o.Name}: {o.Fix}")
            .ToList();
        return (outcomes, new DoctorFixView(toInstall.Select(a => a.Name).ToList(), command, manual));
    }

    private static void WriteHuman(IAnsiConsole console, DoctorReport report)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in new[] { "CHECK", "STATUS", "VERSION", "WHERE", "FIX" })
        {
            table.AddColumn(column);
        }

        foreach (var check in report.Checks)
        {
            var where = check.Path is null ? "-" : Markup.Escape(check.Path) + (check.Source == "tools" ? " [grey](tools)[/]" : string.Empty);
            table.AddRow(
                Markup.Escape(check.Name) + (check.Required ? string.Empty : " [grey](optional)[/]"),
                StatusMarkup(check),
                Markup.Escape(check.Version ?? "-"),
                where,
                Markup.Escape(check.Fix ?? string.Empty));
        }

        console.Write(table);
        foreach (var check in report.Checks.Where(c => c.Status is not "ok" and not "missing" && c.Detail is not null))
        {
            console.MarkupLine($"  [grey]{Markup.Escape(check.Name)}:[/] {Markup.Escape(check.Detail!)}");
        }

        if (report.Fix is { } fix)
        {
            console.WriteLine();
            console.MarkupLine(fix.Installed.Count == 0
                ? "--fix: no agent needed installing."
                : $"--fix: installed {Markup.Escape(string.Join(", ", fix.Installed))} into {Markup.Escape(report.ToolsDirectory)}.");
            foreach (var manual in fix.Manual)
            {
                console.MarkupLine($"  not fixed automatically (system package), run: {Markup.Escape(manual)}");
            }
        }

        console.WriteLine();
        console.MarkupLine(report.Healthy
            ? "[green]Everything required is in place.[/]"
            : "[red]git and tmux are required: fix the rows marked missing or too old.[/]");
    }

    private static string StatusMarkup(DoctorCheckView check)
    {
        var text = check.Status == "too_old" ? "too old" : check.Status;
        var colour = check.Status switch
        {
            "ok" => "green",
            "warn" => "yellow",
            _ => check.Required ? "red" : "yellow",
        };
        return $"[{colour}]{text}[/]";
    }
}
