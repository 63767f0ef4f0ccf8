using System.Text.Json;
using Baton.Core.Errors;
using Baton.Core.Proofs;

namespace Baton.Proofs;

/// <summary>
/// The proof bundle on disk, <c>sessions/&lt;s&gt;/proof/</c>: proof.json, summary.md, transcript.html and
/// validation/N.log. It is written whole or not at all: into a temporary directory beside it, then swapped in by
/// renames, so a reader sees the old bundle or the new one, never half of one. It lives in the session directory, so it
/// survives the workspace and is archived with the session.
/// </summary>
public static class ProofBundle
{
    public const string DirectoryName = "proof";

    public static string PathFor(string sessionDirectory) => Path.Combine(sessionDirectory, DirectoryName);

    /// <summary>What goes into a bundle besides the document.</summary>
    /// <param name="TranscriptHtml">The transcript page's content, or null to copy <paramref name="TranscriptSource"/>.</param>
    /// <param name="TranscriptSource">A file to copy as transcript.html (the agent's own export).</param>
    /// <param name="ValidationLogs">Log files to copy under validation/, by the name proof.json gives them.</param>
    public sealed record Contents(ProofDocument Proof, string Summary, string? TranscriptHtml, string? TranscriptSource, IReadOnlyDictionary<string, string> ValidationLogs);

    /// <exception cref="BatonException"><c>proof_not_writable</c> when the session directory or an old bundle cannot be changed.</exception>
    public static string Write(string sessionDirectory, Contents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var target = PathFor(sessionDirectory);
        var temp = Path.Combine(sessionDirectory, $".proof-{Guid.NewGuid():N}.tmp");
        var old = Path.Combine(sessionDirectory, $".proof-{Guid.NewGuid():N}.old");
        try
        {
            Directory.CreateDirectory(temp);
            WriteFile(Path.Combine(temp, ProofDocument.FileName), ProofRenderer.Json(contents.Proof));
            WriteFile(Path.Combine(temp, ProofDocument.SummaryFile), contents.Summary);
            if (contents.TranscriptHtml is not null)
            {
                WriteFile(Path.Combine(temp, ProofDocument.TranscriptFile), contents.TranscriptHtml);
            }
            else if (contents.TranscriptSource is not null)
            {
                File.Copy(contents.TranscriptSource, Path.Combine(temp, ProofDocument.TranscriptFile));
            }

            foreach (var (name, source) in contents.ValidationLogs)
            {
                var destination = Path.Combine(temp, name);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(source, destination);
            }

            // rename(2) cannot replace a non-empty directory: move the old bundle aside, move the new one in, then
            // delete the old one. A crash between the two renames leaves the old bundle under .old, never a half one.
            var hadOld = Directory.Exists(target);
            if (hadOld)
            {
                Directory.Move(target, old);
            }

            try
            {
                Directory.Move(temp, target);
            }
            catch (Exception) when (hadOld)
            {
                Directory.Move(old, target);
                throw;
            }

            if (hadOld)
            {
                TryDelete(old);
            }

            return target;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new BatonException(
                ErrorCodes.ProofNotWritable,
                $"the proof of {Path.GetFileName(sessionDirectory)} could not be written to {target}: {ex.Message}",
                $"Make {sessionDirectory} and {target} writable (ls -ld, lsattr -d); the session's events are kept in {Path.Combine(sessionDirectory, "events.jsonl")}.");
        }
    }

    /// <summary>The bundle's proof.json, or null when there is no bundle yet.</summary>
    /// <exception cref="BatonException"><c>proof_unreadable</c> when the file exists but cannot be read or parsed.</exception>
    public static ProofDocument? Read(string sessionDirectory)
    {
        var path = Path.Combine(PathFor(sessionDirectory), ProofDocument.FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return ProofRenderer.ParseJson(File.ReadAllText(path))
                ?? throw new JsonException("the file is empty");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new BatonException(
                ErrorCodes.ProofUnreadable,
                $"the proof {path} cannot be read: {ex.Message}",
                $"Its summary for people is beside it ({Path.Combine(PathFor(sessionDirectory), ProofDocument.SummaryFile)}).");
        }
    }

    private static void WriteFile(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true))
        {
            writer.Write(text);
        }

        stream.Flush(flushToDisk: true);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for a person to see; the bundle itself is complete.
        }
    }
}
