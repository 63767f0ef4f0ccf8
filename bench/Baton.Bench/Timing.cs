using System.Diagnostics;
using System.Globalization;

namespace Baton.Bench;

/// <summary>One program launch: the file, its arguments, where it runs and the environment it gets.</summary>
internal sealed record Launch(string FileName, IReadOnlyList<string> Arguments, string? WorkingDirectory = null, IReadOnlyDictionary<string, string>? Environment = null)
{
    public override string ToString() => string.Join(' ', new[] { Path.GetFileName(FileName) }.Concat(Arguments));
}

internal sealed record Outcome(int ExitCode, string Output, string Error, TimeSpan Elapsed);

/// <summary>Runs processes and times them from start to exit, output included (a caller has to read it too).</summary>
internal static class Timing
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    public static Outcome Run(Launch launch)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(StartInfo(launch)) ?? throw new InvalidOperationException($"could not start {launch}");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{launch} did not finish within {s_timeout.TotalMinutes} minutes");
        }

        watch.Stop();
        return new Outcome(process.ExitCode, output, error.GetAwaiter().GetResult(), watch.Elapsed);
    }

    /// <summary>The asynchronous twin of <see cref="RunOk"/>, for floors that run many processes at once.</summary>
    public static async Task<Outcome> RunOkAsync(Launch launch)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(StartInfo(launch)) ?? throw new InvalidOperationException($"could not start {launch}");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{launch} did not finish within {s_timeout.TotalMinutes} minutes");
        }

        var outcome = new Outcome(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false), watch.Elapsed);
        return outcome.ExitCode == 0
            ? outcome
            : throw new BenchFailedException($"{launch} exited with {outcome.ExitCode}: {FirstLine(outcome.Error.Length > 0 ? outcome.Error : outcome.Output)}");
    }

    private static ProcessStartInfo StartInfo(Launch launch)
    {
        var startInfo = new ProcessStartInfo(launch.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in launch.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (launch.WorkingDirectory is not null)
        {
            startInfo.WorkingDirectory = launch.WorkingDirectory;
        }

        foreach (var (name, value) in launch.Environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        return startInfo;
    }

    /// <summary>Runs and insists on exit code 0: a benchmark of a failing command measures nothing.</summary>
    public static Outcome RunOk(Launch launch)
    {
        var outcome = Run(launch);
        if (outcome.ExitCode != 0)
        {
            throw new BenchFailedException($"{launch} exited with {outcome.ExitCode}: {FirstLine(outcome.Error.Length > 0 ? outcome.Error : outcome.Output)}");
        }

        return outcome;
    }

    public static string FirstLine(string text) => text.Trim().Split('\n', 2)[0];

    /// <summary>Times an in-process call (a library measure).</summary>
    public static TimeSpan Time(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        action().GetAwaiter().GetResult();
        return watch.Elapsed;
    }
}

/// <summary>Median and 90th percentile (nearest rank) of a set of wall times.</summary>
internal sealed record Stats(double MedianMs, double P90Ms, int Count)
{
    public static Stats Of(IEnumerable<TimeSpan> samples)
    {
        var sorted = samples.Select(s => s.TotalMilliseconds).Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("no samples", nameof(samples));
        }

        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        var p90 = sorted[(int)Math.Ceiling(0.9 * sorted.Length) - 1];
        return new Stats(median, p90, sorted.Length);
    }

    public static double Median(IEnumerable<double> values) => Of(values.Select(TimeSpan.FromMilliseconds)).MedianMs;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{MedianMs:0.0} ms (p90 {P90Ms:0.0})");
}

/// <summary>Something the benchmark needs did not run: bench.sh exits non-zero.</summary>
internal sealed class BenchFailedException(string message) : Exception(message);
