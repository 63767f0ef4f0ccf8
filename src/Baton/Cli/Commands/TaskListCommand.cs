using System.CommandLine;
using Baton.Tracking.Local;

namespace Baton.Cli.Commands;

public sealed class TaskListCommand : BatonCommand
{
    private readonly Argument<string?> _project = new("project") { Description = "Project id or prefix (default: $BATON_PROJECT, else every project of baton.yaml)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string[]> _state = new("--state", "-s") { Description = "Only tasks in this state (repeatable; any case)" };
    private readonly Option<string[]> _label = new("--label", "-l") { Description = "Only tasks with this label (repeatable: all must match)" };
    private readonly Option<bool> _ready = new("--ready") { Description = "Only tasks ready to start: active and not blocked by an unfinished task" };
    private readonly Option<bool> _all = new("--all", "-a") { Description = "Include tasks in terminal states (Done, Cancelled), hidden by default" };

    public TaskListCommand(CliContext context)
        : base("list", "List tasks in identifier order. Terminal tasks are hidden unless --all or --state asks for them.\n\nExamples:\n  baton task list\n  baton task list app --label bug --all\n  baton task list --state \"in progress\" --json", context)
    {
        Arguments.Add(_project);
        Options.Add(_state);
        Options.Add(_label);
        Options.Add(_ready);
        Options.Add(_all);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var session = TrackerContext.Open(Context, parseResult);
        var query = new TaskQuery
        {
            States = parseResult.GetValue(_state) ?? [],
            Labels = parseResult.GetValue(_label) ?? [],
            ReadyOnly = parseResult.GetValue(_ready),
            IncludeTerminal = parseResult.GetValue(_all),
        };
        var views = new List<TaskView>();
        foreach (var project in session.ResolveProjects(parseResult.GetValue(_project)))
        {
            views.AddRange(session.Tracker(project).List(query).Select(t => TaskView.From(t, project, withComments: false)));
        }

        IReadOnlyList<TaskView> result = views;
        return Task.FromResult(WriteData(parseResult, result, TaskJsonContext.Default.IReadOnlyListTaskView, console =>
            TaskCommands.WriteTable(console, result, "No tasks. Add one with: baton task add <project> \"title\"")));
    }
}
