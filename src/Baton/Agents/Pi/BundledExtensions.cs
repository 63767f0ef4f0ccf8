using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Baton.Agents.Pi;

/// <summary>
/// The pi extensions Baton ships (the repository's <c>extensions/pi</c>), embedded in the baton assembly so that every
/// build — the apphost, a ReadyToRun publish, the dotnet tool — carries exactly the extensions it was built with. pi
/// loads an extension from a file, so they are written once to <c>BATON_HOME/extensions/pi-&lt;hash&gt;/</c>: the hash
/// of their contents names the folder, so a new version never overwrites a folder a running pi may be reading.
/// </summary>
public static class BundledExtensions
{
    private const string ResourcePrefix = "Baton.Extensions.pi/";
    private static readonly ConcurrentDictionary<string, string?> s_written = new(StringComparer.Ordinal);

    /// <summary>The embedded files: path relative to <c>extensions/pi</c>, and contents.</summary>
    public static IReadOnlyList<(string Path, byte[] Content)> Files()
    {
        var assembly = typeof(BundledExtensions).Assembly;
        var files = new List<(string, byte[])>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            files.Add((name[ResourcePrefix.Length..].Replace('\\', '/'), buffer.ToArray()));
        }

        return files;
    }

    /// <summary>The folder holding the extensions under <paramref name="batonHome"/>, written when missing; null when none are bundled.</summary>
    /// <exception cref="IOException">The folder cannot be written (also <see cref="UnauthorizedAccessException"/>).</exception>
    public static string? Directory(string batonHome)
    {
        ArgumentNullException.ThrowIfNull(batonHome);
        return s_written.GetOrAdd(Path.GetFullPath(batonHome), Write);
    }

    private static string? Write(string batonHome)
    {
        var files = Files();
        if (files.Count == 0)
        {
            return null;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (path, content) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(path + "\0"));
            hash.AppendData(content);
            hash.AppendData("\0"u8);
        }

        var root = Path.Combine(batonHome, "extensions");
        var target = Path.Combine(root, $"pi-{Convert.ToHexStringLower(hash.GetHashAndReset())[..12]}");
        if (System.IO.Directory.Exists(target))
        {
            return target;
        }

        // Written beside, then renamed into place: a pi starting at the same time sees all of the folder or none of it.
        var temporary = Path.Combine(root, $".pi-{Guid.NewGuid():N}");
        foreach (var (path, content) in files)
        {
            var file = Path.Combine(temporary, path);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, content);
        }

        try
        {
            System.IO.Directory.Move(temporary, target);
        }
        catch (IOException) when (System.IO.Directory.Exists(target))
        {
            // Another baton process wrote the same version first.
            System.IO.Directory.Delete(temporary, recursive: true);
        }

        return target;
    }
}
