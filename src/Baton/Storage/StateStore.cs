using Baton.Core.Errors;

namespace Baton.Storage;

/// <summary>
/// Baton's one database, <c>BATON_HOME/state.db</c>: SQLite in WAL mode, shared by every baton process at once.
/// Writes go through <see cref="Write{T}"/> (BEGIN IMMEDIATE, so writers queue on the busy timeout instead of
/// failing), reads through <see cref="Read{T}"/>. Every SQLite or file-system failure leaves as a typed
/// <see cref="BatonException"/> (read-only, full, busy, corrupt, too new).
/// </summary>
public sealed class StateStore : IDisposable
{
    public const string FileName = "state.db";

    /// <summary>Generous: up to eight agents and the orchestrator may write at the same moment.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(30);

    private readonly SqliteDb _db;
    private readonly Lock _gate = new();

    private StateStore(SqliteDb db, string home)
    {
        _db = db;
        Home = home;
    }

    public string Home { get; }

    public string DatabasePath => _db.Path;

    public TimeSpan BusyTimeout { get; private init; }

    public static string PathIn(string batonHome) => System.IO.Path.Combine(batonHome, FileName);

    /// <summary>Creates BATON_HOME and the database when missing, then brings the schema up to date.</summary>
    public static StateStore Open(string batonHome, TimeSpan? busyTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(batonHome);
        var timeout = busyTimeout ?? DefaultBusyTimeout;
        var path = PathIn(batonHome);
        try
        {
            Directory.CreateDirectory(batonHome);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StateStoreErrors.FromFileSystem(ex, batonHome, path);
        }

        SqliteDb? db = null;
        try
        {
            // SQLite's own busy handler backs off to 100 ms sleeps and is not fair: with many writers one process can
            // starve past the whole timeout (seen with 8 processes adding tasks at once). It only covers short waits;
            // BEGIN is retried below with short, jittered sleeps until the real timeout.
            db = SqliteDb.Open(path, s_busyHandlerSlice);
            // WAL persists in the file; foreign_keys and synchronous are per connection.
            var opened = db;
            RetryWhileBusy(() =>
            {
                if (!string.Equals(opened.ScalarText("PRAGMA journal_mode"), "wal", StringComparison.OrdinalIgnoreCase))
                {
                    opened.ScalarText("PRAGMA journal_mode = WAL");
                }
            }, timeout);

            db.Execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            var store = new StateStore(db, batonHome) { BusyTimeout = timeout };
            store.Migrate();
            return store;
        }
        catch (SqliteException ex)
        {
            db?.Dispose();
            throw StateStoreErrors.FromSqlite(ex, batonHome, path, timeout);
        }
        catch
        {
            db?.Dispose();
            throw;
        }
    }

    public long SchemaVersion => Read(db => db.UserVersion);

    /// <summary>Runs <paramref name="query"/> in one read transaction: a consistent snapshot, never blocked by writers.</summary>
    public T Read<T>(Func<SqliteDb, T> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return InTransaction("BEGIN", query);
    }

    /// <summary>
    /// Runs <paramref name="change"/> in one write transaction (BEGIN IMMEDIATE). Anything thrown rolls it back
    /// entirely, so a failure never leaves half a change behind.
    /// </summary>
    public T Write<T>(Func<SqliteDb, T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return InTransaction("BEGIN IMMEDIATE", change);
    }

    public void Write(Action<SqliteDb> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Write(db =>
        {
            change(db);
            return true;
        });
    }

    public void Dispose() => _db.Dispose();

    private static readonly TimeSpan s_busyHandlerSlice = TimeSpan.FromMilliseconds(50);

    private void Begin(string begin) => RetryWhileBusy(() => _db.Execute(begin), BusyTimeout);

    /// <summary>Runs <paramref name="action"/> again after a short, jittered pause while SQLite answers busy, up to <paramref name="timeout"/>.</summary>
    private static void RetryWhileBusy(Action action, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                action();
                return;
            }
            catch (SqliteException ex) when (ex.PrimaryCode == SqliteBusy && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(Random.Shared.Next(1, 15));
            }
        }
    }

    private const int SqliteBusy = 5;

    private T InTransaction<T>(string begin, Func<SqliteDb, T> body)
    {
        lock (_gate)
        {
            try
            {
                Begin(begin);
                try
                {
                    var result = body(_db);
                    _db.Execute("COMMIT");
                    return result;
                }
                catch
                {
                    // SQLite may already have rolled back on its own (SQLITE_FULL, IOERR); only roll back what is open.
                    if (_db.InTransaction)
                    {
                        TryRollback();
                    }

                    throw;
                }
            }
            catch (SqliteException ex)
            {
                throw StateStoreErrors.FromSqlite(ex, Home, DatabasePath, BusyTimeout);
            }
        }
    }

    private void TryRollback()
    {
        try
        {
            _db.Execute("ROLLBACK");
        }
        catch (SqliteException)
        {
            // The original error is the one worth reporting; SQLite discards the transaction when the connection closes.
        }
    }

    private void Migrate()
    {
        var version = _db.UserVersion;
        EnsureNotNewer(version);
        if (version == Migrations.Latest)
        {
            return;
        }

        Write(db =>
        {
            // Re-read inside the write lock: another process may have migrated while this one waited for it.
            var current = db.UserVersion;
            EnsureNotNewer(current);
            foreach (var step in Migrations.All.Where(m => m.Version > current))
            {
                db.Execute(step.Sql);
            }

            db.UserVersion = Migrations.Latest;
        });
    }

    private void EnsureNotNewer(long version)
    {
        if (version > Migrations.Latest)
        {
            throw new BatonException(
                ErrorCodes.StateStoreTooNew,
                $"{DatabasePath} has schema version {version}, newer than this baton understands ({Migrations.Latest})",
                "Upgrade baton (dotnet tool update -g Baton), or point BATON_HOME at another directory for this version.");
        }
    }
}
