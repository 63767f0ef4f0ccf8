using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using Baton.Coordination;
using Baton.Core.Coordination;
using Baton.Core.Errors;
using Baton.Runtimes;
using Baton.Sessions;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton merge [project] [--once] [--dry-run] [--json]</c>: runs the merge queue of one project.</summary>
public sealed class MergeCommand : BatonCommand
{
    private readonly Argument<string?> _project = new("project") { Description = "The project (default: $BATON_PROJECT, else the config's only project)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _once = new("--once") { Description = "Merge only the first task of the queue" };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Show the queue in order and what would happen to each task (conflicts predicted by git merge-tree); change nothing" };

    public MergeCommand(CliContext context)
        : base("merge", HelpText, context)
    {
        Arguments.Add(_project);
        Options.Add(_once);
        Options.Add(_dryRun);
    }

    internal const string HelpText =
        "Run the merge queue: land the tasks in the merge state (default Merging) one at a time, in dispatch order " +
        "(priority, then oldest). For each: rebase its branch on the current default branch in the project's merge worktree " +
        "(BATON_HOME/<instance>/merge/worktree), run the workflow's validation commands (proof.validate) there, fast-forward the " +
        "default branch (the checkout that has it checked out only when it is clean), push when merge.push is true, move the task " +
        "to Done, and remove its workspace through the safety rules. A conflict or a red or hung validation moves the task to its " +
        "rework state (default Rework) with a comment naming the conflicting files or the failing command, sent to the task's " +
        "latest session as a message too.\n\n" +
        "A run killed at any step is finished or cleanly started again by the next one; two runs never work on one project at once " +
        "(merge_in_progress). A dirty checkout of the default branch is refused with exit 3 before anything changes.\n\n" +
        "Examples:\n  baton merge\n  baton merge app --dry-run\n  baton merge app --once --json";

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var tracker = TrackerContext.Open(Context, parseResult);
        var project = tracker.ResolveProject(parseResult.GetValue(_project));
        var json = IsJson(parseResult);
        var tmux = TmuxClient.ForHome(Context.BatonHome, Context.GetEnvironment("BATON_TMUX_SOCKET"));
        var sessions = new SessionService(tracker.Store, Context.BatonHome, Context.Environment, tmux, Context.Time);
        var queue = await MergeSetup.ForProjectAsync(
            project,
            tracker.Store,
            sessions,
            Context.BatonHome,
            Context.Environment,
            Context.HomeDirectory,
            Context.Time,
            parseResult.GetValue(_once),
            json ? null : line => Context.Err.WriteLine(line),
            cancellationToken).ConfigureAwait(false);
        var result = parseResult.GetValue(_dryRun)
            ? await queue.PlanAsync(cancellationToken).ConfigureAwait(false)
            : await queue.RunAsync(cancellationToken).ConfigureAwait(false);
        return WriteData(parseResult, result, MergeJsonViews.Default.MergeRunResult, console => WriteHuman(console, result));
    }

    private static void WriteHuman(IAnsiConsole console, MergeRunResult result)
    {
        if (result.Recovery is { } recovery)
        {
            console.MarkupLine($"[grey]{Markup.Escape(recovery)}[/]");
        }

        if (result.Tasks.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple);
            foreach (var column in new[] { "TASK", result.DryRun ? "PREDICTION" : "OUTCOME", "BRANCH", "COMMIT", "WHY / WHAT" })
            {
                table.AddColumn(column);
            }

            foreach (var item in result.Tasks)
            {
                var outcome = result.DryRun ? item.Prediction ?? item.Outcome : item.Outcome;
                var colour = outcome switch
                {
                    MergeOutcomes.Merged or "clean" or "merged_already" => "green",
                    MergeOutcomes.Rework or "conflict" or "branch_missing" => "red",
                    _ => "yellow",
                };
                var detail = item.Reason ?? string.Empty;
                if (item.Excerpt is { Length: > 0 } excerpt)
                {
                    detail += "\n" + string.Join("\n", excerpt.Split('\n').TakeLast(5));
                }

                table.AddRow(
                    Markup.Escape(item.Task),
                    $"[{colour}]{Markup.Escape(outcome)}[/]",
                    Markup.Escape(item.Branch),
                    Markup.Escape(item.Commit is null ? "-" : MergeNotes.Short(item.Commit)),
                    Markup.Escape(detail));
            }

            console.Write(table);
        }

        if (result.Note is { } note)
        {
            console.MarkupLine(Markup.Escape(char.ToUpper(note[0], CultureInfo.InvariantCulture) + note[1..] + "."));
        }
        else if (!result.DryRun)
        {
            var merged = result.Tasks.Count(t => t.Outcome == MergeOutcomes.Merged);
            var rework = result.Tasks.Count(t => t.Outcome == MergeOutcomes.Rework);
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{merged} merged into {result.DefaultBranch}, {rework} sent back, {result.Tasks.Count - merged - rework} left in the queue.")));
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MergeRunResult))]
internal sealed partial class MergeJsonViews : JsonSerializerContext;
