using System.CommandLine;
using Spectre.Console;

namespace Baton.Cli.Commands;

public sealed class TaskCommentCommand : BatonCommand
{
    private readonly Argument<string> _id = new("id") { Description = "The task, e.g. APP-3" };
    private readonly Argument<string> _text = new("text") { Description = "The comment" };
    private readonly Option<string?> _author = new("--author") { Description = "Who says it (default: $BATON_SESSION, else $USER, else human)" };

    public TaskCommentCommand(CliContext context)
        : base("comment", "Add a comment to a task.\n\nExamples:\n  baton task comment APP-3 \"Root cause: the token is cached\"\n  baton task comment APP-3 \"Ready for review\" --author app-3", context)
    {
        Arguments.Add(_id);
        Arguments.Add(_text);
        Options.Add(_author);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var session = TrackerContext.Open(Context, parseResult);
        var (tracker, key) = session.ResolveTask(parseResult.GetValue(_id)!);
        var author = parseResult.GetValue(_author) ?? Context.GetEnvironment("BATON_SESSION") ?? Context.GetEnvironment("USER") ?? "human";
        var comment = tracker.Comment(key.Text, author, parseResult.GetValue(_text)!);
        var identifier = tracker.Get(key.Text).Identifier;
        var view = new TaskCommentView(identifier, comment.Id, comment.Author, comment.Body, comment.CreatedAt);
        return Task.FromResult(WriteData(parseResult, view, TaskJsonContext.Default.TaskCommentView, console =>
            console.MarkupLine($"Commented on [bold]{Markup.Escape(identifier)}[/] as {Markup.Escape(view.Author)}")));
    }
}
