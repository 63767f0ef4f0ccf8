using System.CommandLine;
using System.Text.Json;
using Baton.Core.Errors;
using Baton.Tracking.Local;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class TaskImportCommand : BatonCommand
{
    private readonly Argument<string?> _project = new("project") { Description = "Project id or prefix (default: $BATON_PROJECT, else the only project)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string> _input = new("--input", "-i") { Description = "JSON Lines file to read, or - for stdin", DefaultValueFactory = _ => "-" };

    public TaskImportCommand(CliContext context)
        : base("import", "Create or update tasks from JSON Lines (as 'task export' writes them), all or nothing. Tasks match by id, then identifier; importing an export changes nothing.\n\nExamples:\n  baton task import app --input tasks.jsonl\n  git show main:tasks.jsonl | baton task import app", context)
    {
        Arguments.Add(_project);
        Options.Add(_input);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var input = parseResult.GetValue(_input)!;
        string text;
        try
        {
            text = input == "-"
                ? await Context.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false)
                : await File.ReadAllTextAsync(Context.ResolvePath(input), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw BatonException.Usage(ErrorCodes.BadUsage, $"cannot read {input}: {ex.Message}", "Pass an existing file with --input, or - to read stdin.");
        }

        var lines = Parse(text);
        using var session = TrackerContext.Open(Context, parseResult);
        var project = session.ResolveProject(parseResult.GetValue(_project));
        var result = session.Tracker(project).Import(lines);
        var view = new TaskImportView(project.Id, result.Added, result.Updated, result.Unchanged, result.CommentsAdded);
        return WriteData(parseResult, view, TaskJsonContext.Default.TaskImportView, console =>
            console.MarkupLine($"Imported into [bold]{Markup.Escape(project.Id)}[/]: {view.Added} added, {view.Updated} updated, {view.Unchanged} unchanged, {view.CommentsAdded} comments added"));
    }

    private static List<ImportedTask> Parse(string text)
    {
        var lines = new List<ImportedTask>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            TaskLine? parsed;
            try
            {
                parsed = TaskLine.Parse(line);
            }
            catch (JsonException ex)
            {
                throw LocalTracker.ImportError(number, $"not a JSON task object ({ex.Message})");
            }

            lines.Add(new ImportedTask(number, parsed ?? throw LocalTracker.ImportError(number, "not a JSON task object (null)")));
        }

        return lines;
    }
}
