using System.Globalization;
using System.Text;

namespace Baton.Core.Proofs;

/// <summary>What one validation command did. <see cref="Log"/> is relative to the proof directory.</summary>
public sealed record ValidationResult
{
    public required string Command { get; init; }

    /// <summary>Null when the command never ran to an exit (it could not start, or it was killed on timeout).</summary>
    public int? ExitCode { get; init; }

    public bool TimedOut { get; init; }

    public int TimeoutMs { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public long DurationMs { get; init; }

    /// <summary>The commit the workspace was at when the command ran.</summary>
    public string? Commit { get; init; }

    /// <summary>The full output (stdout and stderr as they came), up to the log cap.</summary>
    public string? Log { get; init; }

    /// <summary>Every byte the command printed, including what the cap kept out of the log.</summary>
    public long OutputBytes { get; init; }

    public bool LogTruncated { get; init; }

    /// <summary>The end of the output (bounded), for people and for the agent's fix message.</summary>
    public string Excerpt { get; init; } = string.Empty;

    /// <summary>Why the log could not be written (the command still ran; its result stands).</summary>
    public string? LogError { get; init; }

    /// <summary>Why the command could not be run at all.</summary>
    public string? Error { get; init; }

    public bool Passed => ExitCode == 0 && !TimedOut && Error is null;

    /// <summary>"passed", "exit code 2", "timed out after 3000 ms", or the start error, in plain words.</summary>
    public string Describe() =>
        Error is not null ? $"could not run: {Error}"
        : TimedOut ? string.Create(CultureInfo.InvariantCulture, $"timed out after {TimeoutMs} ms and was killed with its process group")
        : ExitCode == 0 ? "passed"
        : string.Create(CultureInfo.InvariantCulture, $"exit code {ExitCode}");
}

/// <summary>The outcome of a hand-off check: ready for review, something the agent can fix, or a failure it cannot.</summary>
public abstract record WorkVerdict
{
    private WorkVerdict()
    {
    }

    public sealed record Ready(string Reason) : WorkVerdict;

    /// <param name="Problems">One line for logs and the failure reason.</param>
    /// <param name="Message">The follow-up the agent gets: exactly what to fix.</param>
    public sealed record NeedsFix(string Problems, string Message) : WorkVerdict;

    public sealed record Failed(string Reason) : WorkVerdict;
}

/// <summary>What a hand-off check looked at.</summary>
public sealed record WorkFacts
{
    public required string TaskIdentifier { get; init; }

    /// <summary>Null when the workspace is not a git repository or git could not be read (see <see cref="GitProblem"/>).</summary>
    public GitFacts? Git { get; init; }

    public string? GitProblem { get; init; }

    public IReadOnlyList<ValidationResult> Validation { get; init; } = [];
}

/// <summary>
/// Baton's hand-off decision (issue 6, seed 001 §3.6): the branch is review-ready when every validation command passed,
/// nothing in the workspace is uncommitted, and the branch has at least one commit beyond its base.
/// </summary>
public static class HandoffRules
{
    /// <summary>How much of a failing command's output goes into the fix message.</summary>
    public const int MessageExcerptChars = 1500;

    public static WorkVerdict Judge(WorkFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (facts.Git is not { } git)
        {
            return new WorkVerdict.Failed(facts.GitProblem ?? "the workspace is not a git repository, so there is no branch to hand off");
        }

        var problems = new List<string>();
        var fixes = new List<string>();
        if (!git.Clean)
        {
            problems.Add("uncommitted changes");
            var lines = git.Uncommitted.Select(u => $"  - {u.Message}: {ItemList(u.Items, u.Count)}");
            fixes.Add($"The workspace has work that is not committed on {git.Branch ?? "the task branch"}:\n{string.Join('\n', lines)}\n  Commit what belongs to the task (git add, git commit) and delete what does not (or add it to .gitignore), so that `git status` is clean.");
        }

        if (git.HeadCommit is null || git.Commits.Count == 0)
        {
            problems.Add("no commits");
            fixes.Add($"The branch {git.Branch ?? "(detached HEAD)"} has no commit beyond {git.BaseRef ?? "its base"}: commit your work on it.");
        }

        foreach (var result in facts.Validation.Where(r => !r.Passed))
        {
            problems.Add($"validation `{result.Command}` {result.Describe()}");
            var excerpt = Tail(result.Excerpt, MessageExcerptChars).TrimEnd();
            var where = result.Log is null ? string.Empty : $" (full output in the proof's {result.Log})";
            fixes.Add(excerpt.Length == 0
                ? $"The validation command `{result.Command}` {result.Describe()}{where}; it printed nothing."
                : $"The validation command `{result.Command}` {result.Describe()}{where}. The end of its output:\n{Fence(excerpt)}");
        }

        if (problems.Count == 0)
        {
            var validated = facts.Validation.Count == 0 ? "no validation commands are configured" : string.Create(CultureInfo.InvariantCulture, $"{facts.Validation.Count} validation command(s) passed");
            return new WorkVerdict.Ready(string.Create(CultureInfo.InvariantCulture, $"review-ready: {validated}, {git.Commits.Count} commit(s), workspace clean"));
        }

        var message = new StringBuilder()
            .Append("Baton checked your work on ").Append(facts.TaskIdentifier).Append(" before handing it off for review, and it is not ready yet:\n\n");
        for (var i = 0; i < fixes.Count; i++)
        {
            message.Append(CultureInfo.InvariantCulture, $"{i + 1}. {fixes[i]}\n\n");
        }

        message.Append("Fix exactly these, commit, and end your turn: Baton checks again. Do not move the task yourself.");
        return new WorkVerdict.NeedsFix(string.Join("; ", problems), message.ToString());
    }

    /// <summary>The end of <paramref name="text"/>, at most <paramref name="max"/> characters, cut at a line start when it can be.</summary>
    public static string Tail(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= max)
        {
            return text;
        }

        var cut = text.Length - max;
        var newline = text.IndexOf('\n', cut);
        return "…" + (newline >= 0 && newline < text.Length - 1 ? text[(newline + 1)..] : text[cut..]);
    }

    /// <summary>A Markdown code fence longer than any run of backticks inside, so output can never close it early.</summary>
    public static string Fence(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var longest = 0;
        var run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', Math.Max(3, longest + 1));
        return $"{fence}\n{text}\n{fence}";
    }

    private static string ItemList(IReadOnlyList<string> items, int count)
    {
        var shown = string.Join(", ", items.Take(10));
        return count > Math.Min(items.Count, 10) ? string.Create(CultureInfo.InvariantCulture, $"{shown} and {count - Math.Min(items.Count, 10)} more") : shown;
    }
}
