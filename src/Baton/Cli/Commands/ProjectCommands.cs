using System.CommandLine;
using Baton.Configuration;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Files;
using Baton.Git;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton project add | list | remove</c>: the projects of <c>baton.yaml</c>.</summary>
public static class ProjectCommands
{
    public static Command Create(CliContext context)
    {
        var project = new Command("project", "Register, list and unregister the repositories Baton manages (edits baton.yaml only).\n\nExamples:\n  baton project add ~/repos/backend --prefix be\n  baton project list\n  baton project remove backend");
        project.Subcommands.Add(new ProjectAddCommand(context));
        project.Subcommands.Add(new ProjectListCommand(context));
        project.Subcommands.Add(new ProjectRemoveCommand(context));
        return project;
    }

    /// <summary>The entry written to baton.yaml: the path (relative to the config directory when inside it) and the given overrides.</summary>
    internal static List<KeyValuePair<string, string>> EntryFields(string configDirectory, string repositoryPath, string? id, string? name, string? prefix, string? branch)
    {
        var relative = Path.GetRelativePath(configDirectory, repositoryPath);
        var written = relative == "." ? "." : relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? repositoryPath : relative;
        var fields = new List<KeyValuePair<string, string>> { new("path", written) };
        if (id is not null)
        {
            fields.Add(new("id", id));
        }

        if (name is not null)
        {
            fields.Add(new("name", name));
        }

        if (prefix is not null)
        {
            fields.Add(new("sessionPrefix", prefix.ToLowerInvariant()));
        }

        if (branch is not null)
        {
            fields.Add(new("defaultBranch", branch));
        }

        return fields;
    }

    /// <summary>Checks a repository and the overrides before anything is written: it must be a repository and the branch must exist.</summary>
    internal static async Task ValidateRepositoryAsync(string path, string? branch, CancellationToken cancellationToken)
    {
        await ProjectInspector.EnsureRepositoryAsync(path, cancellationToken).ConfigureAwait(false);
        if (branch is null)
        {
            return;
        }

        foreach (var reference in new[] { $"refs/heads/{branch}", $"refs/remotes/origin/{branch}" })
        {
            if (await GitCli.TryReadAsync(path, ["rev-parse", "--verify", "--quiet", reference], cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }
        }

        throw BatonException.Usage(
            ErrorCodes.BranchNotFound,
            $"the branch '{branch}' does not exist in {path}",
            $"List branches with 'git -C {path} branch -a', or leave --branch out to use origin/HEAD or the current branch.");
    }

    internal static void WriteTable(IAnsiConsole console, IReadOnlyList<ProjectView> projects)
    {
        if (projects.Count == 0)
        {
            console.MarkupLine("[grey]No projects yet. Add one with[/] baton project add <path>");
            return;
        }

        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in new[] { "ID", "NAME", "PREFIX", "BRANCH", "REPO", "PATH", "STATUS" })
        {
            table.AddColumn(column);
        }

        foreach (var p in projects)
        {
            table.AddRow(
                Markup.Escape(p.Id),
                Markup.Escape(p.Name),
                Markup.Escape(p.SessionPrefix),
                Markup.Escape(p.DefaultBranch ?? "-"),
                Markup.Escape(p.Repo ?? "-"),
                Markup.Escape(p.Path),
                p.Problem is null ? "[green]ok[/]" : $"[red]{Markup.Escape(p.Problem)}[/]");
        }

        console.Write(table);
    }
}

public sealed class ProjectAddCommand : BatonCommand
{
    private readonly Argument<string> _path = new("path") { Description = "The repository's directory" };
    private readonly Option<string?> _prefix = new("--prefix") { Description = "Session prefix (default: derived from the folder name, e.g. integrator → int)" };
    private readonly Option<string?> _branch = new("--branch") { Description = "Default branch (default: origin/HEAD, else the current branch)" };
    private readonly Option<string?> _name = new("--name") { Description = "Display name (default: the project id)" };
    private readonly Option<string?> _id = new("--id") { Description = "Project id (default: the folder name)" };

    public ProjectAddCommand(CliContext context)
        : base("add", "Register a repository in baton.yaml.\n\nExamples:\n  baton project add ~/repos/integrator\n  baton project add ../backend --prefix be --branch main --name \"Backend API\"", context)
    {
        Arguments.Add(_path);
        Options.Add(_prefix);
        Options.Add(_branch);
        Options.Add(_name);
        Options.Add(_id);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var configPath = ConfigLocator.Require(Context, parseResult.GetValue(GlobalOptions.Config));
        var loaded = ConfigLoader.Load(Context, configPath);
        var path = Context.ResolvePath(parseResult.GetValue(_path)!);
        var branch = parseResult.GetValue(_branch);
        await ProjectCommands.ValidateRepositoryAsync(path, branch, cancellationToken).ConfigureAwait(false);

        var fields = ProjectCommands.EntryFields(loaded.Config.Directory, path, parseResult.GetValue(_id), parseResult.GetValue(_name), parseResult.GetValue(_prefix), branch);
        var text = await File.ReadAllTextAsync(configPath, cancellationToken).ConfigureAwait(false);
        var updated = ConfigEditor.AddProject(text, fields);

        // Resolve the edited file before writing it: duplicates and prefix clashes are refused with nothing changed.
        var newConfig = ConfigParser.Parse(updated, configPath);
        var projects = ProjectResolver.Resolve(newConfig, Context.BatonHome, p => Context.ResolvePath(p, newConfig.Directory));
        var added = await ProjectInspector.InspectAsync(projects[^1], cancellationToken).ConfigureAwait(false);
        AtomicFile.WriteAllText(configPath, updated);

        var view = ProjectView.From(added);
        return WriteData(parseResult, view, ProjectJsonContext.Default.ProjectView, console =>
            console.MarkupLine($"Added project [bold]{Markup.Escape(view.Id)}[/] (prefix [bold]{Markup.Escape(view.SessionPrefix)}[/], branch {Markup.Escape(view.DefaultBranch ?? "-")}) to {Markup.Escape(configPath)}"));
    }
}

public sealed class ProjectListCommand : BatonCommand
{
    public ProjectListCommand(CliContext context)
        : base("list", "List the projects of baton.yaml with their derived values and whether their repository is usable.\n\nExamples:\n  baton project list\n  baton project list --json", context)
    {
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var configPath = ConfigLocator.Require(Context, parseResult.GetValue(GlobalOptions.Config));
        var loaded = ConfigLoader.Load(Context, configPath);
        var inspected = await Task.WhenAll(loaded.Projects.Select(p => ProjectInspector.InspectAsync(p, cancellationToken))).ConfigureAwait(false);
        IReadOnlyList<ProjectView> views = inspected.Select(ProjectView.From).ToList();
        return WriteData(parseResult, views, ProjectJsonContext.Default.IReadOnlyListProjectView, console => ProjectCommands.WriteTable(console, views));
    }
}

public sealed class ProjectRemoveCommand : BatonCommand
{
    private readonly Argument<string> _id = new("id") { Description = "The project id (see 'baton project list')" };

    public ProjectRemoveCommand(CliContext context)
        : base("remove", "Unregister a project from baton.yaml. The repository, its worktrees and its tasks are not touched.\n\nExamples:\n  baton project remove backend", context)
    {
        Arguments.Add(_id);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var configPath = ConfigLocator.Require(Context, parseResult.GetValue(GlobalOptions.Config));
        var text = await File.ReadAllTextAsync(configPath, cancellationToken).ConfigureAwait(false);
        var config = ConfigParser.Parse(text, configPath);
        var id = parseResult.GetValue(_id)!;
        var hash = Core.Naming.InstanceNaming.ConfigHash(config.Directory);

        // Resolve entries one by one, so a config that is otherwise broken (a prefix clash) can still be repaired.
        var index = -1;
        for (var i = 0; i < config.Projects.Count && index < 0; i++)
        {
            var resolved = ProjectResolver.ResolveOne(config, config.Projects[i], hash, Context.BatonHome, p => Context.ResolvePath(p, config.Directory));
            if (string.Equals(resolved.Id, id, StringComparison.OrdinalIgnoreCase))
            {
                index = i;
            }
        }

        if (index < 0)
        {
            throw new BatonException(ErrorCodes.ProjectNotFound, $"no project '{id}' in {configPath}", "See 'baton project list' for the ids.");
        }

        AtomicFile.WriteAllText(configPath, ConfigEditor.RemoveProject(text, index));
        var view = new ProjectRemovedView(id, configPath);
        return WriteData(parseResult, view, ProjectJsonContext.Default.ProjectRemovedView, console =>
            console.MarkupLine($"Removed project [bold]{Markup.Escape(id)}[/] from {Markup.Escape(configPath)}. Its repository, worktrees and tasks are untouched."));
    }
}
