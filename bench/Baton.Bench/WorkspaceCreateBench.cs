using System.Globalization;
using Baton.Workspaces;

namespace Baton.Bench;

/// <summary>
/// Creating task workspaces in the 2,000-file repository. Each round gives every variant its own identical copy of the
/// repository and creates N workspaces in each, the three variants taking turns workspace by workspace (in a rotating
/// order) so machine noise hits all alike:
/// <list type="bullet">
/// <item>floor: <c>git worktree add -b &lt;branch&gt; &lt;path&gt; main</c>;</item>
/// <item>library: <see cref="WorkspaceManager.CreateOrReuseAsync"/> in this process — the number the ≤ 1.2× target is about;</item>
/// <item>CLI: <c>baton workspace create &lt;TASK&gt;</c>, which also pays for starting a process, opening state.db and
/// reading baton.yaml, so its ratio is printed for information.</item>
/// </list>
/// Times are per workspace; a first round of two workspaces per variant warms up the page cache and the JIT and is dropped.
/// </summary>
internal static class WorkspaceCreateBench
{
    public static IEnumerable<Row> Run(BenchOptions options, Scratch scratch, string template, GitLog gitLog, List<string> notes)
    {
        var floorTimes = new List<TimeSpan>();
        var libraryTimes = new List<TimeSpan>();
        var cliTimes = new List<TimeSpan>();
        for (var round = 0; round <= options.CreateRounds; round++)
        {
            var count = round == 0 ? 2 : options.Workspaces;
            var dir = scratch.Subdirectory("create", round.ToString(CultureInfo.InvariantCulture));
            var floor = new FloorVariant(Fixtures.Copy(template, Path.Combine(dir, "git", "app")), Path.Combine(dir, "git", "worktrees"));
            var library = new LibraryVariant(Fixtures.Copy(template, Path.Combine(dir, "lib", "app")), Path.Combine(dir, "lib", "worktrees"));
            var cli = CliVariant.Create(options, Fixtures.Copy(template, Path.Combine(dir, "cli", "app")), Path.Combine(dir, "cli", "home", ".baton"), count);
            var variants = new (Func<int, TimeSpan> Create, List<TimeSpan> Times)[] { (floor.Create, floorTimes), (library.Create, libraryTimes), (cli.Create, cliTimes) };
            for (var i = 1; i <= count; i++)
            {
                for (var turn = 0; turn < variants.Length; turn++)
                {
                    var (create, times) = variants[(turn + i + round) % variants.Length];
                    var elapsed = create(i);
                    if (round > 0)
                    {
                        times.Add(elapsed);
                    }
                }
            }

            foreach (var repository in new[] { floor.Repository, library.Repository, cli.Repository })
            {
                var listed = Timing.RunOk(Fixtures.Git(repository, "worktree", "list", "--porcelain")).Output.Split('\n').Count(l => l.StartsWith("worktree ", StringComparison.Ordinal));
                if (listed != count + 1)
                {
                    throw new BenchFailedException($"{repository} has {listed - 1} worktrees after creating {count}");
                }
            }

            if (round == 0)
            {
                // Untimed: what one creation spawns, through the logging git.
                var libraryGit = gitLog.Record(() => library.CreateAsync(count + 1));
                var cliGit = gitLog.Record(cli.Launch(count + 1));
                notes.Add($"git processes per workspace created: floor 1, library {libraryGit.Count} ({Commands(libraryGit)}), CLI {cliGit.Count}");
            }

            Fixtures.Delete(dir);
        }

        var floorStats = Stats.Of(floorTimes);
        var libraryStats = Stats.Of(libraryTimes);
        var cliStats = Stats.Of(cliTimes);
        var runs = $"{options.Workspaces} × {options.CreateRounds} rounds";
        var floorText = floorStats + " git worktree add";
        return
        [
            new Row(
                $"workspace create, 2,000 files, per workspace ({runs}): WorkspaceManager.CreateOrReuseAsync",
                floorText,
                libraryStats.ToString(),
                Row.FormatRatio(libraryStats.MedianMs / floorStats.MedianMs),
                "≤ 1.2× git",
                libraryStats.MedianMs <= 1.2 * floorStats.MedianMs ? "ok" : "MISSED"),
            new Row(
                $"workspace create, 2,000 files, per workspace ({runs}): baton workspace create (incl. process start)",
                floorText,
                cliStats.ToString(),
                Row.FormatRatio(cliStats.MedianMs / floorStats.MedianMs),
                "info (CLI)",
                "-"),
        ];
    }

    /// <summary>"worktree ×1, rev-parse ×2, …" from logged git command lines.</summary>
    public static string Commands(IReadOnlyList<string> lines) => string.Join(", ", lines
        .Select(l => l.Split(' ').SkipWhile(w => w == "-c" || w.Contains('=', StringComparison.Ordinal)).FirstOrDefault() ?? "?")
        .GroupBy(c => c, StringComparer.Ordinal)
        .Select(g => $"{g.Key} ×{g.Count()}"));

    private sealed record FloorVariant(string Repository, string Root)
    {
        public TimeSpan Create(int i) =>
            Timing.RunOk(Fixtures.Git(Repository, "worktree", "add", "-b", $"baton/APP-{i}", Path.Combine(Root, $"APP-{i}"), "main")).Elapsed;
    }

    private sealed record LibraryVariant(string Repository, string Root)
    {
        private readonly WorkspaceLayout _layout = new()
        {
            Strategy = WorkspaceLayout.Worktree,
            Root = Root,
            RepositoryPath = Repository,
            DefaultBranch = "main",
        };

        public TimeSpan Create(int i) => Timing.Time(() => CreateAsync(i));

        public async Task CreateAsync(int i)
        {
            var workspace = await WorkspaceManager.CreateOrReuseAsync(_layout, new WorkspaceTask($"id{i}", $"APP-{i}")).ConfigureAwait(false);
            if (!workspace.CreatedNow)
            {
                throw new BenchFailedException($"WorkspaceManager reused {workspace.Path} instead of creating it");
            }
        }
    }

    private sealed record CliVariant(BenchOptions Options, string Repository, IReadOnlyDictionary<string, string> Environment)
    {
        /// <summary>A project with tasks APP-1 … APP-(count + 1) in its own BATON_HOME.</summary>
        public static CliVariant Create(BenchOptions options, string repository, string batonHome, int count)
        {
            var variant = new CliVariant(options, repository, new Dictionary<string, string> { ["BATON_HOME"] = batonHome });
            Timing.RunOk(variant.Baton("init", "--prefix", "app"));
            Fixtures.ImportTasks(variant.Baton(), Path.Combine(Path.GetDirectoryName(batonHome)!, "tasks.jsonl"), count + 1);
            return variant;
        }

        public Launch Baton(params string[] arguments) => new(Options.Baton, arguments, Repository, Environment);

        public Launch Launch(int i) => Baton("workspace", "create", $"APP-{i}");

        public TimeSpan Create(int i) => Timing.RunOk(Launch(i)).Elapsed;
    }
}
