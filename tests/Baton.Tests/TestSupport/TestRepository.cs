using Baton.Git;

namespace Baton.Tests.TestSupport;

/// <summary>A temporary directory holding a real git repository with one commit; deleted on dispose.</summary>
public sealed class TestRepository : IDisposable
{
    private TestRepository(string root)
    {
        Root = root;
        Path = System.IO.Path.Combine(root, "repo");
    }

    /// <summary>A scratch directory that contains the repository (and may hold worktrees, roots, …).</summary>
    public string Root { get; }

    public string Path { get; }

    public static async Task<TestRepository> CreateAsync(string branch = "main", bool withCommit = true)
    {
        var root = Directory.CreateTempSubdirectory("baton-test-").FullName;
        var repository = new TestRepository(root);
        Directory.CreateDirectory(repository.Path);
        await repository.GitAsync("init", "-q", "-b", branch);
        await repository.GitAsync("config", "user.name", "Test");
        await repository.GitAsync("config", "user.email", "test@example.com");
        await repository.GitAsync("config", "commit.gpgsign", "false");
        if (withCommit)
        {
            await File.WriteAllTextAsync(System.IO.Path.Combine(repository.Path, "README.md"), "# test\n");
            await repository.GitAsync("add", "-A");
            await repository.GitAsync("commit", "-q", "-m", "Initial commit");
        }

        return repository;
    }

    /// <summary>Runs git in the repository (or <paramref name="cwd"/>) and returns trimmed stdout; fails the test on a non-zero exit.</summary>
    public Task<string> GitAsync(params string[] arguments) => GitInAsync(Path, arguments);

    public static async Task<string> GitInAsync(string cwd, params string[] arguments)
    {
        var result = await GitCli.RunAsync(cwd, arguments).WaitAsync(TimeSpan.FromSeconds(60));
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        }

        return result.StandardOutput.Trim();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
