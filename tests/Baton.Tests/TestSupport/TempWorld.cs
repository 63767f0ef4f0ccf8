using Baton.Cli;
using Baton.Git;

namespace Baton.Tests.TestSupport;

/// <summary>
/// A throw-away world for one test: a temp directory with its own HOME and BATON_HOME and a git repository
/// with one commit that <c>baton init</c> registered. Commands run in-process with a <see cref="TestTime"/> clock.
/// </summary>
public sealed class TempWorld : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private TempWorld(string root, string projectName)
    {
        Root = root;
        Repo = Path.Combine(root, projectName);
        Home = Path.Combine(root, "baton-home");
        UserHome = Path.Combine(root, "user-home");
        Directory.CreateDirectory(Repo);
        Directory.CreateDirectory(UserHome);
        Environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = UserHome,
            ["BATON_HOME"] = Home,
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["NO_COLOR"] = "1",
        };
    }

    public string Root { get; }

    /// <summary>The repository; its folder name is the project id.</summary>
    public string Repo { get; }

    /// <summary>BATON_HOME.</summary>
    public string Home { get; set; }

    public string UserHome { get; }

    public string ConfigPath => Path.Combine(Repo, "baton.yaml");

    public TestTime Time { get; } = new();

    /// <summary>The environment every run gets; tests may add to it (BATON_PROJECT, BATON_SESSION…).</summary>
    public Dictionary<string, string> Environment { get; }

    public static async Task<TempWorld> CreateAsync(string projectName = "app")
    {
        var root = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N")[..12]);
        var world = new TempWorld(root, projectName);
        try
        {
            await GitAsync(world.Repo, "init", "-q", "-b", "main").ConfigureAwait(false);
            await GitAsync(world.Repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init").ConfigureAwait(false);
            var init = await world.RunAsync("init").ConfigureAwait(false);
            init.ExitCode.ShouldBe(0, init.ToString());
            return world;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    public Task<CliResult> RunAsync(params string[] args) => RunInAsync(Repo, null, args);

    /// <summary>Runs baton in <paramref name="workingDirectory"/>, with <paramref name="stdin"/> as its input.</summary>
    public async Task<CliResult> RunInAsync(string workingDirectory, string? stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader(stdin ?? string.Empty);
        var context = new CliContext(output, error, input, Environment, workingDirectory, Time);
        var exitCode = await BatonApp.RunAsync(args, context).WaitAsync(Timeout).ConfigureAwait(false);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A mount a failed test left behind; the temp directory is cleaned by the machine.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task GitAsync(string directory, params string[] args)
    {
        var result = await GitCli.RunAsync(directory, args).WaitAsync(Timeout).ConfigureAwait(false);
        result.Succeeded.ShouldBeTrue($"git {string.Join(' ', args)}: {result.StandardError}");
    }
}
