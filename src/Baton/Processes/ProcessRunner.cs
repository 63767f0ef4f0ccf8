using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Baton.Processes;

/// <summary>Starts a <see cref="ProcessSpec"/> and collects its output; on timeout or cancellation the whole tree is killed.</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var startInfo = new ProcessStartInfo(spec.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (spec.WorkingDirectory is not null)
        {
            startInfo.WorkingDirectory = spec.WorkingDirectory;
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

        using var process = new Process { StartInfo = startInfo };
        var stdout = new BoundedBuffer(spec.MaxOutputChars);
        var stderr = new BoundedBuffer(spec.MaxOutputChars);
        var watch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new ProcessStartException(spec.FileName, ex);
        }

        var readOut = PumpAsync(process.StandardOutput, stdout);
        var readErr = PumpAsync(process.StandardError, stderr);
        try
        {
            if (spec.StandardInput is not null)
            {
                await process.StandardInput.WriteAsync(spec.StandardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process exited before reading its input; its exit code tells the story.
        }

        var timedOut = false;
        using (var timeout = spec.Timeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource())
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                KillTree(process);
                timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                if (!timedOut)
                {
                    throw;
                }
            }
        }

        await Task.WhenAll(readOut, readErr).ConfigureAwait(false);
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString(), timedOut, stdout.Truncated || stderr.Truncated, watch.Elapsed);
    }

    public static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static async Task PumpAsync(StreamReader reader, BoundedBuffer buffer)
    {
        var chunk = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(chunk.AsMemory()).ConfigureAwait(false)) > 0)
        {
            buffer.Append(chunk.AsSpan(0, read));
        }
    }

    private sealed class BoundedBuffer(int limit)
    {
        private readonly StringBuilder _builder = new();

        public bool Truncated { get; private set; }

        public void Append(ReadOnlySpan<char> text)
        {
            var room = limit - _builder.Length;
            if (room <= 0)
            {
                Truncated = true;
                return;
            }

            if (text.Length > room)
            {
                Truncated = true;
                text = text[..room];
            }

            _builder.Append(text);
        }

        public override string ToString() => _builder.ToString();
    }
}

public sealed class ProcessStartException(string fileName, Exception inner)
    : Exception($"could not start '{fileName}': {inner.Message}", inner)
{
    public string FileName { get; } = fileName;
}
