using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Baton.Core.Proofs;
using Baton.Processes;

namespace Baton.Proofs;

/// <summary>Where and how validation commands run: the workspace, the environment, and the log directory.</summary>
public sealed record ValidationContext
{
    public required string Workspace { get; init; }

    /// <summary>Directory the logs go to (<c>1.log</c>, <c>2.log</c>, … in command order).</summary>
    public required string LogDirectory { get; init; }

    /// <summary>Variables to set (null removes one) on top of the inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>The commit the workspace is at, recorded with each result.</summary>
    public string? Commit { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Bytes of output kept in each log; the rest is read and counted, never stored.</summary>
    public long MaxLogBytes { get; init; } = ValidationRunner.DefaultMaxLogBytes;
}

/// <summary>
/// Runs <c>proof.validate</c> commands one after another with <c>bash -lc</c> in the workspace. Each command leads its own
/// process group, so a timeout kills everything it started. Its output (stdout and stderr as they come) goes to a log
/// file capped at <see cref="ValidationContext.MaxLogBytes"/>; past the cap the output is still drained (a command
/// must never block on a full pipe) and counted, and memory holds only a bounded tail for the excerpt.
/// </summary>
public static class ValidationRunner
{
    public const long DefaultMaxLogBytes = 4 * 1024 * 1024;

    /// <summary>Bytes of the end of the output kept for the excerpt.</summary>
    public const int ExcerptBytes = 4096;

    /// <summary>Runs every command, even after one fails, so the proof and the fix message tell everything at once.</summary>
    public static async Task<IReadOnlyList<ValidationResult>> RunAllAsync(IReadOnlyList<ValidationCommand> commands, ValidationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(context);
        var results = new List<ValidationResult>();
        for (var i = 0; i < commands.Count; i++)
        {
            results.Add(await RunAsync(commands[i], Path.Combine(context.LogDirectory, $"{i + 1}.log"), context, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    public static async Task<ValidationResult> RunAsync(ValidationCommand command, string logPath, ValidationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        var started = context.Time.GetUtcNow();
        var watch = Stopwatch.StartNew();
        var result = new ValidationResult
        {
            Command = command.Command,
            StartedAt = started,
            TimeoutMs = command.TimeoutMs,
            Commit = context.Commit,
            Log = Path.GetFileName(logPath),
        };

        if (!Directory.Exists(context.Workspace))
        {
            return result with { Error = $"the workspace {context.Workspace} does not exist", Log = null };
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var startInfo = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = context.Workspace,
        };

        // --wait keeps setsid's exit code equal to the command's should setsid have to fork. The login shell gets the
        // caller's PATH back in front (Debian's /etc/profile resets it; see LoginShell).
        var path = context.Environment.TryGetValue("PATH", out var given) ? given : Environment.GetEnvironmentVariable("PATH");
        foreach (var argument in new[] { "--wait", "bash" }.Concat(LoginShell.Arguments(command.Command, path)))
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in context.Environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        await using var sink = new CappedLog(logPath, context.MaxLogBytes);
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return result with { Error = $"could not start bash: {ex.Message}", DurationMs = watch.ElapsedMilliseconds };
        }

        process.StandardInput.Close();
        var pumps = Task.WhenAll(PumpAsync(process.StandardOutput.BaseStream, sink), PumpAsync(process.StandardError.BaseStream, sink));
        var timedOut = false;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(command.TimeoutMs)))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ProcessRunner.KillTree(process, processGroup: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                timedOut = timeout.IsCancellationRequested;
                if (!timedOut)
                {
                    await DrainAsync(pumps, process).ConfigureAwait(false);
                    throw;
                }
            }
        }

        await DrainAsync(pumps, process).ConfigureAwait(false);
        sink.Finish(timedOut ? $"killed after {command.TimeoutMs} ms (timeout)" : null);
        return result with
        {
            ExitCode = timedOut ? null : process.ExitCode,
            TimedOut = timedOut,
            DurationMs = watch.ElapsedMilliseconds,
            OutputBytes = sink.TotalBytes,
            LogTruncated = sink.Truncated,
            Excerpt = sink.Tail(),
            LogError = sink.WriteError,
            Log = sink.LogOpened ? result.Log : null,
        };
    }

    /// <summary>A background child that kept the pipes open outlives the command: stop reading after a short wait.</summary>
    private static async Task DrainAsync(Task pumps, Process process)
    {
        try
        {
            await pumps.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            process.StandardOutput.Dispose();
            process.StandardError.Dispose();
        }
    }

    private static async Task PumpAsync(Stream stream, CappedLog sink)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                sink.Write(buffer.AsSpan(0, read));
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException)
        {
            // The pipe was abandoned after the command ended (see DrainAsync).
        }
    }

    /// <summary>The log file up to its cap, a byte count, and a ring of the last bytes. Thread-safe: both pipes write here.</summary>
    private sealed class CappedLog : IAsyncDisposable
    {
        private readonly Lock _gate = new();
        private readonly byte[] _tail = new byte[ExcerptBytes];
        private readonly long _cap;
        private FileStream? _file;
        private string? _writeError;
        private long _written;
        private int _tailStart;
        private int _tailLength;

        public CappedLog(string path, long cap)
        {
            _cap = cap;
            try
            {
                _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _writeError = $"could not write the log {path}: {ex.Message}";
            }
        }

        public long TotalBytes { get; private set; }

        /// <summary>Whether the log file could be created at all.</summary>
        public bool LogOpened => _writeError is null || _written > 0;

        public bool Truncated { get; private set; }

        public string? WriteError
        {
            get
            {
                lock (_gate)
                {
                    return _writeError;
                }
            }
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            lock (_gate)
            {
                TotalBytes += data.Length;
                KeepTail(data);
                if (_file is null)
                {
                    return;
                }

                var room = (int)Math.Min(data.Length, Math.Max(0, _cap - _written));
                if (room < data.Length)
                {
                    Truncated = true;
                }

                if (room == 0)
                {
                    return;
                }

                try
                {
                    _file.Write(data[..room]);
                    _written += room;
                }
                catch (IOException ex)
                {
                    // A full disk must not stop the drain: the command keeps running, the log just ends here.
                    _writeError = $"writing the log failed: {ex.Message}";
                    Truncated = true;
                    CloseFile();
                }
            }
        }

        public void Finish(string? note)
        {
            lock (_gate)
            {
                if (_file is null)
                {
                    return;
                }

                var lines = new StringBuilder();
                if (Truncated)
                {
                    lines.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n[baton: log capped at {_cap} bytes; the command printed {TotalBytes} bytes]\n");
                }

                if (note is not null)
                {
                    lines.Append("\n[baton: ").Append(note).Append("]\n");
                }

                try
                {
                    _file.Write(Encoding.UTF8.GetBytes(lines.ToString()));
                    _file.Flush(flushToDisk: true);
                }
                catch (IOException)
                {
                    // The note is a courtesy; the result carries the same facts.
                }

                CloseFile();
            }
        }

        /// <summary>The last bytes as text, cut at a character boundary.</summary>
        public string Tail()
        {
            lock (_gate)
            {
                var bytes = new byte[_tailLength];
                for (var i = 0; i < _tailLength; i++)
                {
                    bytes[i] = _tail[(_tailStart + i) % _tail.Length];
                }

                var skip = 0;
                if (TotalBytes > _tailLength)
                {
                    while (skip < bytes.Length && (bytes[skip] & 0xC0) == 0x80)
                    {
                        skip++;
                    }
                }

                return Encoding.UTF8.GetString(bytes, skip, bytes.Length - skip);
            }
        }

        public ValueTask DisposeAsync()
        {
            lock (_gate)
            {
                CloseFile();
            }

            return ValueTask.CompletedTask;
        }

        private void KeepTail(ReadOnlySpan<byte> data)
        {
            if (data.Length >= _tail.Length)
            {
                data[^_tail.Length..].CopyTo(_tail);
                _tailStart = 0;
                _tailLength = _tail.Length;
                return;
            }

            foreach (var b in data)
            {
                var index = (_tailStart + _tailLength) % _tail.Length;
                _tail[index] = b;
                if (_tailLength < _tail.Length)
                {
                    _tailLength++;
                }
                else
                {
                    _tailStart = (_tailStart + 1) % _tail.Length;
                }
            }
        }

        private void CloseFile()
        {
            _file?.Dispose();
            _file = null;
        }

    }
}
