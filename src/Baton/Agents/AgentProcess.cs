using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Baton.Core.Errors;
using Baton.Processes;

namespace Baton.Agents;

/// <summary>How to start an agent program.</summary>
public sealed record AgentProcessSpec(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    /// <summary>Set (value) or remove (null) on top of the inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Marks every process of the run (see <see cref="ProcessTable.RunMarkerVariable"/>).</summary>
    public required string RunMarker { get; init; }

    /// <summary>Lines longer than this are dropped (with an error line in their place) instead of filling memory.</summary>
    public int MaxLineChars { get; init; } = 32 * 1024 * 1024;
}

/// <summary>
/// A started agent program: stdout as protocol lines, stderr kept as raw lines, stdin as UTF-8 without a BOM,
/// and a stop that leaves nothing behind — graceful close, SIGTERM to its process group, then every process that
/// carries the run's marker is killed, wherever it moved in the process tree.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private const int MaxRawLineChars = 1024 * 1024;
    private readonly Process _process;
    private readonly IAgentEventSink _sink;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _maxLineChars;
    private int _stopped;

    private AgentProcess(Process process, IAgentEventSink sink, string marker, int maxLineChars)
    {
        _process = process;
        _sink = sink;
        Marker = marker;
        _maxLineChars = maxLineChars;
        Pid = process.Id;
        StartTime = ProcessTable.StartTime(Pid);
    }

    public int Pid { get; }

    public long? StartTime { get; }

    public string Marker { get; }

    /// <summary>Completes with the exit code once the process has exited and its output is read.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>Every stdout line, in order; completes when stdout closes.</summary>
    public ChannelReader<string> Lines => _lines.Reader;

    public static AgentProcess Start(AgentProcessSpec spec, IAgentEventSink sink, string agentKind)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sink);
        var startInfo = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            WorkingDirectory = spec.WorkingDirectory,
        };

        // setsid: the agent leads its own session and process group, so a signal to the group reaches its children
        // and a terminal's hangup does not.
        startInfo.ArgumentList.Add(spec.FileName);
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in spec.Environment)
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

        startInfo.Environment[ProcessTable.RunMarkerVariable] = spec.RunMarker;
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new BatonException("agent_start_failed", $"could not start {agentKind} ({spec.FileName}): {ex.Message}", "Run 'baton doctor' to check the agent's installation.");
        }

        var agent = new AgentProcess(process, sink, spec.RunMarker, spec.MaxLineChars);
        agent.Pump();
        return agent;
    }

    /// <summary>Writes one protocol line (a newline is added); serialized, so concurrent writers never interleave.</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _sink.Raw("stdin", line);
            await _process.StandardInput.WriteAsync((line + "\n").AsMemory(), cancellationToken).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new BatonException("agent_exited", $"the agent is no longer reading its input: {ex.Message}", "See the session's logs (baton logs <session> --raw).");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void CloseInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Close input, wait up to half of <paramref name="grace"/>, SIGTERM the group, wait the rest, then kill everything marked.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            await Exited.ConfigureAwait(false);
            return;
        }

        CloseInput();
        var half = grace / 2;
        if (!await WaitAsync(half).ConfigureAwait(false))
        {
            Posix.SignalGroup(Pid, Posix.SigTerm);
            await WaitAsync(half).ConfigureAwait(false);
        }

        Kill();
        await Exited.ConfigureAwait(false);
    }

    /// <summary>Kills the agent's tree, its process group and every process with the run's marker, at once.</summary>
    public void Kill()
    {
        Posix.SignalGroup(Pid, Posix.SigKill);
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        ProcessTable.KillMarked(Marker, TimeSpan.FromSeconds(5));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_exited.Task.IsCompleted)
        {
            Kill();
        }

        await Exited.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        _process.Dispose();
        _writeLock.Dispose();
    }

    private async Task<bool> WaitAsync(TimeSpan timeout)
    {
        try
        {
            await Exited.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Pump()
    {
        var stdout = Task.Run(async () =>
        {
            await foreach (var line in ReadLinesAsync(_process.StandardOutput, _maxLineChars).ConfigureAwait(false))
            {
                _sink.Raw("stdout", Clip(line));
                await _lines.Writer.WriteAsync(line).ConfigureAwait(false);
            }

            _lines.Writer.TryComplete();
        });
        var stderr = Task.Run(async () =>
        {
            await foreach (var line in ReadLinesAsync(_process.StandardError, MaxRawLineChars).ConfigureAwait(false))
            {
                _sink.Raw("stderr", Clip(line));
            }
        });
        _ = Task.Run(async () =>
        {
            await _process.WaitForExitAsync().ConfigureAwait(false);

            // Children that inherited stdout can keep it open; give readers a moment, then stop waiting.
            await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            _lines.Writer.TryComplete();
            _exited.TrySetResult(_process.ExitCode);
        });
    }

    private static string Clip(string line) =>
        line.Length <= MaxRawLineChars ? line : string.Concat(line.AsSpan(0, MaxRawLineChars), $"…(truncated {line.Length - MaxRawLineChars} chars)");

    /// <summary>Reads LF-terminated lines (a trailing CR is dropped); a line over the limit is replaced by a notice.</summary>
    private static async IAsyncEnumerable<string> ReadLinesAsync(StreamReader reader, int maxChars)
    {
        var buffer = new char[64 * 1024];
        var line = new StringBuilder();
        var overflow = 0L;
        while (true)
        {
            int read;
            try
            {
                read = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n')
                {
                    continue;
                }

                var result = Append(line, buffer.AsSpan(start, i - start), maxChars, ref overflow);
                start = i + 1;
                yield return Finish(line, ref overflow, result);
            }

            Append(line, buffer.AsSpan(start, read - start), maxChars, ref overflow);
        }

        if (line.Length > 0 || overflow > 0)
        {
            yield return Finish(line, ref overflow, overflow == 0);
        }
    }

    private static bool Append(StringBuilder line, ReadOnlySpan<char> chunk, int maxChars, ref long overflow)
    {
        var room = maxChars - line.Length;
        if (overflow == 0 && chunk.Length <= room)
        {
            line.Append(chunk);
            return true;
        }

        overflow += chunk.Length;
        return false;
    }

    private static string Finish(StringBuilder line, ref long overflow, bool _)
    {
        string text;
        if (overflow > 0)
        {
            text = $"{{\"baton_dropped_line\":{line.Length + overflow}}}";
        }
        else
        {
            text = line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
        }

        line.Clear();
        overflow = 0;
        return text;
    }
}
