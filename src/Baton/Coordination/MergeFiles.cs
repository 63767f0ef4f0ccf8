using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Configuration;
using Baton.Core.Coordination;
using Baton.Core.Errors;
using Baton.Files;
using Baton.Processes;

namespace Baton.Coordination;

/// <summary>
/// Where the merge queue of one project keeps its things, all under <c>{instance}/merge/</c>: the merge worktree
/// (reused from merge to merge), the journal, the lock and the validation logs.
/// </summary>
public sealed record MergePaths(string Directory)
{
    public static MergePaths For(Project project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return new MergePaths(Path.Combine(project.InstanceDirectory, "merge"));
    }

    public string Worktree => Path.Combine(Directory, "worktree");

    public string Journal => Path.Combine(Directory, "journal.json");

    public string Lock => Path.Combine(Directory, "lock");

    /// <summary>Who holds the lock: a file of its own, because any open of the locked file itself takes an flock.</summary>
    public string LockOwner => Path.Combine(Directory, "lock.owner");

    public string Logs => Path.Combine(Directory, "logs");

    /// <summary>Set on every process the queue starts (git, validation), so a re-run after a kill finds the ones left running.</summary>
    public const string MarkerVariable = "BATON_MERGE_MARKER";
}

/// <summary>
/// The journal file: read, written atomically (temp + rename), removed when a merge is over. Only the holder of the
/// <see cref="MergeLock"/> writes it.
/// </summary>
public static class MergeJournalFile
{
    public static MergeJournal? Read(MergePaths paths, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(paths);
        problem = null;
        if (!File.Exists(paths.Journal))
        {
            return null;
        }

        try
        {
            var journal = JsonSerializer.Deserialize(File.ReadAllText(paths.Journal), MergeJsonContext.Default.MergeJournal);
            if (journal is null || journal.Version != MergeJournal.CurrentVersion)
            {
                problem = $"{paths.Journal} is not a merge journal this Baton understands";
            }

            return journal;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            problem = $"{paths.Journal} cannot be read: {ex.Message}";
            return null;
        }
    }

    public static void Write(MergePaths paths, MergeJournal journal)
    {
        ArgumentNullException.ThrowIfNull(paths);
        System.IO.Directory.CreateDirectory(paths.Directory);
        AtomicFile.WriteAllText(paths.Journal, JsonSerializer.Serialize(journal, MergeJsonContext.Default.MergeJournal));
    }

    public static void Delete(MergePaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        File.Delete(paths.Journal);
    }
}

/// <summary>Who holds (or last held) a project's merge lock.</summary>
public sealed record MergeLockHolder(int Pid, long? StartTime, DateTimeOffset Since)
{
    public bool IsAlive => ProcessTable.IsAlive(Pid, StartTime);
}

/// <summary>
/// One merge queue per project at a time, across processes: an exclusive <c>flock</c> on <c>{instance}/merge/lock</c>
/// (FileShare.None is an flock on Unix), released by the kernel when the holder dies, so a killed run never blocks
/// the next. <c>lock.owner</c> says who holds it, for the error message and <c>baton doctor</c>; it is removed on release,
/// so one left behind names a holder that was killed.
/// </summary>
public sealed class MergeLock : IDisposable
{
    public const string InProgress = "merge_in_progress";

    private readonly FileStream _stream;
    private readonly MergePaths _paths;

    private MergeLock(FileStream stream, MergePaths paths)
    {
        _stream = stream;
        _paths = paths;
    }

    public static MergeLock Acquire(MergePaths paths, string projectId, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(time);
        System.IO.Directory.CreateDirectory(paths.Directory);
        FileStream stream;
        try
        {
            stream = new FileStream(paths.Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = ReadHolder(paths);
            var who = holder is null ? "another process" : string.Create(CultureInfo.InvariantCulture, $"process {holder.Pid} (since {holder.Since:u})");
            throw new BatonException(
                InProgress,
                $"a merge queue is already running for project '{projectId}': {who} holds {paths.Lock}",
                "Wait for it to finish (a 'baton run' with merge.continuous runs one too); 'baton doctor' shows what it is doing.");
        }

        var self = Environment.ProcessId;
        AtomicFile.WriteAllText(paths.LockOwner, string.Create(CultureInfo.InvariantCulture, $"{self} {ProcessTable.StartTime(self)} {time.GetUtcNow():O}\n"));
        return new MergeLock(stream, paths);
    }

    /// <summary>True when a live process holds the lock. Probing takes the lock for an instant, so only people's tools (doctor) call it.</summary>
    public static bool IsHeld(MergePaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        try
        {
            using var probe = new FileStream(paths.Lock, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>The process <c>lock.owner</c> names (null when there is none or it is unreadable).</summary>
    public static MergeLockHolder? ReadHolder(MergePaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        string text;
        try
        {
            text = File.ReadAllText(paths.LockOwner);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length < 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        long? start = long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
        var since = DateTimeOffset.TryParse(parts[2], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : DateTimeOffset.MinValue;
        return new MergeLockHolder(pid, start, since);
    }

    /// <summary>Removes the owner file a killed holder left (the kernel released its flock already); false when the lock is held.</summary>
    public static bool ClearStale(MergePaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        try
        {
            using var probe = new FileStream(paths.Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.Delete(paths.LockOwner);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_paths.LockOwner);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        _stream.Dispose();
    }
}

/// <summary>
/// Test hooks: <c>BATON_TEST_MERGE_KILL_AT=&lt;step&gt;</c> makes the process kill itself with SIGKILL when the merge
/// reaches that step (the real thing a crash or an OOM kill does), and <c>BATON_TEST_MERGE_PAUSE_AT=&lt;step&gt;</c>
/// makes it write <c>merge/paused-&lt;step&gt;</c> and wait until the file is removed, so a test can change the
/// repository under a merge at a known moment. Steps: <see cref="Steps"/>.
/// </summary>
public sealed class MergeHooks(string? killAt, string? pauseAt)
{
    public const string KillVariable = "BATON_TEST_MERGE_KILL_AT";
    public const string PauseVariable = "BATON_TEST_MERGE_PAUSE_AT";

    public const string Started = "started";
    public const string Rebased = "rebased";
    public const string Conflicted = "conflicted";
    public const string Validated = "validated";
    public const string Landed = "landed";
    public const string Pushed = "pushed";
    public const string WorkspaceRemoved = "workspace_removed";
    public const string Finished = "finished";

    public static IReadOnlyList<string> Steps { get; } = [Started, Rebased, Conflicted, Validated, Landed, Pushed, WorkspaceRemoved, Finished];

    public static MergeHooks None { get; } = new(null, null);

    public static MergeHooks From(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new MergeHooks(environment.GetValueOrDefault(KillVariable), environment.GetValueOrDefault(PauseVariable));
    }

    public async Task AtAsync(string step, MergePaths paths, CancellationToken cancellationToken)
    {
        if (string.Equals(pauseAt, step, StringComparison.Ordinal))
        {
            var marker = Path.Combine(paths.Directory, $"paused-{step}");
            File.WriteAllText(marker, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (File.Exists(marker) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }

        if (string.Equals(killAt, step, StringComparison.Ordinal))
        {
            Posix.Signal(Environment.ProcessId, Posix.SigKill);
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(MergeJournal))]
internal sealed partial class MergeJsonContext : JsonSerializerContext;
