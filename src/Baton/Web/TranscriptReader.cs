using System.Text.Json;
using Baton.Core.Events;
using Baton.Core.Web;
using Baton.Sessions;
using Baton.Workers;

namespace Baton.Web;

/// <summary>
/// Reads a session's <c>events.jsonl</c> for the transcript, a page at a time from a byte offset, so a page that is
/// open for hours asks only for what is new. Only complete lines count (the worker may be writing the last one);
/// a line that is not an event (cut short by a crash) is skipped. Each call reads a bounded amount, however large
/// the file or a line in it.
/// </summary>
public static class TranscriptReader
{
    public const int MaxEvents = 500;

    /// <summary>The most one call reads: a page is never a whole large file.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Text fields longer than this are cut (the page shows an excerpt; events.jsonl keeps everything).</summary>
    public const int MaxFieldChars = 16_000;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static TranscriptPage Read(string session, string eventsPath, long from, int max)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(eventsPath);
        max = Math.Clamp(max, 1, MaxEvents);
        from = Math.Max(0, from);
        FileStream stream;
        try
        {
            stream = new FileStream(eventsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // No events yet (or the session directory went away): an empty page, and a reset if the client had some.
            return new TranscriptPage(session, 0, 0, More: false, Reset: from > 0, []);
        }

        using (stream)
        {
            var length = stream.Length;
            var reset = false;
            if (from > length)
            {
                from = 0;
                reset = true;
            }

            var size = (int)Math.Min(length - from, MaxBytes);
            var buffer = new byte[size];
            stream.Seek(from, SeekOrigin.Begin);
            stream.ReadExactly(buffer);
            var entries = new List<TranscriptEntry>();

            // A UTF-8 byte order mark at the very start (a file someone wrote by hand) is not part of the first line.
            var start = from == 0 && buffer.AsSpan().StartsWith(Utf8Bom) ? Utf8Bom.Length : 0;
            var more = false;
            while (start < size)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start);
                if (newline < 0)
                {
                    break;
                }

                if (entries.Count == max)
                {
                    more = true;
                    break;
                }

                if (Parse(buffer.AsSpan(start, newline - start)) is { } entry)
                {
                    entries.Add(entry);
                }

                start = newline + 1;
            }

            var next = from + start;
            if (entries.Count == 0 && next == from && size == MaxBytes)
            {
                // One line longer than a whole page: step over what was read, or no call would ever get past it. The
                // rest of that line then fails to parse and is skipped like any broken line.
                next = from + size;
            }

            more |= next < length && size == MaxBytes;
            return new TranscriptPage(session, from, next, more, reset, entries);
        }
    }

    /// <summary>One event as the transcript shows it; null for lines that are not events and for heartbeats.</summary>
    public static TranscriptEntry? Parse(ReadOnlySpan<byte> line)
    {
        WorkerEvent? e;
        try
        {
            e = JsonSerializer.Deserialize(line, SessionJsonContext.Default.WorkerEvent);
        }
        catch (JsonException)
        {
            return null;
        }

        return e is null || e.Type == WorkerEventTypes.Heartbeat ? null : Entry(e);
    }

    public static TranscriptEntry Entry(WorkerEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new TranscriptEntry
        {
            At = e.Ts,
            Run = e.Run,
            Type = e.Type,
            Words = TranscriptRenderer.Summary(e),
            Text = Cut(e.Text),
            ToolName = Cut(e.ToolName),
            ToolInput = Cut(e.ToolInput),
            ToolOutput = Cut(e.ToolOutput),
            IsError = e.IsError,
            Outcome = e.Outcome,
            Reason = Cut(e.Reason),
        };
    }

    private static string? Cut(string? text) =>
        text is null || text.Length <= MaxFieldChars ? text : string.Concat(text.AsSpan(0, MaxFieldChars), "…");
}
