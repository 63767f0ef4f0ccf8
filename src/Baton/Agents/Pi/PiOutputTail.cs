using Baton.Core.Events;

namespace Baton.Agents.Pi;

/// <summary>
/// Passes everything on to the session's sink and keeps the last few lines of stderr and of non-JSON stdout, so a pi
/// that fails to start can be explained in the error itself instead of only in the raw log.
/// </summary>
internal sealed class PiOutputTail(IAgentEventSink inner) : IAgentEventSink
{
    private const int MaxLines = 12;
    private const int MaxLineChars = 300;
    private readonly Queue<string> _lines = new();
    private readonly Lock _lock = new();

    public void Event(WorkerEvent workerEvent) => inner.Event(workerEvent);

    public void Raw(string stream, string line)
    {
        inner.Raw(stream, line);
        if (stream == "stdin" || (stream == "stdout" && line.StartsWith('{')) || line.Length == 0)
        {
            return;
        }

        lock (_lock)
        {
            _lines.Enqueue(line.Length <= MaxLineChars ? line : string.Concat(line.AsSpan(0, MaxLineChars), "…"));
            while (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
            }
        }
    }

    /// <summary>The kept lines joined with " | ", or empty.</summary>
    public string Describe()
    {
        lock (_lock)
        {
            return string.Join(" | ", _lines);
        }
    }
}
