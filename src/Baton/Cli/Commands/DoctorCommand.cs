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
        Description = "Install the agents that are missing or too old from npm into BATON_HOME/tools (never globally), then check again. System packages are never installed: the apt-get command is printed. " +
            "For the crew: repair what loses no work, list the rest",
    };

    private readonly Option<bool> _crew = new("--crew")
    {
        Description = "Check only the running crew (sessions, workspaces, locks, merges), not the programs",
    };

    public DoctorCommand(CliContext context)
        : base("doctor", HelpText, context)
    {
        Options.Add(_fix);
        Options.Add(_crew);
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
        "With projects in reach (baton.yaml, or a state.db), it also checks the running crew: sessions whose status says they run " +
        "while their worker (and tmux session) is gone, workspaces without sessions and sessions without workspaces, stale locks " +
        "(the merge lock of a killed run, git's index.lock) and merges a killed run left. --fix repairs what loses no work (marks " +
        "a dead session exited and kills its agent, removes a finished task's workspace through the safety rules, prunes a deleted " +
        "worktree's registration, clears stale locks, finishes or resets a stuck merge) and lists the rest with the command that " +
        "resolves it; a problem left makes the exit code 1.\n\n" +
        "Examples:\n  baton doctor\n  baton doctor --fix\n  baton doctor --crew --fix\n  baton doctor --json | jq '.data.checks[] | select(.status != \"ok\")'";

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var home = Context.BatonHome;
        var crewOnly = parseResult.GetValue(_crew);
        IReadOnlyList<CheckOutcome> outcomes = [];
        DoctorFixView? fix = null;
        if (!crewOnly)
        {
            var agents = AgentCatalog.Resolve(Context.GetEnvironment(AgentCatalog.OverrideVariable));
            outcomes = await DoctorRunner.RunAsync(home, Context.Environment, agents, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(_fix))
            {
                (outcomes, fix) = await FixAsync(agents, outcomes, IsJson(parseResult), cancellationToken).ConfigureAwait(false);
            }
        }

        var crew = await CrewAsync(parseResult, crewOnly, cancellationToken).ConfigureAwait(false);
        var crewHealthy = crew is null || CrewRules.IsHealthy(crew);
        var report = new DoctorReport(DoctorRules.IsHealthy(outcomes) && crewHealthy, AgentCatalog.ToolsDirectory(home), outcomes.Select(DoctorCheckView.From).ToList(), fix, crew);
        WriteData(parseResult, report, DoctorJsonContext.Default.DoctorReport, console => WriteHuman(console, report, crewOnly));
        return crewHealthy ? DoctorRules.ExitCode(outcomes) : ExitCodes.Failed;
    }

    /// <summary>The crew's findings, or null when no project is in reach (and none was asked for with --crew).</summary>
    private async Task<IReadOnlyList<CrewFinding>?> CrewAsync(ParseResult parseResult, bool asked, CancellationToken cancellationToken)
    {
        var configPath = Configuration.ConfigLocator.Find(Context, parseResult.GetValue(GlobalOptions.Config));
        if (configPath is null && !File.Exists(Storage.StateStore.PathIn(Context.BatonHome)))
        {
            return asked ? [] : null;
        }

        using var tracker = TrackerContext.Open(Context, parseResult);
        var projects = tracker.Config?.Projects ?? tracker.Store.Read(db => Storage.ProjectRows.All(db, Context.BatonHome));
        var tmux = Runtimes.TmuxClient.ForHome(Context.BatonHome, Context.GetEnvironment("BATON_TMUX_SOCKET"));
        var sessions = new Sessions.SessionService(tracker.Store, Context.BatonHome, Context.Environment, tmux, Context.Time);
        return await new CrewDoctor(new CrewDoctorOptions
        {
            Projects = projects,
            Store = tracker.Store,
            Sessions = sessions,
            BatonHome = Context.BatonHome,
            Environment = Context.Environment,
            HomeDirectory = Context.HomeDirectory,
            Time = Context.Time,
            Fix = parseResult.GetValue(_fix),
        }).RunAsync(cancellationToken).ConfigureAwait(false);
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

    private static void WriteHuman(IAnsiConsole console, DoctorReport report, bool crewOnly)
    {
        if (!crewOnly)
        {
            WriteTools(console, report);
        }

        if (report.Crew is { } crew)
        {
            WriteCrew(console, crew, crewOnly);
        }
    }

    private static void WriteCrew(IAnsiConsole console, IReadOnlyList<CrewFinding> crew, bool crewOnly)
    {
        if (!crewOnly)
        {
            console.WriteLine();
        }

        if (crew.Count == 0)
        {
            console.MarkupLine("[green]Crew: nothing wrong with the sessions, workspaces, locks and merges.[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Simple).Title("crew");
        foreach (var column in new[] { "FINDING", "PROJECT", "WHERE", "WHAT", "FIX" })
        {
            table.AddColumn(column);
        }

        foreach (var finding in crew)
        {
            var colour = finding.Severity == CrewSeverity.Info ? "grey" : finding.Fixed is null ? "red" : "green";
            var fixText = finding.Fixed is { } done ? $"[green]fixed:[/] {Markup.Escape(done)}"
                : finding.FixError is { } error ? $"[red]not fixed:[/] {Markup.Escape(error)}" + (finding.Command is null ? string.Empty : $"; run: {Markup.Escape(finding.Command)}")
                : finding.Command is null ? string.Empty
                : finding.Fixable ? $"--fix does it; or run: {Markup.Escape(finding.Command)}"
                : $"run: {Markup.Escape(finding.Command)}";
            table.AddRow($"[{colour}]{Markup.Escape(finding.Kind)}[/]", Markup.Escape(finding.Project), Markup.Escape(finding.Subject), Markup.Escape(finding.Message), fixText);
        }

        console.Write(table);
        var left = crew.Count(f => f.Outstanding);
        console.MarkupLine(left == 0
            ? "[green]Crew: no problem left.[/]"
            : $"[red]Crew: {left} problem(s) left.[/]{(crew.Any(f => f.Outstanding && f.Fixable && f.FixError is null) ? " 'baton doctor --fix' repairs the ones marked so." : string.Empty)}");
    }

    private static void WriteTools(IAnsiConsole console, DoctorReport report)
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
        console.MarkupLine(report.Checks.All(c => !c.Required || c.Status is "ok" or "warn")
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
