using Baton.Processes;

namespace Baton.Tests.TestSupport;

/// <summary>
/// A throw-away directory with real git repositories. Every git call it makes ignores the user's and the
/// system's configuration and uses the sandbox as HOME, so tests never read or write the real <c>~</c>.
/// </summary>
public sealed class GitSandbox : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, string?> _environment;

    private GitSandbox(string root)
    {
        Root = root;
        Repo = Path.Combine(root, "repo");
        Origin = Path.Combine(root, "origin.git");
        _environment = new Dictionary<string, string?>
        {
            ["GIT_CONFIG_GLOBAL"] = "/dev/null",
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["HOME"] = root,
            ["LC_ALL"] = "C",
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_AUTHOR_NAME"] = "Test",
            ["GIT_AUTHOR_EMAIL"] = "test@example.invalid",
            ["GIT_COMMITTER_NAME"] = "Test",
            ["GIT_COMMITTER_EMAIL"] = "test@example.invalid",
            ["GIT_EDITOR"] = "true",
            ["GIT_SEQUENCE_EDITOR"] = "true",
        };
    }

    public string Root { get; }

    /// <summary>The project repository (its main worktree), on branch <c>main</c>.</summary>
    public string Repo { get; }

    /// <summary>A bare repository used as <c>origin</c>.</summary>
    public string Origin { get; }

    public static async Task<GitSandbox> CreateAsync(bool withOrigin = true, bool withCommit = true)
    {
        var root = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var sandbox = new GitSandbox(root);
        await sandbox.GitAsync(root, "init", "-q", "-b", "main", sandbox.Repo);
        if (withCommit)
        {
            sandbox.Write(sandbox.Repo, "README.md", "hello\n");
            sandbox.Write(sandbox.Repo, ".gitignore", "*.log\nbuild/\n");
            await sandbox.GitAsync(sandbox.Repo, "add", "-A");
            await sandbox.GitAsync(sandbox.Repo, "commit", "-q", "-m", "initial");
        }

        if (withOrigin)
        {
            await sandbox.GitAsync(root, "init", "-q", "--bare", "-b", "main", sandbox.Origin);
            await sandbox.GitAsync(sandbox.Repo, "remote", "add", "origin", sandbox.Origin);
            if (withCommit)
            {
                await sandbox.GitAsync(sandbox.Repo, "push", "-q", "-u", "origin", "main");
            }
        }

        return sandbox;
    }

    /// <summary>
    /// A new sandbox holding a file-by-file copy of <paramref name="template"/>'s repository and origin, much
    /// cheaper than building one with git. Only the origin URL is absolute, so only it needs rewriting;
    /// a template must not have linked worktrees (their links are absolute too).
    /// </summary>
    public static async Task<GitSandbox> CopyOfAsync(GitSandbox template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var root = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N")[..12]);
        var sandbox = new GitSandbox(root);
        CopyDirectory(template.Repo, sandbox.Repo);
        if (Directory.Exists(template.Origin))
        {
            CopyDirectory(template.Origin, sandbox.Origin);
            await sandbox.GitAsync(sandbox.Repo, "remote", "set-url", "origin", sandbox.Origin);
        }

        return sandbox;
    }

    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>Adds a linked worktree <c>Root/name</c> on a new branch.</summary>
    public async Task<string> AddWorktreeAsync(string name, string branch, string startPoint = "main")
    {
        var path = PathOf(name);
        await GitAsync(Repo, "worktree", "add", "-q", "-b", branch, path, startPoint);
        return path;
    }

    public void Write(string directory, string relativePath, string content)
    {
        var path = Path.Combine(directory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public async Task CommitFileAsync(string directory, string relativePath, string content, string message)
    {
        Write(directory, relativePath, content);
        await GitAsync(directory, "add", "--", relativePath);
        await GitAsync(directory, "commit", "-q", "-m", message);
    }

    public async Task<string> GitAsync(string workingDirectory, params string[] arguments)
    {
        var result = await TryGitAsync(workingDirectory, arguments);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed in {workingDirectory} ({result.ExitCode}): {result.StandardError}");
        }

        return result.StandardOutput.Trim();
    }

    public Task<ProcessResult> TryGitAsync(string workingDirectory, params string[] arguments) =>
        RunGitAsync(workingDirectory, arguments);

    /// <summary>Runs git with extra environment variables (e.g. <c>GIT_INDEX_FILE</c>) and optional stdin.</summary>
    public Task<ProcessResult> RunGitAsync(string workingDirectory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? extraEnvironment = null, string? standardInput = null)
    {
        var environment = new Dictionary<string, string?>(_environment);
        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        return ProcessRunner.RunAsync(
            new ProcessSpec("git", arguments) { WorkingDirectory = workingDirectory, Environment = environment, Timeout = Timeout, StandardInput = standardInput })
            .WaitAsync(Timeout);
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
        }
    }

    /// <summary>Leaves the directory behind on dispose, to look at a failing state by hand.</summary>
    public bool Keep { get; set; }

    public void Dispose()
    {
        if (Keep)
        {
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; a failing Dispose would hide the test's own result.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
