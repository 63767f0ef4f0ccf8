using System.Globalization;

namespace Baton.Core.Proofs;

/// <summary>One commit of the task branch, as <c>git log</c> tells it.</summary>
public sealed record ProofCommit(string Id, string Author, DateTimeOffset Date, string Subject, string Body);

/// <summary>One file of <c>git diff --numstat</c>: lines added and deleted, null for a binary file.</summary>
public sealed record ProofFileChange(string Path, int? Added, int? Deleted)
{
    public bool Binary => Added is null || Deleted is null;
}

/// <summary>
/// Something in the workspace that is not committed (or stops the branch from holding the work): a kind in plain
/// words, how many, and the first few paths.
/// </summary>
public sealed record UncommittedWork(string Kind, string Message, int Count, IReadOnlyList<string> Items);

/// <summary>
/// What git says about a workspace at one moment. <see cref="BaseCommit"/> is where the branch left the default branch
/// (<c>git merge-base</c>); commits and files are <c>base..head</c>.
/// </summary>
public sealed record GitFacts
{
    public string? Branch { get; init; }

    /// <summary>The ref the base was computed against (the project's default branch, or a fallback).</summary>
    public string? BaseRef { get; init; }

    public string? BaseCommit { get; init; }

    public string? HeadCommit { get; init; }

    public IReadOnlyList<ProofCommit> Commits { get; init; } = [];

    public IReadOnlyList<ProofFileChange> Files { get; init; } = [];

    public IReadOnlyList<UncommittedWork> Uncommitted { get; init; } = [];

    public bool Clean => Uncommitted.Count == 0;
}

/// <summary>Parsers for the git outputs a proof is built from. Pure: the reader runs git, these read the text.</summary>
public static class GitFactsParser
{
    /// <summary>The <c>git log</c> format <see cref="ParseLog"/> reads: fields split by 0x1f, commits ended by 0x1e.</summary>
    public const string LogFormat = "--format=%H%x1f%an <%ae>%x1f%aI%x1f%s%x1f%b%x1e";

    /// <summary>Reads <c>git log <see cref="LogFormat"/></c> (newest first, as git prints it).</summary>
    public static IReadOnlyList<ProofCommit> ParseLog(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var commits = new List<ProofCommit>();
        foreach (var record in output.Split('\u001e'))
        {
            var text = record.TrimStart('\n', '\r');
            if (text.Length == 0)
            {
                continue;
            }

            var fields = text.Split('\u001f');
            if (fields.Length < 5)
            {
                continue;
            }

            var date = DateTimeOffset.TryParse(fields[2], CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : default;
            commits.Add(new ProofCommit(fields[0], fields[1], date, fields[3], fields[4].TrimEnd()));
        }

        return commits;
    }

    /// <summary>Reads <c>git diff --numstat -z --no-renames</c>: <c>added\tdeleted\tpath\0</c>, <c>-\t-\tpath</c> for binary files.</summary>
    public static IReadOnlyList<ProofFileChange> ParseNumstat(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var files = new List<ProofFileChange>();
        foreach (var entry in output.Split('\0'))
        {
            var text = entry.TrimStart('\n');
            var first = text.IndexOf('\t', StringComparison.Ordinal);
            var second = first < 0 ? -1 : text.IndexOf('\t', first + 1);
            if (second < 0)
            {
                continue;
            }

            files.Add(new ProofFileChange(text[(second + 1)..], Count(text[..first]), Count(text[(first + 1)..second])));
        }

        return files;

        static int? Count(string value) => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }
}
