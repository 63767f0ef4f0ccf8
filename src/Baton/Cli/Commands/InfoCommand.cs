using System.CommandLine;
using Baton.Configuration;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton info</c>: where Baton reads and writes, and every project's derived values.</summary>
public sealed class InfoCommand : BatonCommand
{
    public InfoCommand(CliContext context)
        : base("info", "Show the config file, its hash, BATON_HOME, the state database and each project with its derived values.\n\nExamples:\n  baton info\n  baton info --json | jq '.data.projects[].sessionPrefix'", context)
    {
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
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
                console.Write(details);
            }
        });
    }
}
