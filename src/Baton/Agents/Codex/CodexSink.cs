using Baton.Core.Events;

namespace Baton.Agents.Codex;

/// <summary>
/// The adapter's view of the worker's sink: passes everything on, and keeps the last stderr lines so a failure
/// message can say what Codex said (a config error, a crash) instead of only an exit code.
/// </summary>
internal sealed class CodexSink(IAgentEventSink inner) : IAgentEventSink
{
    private const int TailLines = 12;
    private const int TailLineChars = 400;
    private readonly Queue<string> _stderr = new();
    private readonly Lock _lock = new();

    public void Event(WorkerEvent workerEvent)
    {
        ArgumentNullException.ThrowIfNull(workerEvent);
        inner.Event(workerEvent);
    }

    public void Raw(string stream, string line)
    {
        inner.Raw(stream, line);
        if (stream != "stderr" || string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        lock (_lock)
        {
            _stderr.Enqueue(line.Length <= TailLineChars ? line : line[..TailLineChars] + "…");
            while (_stderr.Count > TailLines)
            {
                _stderr.Dequeue();
            }
        }
    }

    /// <summary>The last stderr lines, joined, or an empty string.</summary>
    public string StderrTail()
    {
        lock (_lock)
        {
            return string.Join(" | ", _stderr);
        }
    }

    /// <summary>" (stderr: …)" when Codex said something on stderr.</summary>
    public string StderrSuffix()
    {
        var tail = StderrTail();
        return tail.Length == 0 ? "" : $" (stderr: {tail})";
    }
}
