using System.CommandLine;
using System.Text.Json.Serialization;
using Baton.Core.Errors;
using Baton.Core.Proofs;
using Baton.Core.Tasks;
using Baton.Processes;
using Baton.Proofs;
using Baton.Sessions;

namespace Baton.Cli.Commands;

/// <summary>What <c>baton proof --json</c> prints: where the bundle is, and its proof.json.</summary>
public sealed record ProofView(string Session, string Directory, ProofDocument Proof);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProofView))]
internal sealed partial class ProofJsonViews : JsonSerializerContext;

/// <summary>
/// <c>baton proof &lt;session|TASK-ID&gt; [--json] [--open]</c>: a session's proof bundle — its summary for people,
/// proof.json with <c>--json</c>, or the transcript page in a browser with <c>--open</c>. For a task, the latest of its
/// sessions that has a proof (archived sessions included).
/// </summary>
public sealed class ProofCommand : BatonCommand
{
    private readonly Argument<string> _target = new("session-or-task") { Description = "A session (app-3) or a task identifier (APP-1: its latest session with a proof)" };
    private readonly Option<bool> _open = new("--open") { Description = "Open the proof's transcript page with xdg-open instead of printing" };

    public ProofCommand(CliContext context)
        : base("proof", "Show the proof of a session's work: outcome, hand-off, branch, base and head commits, commits, diff stat, validation results, tokens, cost and timings. The bundle (proof.json, summary.md, transcript.html, validation logs) is written by 'baton run' when a run ends, in sessions/<s>/proof/, and is archived with the session.\n\nExamples:\n  baton proof APP-1\n  baton proof app-3 --json | jq '.data.proof.git.commits'\n  baton proof APP-1 --open", context)
    {
        Arguments.Add(_target);
        Options.Add(_open);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var target = parseResult.GetValue(_target)!.Trim();
        var (session, proof) = Locate(sessions, target);
        var directory = ProofBundle.PathFor(session.Directory);
        if (parseResult.GetValue(_open))
        {
            await OpenAsync(directory, cancellationToken).ConfigureAwait(false);
            if (!IsJson(parseResult))
            {
                Context.Out.WriteLine($"opened {Path.Combine(directory, ProofDocument.TranscriptFile)}");
                return ExitCodes.Ok;
            }
        }

        var view = new ProofView(session.Name, directory, proof);
        return WriteData(parseResult, view, ProofJsonViews.Default.ProofView, _ =>
        {
            var summary = Path.Combine(directory, ProofDocument.SummaryFile);
            Context.Out.Write(File.Exists(summary) ? File.ReadAllText(summary) : ProofRenderer.Summary(proof));
            Context.Out.WriteLine();
            Context.Out.WriteLine($"proof: {directory}");
        });
    }

    /// <summary>
    /// Session names (<c>calc-1</c>) and task identifiers (<c>CALC-1</c>) differ only in case, so the exact spelling
    /// decides: a task identifier as spelled means that task's latest session with a proof; a session name as spelled
    /// means that session; anything else is matched ignoring case, tasks first.
    /// </summary>
    private static (SessionRecord Session, ProofDocument Proof) Locate(SessionContext sessions, string target)
    {
        var preferred = sessions.Tracker.Config?.Projects.Select(p => p.InstanceId).ToHashSet(StringComparer.Ordinal) ?? [];
        var all = sessions.Tracker.Store.Read(db => SessionRows.List(db, null, includeArchived: true))
            .OrderByDescending(s => preferred.Contains(s.Project))
            .ThenByDescending(s => s.CreatedAt)
            .ToList();
        var forTask = all.Where(s => string.Equals(s.TaskIdentifier, target, StringComparison.Ordinal)).ToList();
        var named = all.Where(s => string.Equals(s.Name, target, StringComparison.Ordinal)).ToList();
        if (forTask.Count == 0 && named.Count == 0)
        {
            forTask = [.. all.Where(s => string.Equals(s.TaskIdentifier, target, StringComparison.OrdinalIgnoreCase))];
            named = [.. all.Where(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase))];
        }

        // A task's latest session may still be running: its last finished session's proof is the one to show.
        var candidates = forTask.Count > 0 ? forTask : named.Take(1).ToList();
        foreach (var candidate in candidates)
        {
            if (ProofBundle.Read(candidate.Directory) is { } proof)
            {
                return (candidate, proof);
            }
        }

        if (candidates.Count == 0)
        {
            throw new BatonException(
                ErrorCodes.SessionNotFound,
                $"no session or task '{target}'",
                TaskIdentifier.TryParse(target, out _, out _) ? $"No session has worked on {target} yet; see 'baton list --all'." : "See 'baton list --all' for the sessions there are.");
        }

        var latest = candidates[0];
        var state = sessions.Service.Observe(latest);
        throw new BatonException(
            ErrorCodes.ProofNotFound,
            $"{(forTask.Count > 0 ? $"{target} has no proof yet (its latest session {latest.Name} is {state.Status.Replace('_', ' ')})" : $"{latest.Name} has no proof yet (it is {state.Status.Replace('_', ' ')})")}; {ProofBundle.PathFor(latest.Directory)} does not exist",
            "'baton run' writes the proof when a run ends; a session started with 'baton spawn' outside the orchestrator has none.");
    }

    private async Task OpenAsync(string directory, CancellationToken cancellationToken)
    {
        var page = Path.Combine(directory, ProofDocument.TranscriptFile);
        var what = File.Exists(page) ? page : directory;
        var opener = ExecutableLocator.Find("xdg-open", ExecutableLocator.SplitPath(Context.GetEnvironment("PATH")))
            ?? throw new BatonException(
                ErrorCodes.ProofOpenFailed,
                "xdg-open is not installed, so the proof cannot be opened",
                $"Open {what} yourself, or install xdg-utils (apt-get install xdg-utils).");
        var result = await ProcessRunner.RunAsync(new ProcessSpec(opener, [what]) { Timeout = TimeSpan.FromSeconds(30), Environment = Context.Environment.ToDictionary(p => p.Key, p => (string?)p.Value) }, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new BatonException(
                ErrorCodes.ProofOpenFailed,
                $"xdg-open {what} failed ({(result.TimedOut ? "timed out" : $"exit code {result.ExitCode}")}): {(result.StandardError + result.StandardOutput).Trim()}",
                $"Open {what} yourself (with no display, 'baton proof' prints the summary).");
        }
    }
}
