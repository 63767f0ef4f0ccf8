using System.CommandLine;
using System.Globalization;
using Baton.Configuration;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Tasks;
using Baton.Storage;
using Baton.Tracking.Local;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton task …</c>: the local tracker.</summary>
public static class TaskCommands
{
    public const string ProjectEnvironmentVariable = "BATON_PROJECT";

    public static Command Create(CliContext context)
    {
        var task = new Command(
            "task",
            "Track tasks in Baton's local tracker (BATON_HOME/state.db), shared by every worktree and agent of a project.\n\n" +
            "The project is the one named, else $BATON_PROJECT (set for agents), else the only project of baton.yaml.\n\n" +
            "Examples:\n  baton task add app \"Fix the login bug\" --priority 2 --label bug\n  baton task ready\n  baton task show APP-3\n  baton task close APP-3");
        task.Subcommands.Add(new TaskAddCommand(context));
        task.Subcommands.Add(new TaskListCommand(context));
        task.Subcommands.Add(new TaskShowCommand(context));
        task.Subcommands.Add(new TaskUpdateCommand(context));
        task.Subcommands.Add(new TaskCommentCommand(context));
        task.Subcommands.Add(new TaskCloseCommand(context));
        task.Subcommands.Add(new TaskReadyCommand(context));
        task.Subcommands.Add(new TaskExportCommand(context));
        task.Subcommands.Add(new TaskImportCommand(context));
        return task;
    }

    internal static void WriteTable(IAnsiConsole console, IReadOnlyList<TaskView> tasks, string empty)
    {
        if (tasks.Count == 0)
        {
            console.MarkupLine($"[grey]{Markup.Escape(empty)}[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in new[] { "ID", "STATE", "PRI", "TITLE", "LABELS", "BLOCKED BY" })
        {
            table.AddColumn(column);
        }

        foreach (var t in tasks)
        {
            table.AddRow(
                Markup.Escape(t.Identifier),
                Markup.Escape(t.State),
                t.Priority?.ToString(CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(t.Title),
                Markup.Escape(t.Labels.Count == 0 ? "-" : string.Join(", ", t.Labels)),
                Markup.Escape(t.BlockedBy.Count == 0 ? "-" : string.Join(", ", t.BlockedBy.Select(b => $"{b.Identifier} ({b.State})"))));
        }

        console.Write(table);
    }

    internal static void WriteDetails(IAnsiConsole console, TaskView task)
    {
        console.MarkupLine($"[bold]{Markup.Escape(task.Identifier)}[/]  {Markup.Escape(task.Title)}");
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string key, string? value) => grid.AddRow("  " + key, Markup.Escape(string.IsNullOrEmpty(value) ? "-" : value));
        Row("state", task.State);
        Row("priority", task.Priority?.ToString(CultureInfo.InvariantCulture));
        Row("project", task.Project);
        Row("labels", string.Join(", ", task.Labels));
        Row("blocked by", string.Join(", ", task.BlockedBy.Select(b => $"{b.Identifier} ({b.State})")));
        Row("branch", task.BranchName);
        Row("url", task.Url);
        Row("assignee", task.Assignee);
        Row("created", task.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
        Row("updated", task.UpdatedAt.ToString("u", CultureInfo.InvariantCulture));
        Row("id", task.Id);
        console.Write(grid);
        if (!string.IsNullOrWhiteSpace(task.Description))
        {
            console.WriteLine();
            console.WriteLine(task.Description);
        }

        foreach (var comment in task.Comments ?? [])
        {
            console.WriteLine();
            console.MarkupLine($"[grey]{Markup.Escape(comment.Author)} · {Markup.Escape(comment.CreatedAt.ToString("u", CultureInfo.InvariantCulture))}[/]");
            console.WriteLine(comment.Body);
        }
    }
}
