using System.CommandLine;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class TaskCloseCommand : BatonCommand
{
    private readonly Argument<string> _id = new("id") { Description = "The task, e.g. APP-3" };
    private readonly Option<string?> _state = new("--state", "-s") { Description = "A terminal state (default: the project's first, e.g. Done)" };

    public TaskCloseCommand(CliContext context)
        : base("close", "Move a task to a terminal state; the tasks it blocked may become ready.\n\nExamples:\n  baton task close APP-3\n  baton task close APP-4 --state Cancelled", context)
    {
        Arguments.Add(_id);
        Options.Add(_state);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var session = TrackerContext.Open(Context, parseResult);
        var (tracker, key) = session.ResolveTask(parseResult.GetValue(_id)!);
        var view = TaskView.From(tracker.Close(key.Text, parseResult.GetValue(_state)), tracker.Project, withComments: true);
        return Task.FromResult(WriteData(parseResult, view, TaskJsonContext.Default.TaskView, console =>
            console.MarkupLine($"Closed [bold]{Markup.Escape(view.Identifier)}[/] ({Markup.Escape(view.State)})")));
    }
}
