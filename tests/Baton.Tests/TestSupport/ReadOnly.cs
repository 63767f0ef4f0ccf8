using Baton.Processes;

namespace Baton.Tests.TestSupport;

/// <summary>
/// Makes a directory read-only for the test process. Mode bits do not stop root, so as root the directory is made
/// immutable (<c>chattr +i</c>: not even root can add, remove or rename entries in it, or rename it); disposing undoes it.
/// </summary>
public sealed class ReadOnly : IAsyncDisposable
{
    private readonly string _path;
    private readonly bool _immutable;
    private readonly UnixFileMode _mode;

    private ReadOnly(string path, bool immutable, UnixFileMode mode)
    {
        _path = path;
        _immutable = immutable;
        _mode = mode;
    }

    public static async Task<ReadOnly> MakeAsync(string path)
    {
        var mode = File.GetUnixFileMode(path);
        if (Posix.EffectiveUserId != 0)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return new ReadOnly(path, false, mode);
        }

        var result = await ProcessRunner.RunAsync(new ProcessSpec("chattr", ["+i", path]) { Timeout = TimeSpan.FromSeconds(10) });
        result.Succeeded.ShouldBeTrue($"chattr +i {path}: {result.StandardError}");
        return new ReadOnly(path, true, mode);
    }

    public async ValueTask DisposeAsync()
    {
        if (_immutable)
        {
            await ProcessRunner.RunAsync(new ProcessSpec("chattr", ["-i", _path]) { Timeout = TimeSpan.FromSeconds(10) });
        }
        else
        {
            File.SetUnixFileMode(_path, _mode);
        }
    }
}
