using System.CommandLine;
using Baton.Core.Tasks;

namespace Baton.Cli.Commands;

public sealed class TaskReadyCommand : BatonCommand
{
    private readonly Argument<string?> _project = new("project") { Description = "Project id or prefix (default: $BATON_PROJECT, else every project of baton.yaml)", Arity = ArgumentArity.ZeroOrOne };

    public TaskReadyCommand(CliContext context)
        : base("ready", "List the tasks ready to start (active, not blocked by an unfinished task) in dispatch order: priority 1–4 then none, oldest first, then identifier.\n\nExamples:\n  baton task ready\n  baton task ready app --json", context)
    {
        Arguments.Add(_project);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var session = TrackerContext.Open(Context, parseResult);
        var ready = new List<(TaskRecord Task, Core.Configuration.Project Project)>();
        foreach (var project in session.ResolveProjects(parseResult.GetValue(_project)))
        {
            ready.AddRange(session.Tracker(project).Ready().Select(t => (t, project)));
        }

        IReadOnlyList<TaskView> views = [.. ready.OrderBy(r => r.Task, TaskOrdering.Instance).Select(r => TaskView.From(r.Task, r.Project, withComments: false))];
        return Task.FromResult(WriteData(parseResult, views, TaskJsonContext.Default.IReadOnlyListTaskView, console =>
            TaskCommands.WriteTable(console, views, "Nothing is ready: every active task is blocked, or there are none.")));
    }
}
