using System.Text;

namespace Baton.Replay;

/// <summary>Appends one JSON line per request; lines from concurrent requests never interleave.</summary>
internal sealed class ReplayRequestLog : IDisposable
{
    private const string Redacted = "[redacted]";

    private static readonly string[] s_secretParts = ["auth", "key", "token", "secret", "cookie", "session"];

    private readonly FileStream _stream;
    private readonly Lock _lock = new();
    private bool _disposed;

    private ReplayRequestLog(FileStream stream) => _stream = stream;

    public static ReplayRequestLog Open(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // FileShare.Read so a test or a person can read the log while the server runs.
        return new ReplayRequestLog(new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    /// <summary>
    /// True for headers that carry credentials (<c>authorization</c>, <c>x-api-key</c>, cookies, …): their values are
    /// never written, even with <c>--log-bodies</c>, because logs get attached to bug reports.
    /// </summary>
    public static bool IsSecretHeader(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var part in s_secretParts)
        {
            if (name.Contains(part, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public static string RedactedValue => Redacted;

    public void Append(string jsonLine)
    {
        var bytes = Encoding.UTF8.GetBytes(jsonLine + "\n");
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _stream.Write(bytes);
            _stream.Flush();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _disposed = true;
                _stream.Dispose();
            }
        }
    }
}
