using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Baton.Core.Events;
using Baton.Sessions;

namespace Baton.Workers;

/// <summary>
/// Appends normalized events to <c>events.jsonl</c> and every raw agent line to <c>agent.jsonl</c>, one JSON object
/// per line, flushed per line so a reader (peek, logs -f, the orchestrator) sees each event as it happens.
/// </summary>
public sealed class EventLog : IDisposable
{
    private static readonly JsonWriterOptions s_raw = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly StreamWriter _events;
    private readonly StreamWriter _raw;
    private readonly Lock _eventsGate = new();
    private readonly Lock _rawGate = new();
    private readonly TimeProvider _time;

    public EventLog(SessionFiles files, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(files);
        _time = time;
        _events = Open(files.Events);
        _raw = Open(files.Raw);
    }

    public void Append(WorkerEvent workerEvent)
    {
        var line = JsonSerializer.Serialize(workerEvent, SessionJsonContext.Default.WorkerEvent);
        lock (_eventsGate)
        {
            _events.Write(line);
            _events.Write('\n');
            _events.Flush();
        }
    }

    public void AppendRaw(string stream, string line)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_raw))
        {
            writer.WriteStartObject();
            writer.WriteString("ts", _time.GetUtcNow());
            writer.WriteString("stream", stream);
            writer.WriteString("line", line);
            writer.WriteEndObject();
        }

        var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, checked((int)buffer.Length));
        lock (_rawGate)
        {
            _raw.Write(text);
            _raw.Write('\n');
            _raw.Flush();
        }
    }

    public void Dispose()
    {
        _events.Dispose();
        _raw.Dispose();
    }

    private static StreamWriter Open(string path) =>
        new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new UTF8Encoding(false));
}
