using System.Globalization;
using Baton.Core.Errors;

namespace Baton.Storage;

/// <summary>
/// Turns SQLite result codes and file-system errors into the state store's typed errors, each with a
/// suggestion a person can act on. All of them exit with 1 (failed).
/// </summary>
public static class StateStoreErrors
{
    // errno values on Linux, which .NET puts in IOException.HResult for errors it has no special type for.
    private const int Enospc = 28;
    private const int Erofs = 30;
    private const int Edquot = 122;

    // Primary result codes (https://sqlite.org/rescode.html).
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoErr = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteNotADb = 26;

    /// <summary>Below this much free space an I/O error is taken to be a full disk.</summary>
    private const long NearlyFullBytes = 1024 * 1024;

    public static BatonException FromSqlite(SqliteException error, string home, string databasePath, TimeSpan busyTimeout)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.PrimaryCode switch
        {
            SqliteBusy or SqliteLocked => Busy(databasePath, busyTimeout, error),
            SqliteReadOnly => ReadOnly(home, databasePath, error.Message, error),
            SqliteFull => Full(home, databasePath, error.Message, error),
            SqliteCorrupt or SqliteNotADb => Corrupt(databasePath, error),
            SqliteCantOpen or SqliteIoErr => Classify(home, databasePath, error),
            _ => Unavailable(databasePath, error.Message, error),
        };
    }

    public static BatonException FromFileSystem(Exception error, string home, string databasePath)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            UnauthorizedAccessException => ReadOnly(home, databasePath, error.Message, error),
            IOException { HResult: Erofs } => ReadOnly(home, databasePath, error.Message, error),
            IOException { HResult: Enospc or Edquot } => Full(home, databasePath, error.Message, error),
            _ => Unavailable(databasePath, error.Message, error),
        };
    }

    /// <summary>
    /// SQLITE_CANTOPEN and SQLITE_IOERR say only that a file operation failed; ask the file system why, by
    /// creating a probe file beside the database.
    /// </summary>
    private static BatonException Classify(string home, string databasePath, SqliteException error)
    {
        if (IsNearlyFull(home))
        {
            return Full(home, databasePath, error.Message, error);
        }

        var probe = Path.Combine(home, string.Create(CultureInfo.InvariantCulture, $".write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}"));
        try
        {
            File.WriteAllBytes(probe, new byte[4096]);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(probe);
            var classified = FromFileSystem(ex, home, databasePath);
            if (classified.Code == ErrorCodes.StateStoreReadOnly)
            {
                return ReadOnly(home, databasePath, error.Message, error);
            }

            if (classified.Code == ErrorCodes.StateStoreFull)
            {
                return Full(home, databasePath, error.Message, error);
            }
        }

        return Unavailable(databasePath, error.Message, error);
    }

    private static bool IsNearlyFull(string home)
    {
        try
        {
            return new DriveInfo(home).AvailableFreeSpace < NearlyFullBytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    private static BatonException ReadOnly(string home, string databasePath, string detail, Exception inner) => new(
        ErrorCodes.StateStoreReadOnly,
        $"cannot write the state database {databasePath}: BATON_HOME is read-only ({detail})",
        $"Make {home} writable (check 'findmnt -T {home}' for a read-only mount and the directory's owner), or set BATON_HOME to a writable directory.",
        ExitCodes.Failed,
        inner);

    private static BatonException Full(string home, string databasePath, string detail, Exception inner) => new(
        ErrorCodes.StateStoreFull,
        $"the disk holding the state database {databasePath} is full ({detail}); nothing was changed",
        $"Free space on the file system of {home} ('df -h {home}'; old workspaces and archives live there too: 'baton doctor'), then run the command again.",
        ExitCodes.Failed,
        inner);

    private static BatonException Busy(string databasePath, TimeSpan timeout, Exception inner) => new(
        ErrorCodes.StateStoreBusy,
        string.Create(CultureInfo.InvariantCulture, $"the state database {databasePath} stayed locked by another process for {timeout.TotalSeconds:0} s; nothing was changed"),
        $"Run the command again. If it keeps happening, look for a stuck process holding the database: 'fuser -v {databasePath}'.",
        ExitCodes.Failed,
        inner);

    private static BatonException Corrupt(string databasePath, Exception inner) => new(
        ErrorCodes.StateStoreCorrupt,
        $"the state database {databasePath} is damaged or is not a SQLite database ({inner.Message})",
        $"Move it aside ('mv {databasePath} {databasePath}.broken'; keep it for a bug report) and run the command again; re-import tasks with 'baton task import' if you keep an export.",
        ExitCodes.Failed,
        inner);

    private static BatonException Unavailable(string databasePath, string detail, Exception inner) => new(
        ErrorCodes.StateStoreUnavailable,
        $"cannot use the state database {databasePath}: {detail}",
        "Check that BATON_HOME is a local, writable directory ('baton info' shows it), then run the command again.",
        ExitCodes.Failed,
        inner);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The probe never got created, or the file system refuses even that.
        }
    }
}
