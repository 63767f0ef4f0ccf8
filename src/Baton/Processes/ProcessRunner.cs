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
        var startInfo = new ProcessStartInfo(spec.NewProcessGroup ? "setsid" : spec.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        if (spec.NewProcessGroup)
        {
            // --wait keeps setsid's exit code equal to the command's should setsid have to fork.
            startInfo.ArgumentList.Add("--wait");
            startInfo.ArgumentList.Add(spec.FileName);
        }

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
                KillTree(process, spec.NewProcessGroup);
                timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                if (!timedOut)
                {
                    throw;
                }
            }
        }

        try
        {
            // A background child that inherited stdout keeps the pipe open after the process exits; don't wait for it.
            await Task.WhenAll(readOut, readErr).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            process.StandardOutput.Dispose();
            process.StandardError.Dispose();
        }

        string output, errors;
        lock (stdout)
        {
            output = stdout.ToString();
        }

        lock (stderr)
        {
            errors = stderr.ToString();
        }

        return new ProcessResult(process.ExitCode, output, errors, timedOut, stdout.Truncated || stderr.Truncated, watch.Elapsed);
    }

    public static void KillTree(Process process, bool processGroup = false)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (processGroup)
        {
            try
            {
                Posix.SignalGroup(process.Id, Posix.SigKill);
            }
            catch (InvalidOperationException)
            {
                // Never started or already gone.
            }
        }

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
        try
        {
            int read;
            while ((read = await reader.ReadAsync(chunk.AsMemory()).ConfigureAwait(false)) > 0)
            {
                lock (buffer)
                {
                    buffer.Append(chunk.AsSpan(0, read));
                }
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException)
        {
            // The reader was abandoned after the process exited (see RunAsync).
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
