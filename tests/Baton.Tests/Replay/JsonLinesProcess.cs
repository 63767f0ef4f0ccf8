using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Baton.Processes;

namespace Baton.Tests.Replay;

/// <summary>
/// A long-lived child speaking JSON lines on stdin/stdout (pi --mode rpc). Dispose closes stdin, then escalates to
/// SIGTERM and a tree kill, so no test leaves a process behind.
/// </summary>
internal sealed class JsonLinesProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonElement> _lines = Channel.CreateUnbounded<JsonElement>();
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _raw = [];
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private JsonLinesProcess(Process process)
    {
        _process = process;
        _stdoutPump = PumpStdoutAsync();
        _stderrPump = PumpStderrAsync();
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Every stdout line so far, for failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_raw)
            {
                return string.Join('\n', _raw.Select(l => l.Length > 300 ? l[..300] + "…" : l));
            }
        }
    }

    public static JsonLinesProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?> environment)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // pi rejects a BOM on its first command (reference/agents.md §1.2).
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
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

        return new JsonLinesProcess(Process.Start(startInfo)!);
    }

    public async Task SendAsync(string json)
    {
        await _process.StandardInput.WriteAsync(json + "\n").WaitAsync(ReplayTestSupport.TestTimeout);
        await _process.StandardInput.FlushAsync().WaitAsync(ReplayTestSupport.TestTimeout);
    }

    /// <summary>Reads lines until one matches, failing with the transcript after <paramref name="timeout"/> or at EOF.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan timeout, Action<JsonElement>? seen = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    seen?.Invoke(line);
                    if (match(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"no matching line within {timeout}.\nstdout:\n{Transcript}\nstderr:\n{StandardError}");
        }

        throw new InvalidOperationException($"the process ended (exit {(_process.HasExited ? _process.ExitCode : -1)}) before a matching line.\nstdout:\n{Transcript}\nstderr:\n{StandardError}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close(); // EOF: pi shuts down cleanly and exits 0
            if (!await ExitedWithin(TimeSpan.FromSeconds(10)))
            {
                Posix.Signal(_process.Id, Posix.SigTerm); // pi kills the tool processes it started
                if (!await ExitedWithin(TimeSpan.FromSeconds(5)))
                {
                    ProcessRunner.KillTree(_process);
                    await ExitedWithin(TimeSpan.FromSeconds(5));
                }
            }
        }
        finally
        {
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
            _process.Dispose();
        }
    }

    private async Task<bool> ExitedWithin(TimeSpan limit)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(limit);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task PumpStdoutAsync()
    {
        try
        {
            // ReadLineAsync splits on \n and \r only, never on U+2028/2029 (reference/agents.md §1.2).
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                lock (_raw)
                {
                    _raw.Add(line);
                }

                try
                {
                    _lines.Writer.TryWrite(JsonDocument.Parse(line).RootElement.Clone());
                }
                catch (JsonException)
                {
                    // Not protocol: kept in the transcript only.
                }
            }
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        int read;
        while ((read = await _process.StandardError.ReadAsync(buffer)) > 0)
        {
            lock (_stderr)
            {
                _stderr.Append(buffer, 0, read);
            }
        }
    }
}
