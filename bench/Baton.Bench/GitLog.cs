namespace Baton.Bench;

/// <summary>
/// Counts the git processes something starts: a <c>git</c> script first on PATH logs its arguments and execs the
/// real git. It costs a shell per call, so it is only used in untimed runs, to print what each measure spawns.
/// </summary>
internal sealed class GitLog
{
    private readonly string _log;

    private GitLog(string shimDirectory, string log)
    {
        ShimDirectory = shimDirectory;
        _log = log;
    }

    /// <summary>The directory to put first on PATH.</summary>
    public string ShimDirectory { get; }

    public string SearchPath => ShimDirectory + ":" + Environment.GetEnvironmentVariable("PATH");

    public static GitLog Create(string directory)
    {
        var realGit = Timing.RunOk(new Launch("sh", ["-c", "command -v git"])).Output.Trim();
        Directory.CreateDirectory(directory);
        var log = Path.Combine(directory, "git.log");
        var script = Path.Combine(directory, "git");
        File.WriteAllText(script, $"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\nexec '{realGit}' \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new GitLog(directory, log);
    }

    /// <summary>Runs an in-process action with the logging git first on this process's PATH; returns the git command lines it ran.</summary>
    public IReadOnlyList<string> Record(Func<Task> action)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        File.Delete(_log);
        Environment.SetEnvironmentVariable("PATH", SearchPath);
        try
        {
            action().GetAwaiter().GetResult();
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }

        return Read();
    }

    /// <summary>Runs a process with the logging git first on its PATH; returns the git command lines it ran.</summary>
    public IReadOnlyList<string> Record(Launch launch)
    {
        File.Delete(_log);
        var environment = new Dictionary<string, string>(launch.Environment ?? new Dictionary<string, string>()) { ["PATH"] = SearchPath };
        Timing.RunOk(launch with { Environment = environment });
        return Read();
    }

    private string[] Read() => File.Exists(_log) ? File.ReadAllLines(_log) : [];
}
