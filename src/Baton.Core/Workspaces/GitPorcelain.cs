namespace Baton.Core.Workspaces;

/// <summary>One entry of <c>git worktree list --porcelain -z</c>.</summary>
public sealed record WorktreeEntry(
    string Path,
    string? Head,
    string? Branch,
    bool IsDetached,
    bool IsBare,
    bool IsLocked,
    string? LockReason,
    bool IsPrunable,
    string? PrunableReason);

/// <summary>A local branch as <c>git for-each-ref refs/heads/</c> describes it.</summary>
/// <param name="UpstreamGone">The branch has an upstream configured whose remote-tracking ref no longer exists.</param>
public sealed record BranchInfo(string Name, string Commit, string? Upstream, bool UpstreamGone, string? UpstreamRemote);

public sealed record CommitSummary(string Id, string Subject)
{
    public override string ToString() => Id.Length > 12 ? $"{Id[..12]} {Subject}" : $"{Id} {Subject}";
}

/// <summary>A stash entry; <see cref="Branch"/> is what its message names (null when it names none).</summary>
public sealed record StashEntry(string Selector, string Subject, string? Branch, bool MadeOnDetachedHead);

/// <summary>The paths <c>git status --porcelain=v2</c> reports, sorted into what they mean for removal.</summary>
public sealed record GitStatusSummary(
    IReadOnlyList<string> Staged,
    IReadOnlyList<string> Unstaged,
    IReadOnlyList<string> Untracked,
    IReadOnlyList<string> Conflicted,
    IReadOnlyList<string> DirtySubmodules)
{
    public static GitStatusSummary Empty { get; } = new([], [], [], [], []);
}

/// <summary>An index entry git status does not look at (assume-unchanged or skip-worktree).</summary>
public sealed record FlaggedIndexEntry(string Path, string ObjectId, bool AssumeUnchanged, bool SkipWorktree);

/// <summary>Parsers for git's machine-readable outputs. Pure: the analyzer runs git, these read the text.</summary>
public static class GitPorcelain
{
    public const char FieldSeparator = '\u001f';

    public static IReadOnlyList<WorktreeEntry> ParseWorktreeList(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var entries = new List<WorktreeEntry>();
        WorktreeEntry? current = null;
        foreach (var token in output.Split('\0'))
        {
            if (token.Length == 0)
            {
                if (current is not null)
                {
                    entries.Add(current);
                    current = null;
                }

                continue;
            }

            var space = token.IndexOf(' ', StringComparison.Ordinal);
            var key = space < 0 ? token : token[..space];
            var value = space < 0 ? null : token[(space + 1)..];
            if (key == "worktree")
            {
                if (current is not null)
                {
                    entries.Add(current);
                }

                current = new WorktreeEntry(value ?? string.Empty, null, null, false, false, false, null, false, null);
                continue;
            }

            if (current is null)
            {
                continue;
            }

            current = key switch
            {
                "HEAD" => current with { Head = value },
                "branch" => current with { Branch = StripHeads(value) },
                "detached" => current with { IsDetached = true },
                "bare" => current with { IsBare = true },
                "locked" => current with { IsLocked = true, LockReason = value },
                "prunable" => current with { IsPrunable = true, PrunableReason = value },
                _ => current,
            };
        }

        if (current is not null)
        {
            entries.Add(current);
        }

        return entries;
    }

    /// <summary>Reads <c>git status --porcelain=v2 -z --untracked-files=all --ignore-submodules=none</c>.</summary>
    public static GitStatusSummary ParseStatus(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var staged = new List<string>();
        var unstaged = new List<string>();
        var untracked = new List<string>();
        var conflicted = new List<string>();
        var submodules = new List<string>();
        var tokens = output.Split('\0');
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (token.Length < 2)
            {
                continue;
            }

            switch (token[0])
            {
                case '1':
                    Classify(Fields(token, 9), null);
                    break;
                case '2':
                    // A rename or copy: the original path is the next NUL-separated token.
                    var original = i + 1 < tokens.Length ? tokens[++i] : null;
                    Classify(Fields(token, 10), original);
                    break;
                case 'u':
                    conflicted.Add(Fields(token, 11)[10]);
                    break;
                case '?':
                    untracked.Add(token[2..]);
                    break;
                default:
                    // '#' headers and '!' ignored entries carry no work.
                    break;
            }
        }

        return new GitStatusSummary(staged, unstaged, untracked, conflicted, submodules);

        void Classify(string[] fields, string? originalPath)
        {
            var xy = fields[1];
            var sub = fields[2];
            var path = fields[^1];
            var shown = originalPath is null ? path : $"{originalPath} -> {path}";
            if (xy[0] != '.')
            {
                staged.Add(shown);
            }

            // "S<c><m><u>": the entry is a submodule; c = new commits, m = modified, u = untracked content.
            var dirtySubmodule = sub.Length == 4 && sub[0] == 'S' && (sub[1] != '.' || sub[2] != '.' || sub[3] != '.');
            if (dirtySubmodule)
            {
                submodules.Add($"{path} ({DescribeSubmodule(sub)})");
            }
            else if (xy[1] != '.')
            {
                unstaged.Add(shown);
            }
        }
    }

    /// <summary>Reads <c>git stash list --format=%gd%x1f%gs</c>.</summary>
    public static IReadOnlyList<StashEntry> ParseStashList(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var entries = new List<StashEntry>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = line.IndexOf(FieldSeparator, StringComparison.Ordinal);
            var selector = separator < 0 ? line : line[..separator];
            var subject = separator < 0 ? string.Empty : line[(separator + 1)..];
            var (branch, detached) = StashBranch(subject);
            entries.Add(new StashEntry(selector, subject, branch, detached));
        }

        return entries;
    }

    /// <summary>
    /// The branch a stash message names: <c>WIP on &lt;branch&gt;: …</c> (no message given) or
    /// <c>On &lt;branch&gt;: …</c> (message given). Ref names cannot contain ':', so the first colon ends it.
    /// </summary>
    public static (string? Branch, bool Detached) StashBranch(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        string rest;
        if (subject.StartsWith("WIP on ", StringComparison.Ordinal))
        {
            rest = subject["WIP on ".Length..];
        }
        else if (subject.StartsWith("On ", StringComparison.Ordinal))
        {
            rest = subject["On ".Length..];
        }
        else
        {
            return (null, false);
        }

        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return (null, false);
        }

        var name = rest[..colon];
        return name == "(no branch)" ? (null, true) : (name, false);
    }

    /// <summary>Reads <c>git for-each-ref --format=%(refname)%x1f%(objectname)%x1f%(upstream)%x1f%(upstream:track)%x1f%(upstream:remotename) refs/heads/</c>.</summary>
    public static IReadOnlyDictionary<string, BranchInfo> ParseBranches(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var branches = new Dictionary<string, BranchInfo>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(FieldSeparator);
            if (fields.Length < 5 || !fields[0].StartsWith("refs/heads/", StringComparison.Ordinal))
            {
                continue;
            }

            var name = StripHeads(fields[0])!;
            var upstream = fields[2].Length == 0 ? null : fields[2];
            var gone = fields[3].Contains("gone", StringComparison.Ordinal);
            branches[name] = new BranchInfo(name, fields[1], upstream, gone, fields[4].Length == 0 ? null : fields[4]);
        }

        return branches;
    }

    /// <summary>Reads <c>git rev-list --no-commit-header --format=%H%x1f%s</c>.</summary>
    public static IReadOnlyList<CommitSummary> ParseCommits(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var commits = new List<CommitSummary>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = line.IndexOf(FieldSeparator, StringComparison.Ordinal);
            commits.Add(separator < 0 ? new CommitSummary(line, string.Empty) : new CommitSummary(line[..separator], line[(separator + 1)..]));
        }

        return commits;
    }

    /// <summary>Reads <c>git ls-files -v -s -z</c> and keeps the entries git status skips.</summary>
    public static IReadOnlyList<FlaggedIndexEntry> ParseFlaggedIndexEntries(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var flagged = new List<FlaggedIndexEntry>();
        foreach (var record in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<tag> <mode> <object> <stage>\t<path>"; a lower-case tag means assume-unchanged, 'S'/'s' skip-worktree.
            var tag = record[0];
            var assumeUnchanged = char.IsLower(tag);
            var skipWorktree = tag is 'S' or 's';
            if (!assumeUnchanged && !skipWorktree)
            {
                continue;
            }

            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
            {
                continue;
            }

            var fields = record[..tab].Split(' ');
            if (fields.Length < 4)
            {
                continue;
            }

            flagged.Add(new FlaggedIndexEntry(record[(tab + 1)..], fields[2], assumeUnchanged, skipWorktree));
        }

        return flagged;
    }

    private static string[] Fields(string token, int count) => token.Split(' ', count);

    private static string? StripHeads(string? reference) =>
        reference is not null && reference.StartsWith("refs/heads/", StringComparison.Ordinal) ? reference["refs/heads/".Length..] : reference;

    private static string DescribeSubmodule(string sub)
    {
        var parts = new List<string>(3);
        if (sub[1] == 'C')
        {
            parts.Add("new commits");
        }

        if (sub[2] == 'M')
        {
            parts.Add("modified content");
        }

        if (sub[3] == 'U')
        {
            parts.Add("untracked content");
        }

        return string.Join(", ", parts);
    }
}
