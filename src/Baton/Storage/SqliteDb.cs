using System.Globalization;
using SQLitePCL;
using static SQLitePCL.raw;

namespace Baton.Storage;

/// <summary>
/// A thin wrapper over one SQLitePCLRaw connection (Microsoft.Data.Sqlite is not in the package mirror).
/// Every SQLite error becomes a <see cref="SqliteException"/> carrying the extended result code, which
/// <see cref="StateStore"/> turns into Baton's typed errors.
/// </summary>
public sealed class SqliteDb : IDisposable
{
    private readonly sqlite3 _handle;

    static SqliteDb()
    {
        // Once per process: selects the bundled e_sqlite3 native library.
        Batteries_V2.Init();
    }

    private SqliteDb(sqlite3 handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Rows changed by the last INSERT, UPDATE or DELETE: the compare-and-set check.</summary>
    public int Changes => sqlite3_changes(_handle);

    public bool InTransaction => sqlite3_get_autocommit(_handle) == 0;

    /// <summary>The bundled SQLite's version (2.0.6 bundles a 2021 SQLite: no STRICT tables, no RETURNING before 3.35).</summary>
    public static string LibraryVersion => sqlite3_libversion().utf8_to_string();

    public static SqliteDb Open(string path, TimeSpan busyTimeout)
    {
        var rc = sqlite3_open_v2(path, out var handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, null);
        if (rc != SQLITE_OK)
        {
            var error = SqliteException.From(rc, handle, "open");
            handle.Dispose();
            throw error;
        }

        // Extended codes tell a full disk (SQLITE_IOERR_WRITE…) from other I/O errors.
        sqlite3_extended_result_codes(handle, 1);
        sqlite3_busy_timeout(handle, (int)busyTimeout.TotalMilliseconds);
        return new SqliteDb(handle, path);
    }

    /// <summary>Runs one or more statements that take no parameters (DDL, pragmas, BEGIN/COMMIT).</summary>
    public void Execute(string sql)
    {
        var rc = sqlite3_exec(_handle, sql);
        if (rc != SQLITE_OK)
        {
            throw SqliteException.From(rc, _handle, sql);
        }
    }

    public SqliteStatement Prepare(string sql)
    {
        var rc = sqlite3_prepare_v2(_handle, sql, out var statement);
        if (rc != SQLITE_OK)
        {
            statement.Dispose();
            throw SqliteException.From(rc, _handle, sql);
        }

        return new SqliteStatement(this, _handle, statement, sql);
    }

    /// <summary>Runs a statement with positional parameters (?1, ?2…) and returns the number of changed rows.</summary>
    public int Run(string sql, params object?[] parameters)
    {
        using var statement = Prepare(sql);
        statement.BindAll(parameters);
        statement.Run();
        return Changes;
    }

    public long? ScalarInt64(string sql, params object?[] parameters)
    {
        using var statement = Prepare(sql);
        statement.BindAll(parameters);
        return statement.Step() ? statement.GetNullableInt64(0) : null;
    }

    public string? ScalarText(string sql, params object?[] parameters)
    {
        using var statement = Prepare(sql);
        statement.BindAll(parameters);
        return statement.Step() ? statement.GetText(0) : null;
    }

    public long UserVersion
    {
        get => ScalarInt64("PRAGMA user_version") ?? 0;
        set => Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {value}"));
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>One prepared statement. Bind indexes start at 1, column indexes at 0.</summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly SqliteDb _owner;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly string _sql;

    internal SqliteStatement(SqliteDb owner, sqlite3 db, sqlite3_stmt statement, string sql)
    {
        _owner = owner;
        _db = db;
        _statement = statement;
        _sql = sql;
    }

    public SqliteDb Connection => _owner;

    public void Bind(int index, object? value)
    {
        var rc = value switch
        {
            null => sqlite3_bind_null(_statement, index),
            string text => sqlite3_bind_text(_statement, index, text),
            int number => sqlite3_bind_int64(_statement, index, number),
            long number => sqlite3_bind_int64(_statement, index, number),
            bool flag => sqlite3_bind_int64(_statement, index, flag ? 1 : 0),
            _ => throw new ArgumentException($"cannot bind a {value.GetType().Name}", nameof(value)),
        };
        if (rc != SQLITE_OK)
        {
            throw SqliteException.From(rc, _db, _sql);
        }
    }

    public void BindAll(IReadOnlyList<object?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        for (var i = 0; i < values.Count; i++)
        {
            Bind(i + 1, values[i]);
        }
    }

    /// <summary>Advances to the next row: true when there is one, false when the statement is done.</summary>
    public bool Step()
    {
        var rc = sqlite3_step(_statement);
        return rc switch
        {
            SQLITE_ROW => true,
            SQLITE_DONE => false,
            _ => throw SqliteException.From(rc, _db, _sql),
        };
    }

    /// <summary>Steps to the end, ignoring rows.</summary>
    public void Run()
    {
        while (Step())
        {
        }
    }

    /// <summary>Makes the statement ready to run again with new bindings.</summary>
    public void Reset()
    {
        sqlite3_reset(_statement);
        sqlite3_clear_bindings(_statement);
    }

    public bool IsNull(int column) => sqlite3_column_type(_statement, column) == SQLITE_NULL;

    public string? GetText(int column) => IsNull(column) ? null : sqlite3_column_text(_statement, column).utf8_to_string();

    public string GetString(int column) => GetText(column) ?? string.Empty;

    public long GetInt64(int column) => sqlite3_column_int64(_statement, column);

    public long? GetNullableInt64(int column) => IsNull(column) ? null : sqlite3_column_int64(_statement, column);

    public void Dispose() => _statement.Dispose();
}

/// <summary>A failed SQLite call with its extended result code (see https://sqlite.org/rescode.html).</summary>
public sealed class SqliteException : Exception
{
    public SqliteException(string message, int extendedCode)
        : base(message)
    {
        ExtendedCode = extendedCode;
    }

    public SqliteException()
    {
    }

    public SqliteException(string message)
        : base(message)
    {
    }

    public SqliteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int ExtendedCode { get; }

    /// <summary>The primary code (SQLITE_BUSY, SQLITE_FULL…): the low byte of the extended code.</summary>
    public int PrimaryCode => ExtendedCode & 0xFF;

    internal static SqliteException From(int rc, sqlite3? db, string context)
    {
        // Like Microsoft.Data.Sqlite: trust the connection's message only when it describes this result code.
        string message;
        var code = rc;
        if (db is not null && !db.IsInvalid && (sqlite3_errcode(db) & 0xFF) == (rc & 0xFF))
        {
            code = sqlite3_extended_errcode(db);
            message = sqlite3_errmsg(db).utf8_to_string();
        }
        else
        {
            message = sqlite3_errstr(rc).utf8_to_string();
        }

        var statement = context.Length > 80 ? context[..80] + "…" : context;
        return new SqliteException(string.Create(CultureInfo.InvariantCulture, $"{message} (SQLite code {code}, in: {statement})"), code);
    }
}
