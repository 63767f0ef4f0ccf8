using System.Globalization;
using System.Text;

namespace Baton.Orchestration;

/// <summary>
/// The orchestrator's operator log (Symphony §13.1, §13.2): one <c>key=value</c> line per event, with the task id,
/// identifier and session where they apply, in a file that rotates at 10 MB and keeps five generations; a brief line
/// goes to stderr too. Values are quoted when they hold spaces; callers never pass secrets (tokens, API keys).
/// </summary>
public sealed class RunLog : IDisposable
{
    public const string FileName = "baton-run.log";
    public const long MaxBytes = 10 * 1024 * 1024;
    public const int Generations = 5;

    private readonly Lock _gate = new();
    private readonly TextWriter? _console;
    private readonly TimeProvider _time;
    private readonly long _maxBytes;
    private StreamWriter? _writer;

    public RunLog(string directory, TextWriter? console, TimeProvider time, long maxBytes = MaxBytes)
    {
        _maxBytes = maxBytes;
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, FileName);
        _console = console;
        _time = time;
    }

    public string Path { get; }

    public void Info(string message, params (string Key, object? Value)[] fields) => Write("info", message, fields);

    public void Warn(string message, params (string Key, object? Value)[] fields) => Write("warn", message, fields);

    public void Error(string message, params (string Key, object? Value)[] fields) => Write("error", message, fields);

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    private void Write(string level, string message, (string Key, object? Value)[] fields)
    {
        var line = new StringBuilder();
        line.Append("ts=").Append(_time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        line.Append(" level=").Append(level).Append(" msg=").Append(Quote(message));
        var brief = new StringBuilder(message);
        foreach (var (key, value) in fields)
        {
            if (value is null)
            {
                continue;
            }

            var text = Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
            line.Append(' ').Append(key).Append('=').Append(text);
            brief.Append(' ').Append(key).Append('=').Append(text);
        }

        lock (_gate)
        {
            try
            {
                RotateIfNeeded();
                _writer ??= new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new UTF8Encoding(false)) { AutoFlush = true };
                _writer.WriteLine(line.ToString());
            }
            catch (IOException)
            {
                // The log must never take the orchestrator down (a full disk): stderr still gets the line.
            }

            _console?.WriteLine($"baton run: {(level == "info" ? string.Empty : level + ": ")}{brief}");
        }
    }

    private void RotateIfNeeded()
    {
        if (_writer is null || _writer.BaseStream.Length < _maxBytes)
        {
            return;
        }

        _writer.Dispose();
        _writer = null;
        File.Delete($"{Path}.{Generations}");
        for (var i = Generations - 1; i >= 1; i--)
        {
            if (File.Exists($"{Path}.{i}"))
            {
                File.Move($"{Path}.{i}", $"{Path}.{i + 1}");
            }
        }

        File.Move(Path, $"{Path}.1");
    }

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => c > ' ' && c != '"' && c != '=')
            ? value
            : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
