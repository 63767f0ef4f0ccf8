using System.Globalization;
using System.Text;

namespace Baton.Processes;

/// <summary>
/// Reads Linux's process table (<c>/proc</c>) to find and kill what a run started, even after it left its parent's
/// tree: every agent process carries a marker variable in its environment, which children inherit through fork,
/// exec and setsid alike.
/// </summary>
public static class ProcessTable
{
    /// <summary>The environment variable that marks every process of one agent run.</summary>
    public const string RunMarkerVariable = "BATON_RUN_MARKER";

    public static IReadOnlyList<int> WithEnvironment(string name, string value)
    {
        var needle = Encoding.UTF8.GetBytes($"{name}={value}");
        var found = new List<int>();
        foreach (var pid in AllPids())
        {
            byte[] environ;
            try
            {
                environ = File.ReadAllBytes($"/proc/{pid}/environ");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (ContainsEntry(environ, needle) && !IsZombie(pid))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>Live processes (not zombies, not this one) whose command line contains <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> WithCommandLine(string text)
    {
        var found = new List<int>();
        foreach (var pid in AllPids())
        {
            if (pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal) && !IsZombie(pid))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>Every live descendant of <paramref name="root"/> (not including it), children before grandchildren.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var pid in AllPids())
        {
            var parent = ParentOf(pid);
            if (parent is { } p)
            {
                if (!children.TryGetValue(p, out var list))
                {
                    children[p] = list = [];
                }

                list.Add(pid);
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            foreach (var child in children.GetValueOrDefault(queue.Dequeue()) ?? [])
            {
                result.Add(child);
                queue.Enqueue(child);
            }
        }

        return result;
    }

    /// <summary>
    /// Kills every process carrying the marker, stopping them first so none can fork a new one in between;
    /// repeats until none is left or <paramref name="timeout"/> passes. Returns how many were killed.
    /// </summary>
    public static int KillMarked(string markerValue, TimeSpan timeout)
    {
        var killed = 0;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var pids = WithEnvironment(RunMarkerVariable, markerValue).Where(p => p != Environment.ProcessId).ToList();
            if (pids.Count == 0 || DateTime.UtcNow > deadline)
            {
                return killed;
            }

            foreach (var pid in pids)
            {
                Posix.Signal(pid, Posix.SigStop);
            }

            foreach (var pid in pids)
            {
                if (Posix.Signal(pid, Posix.SigKill))
                {
                    killed++;
                }
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>The process's start time in clock ticks since boot (field 22 of /proc/pid/stat), to tell a pid from its reuse.</summary>
    public static long? StartTime(int pid)
    {
        var fields = StatFields(pid);
        return fields is { Length: > 19 } && long.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }

    public static bool IsAlive(int pid, long? startTime = null) =>
        Directory.Exists($"/proc/{pid}") && !IsZombie(pid) && (startTime is null || StartTime(pid) == startTime);

    public static bool IsZombie(int pid) => StatFields(pid) is { Length: > 0 } fields && fields[0] is "Z" or "X";

    /// <summary>Resident memory in bytes (VmRSS of /proc/pid/status), or null when the process is gone.</summary>
    public static long? ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static int? ParentOf(int pid) =>
        StatFields(pid) is { Length: > 1 } fields && int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent) ? parent : null;

    /// <summary>The fields of /proc/pid/stat after the command name (which may hold spaces and parentheses): state is [0].</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 ? null : stat[(close + 2)..].Split(' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<int> AllPids()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    private static bool ContainsEntry(byte[] environ, byte[] needle)
    {
        var start = 0;
        while (start < environ.Length)
        {
            var end = Array.IndexOf(environ, (byte)0, start);
            if (end < 0)
            {
                end = environ.Length;
            }

            if (end - start == needle.Length && environ.AsSpan(start, needle.Length).SequenceEqual(needle))
            {
                return true;
            }

            start = end + 1;
        }

        return false;
    }
}
