using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Baton.Bench;

/// <summary>
/// Stops everything a bench world started: its tmux server (panes get SIGHUP, workers end their runs and reap), then,
/// by pid, whatever still carries the world's marker in its environment (<c>BATON_BENCH_MARKER=&lt;root&gt;</c>).
/// </summary>
internal static class BenchTeardown
{
    public const string MarkerVariable = "BATON_BENCH_MARKER";

    public static void Stop(string tmuxSocket, string root)
    {
        Timing.Run(new Launch("tmux", ["-L", tmuxSocket, "kill-server"], Environment: new Dictionary<string, string> { ["TMUX"] = string.Empty }));
        var watch = Stopwatch.StartNew();
        while (Marked(root).Count > 0 && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(200);
        }

        foreach (var pid in Marked(root))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    private static List<int> Marked(string root)
    {
        var marker = $"{MarkerVariable}={root}\0";
        var ours = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/environ")).Contains(marker, StringComparison.Ordinal))
                {
                    ours.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or a kernel thread.
            }
        }

        return ours;
    }
}
