using System.CommandLine;
using Baton.Configuration;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton info</c>: where Baton reads and writes, and every project's derived values.</summary>
public sealed class InfoCommand : BatonCommand
{
    private readonly Argument<string?> _session = new("session") { Description = "A session to describe instead (e.g. app-3)", Arity = ArgumentArity.ZeroOrOne };

    public InfoCommand(CliContext context)
        : base("info", "Show the config file, its hash, BATON_HOME, the state database and each project with its derived values; or, given a session, everything about it.\n\nExamples:\n  baton info\n  baton info --json | jq '.data.projects[].sessionPrefix'\n  baton info app-3", context)
    {
        Arguments.Add(_session);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (parseResult.GetValue(_session) is { } name)
        {
            return await SessionInfoAsync(parseResult, name, cancellationToken).ConfigureAwait(false);
        }

        var configPath = ConfigLocator.Find(Context, parseResult.GetValue(GlobalOptions.Config));
        IReadOnlyList<ProjectView> projects = [];
        string? hash = null;
        if (configPath is not null)
        {
            var loaded = ConfigLoader.Load(Context, configPath);
            hash = Core.Naming.InstanceNaming.ConfigHash(loaded.Config.Directory);
            var inspected = await Task.WhenAll(loaded.Projects.Select(p => ProjectInspector.InspectAsync(p, cancellationToken))).ConfigureAwait(false);
            projects = inspected.Select(ProjectView.From).ToList();
        }

        var home = Context.BatonHome;
        var view = new InfoView(configPath, hash, home, Path.Combine(home, "state.db"), projects);
        return WriteData(parseResult, view, ProjectJsonContext.Default.InfoView, console =>
        {
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("config", Markup.Escape(configPath ?? "(none found: run 'baton init')"));
            grid.AddRow("config hash", Markup.Escape(hash ?? "-"));
            grid.AddRow("BATON_HOME", Markup.Escape(home));
            grid.AddRow("state database", Markup.Escape(view.StateDatabase));
            console.Write(grid);
            foreach (var p in projects)
            {
                console.WriteLine();
                console.MarkupLine($"[bold]{Markup.Escape(p.Id)}[/]{(p.Problem is null ? string.Empty : $"  [red]{Markup.Escape(p.Problem)}[/]")}");
                var details = new Grid().AddColumn().AddColumn();
                void Row(string key, string? value, string field) =>
                    details.AddRow("  " + key, Markup.Escape(value ?? "-") + (p.Derived.Contains(field) ? " [grey](derived)[/]" : string.Empty));
                Row("name", p.Name, "name");
                Row("path", p.Path, "path");
                Row("repo", p.Repo, "repo");
                Row("default branch", p.DefaultBranch, "defaultBranch");
                Row("session prefix", p.SessionPrefix, "sessionPrefix");
                Row("instance", p.InstanceDirectory, "instance");
                Row("active states", string.Join(", ", p.States.Active), "states");
                Row("hand-off states", string.Join(", ", p.States.Handoff), "states");
                Row("terminal states", string.Join(", ", p.States.Terminal), "states");
                Row("merge queue states", $"{p.States.Merge} (queued), {p.States.Rework} (sent back)", "states");
                console.Write(details);
            }
        });
    }

    private async Task<int> SessionInfoAsync(ParseResult parseResult, string name, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var session = sessions.Find(name);
        var view = await sessions.DescribeAsync(session, null, gitFacts: true, cancellationToken).ConfigureAwait(false);
        var (previous, next) = Sessions.SessionChain.Around(sessions.Tracker.Store, session);
        view = view with { PreviousSession = previous, NextSession = next };
        return WriteData(parseResult, view, SessionJsonViews.Default.SessionView, console =>
        {
            var grid = new Grid().AddColumn().AddColumn();
            void Row(string key, string? value) => grid.AddRow(key, Markup.Escape(string.IsNullOrEmpty(value) ? "-" : value));
            Row("session", view.Name);
            Row("task", view.Task);
            Row("status", view.Status);
            Row("agent", view.Agent);
            Row("model", view.Model);
            Row("runtime", $"{view.Runtime} ({view.RuntimeName}){(view.RuntimeAlive ? ", alive" : string.Empty)}");
            Row("workspace", view.Workspace);
            Row("branch", view.Branch);
            Row("git", view.Dirty is null ? null : $"{(view.Dirty == true ? "dirty" : "clean")}, {view.Ahead} ahead, {view.Unpushed} unpushed");
            Row("run / turns", $"{view.Run} / {view.Turns}");
            Row("tokens", Workers.TranscriptRenderer.UsageLine(view.Usage));
            Row("last event", view.LastEvent);
            Row("outcome", view.Outcome is null ? null : $"{view.Outcome}{(view.Reason is null ? string.Empty : $": {view.Reason}")}");
            Row("purpose", view.Purpose);
            Row("previous run", view.PreviousSession is { } before ? $"{before} (baton logs {before})" : null);
            Row("next run", view.NextSession is { } after ? $"{after} (baton logs {after})" : null);
            Row("directory", view.Directory);
            Row("created", view.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
            console.Write(grid);
        });
    }
}
