using Baton.Processes;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Coordination;

/// <summary>
/// A project for the merge queue: a <see cref="TempWorld"/> whose repository holds a committed file every task can edit
/// (so branches conflict or not, at will), tasks with real worktrees made by <c>baton workspace create</c>, and commits
/// made in them. Commands run in-process; <see cref="RunProcessAsync"/> runs the real binary (for kill tests).
/// </summary>
public sealed class MergeWorld : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private MergeWorld(TempWorld world) => World = world;

    public TempWorld World { get; }

    public string Repo => World.Repo;

    /// <summary>The project's instance directory (<c>BATON_HOME/{hash}-app</c>).</summary>
    public string Instance => Directory.EnumerateDirectories(World.Home, "*-app").Single();

    public string MergeDirectory => Path.Combine(Instance, "merge");

    public string Journal => Path.Combine(MergeDirectory, "journal.json");

    /// <param name="frontMatter">WORKFLOW.md front matter lines (committed), or null for no WORKFLOW.md.</param>
    public static async Task<MergeWorld> CreateAsync(string? frontMatter = null)
    {
        var world = await TempWorld.CreateAsync();
        world.Environment["BATON_TMUX_SOCKET"] = $"bt-merge-{Guid.NewGuid():N}"[..20];
        var merge = new MergeWorld(world);
        try
        {
            merge.Write(world.Repo, "shared.txt", "one\ntwo\nthree\n");
            if (frontMatter is not null)
            {
                merge.Write(world.Repo, "WORKFLOW.md", $"---\n{frontMatter}\n---\nWork on {{{{ issue.identifier }}}}.\n");
            }

            await merge.GitAsync(world.Repo, "add", "-A", "--", ".", ":!baton.yaml");
            await merge.GitAsync(world.Repo, "commit", "-q", "-m", "base");
            return merge;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    /// <summary>A task with its workspace; returns (identifier, workspace path).</summary>
    public async Task<(string Task, string Workspace)> AddTaskAsync(string title, int? priority = null)
    {
        var added = priority is { } p
            ? await World.RunAsync("task", "add", "app", title, "--priority", p.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")
            : await World.RunAsync("task", "add", "app", title, "--json");
        added.ExitCode.ShouldBe(0, added.ToString());
        var task = added.Data.GetProperty("identifier").GetString()!;
        var created = await World.RunAsync("workspace", "create", task, "--json");
        created.ExitCode.ShouldBe(0, created.ToString());
        return (task, created.Data.GetProperty("path").GetString()!);
    }

    /// <summary>A task whose branch adds <paramref name="file"/> with one commit, moved to Merging.</summary>
    public async Task<(string Task, string Workspace)> QueuedTaskAsync(string title, string file, string content, int? priority = null)
    {
        var (task, workspace) = await AddTaskAsync(title, priority);
        await CommitAsync(workspace, file, content, $"{task}: {title}");
        await QueueAsync(task);
        return (task, workspace);
    }

    public async Task QueueAsync(string task)
    {
        var moved = await World.RunAsync("task", "update", task, "--state", "Merging");
        moved.ExitCode.ShouldBe(0, moved.ToString());
    }

    public async Task<string> StateOfAsync(string task) =>
        (await World.RunAsync("task", "show", task, "--json")).Data.GetProperty("state").GetString()!;

    public async Task<IReadOnlyList<string>> CommentsOfAsync(string task)
    {
        var shown = await World.RunAsync("task", "show", task, "--json");
        return [.. shown.Data.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("body").GetString()!)];
    }

    public Task<CliResult> MergeAsync(params string[] arguments) => World.RunAsync(["merge", .. arguments, "--json"]);

    public void Write(string directory, string relativePath, string content)
    {
        var path = Path.Combine(directory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public async Task CommitAsync(string directory, string file, string content, string message)
    {
        Write(directory, file, content);
        await GitAsync(directory, "add", "--", file);
        await GitAsync(directory, "commit", "-q", "-m", message);
    }

    public async Task<string> GitAsync(string directory, params string[] arguments)
    {
        var result = await TryGitAsync(directory, arguments);
        result.Succeeded.ShouldBeTrue($"git {string.Join(' ', arguments)} in {directory}: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    public Task<ProcessResult> TryGitAsync(string directory, params string[] arguments) =>
        ProcessRunner.RunAsync(
            new ProcessSpec("git", ["-c", "user.name=Agent", "-c", "user.email=agent@example.invalid", .. arguments])
            {
                WorkingDirectory = directory,
                Environment = new Dictionary<string, string?> { ["HOME"] = World.UserHome, ["GIT_CONFIG_NOSYSTEM"] = "1", ["LC_ALL"] = "C" },
                Timeout = Timeout,
            }).WaitAsync(Timeout);

    public Task<string> MainAsync() => GitAsync(Repo, "rev-parse", "refs/heads/main");

    public async Task<bool> BranchExistsAsync(string branch) =>
        (await TryGitAsync(Repo, "rev-parse", "--verify", "--quiet", $"refs/heads/{branch}")).Succeeded;

    /// <summary>Subjects of the default branch, newest first.</summary>
    public async Task<IReadOnlyList<string>> SubjectsAsync() =>
        (await GitAsync(Repo, "log", "--format=%s", "main")).Split('\n');

    /// <summary>The main checkout: clean (tracked files), on main, no rebase or merge in progress.</summary>
    public async Task ShouldBeIntactAsync()
    {
        (await GitAsync(Repo, "status", "--porcelain", "--untracked-files=no")).ShouldBeEmpty();
        (await GitAsync(Repo, "symbolic-ref", "--short", "HEAD")).ShouldBe("main");
        var gitDirectory = Path.Combine(Repo, ".git");
        foreach (var marker in new[] { "rebase-merge", "rebase-apply", "MERGE_HEAD", "index.lock" })
        {
            Path.Exists(Path.Combine(gitDirectory, marker)).ShouldBeFalse(marker);
        }

        (await GitAsync(Repo, "rev-parse", "HEAD")).ShouldBe(await MainAsync());
    }

    /// <summary>Runs the real baton binary in the repository with this world's environment plus <paramref name="extra"/>.</summary>
    public Task<ProcessResult> RunProcessAsync(IReadOnlyDictionary<string, string?> extra, params string[] arguments)
    {
        var environment = World.Environment.ToDictionary(e => e.Key, e => (string?)e.Value);
        foreach (var (name, value) in extra)
        {
            environment[name] = value;
        }

        return ProcessRunner.RunAsync(new ProcessSpec(BatonBinary.Path, arguments) { WorkingDirectory = Repo, Environment = environment, Timeout = Timeout }).WaitAsync(Timeout + TimeSpan.FromSeconds(5));
    }

    public void Dispose() => World.Dispose();
}
