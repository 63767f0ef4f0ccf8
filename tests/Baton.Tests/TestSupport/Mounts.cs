using Baton.Processes;

namespace Baton.Tests.TestSupport;

/// <summary>
/// Real read-only and full file systems for failure tests. The tests run as root, where chmod does not stop
/// writes, so only a mount gives a truly read-only or full BATON_HOME.
/// </summary>
public sealed class Mount : IDisposable
{
    private Mount(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>Makes <paramref name="directory"/> read-only in place (bind mount, remounted ro).</summary>
    public static async Task<Mount> ReadOnlyAsync(string directory)
    {
        await RunAsync("mount", "--bind", directory, directory).ConfigureAwait(false);
        var mount = new Mount(directory);
        try
        {
            await RunAsync("mount", "-o", "remount,ro,bind", directory).ConfigureAwait(false);
            return mount;
        }
        catch
        {
            mount.Dispose();
            throw;
        }
    }

    /// <summary>An empty tmpfs of <paramref name="size"/> (e.g. "256k") at <paramref name="directory"/>.</summary>
    public static async Task<Mount> TmpfsAsync(string directory, string size, bool readOnly = false)
    {
        Directory.CreateDirectory(directory);
        await RunAsync("mount", "-t", "tmpfs", "-o", readOnly ? $"ro,size={size}" : $"size={size}", "tmpfs", directory).ConfigureAwait(false);
        return new Mount(directory);
    }

    /// <summary>Writes zeros into <paramref name="file"/> until the file system has no space left.</summary>
    public static void Fill(string file)
    {
        // Unbuffered, so nothing is left to flush (and fail) when the stream is closed.
        using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (var size in new[] { 4096, 512, 1 })
        {
            var block = new byte[size];
            try
            {
                while (true)
                {
                    stream.Write(block);
                }
            }
            catch (IOException)
            {
                // ENOSPC at this block size; smaller blocks take what is left.
            }
        }
    }

    public void Dispose()
    {
        var result = ProcessRunner.RunAsync(new ProcessSpec("umount", [Path]) { Timeout = TimeSpan.FromSeconds(30) }).GetAwaiter().GetResult();
        if (!result.Succeeded)
        {
            // Lazy unmount so a busy mount never outlives the test run.
            ProcessRunner.RunAsync(new ProcessSpec("umount", ["-l", Path]) { Timeout = TimeSpan.FromSeconds(30) }).GetAwaiter().GetResult();
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var result = await ProcessRunner.RunAsync(new ProcessSpec(file, args) { Timeout = TimeSpan.FromSeconds(30) }).WaitAsync(TempWorld.Timeout).ConfigureAwait(false);
        result.Succeeded.ShouldBeTrue($"{file} {string.Join(' ', args)}: {result.StandardError}");
    }
}
