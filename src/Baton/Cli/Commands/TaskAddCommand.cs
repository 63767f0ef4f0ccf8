using System.CommandLine;
using Baton.Tracking.Local;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class TaskAddCommand : BatonCommand
{
    private readonly Argument<string> _project = new("project") { Description = "Project id or session prefix (see 'baton project list')" };
    private readonly Argument<string> _title = new("title") { Description = "What needs doing, in one line" };
    private readonly Option<string?> _description = new("--description", "-d") { Description = "Longer text: context, acceptance criteria" };
    private readonly Option<int?> _priority = new("--priority", "-p") { Description = "1 urgent, 2 high, 3 normal, 4 low (default: none, sorted last)" };
    private readonly Option<string[]> _label = new("--label", "-l") { Description = "A label (repeatable); stored lower-case" };
    private readonly Option<string[]> _blockedBy = new("--blocked-by") { Description = "A task that must finish first (repeatable), e.g. APP-2" };
    private readonly Option<string?> _state = new("--state") { Description = "Initial state (default: the project's first active state, e.g. Todo)" };
    private readonly Option<string?> _branchName = new("--branch-name") { Description = "Branch to work on" };
    private readonly Option<string?> _url = new("--url") { Description = "A link for the task" };
    private readonly Option<string?> _assignee = new("--assignee") { Description = "Who owns it" };

    public TaskAddCommand(CliContext context)
        : base("add", "Create a task; it gets the next identifier of the project (APP-1, APP-2, …).\n\nExamples:\n  baton task add app \"Fix the login bug\" --priority 2 --label bug\n  baton task add app \"Ship it\" --blocked-by APP-1 --blocked-by APP-2", context)
    {
        Arguments.Add(_project);
        Arguments.Add(_title);
        Options.Add(_description);
        Options.Add(_priority);
        Options.Add(_label);
        Options.Add(_blockedBy);
        Options.Add(_state);
        Options.Add(_branchName);
        Options.Add(_url);
        Options.Add(_assignee);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var session = TrackerContext.Open(Context, parseResult);
        var project = session.ResolveProject(parseResult.GetValue(_project));
        var task = session.Tracker(project).Add(new NewTask
        {
            Title = parseResult.GetValue(_title)!,
            Description = parseResult.GetValue(_description),
            Priority = parseResult.GetValue(_priority),
            State = parseResult.GetValue(_state),
            Labels = parseResult.GetValue(_label) ?? [],
            BlockedBy = parseResult.GetValue(_blockedBy) ?? [],
            BranchName = parseResult.GetValue(_branchName),
            Url = parseResult.GetValue(_url),
            Assignee = parseResult.GetValue(_assignee),
        });
        var view = TaskView.From(task, project, withComments: true);
        return Task.FromResult(WriteData(parseResult, view, TaskJsonContext.Default.TaskView, console =>
            console.MarkupLine($"Added [bold]{Markup.Escape(view.Identifier)}[/] {Markup.Escape(view.Title)} ({Markup.Escape(view.State)})")));
    }
}
