using System.CommandLine;
using System.Text;
using Baton.Core.Errors;
using Baton.Files;
using Baton.Tracking.Local;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class TaskExportCommand : BatonCommand
{
    private readonly Argument<string?> _project = new("project") { Description = "Project id or prefix (default: $BATON_PROJECT, else the only project)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string?> _output = new("--output", "-o") { Description = "Write to this file (atomically) instead of stdout" };

    public TaskExportCommand(CliContext context)
        : base("export", "Write every task of a project (terminal ones too) with its comments as JSON Lines, one task per line in identifier order, so the tasks can live in git.\n\nExamples:\n  baton task export app --output tasks.jsonl\n  baton task export > tasks.jsonl", context)
    {
        Arguments.Add(_project);
        Options.Add(_output);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var session = TrackerContext.Open(Context, parseResult);
        var project = session.ResolveProject(parseResult.GetValue(_project));
        var lines = session.Tracker(project).Export().Select(TaskLine.From).ToList();
        var output = parseResult.GetValue(_output);
        if (output is null && !IsJson(parseResult))
        {
            foreach (var line in lines)
            {
                Context.Out.WriteLine(line.ToJson());
            }

            return Task.FromResult(ExitCodes.Ok);
        }

        string? path = null;
        if (output is not null)
        {
            path = Context.ResolvePath(output);
            var text = new StringBuilder();
            foreach (var line in lines)
            {
                text.Append(line.ToJson()).Append('\n');
            }

            try
            {
                AtomicFile.WriteAllText(path, text.ToString());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new BatonException(ErrorCodes.BadUsage, $"cannot write {path}: {ex.Message}", "Check that the directory exists and is writable.");
            }
        }

        var view = new TaskExportView(project.Id, lines.Count, path, path is null ? lines : null);
        return Task.FromResult(WriteData(parseResult, view, TaskJsonContext.Default.TaskExportView, console =>
            console.MarkupLine($"Exported {lines.Count} tasks of [bold]{Markup.Escape(project.Id)}[/] to {Markup.Escape(path ?? "stdout")}")));
    }
}
