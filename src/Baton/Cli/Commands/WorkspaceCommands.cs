using System.CommandLine;
using System.Text.Json.Serialization;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Tasks;
using Baton.Core.Workspaces;
using Baton.Workspaces;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton workspace create | list | status | remove</c>.</summary>
public static class WorkspaceCommands
{
    public static Command Create(CliContext context)
    {
        var workspace = new Command(
            "workspace",
            "Manage the one workspace (git worktree) of each task. Removal is blocked (exit 3) while it would lose work.\n\n" +
            "Examples:\n  baton workspace create APP-3\n  baton workspace list\n  baton workspace status APP-3\n  baton workspace remove APP-3 --delete-branch");
        workspace.Subcommands.Add(new WorkspaceCreateCommand(context));
        workspace.Subcommands.Add(new WorkspaceListCommand(context));
        workspace.Subcommands.Add(new WorkspaceStatusCommand(context));
        workspace.Subcommands.Add(new WorkspaceRemoveCommand(context));
        return workspace;
    }

    /// <summary>Finds the task, its project and the project's workspace layout.</summary>
    internal static async Task<(TaskRecord Task, Project Project, WorkspaceLayout Layout)> ResolveAsync(CliContext context, TrackerContext tracker, string taskText, CancellationToken cancellationToken)
    {
        var (local, key) = tracker.ResolveTask(taskText);
        var task = local.Get(key.Text);
        var (project, layout) = await ProjectWorkspaces.LayoutAsync(local.Project, context.BatonHome, context.GetEnvironment, context.HomeDirectory, cancellationToken).ConfigureAwait(false);
        return (task, project, layout);
    }

    internal static WorkspaceTask ToWorkspaceTask(TaskRecord task) => new(task.Id, task.Identifier, task.BranchName);

    /// <summary>A one-line verdict for tables: what removal would lose, or "clean".</summary>
    public static string Summary(SafetyReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var blocking = report.BlockingFindings(deleteBranch: false);
        var branchOnly = report.BlockingFindings(deleteBranch: true).Except(blocking).ToList();
        var parts = blocking.Select(f => $"{f.Count} {f.Kind.Replace('_', ' ')}").ToList();
        if (report.Find(SafetyFindingKinds.Prunable) is not null)
        {
            parts.Insert(0, "directory missing");
        }

        var text = parts.Count == 0 ? "clean" : string.Join(", ", parts);
        return branchOnly.Count == 0 ? text : $"{text}; branch holds {string.Join(", ", branchOnly.Select(f => $"{f.Count} {f.Kind.Replace('_', ' ')}"))}";
    }

    internal static void WriteReport(IAnsiConsole console, SafetyReport report, bool deleteBranch)
    {
        console.MarkupLine($"[bold]{Markup.Escape(report.WorkspacePath)}[/]  branch {Markup.Escape(report.Branch ?? "(detached)")}  {Markup.Escape(report.HeadCommit?[..Math.Min(12, report.HeadCommit.Length)] ?? string.Empty)}");
        if (report.Findings.Count == 0)
        {
            console.MarkupLine("[green]clean: nothing would be lost by removing it (or its branch)[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in new[] { "SEVERITY", "FINDING", "COUNT", "ITEMS", "TO RESOLVE" })
        {
            table.AddColumn(column);
        }

        foreach (var f in report.Findings)
        {
            var blocks = f.Blocks(deleteBranch);
            var severity = blocks ? "[red]blocking[/]" : f.Severity == FindingSeverity.Blocking ? "[yellow]branch only[/]" : "[grey]info[/]";
            var items = string.Join("\n", f.Items.Take(5)) + (f.Count > 5 ? $"\n… {f.Count - 5} more" : string.Empty);
            table.AddRow(severity, Markup.Escape(f.Message), f.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(items), Markup.Escape(f.Resolution));
        }

        console.Write(table);
    }
}

public sealed record WorkspaceView(string Task, string Project, string Path, string Key, string Strategy, string? Branch, bool CreatedNow);

public sealed record WorkspaceListItem(string Key, string? Task, string Project, string Path, string? Branch, string State, bool SafeToRemove, string? Error);

public sealed record WorkspaceRemovedView(string Task, string Path, string? Branch, bool Forced, bool BranchDeleted, bool WasPrunable, string? BeforeRemove);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WorkspaceView))]
[JsonSerializable(typeof(IReadOnlyList<WorkspaceListItem>))]
[JsonSerializable(typeof(WorkspaceRemovedView))]
[JsonSerializable(typeof(SafetyReportView))]
internal sealed partial class WorkspaceJsonContext : JsonSerializerContext;

public sealed class WorkspaceCreateCommand : BatonCommand
{
    private readonly Argument<string> _task = new("task") { Description = "The task identifier, e.g. APP-3" };

    public WorkspaceCreateCommand(CliContext context)
        : base("create", "Create the task's workspace, or reuse it if it exists (never reset), and print its path and branch.\n\nExamples:\n  baton workspace create APP-3\n  cd \"$(baton workspace create APP-3 --json | jq -r .data.path)\"", context)
    {
        Arguments.Add(_task);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var tracker = TrackerContext.Open(Context, parseResult);
        var (task, project, layout) = await WorkspaceCommands.ResolveAsync(Context, tracker, parseResult.GetValue(_task)!, cancellationToken).ConfigureAwait(false);
        var workspace = await WorkspaceManager.CreateOrReuseAsync(layout, WorkspaceCommands.ToWorkspaceTask(task), cancellationToken).ConfigureAwait(false);
        var view = new WorkspaceView(task.Identifier, project.Id, workspace.Path, workspace.Key, workspace.Strategy, workspace.Branch, workspace.CreatedNow);
        return WriteData(parseResult, view, WorkspaceJsonContext.Default.WorkspaceView, console =>
        {
            console.MarkupLine($"{(view.CreatedNow ? "Created" : "Reusing")} the workspace of [bold]{Markup.Escape(view.Task)}[/] on branch {Markup.Escape(view.Branch ?? "-")}:");
            console.WriteLine(view.Path);
        });
    }
}

public sealed class WorkspaceListCommand : BatonCommand
{
    private readonly Argument<string?> _project = new("project") { Description = "Only this project (default: every project of baton.yaml)", Arity = ArgumentArity.ZeroOrOne };

    public WorkspaceListCommand(CliContext context)
        : base("list", "List the workspaces of each project with their safety state (what removing them would lose).\n\nExamples:\n  baton workspace list\n  baton workspace list app --json", context)
    {
        Arguments.Add(_project);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var tracker = TrackerContext.Open(Context, parseResult);
        var items = new List<WorkspaceListItem>();
        foreach (var configured in tracker.ResolveProjects(parseResult.GetValue(_project)))
        {
            var (project, layout) = await ProjectWorkspaces.LayoutAsync(configured, Context.BatonHome, Context.GetEnvironment, Context.HomeDirectory, cancellationToken).ConfigureAwait(false);
            var tasks = tracker.Tracker(configured).List(new Tracking.Local.TaskQuery { IncludeTerminal = true })
                .GroupBy(t => WorkspaceKey.From(t.Identifier), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var paths = Directory.Exists(layout.Root)
                ? Directory.EnumerateDirectories(layout.Root).Where(d => !Path.GetFileName(d).StartsWith('.')).ToHashSet(StringComparer.Ordinal)
                : [];
            if (layout.Strategy == WorkspaceLayout.Worktree)
            {
                foreach (var entry in await WorktreeList.ReadAsync(layout.RepositoryPath!, cancellationToken).ConfigureAwait(false))
                {
                    if (Path.GetDirectoryName(entry.Path.TrimEnd('/')) == layout.Root)
                    {
                        paths.Add(entry.Path.TrimEnd('/'));
                    }
                }

                var targets = paths.Order(StringComparer.Ordinal).Select(p => new WorkspaceTarget(p, null)).ToList();
                var results = await new GitSafetyAnalyzer().AnalyzeManyAsync(layout.RepositoryPath!, targets, layout.DefaultBranch ?? "HEAD", cancellationToken).ConfigureAwait(false);
                foreach (var result in results)
                {
                    var key = Path.GetFileName(result.WorkspacePath);
                    items.Add(new WorkspaceListItem(
                        key,
                        tasks.GetValueOrDefault(key)?.Identifier,
                        project.Id,
                        result.WorkspacePath,
                        result.Report?.Branch,
                        result.Report is { } report ? WorkspaceCommands.Summary(report) : $"error: {result.Error?.Message}",
                        result.Report?.IsSafeToRemove(deleteBranch: false) ?? false,
                        result.Error?.Code));
                }
            }
            else
            {
                foreach (var path in paths.Order(StringComparer.Ordinal))
                {
                    var key = Path.GetFileName(path);
                    var empty = !Directory.EnumerateFileSystemEntries(path).Any();
                    items.Add(new WorkspaceListItem(key, tasks.GetValueOrDefault(key)?.Identifier, project.Id, path, null, empty ? "empty" : "directory (not analyzable)", empty, null));
                }
            }
        }

        IReadOnlyList<WorkspaceListItem> view = items;
        return WriteData(parseResult, view, WorkspaceJsonContext.Default.IReadOnlyListWorkspaceListItem, console =>
        {
            if (items.Count == 0)
            {
                console.MarkupLine("[grey]No workspaces. Create one with[/] baton workspace create <TASK-ID>");
                return;
            }

            var table = new Table().Border(TableBorder.Simple);
            foreach (var column in new[] { "TASK", "PROJECT", "BRANCH", "STATE", "PATH" })
            {
                table.AddColumn(column);
            }

            foreach (var item in items)
            {
                var state = item.SafeToRemove ? $"[green]{Markup.Escape(item.State)}[/]" : $"[yellow]{Markup.Escape(item.State)}[/]";
                table.AddRow(Markup.Escape(item.Task ?? $"({item.Key})"), Markup.Escape(item.Project), Markup.Escape(item.Branch ?? "-"), state, Markup.Escape(item.Path));
            }

            console.Write(table);
        });
    }
}

public sealed class WorkspaceStatusCommand : BatonCommand
{
    private readonly Argument<string> _task = new("task") { Description = "The task identifier, e.g. APP-3" };
    private readonly Option<bool> _deleteBranch = new("--delete-branch") { Description = "Judge removal of the branch too" };

    public WorkspaceStatusCommand(CliContext context)
        : base("status", "The git safety analysis of a workspace: uncommitted files, stashes, commits that exist nowhere else, operations in progress, locks.\n\nExamples:\n  baton workspace status APP-3\n  baton workspace status APP-3 --delete-branch --json", context)
    {
        Arguments.Add(_task);
        Options.Add(_deleteBranch);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var tracker = TrackerContext.Open(Context, parseResult);
        var (task, _, layout) = await WorkspaceCommands.ResolveAsync(Context, tracker, parseResult.GetValue(_task)!, cancellationToken).ConfigureAwait(false);
        if (layout.Strategy != WorkspaceLayout.Worktree)
        {
            throw new BatonException("workspace_not_a_worktree", $"{task.Identifier} uses a directory workspace, which has no git safety analysis", "Directory workspaces are only removed when empty, or with --force.");
        }

        var path = WorkspaceManager.PathFor(layout, WorkspaceCommands.ToWorkspaceTask(task));
        var report = await new GitSafetyAnalyzer().AnalyzeAsync(layout.RepositoryPath!, path, null, layout.DefaultBranch ?? "HEAD", cancellationToken).ConfigureAwait(false);
        var deleteBranch = parseResult.GetValue(_deleteBranch);
        return WriteData(parseResult, SafetyReportView.From(report, deleteBranch), WorkspaceJsonContext.Default.SafetyReportView, console => WorkspaceCommands.WriteReport(console, report, deleteBranch));
    }
}

public sealed class WorkspaceRemoveCommand : BatonCommand
{
    private readonly Argument<string> _task = new("task") { Description = "The task identifier, e.g. APP-3" };
    private readonly Option<bool> _deleteBranch = new("--delete-branch") { Description = "Also delete the workspace's branch (blocked while it holds commits found nowhere else)" };
    private readonly Option<bool> _force = new("--force") { Description = "Remove even though work would be lost (asks first; recorded in BATON_HOME/audit.log)" };
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "With --force: confirm without asking" };

    public WorkspaceRemoveCommand(CliContext context)
        : base("remove", "Remove a task's workspace after the git safety analysis proves nothing is lost; runs the before_remove hook first.\nExit code 3 when blocked; the report lists each finding with a command to resolve it.\n\nExamples:\n  baton workspace remove APP-3\n  baton workspace remove APP-3 --delete-branch\n  baton workspace remove APP-3 --force --yes", context)
    {
        Arguments.Add(_task);
        Options.Add(_deleteBranch);
        Options.Add(_force);
        Options.Add(_yes);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var tracker = TrackerContext.Open(Context, parseResult);
        var (task, _, layout) = await WorkspaceCommands.ResolveAsync(Context, tracker, parseResult.GetValue(_task)!, cancellationToken).ConfigureAwait(false);
        var deleteBranch = parseResult.GetValue(_deleteBranch);
        var request = new RemovalRequest
        {
            Layout = layout,
            Task = WorkspaceCommands.ToWorkspaceTask(task),
            DeleteBranch = deleteBranch,
            Force = parseResult.GetValue(_force),
            Confirm = report => Confirm(parseResult, report, deleteBranch),
            BatonHome = Context.BatonHome,
            User = Context.GetEnvironment("USER") ?? Context.GetEnvironment("LOGNAME") ?? Environment.UserName,
        };

        RemovalResult result;
        try
        {
            result = await new WorkspaceRemover(new GitSafetyAnalyzer(), Context.Time).RemoveAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (SafetyCheckException blocked) when (!IsJson(parseResult))
        {
            WorkspaceCommands.WriteReport(Context.ErrorConsole, blocked.Report, deleteBranch);
            throw;
        }

        if (result.BeforeRemove is { Succeeded: false } hook)
        {
            Warn($"{hook.Describe()} (ignored, as the spec says): {hook.Excerpt.Trim()}");
        }

        var view = new WorkspaceRemovedView(task.Identifier, result.Path, result.Branch, result.Forced, result.BranchDeleted, result.WasPrunable, result.BeforeRemove?.Describe());
        return WriteData(parseResult, view, WorkspaceJsonContext.Default.WorkspaceRemovedView, console =>
            console.MarkupLine($"Removed the workspace of [bold]{Markup.Escape(view.Task)}[/]{(view.WasPrunable ? " (its directory was already gone)" : string.Empty)}{(view.BranchDeleted ? $" and its branch {Markup.Escape(view.Branch ?? string.Empty)}" : string.Empty)}{(view.Forced ? " [yellow](forced; recorded in the audit log)[/]" : string.Empty)}."));
    }

    private string? Confirm(ParseResult parseResult, SafetyReport report, bool deleteBranch)
    {
        if (parseResult.GetValue(_yes))
        {
            return "--yes";
        }

        if (!Context.IsInteractive)
        {
            throw BatonException.Usage(
                WorkspaceRemover.Cancelled,
                "--force needs a confirmation and there is no terminal to ask at; nothing was removed",
                "Add --yes to confirm a forced removal from a script.");
        }

        WorkspaceCommands.WriteReport(Context.ErrorConsole, report, deleteBranch);
        Context.Err.Write("This loses the work above. Type 'yes' to remove anyway: ");
        return string.Equals(Context.In.ReadLine()?.Trim(), "yes", StringComparison.OrdinalIgnoreCase) ? "interactive" : null;
    }
}
