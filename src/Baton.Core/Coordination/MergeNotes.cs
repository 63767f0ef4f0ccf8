using System.Globalization;
using System.Text;

namespace Baton.Core.Coordination;

/// <summary>Why the merge queue sent a task back, in the form its comment and its message need.</summary>
public sealed record MergeRejection
{
    public const string Conflict = "conflict";
    public const string ValidationFailed = "validation_failed";
    public const string ValidationTimedOut = "validation_timed_out";
    public const string BranchMissing = "branch_missing";
    public const string NothingCommitted = "nothing_committed";

    /// <summary>One of the constants above.</summary>
    public required string Kind { get; init; }

    public required string Branch { get; init; }

    public required string DefaultBranch { get; init; }

    /// <summary>The default branch's commit the rebase was onto (null when there was no rebase).</summary>
    public string? Base { get; init; }

    public IReadOnlyList<string> Files { get; init; } = [];

    public string? Command { get; init; }

    public int? ExitCode { get; init; }

    public int? TimeoutMs { get; init; }

    /// <summary>The end of the failing command's output, or git's message.</summary>
    public string? Excerpt { get; init; }

    /// <summary>Where the whole output is.</summary>
    public string? LogPath { get; init; }
}

/// <summary>The texts the merge queue writes on tasks and sends to sessions. Pure, so their shape is tested without git.</summary>
public static class MergeNotes
{
    public const int MaxExcerptLines = 40;
    public const int MaxExcerptChars = 4000;
    public const int MaxFilesListed = 50;

    /// <summary>The one line that says what went wrong: the result's reason and the first line of the comment.</summary>
    public static string Reason(MergeRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        var onto = rejection.Base is null ? rejection.DefaultBranch : $"{rejection.DefaultBranch} ({Short(rejection.Base)})";
        return rejection.Kind switch
        {
            MergeRejection.Conflict => $"rebasing {rejection.Branch} on {onto} conflicts in {FileList(rejection.Files)}",
            MergeRejection.ValidationTimedOut => string.Create(CultureInfo.InvariantCulture, $"the validation command `{rejection.Command}` did not finish within {(rejection.TimeoutMs ?? 0) / 1000.0:0.###} s after rebasing {rejection.Branch} on {onto} (it was killed)"),
            MergeRejection.ValidationFailed when rejection.ExitCode is { } code => string.Create(CultureInfo.InvariantCulture, $"the validation command `{rejection.Command}` exited with {code} after rebasing {rejection.Branch} on {onto}"),
            MergeRejection.ValidationFailed => $"the validation command `{rejection.Command}` could not run after rebasing {rejection.Branch} on {onto}",
            MergeRejection.BranchMissing => $"the branch {rejection.Branch} does not exist, so there is nothing to merge",
            MergeRejection.NothingCommitted => $"the branch {rejection.Branch} has no commit that is not in {rejection.DefaultBranch} yet, and its workspace holds uncommitted changes",
            _ => $"{rejection.Kind} while merging {rejection.Branch} into {onto}",
        };
    }

    /// <summary>The comment on a task the queue moved to its rework state; <paramref name="mergeState"/> is where it goes back when fixed.</summary>
    public static string ReworkComment(MergeRejection rejection, string mergeState)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        var text = new StringBuilder();
        text.Append("The merge queue sent this task back: ").Append(Reason(rejection)).Append(".\n");
        if (rejection.Kind == MergeRejection.Conflict && rejection.Files.Count > 0)
        {
            text.Append("\nConflicting files:\n");
            foreach (var file in rejection.Files.Take(MaxFilesListed))
            {
                text.Append("- ").Append(Clean(file)).Append('\n');
            }

            if (rejection.Files.Count > MaxFilesListed)
            {
                text.Append(CultureInfo.InvariantCulture, $"- … and {rejection.Files.Count - MaxFilesListed} more\n");
            }
        }

        if (Excerpt(rejection.Excerpt) is { Length: > 0 } excerpt)
        {
            text.Append("\nOutput (the end):\n```\n").Append(excerpt).Append("\n```\n");
        }

        if (rejection.LogPath is not null)
        {
            text.Append("\nThe whole output: ").Append(rejection.LogPath).Append('\n');
        }

        text.Append('\n').Append(rejection.Kind switch
        {
            MergeRejection.Conflict => $"To fix: rebase {rejection.Branch} on {rejection.DefaultBranch} (git rebase {rejection.DefaultBranch}), resolve the conflicts in these files, commit, then move the task to {mergeState} again.",
            MergeRejection.BranchMissing => $"To fix: commit the work on {rejection.Branch} (or set the task's branch to the one holding it), then move the task to {mergeState} again.",
            MergeRejection.NothingCommitted => $"To fix: commit the work in the workspace on {rejection.Branch}, then move the task to {mergeState} again.",
            _ => $"To fix: rebase {rejection.Branch} on {rejection.DefaultBranch}, make the command pass, commit, then move the task to {mergeState} again.",
        });
        return text.ToString();
    }

    /// <summary>The comment on a task the queue landed.</summary>
    public static string MergedComment(string defaultBranch, string rebased, string @base, int commits, string? pushedTo, string workspace)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Merged by the merge queue: {defaultBranch} is now {Short(rebased)}");
        text.Append(commits == 0
            ? " (the branch held nothing that was not in it already)"
            : string.Create(CultureInfo.InvariantCulture, $" ({commits} commit{(commits == 1 ? string.Empty : "s")} rebased on {Short(@base)}, validated)"));
        text.Append('.');
        if (pushedTo is not null)
        {
            text.Append(" Pushed to ").Append(pushedTo).Append('.');
        }

        text.Append(' ').Append(workspace);
        return text.ToString();
    }

    /// <summary>At most <see cref="MaxExcerptLines"/> last lines and <see cref="MaxExcerptChars"/> characters, control characters removed, no code fence.</summary>
    public static string Excerpt(string? output)
    {
        if (string.IsNullOrWhiteSpace(output))
        {
            return string.Empty;
        }

        var lines = output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(Clean).ToList();
        while (lines.Count > 0 && lines[^1].Trim().Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var kept = string.Join('\n', lines.TakeLast(MaxExcerptLines)).Replace("```", "'''", StringComparison.Ordinal);
        return kept.Length <= MaxExcerptChars ? kept : "…" + kept[^MaxExcerptChars..];
    }

    public static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;

    private static string FileList(IReadOnlyList<string> files) =>
        files.Count == 0 ? "(git named no file)"
        : files.Count <= 5 ? string.Join(", ", files.Select(Clean))
        : string.Create(CultureInfo.InvariantCulture, $"{string.Join(", ", files.Take(5).Select(Clean))} and {files.Count - 5} more");

    /// <summary>Drops terminal control characters (escape sequences from colourful test runners) but keeps tabs.</summary>
    private static string Clean(string line)
    {
        var text = new StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\u001b')
            {
                // CSI: ESC [ parameters final-byte.
                if (i + 1 < line.Length && line[i + 1] == '[')
                {
                    i += 2;
                    while (i < line.Length && line[i] is < '@' or > '~')
                    {
                        i++;
                    }
                }

                continue;
            }

            if (c == '\t' || !char.IsControl(c))
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}
