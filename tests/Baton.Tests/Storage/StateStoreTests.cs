using Baton.Core.Errors;
using Baton.Storage;

namespace Baton.Tests.Storage;

public sealed class StateStoreTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N")[..12], "home");

    [Fact]
    public void Open_MissingHome_CreatesItAndMigratesToLatest()
    {
        using var store = StateStore.Open(_home);

        File.Exists(Path.Combine(_home, "state.db")).ShouldBeTrue();
        store.SchemaVersion.ShouldBe(Migrations.Latest);
        store.Read(db => db.ScalarText("PRAGMA journal_mode")).ShouldBe("wal");
        store.Read(db => db.ScalarInt64("PRAGMA foreign_keys")).ShouldBe(1);
        store.Read(db => db.ScalarInt64("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('projects', 'tasks', 'task_blockers', 'task_comments')")).ShouldBe(4);
    }

    [Fact]
    public void Open_Twice_KeepsDataAndDoesNotMigrateAgain()
    {
        using (var store = StateStore.Open(_home))
        {
            store.Write(db => db.Run("CREATE TABLE marker (x)"));
        }

        using var again = StateStore.Open(_home);

        again.Read(db => db.ScalarInt64("SELECT count(*) FROM sqlite_master WHERE name = 'marker'")).ShouldBe(1);
    }

    [Fact]
    public async Task Open_ManyFirstRunsAtOnce_AllSucceedWithOneSchema()
    {
        // Each thread has its own connection, like separate processes: the version re-check inside
        // BEGIN IMMEDIATE must stop the second migrator from creating the tables again.
        var opens = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            using var store = StateStore.Open(_home);
            return store.SchemaVersion;
        }));

        var versions = await Task.WhenAll(opens).WaitAsync(TimeSpan.FromSeconds(60));

        versions.ShouldAllBe(v => v == Migrations.Latest);
    }

    [Fact]
    public void Open_DatabaseFromANewerBaton_FailsWithTooNew()
    {
        using (var store = StateStore.Open(_home))
        {
            store.Write(db => db.UserVersion = Migrations.Latest + 1);
        }

        var error = Should.Throw<BatonException>(() => StateStore.Open(_home));

        error.Code.ShouldBe(ErrorCodes.StateStoreTooNew);
        error.ExitCode.ShouldBe(ExitCodes.Failed);
        error.Suggestion.ShouldContain("Upgrade");
    }

    [Fact]
    public void Open_FileThatIsNotADatabase_FailsWithCorrupt()
    {
        Directory.CreateDirectory(_home);
        File.WriteAllText(Path.Combine(_home, "state.db"), new string('x', 8192));

        var error = Should.Throw<BatonException>(() => StateStore.Open(_home));

        error.Code.ShouldBe(ErrorCodes.StateStoreCorrupt);
        error.Suggestion.ShouldContain("state.db.broken");
    }

    [Fact]
    public void Write_BodyThrows_RollsBackEverything()
    {
        using var store = StateStore.Open(_home);
        store.Write(db => db.Run("CREATE TABLE t (x)"));

        Should.Throw<InvalidOperationException>(() => store.Write(db =>
        {
            db.Run("INSERT INTO t VALUES (1)");
            throw new InvalidOperationException("boom");
        }));

        store.Read(db => db.ScalarInt64("SELECT count(*) FROM t")).ShouldBe(0);
        store.Write(db => db.Run("INSERT INTO t VALUES (2)")).ShouldBe(1);
    }

    [Fact]
    public async Task Write_WhileAnotherConnectionHoldsTheWriteLock_FailsWithBusyAfterTheTimeout()
    {
        using var holder = StateStore.Open(_home);
        using var waiter = StateStore.Open(_home, TimeSpan.FromMilliseconds(200));
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holding = Task.Run(() => holder.Write(db =>
        {
            db.Run("CREATE TABLE held (x)");
            started.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        }));
        started.Wait(TimeSpan.FromSeconds(30)).ShouldBeTrue();

        var error = Should.Throw<BatonException>(() => waiter.Write(db => db.Run("CREATE TABLE other (x)")));
        release.Set();
        await holding.WaitAsync(TimeSpan.FromSeconds(30));

        error.Code.ShouldBe(ErrorCodes.StateStoreBusy);
        error.Suggestion.ShouldContain("fuser");
    }

    [Fact]
    public void Run_ValuesAreBoundNotConcatenated()
    {
        using var store = StateStore.Open(_home);
        store.Write(db => db.Run("CREATE TABLE t (x TEXT)"));
        const string hostile = "'); DROP TABLE t; --";

        store.Write(db => db.Run("INSERT INTO t VALUES (?1)", hostile));

        store.Read(db => db.ScalarText("SELECT x FROM t")).ShouldBe(hostile);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(_home)!, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
