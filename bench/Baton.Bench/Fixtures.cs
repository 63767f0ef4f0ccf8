using System.Globalization;
using System.Text;

namespace Baton.Bench;

/// <summary>Repositories and homes the measures run in, all under one temporary directory deleted at the end.</summary>
internal sealed class Scratch : IDisposable
{
    private Scratch(string root)
    {
        Root = root;
    }

    public string Root { get; }

    /// <summary>
    /// Makes the bench's own process environment the one every child inherits (git in-process through Baton, the
    /// floors, the baton CLI alike): a throwaway HOME so no one's ~/.gitconfig shapes the numbers, no system git
    /// config, a fixed identity for the fixture commits, no colour.
    /// </summary>
    /// <param name="parent">Where to make the scratch directory; null: /dev/shm when it is there (see bench/README.md), else the temp directory.</param>
    public static Scratch Create(string? parent)
    {
        parent ??= Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var root = Directory.CreateDirectory(Path.Combine(Path.GetFullPath(parent), $"baton-bench-{Environment.ProcessId}")).FullName;
        var home = Directory.CreateDirectory(Path.Combine(root, "home")).FullName;
        Environment.SetEnvironmentVariable("HOME", home);
        Environment.SetEnvironmentVariable("GIT_CONFIG_NOSYSTEM", "1");
        Environment.SetEnvironmentVariable("GIT_AUTHOR_NAME", "bench");
        Environment.SetEnvironmentVariable("GIT_AUTHOR_EMAIL", "bench@example.invalid");
        Environment.SetEnvironmentVariable("GIT_COMMITTER_NAME", "bench");
        Environment.SetEnvironmentVariable("GIT_COMMITTER_EMAIL", "bench@example.invalid");
        Environment.SetEnvironmentVariable("NO_COLOR", "1");
        Environment.SetEnvironmentVariable("BATON_HOME", null);
        Environment.SetEnvironmentVariable("BATON_PROJECT", null);
        return new Scratch(root);
    }

    public string Subdirectory(params string[] parts) => Directory.CreateDirectory(Path.Combine([Root, .. parts])).FullName;

    /// <summary>Deletes it all, unless BATON_BENCH_KEEP is set (to look at the fixtures, or profile by hand).</summary>
    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("BATON_BENCH_KEEP") is { Length: > 0 })
        {
            Console.Error.WriteLine($"kept {Root} (BATON_BENCH_KEEP)");
            return;
        }

        Fixtures.Delete(Root);
    }
}

internal static class Fixtures
{
    public const int Directories = 40;
    public const int FilesPerDirectory = 50;

    /// <summary>GitCli's environment (src/Baton/Git/GitCli.cs), for floors: without it status would refresh the index and do other work.</summary>
    public static readonly IReadOnlyDictionary<string, string> GitEnvironment = new Dictionary<string, string>
    {
        ["LC_ALL"] = "C",
        ["LANG"] = "C",
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_OPTIONAL_LOCKS"] = "0",
        ["GIT_PAGER"] = "cat",
        ["PAGER"] = "cat",
    };

    public static Launch Git(string workingDirectory, params string[] arguments) => new("git", arguments, workingDirectory);

    /// <summary>
    /// The repository the workspace measures use: 40 directories × 50 files of about 1.6 KB (2,000 distinct blobs),
    /// one commit on <c>main</c>, packed as a clone would be.
    /// </summary>
    public static string Repository(string path)
    {
        Directory.CreateDirectory(path);
        Timing.RunOk(Git(path, "init", "--quiet", "--initial-branch=main"));
        var text = new StringBuilder();
        for (var d = 0; d < Directories; d++)
        {
            var directory = Directory.CreateDirectory(Path.Combine(path, "src", $"module{d:00}")).FullName;
            for (var f = 0; f < FilesPerDirectory; f++)
            {
                text.Clear();
                for (var line = 0; text.Length < 1600; line++)
                {
                    text.Append(CultureInfo.InvariantCulture, $"    // module {d} file {f} line {line}: representative source text of some length\n");
                }

                File.WriteAllText(Path.Combine(directory, $"file{f:00}.cs"), text.ToString(0, 1600));
            }
        }

        Timing.RunOk(Git(path, "add", "--all"));
        Timing.RunOk(Git(path, "commit", "--quiet", "-m", "2,000 files"));
        Timing.RunOk(Git(path, "repack", "-a", "-d", "-q"));
        return path;
    }

    /// <summary>An identical copy of a repository (objects, refs and files), for a measure and its floor to get one each.</summary>
    public static string Copy(string template, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        Timing.RunOk(new Launch("cp", ["-a", template, destination]));
        return destination;
    }

    /// <summary>Imports tasks APP-1 … APP-count into the only project of a BATON_HOME.</summary>
    public static void ImportTasks(Launch baton, string file, int count)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllLines(file, Enumerable.Range(1, count).Select(i => $"{{\"identifier\":\"APP-{i}\",\"title\":\"Bench task {i}\"}}"));
        Timing.RunOk(baton with { Arguments = ["task", "import", "--input", file] });
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not turn a finished benchmark into a failure.
        }
    }
}
