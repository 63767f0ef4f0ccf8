using System.CommandLine;

namespace Baton.Cli.Commands;

public sealed class TaskShowCommand : BatonCommand
{
    private readonly Argument<string> _id = new("id") { Description = "The task, e.g. APP-3 (any case)" };

    public TaskShowCommand(CliContext context)
        : base("show", "Show one task with its blockers (and their states) and its comments.\n\nExamples:\n  baton task show APP-3\n  baton task show app-3 --json", context)
    {
        Arguments.Add(_id);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var session = TrackerContext.Open(Context, parseResult);
        var (tracker, key) = session.ResolveTask(parseResult.GetValue(_id)!);
        var view = TaskView.From(tracker.Get(key.Text), tracker.Project, withComments: true);
        return Task.FromResult(WriteData(parseResult, view, TaskJsonContext.Default.TaskView, console => TaskCommands.WriteDetails(console, view)));
    }
}
