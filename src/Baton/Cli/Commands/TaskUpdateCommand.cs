using System.CommandLine;
using Baton.Tracking.Local;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class TaskUpdateCommand : BatonCommand
{
    private readonly Argument<string> _id = new("id") { Description = "The task, e.g. APP-3" };
    private readonly Option<string?> _title = new("--title") { Description = "New title" };
    private readonly Option<string?> _description = new("--description", "-d") { Description = "New description (\"\" clears it)" };
    private readonly Option<int?> _priority = new("--priority", "-p") { Description = "1 urgent, 2 high, 3 normal, 4 low" };
    private readonly Option<string?> _state = new("--state", "-s") { Description = "New state (any case; one of the project's states)" };
    private readonly Option<string[]> _addLabel = new("--add-label") { Description = "Add a label (repeatable)" };
    private readonly Option<string[]> _removeLabel = new("--remove-label") { Description = "Remove a label (repeatable)" };
    private readonly Option<string[]> _addBlockedBy = new("--add-blocked-by") { Description = "Add a blocker (repeatable); a cycle is refused" };
    private readonly Option<string[]> _removeBlockedBy = new("--remove-blocked-by") { Description = "Remove a blocker (repeatable)" };
    private readonly Option<string?> _branchName = new("--branch-name") { Description = "Branch (\"\" clears it)" };
    private readonly Option<string?> _url = new("--url") { Description = "Link (\"\" clears it)" };
    private readonly Option<string?> _assignee = new("--assignee") { Description = "Owner (\"\" clears it)" };

    public TaskUpdateCommand(CliContext context)
        : base("update", "Change a task's fields; only what is given changes, and updatedAt moves when something did.\n\nExamples:\n  baton task update APP-3 --state \"In Progress\" --assignee ana\n  baton task update APP-4 --add-blocked-by APP-3 --add-label backend", context)
    {
        Arguments.Add(_id);
        Options.Add(_title);
        Options.Add(_description);
        Options.Add(_priority);
        Options.Add(_state);
        Options.Add(_addLabel);
        Options.Add(_removeLabel);
        Options.Add(_addBlockedBy);
        Options.Add(_removeBlockedBy);
        Options.Add(_branchName);
        Options.Add(_url);
        Options.Add(_assignee);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var session = TrackerContext.Open(Context, parseResult);
        var (tracker, key) = session.ResolveTask(parseResult.GetValue(_id)!);
        var task = tracker.Update(key.Text, new TaskChanges
        {
            Title = parseResult.GetValue(_title),
            Description = parseResult.GetValue(_description),
            Priority = parseResult.GetValue(_priority),
            State = parseResult.GetValue(_state),
            AddLabels = parseResult.GetValue(_addLabel) ?? [],
            RemoveLabels = parseResult.GetValue(_removeLabel) ?? [],
            AddBlockedBy = parseResult.GetValue(_addBlockedBy) ?? [],
            RemoveBlockedBy = parseResult.GetValue(_removeBlockedBy) ?? [],
            BranchName = parseResult.GetValue(_branchName),
            Url = parseResult.GetValue(_url),
            Assignee = parseResult.GetValue(_assignee),
        });
        var view = TaskView.From(task, tracker.Project, withComments: true);
        return Task.FromResult(WriteData(parseResult, view, TaskJsonContext.Default.TaskView, console =>
            console.MarkupLine($"Updated [bold]{Markup.Escape(view.Identifier)}[/] ({Markup.Escape(view.State)})")));
    }
}
