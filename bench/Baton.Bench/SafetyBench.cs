using System.Globalization;
using System.Text.Json;
using Baton.Cli.Commands;
using Baton.Core.Workspaces;
using Baton.Workspaces;

namespace Baton.Bench;

/// <summary>
/// The safety analysis of 50 workspaces at once, in the 2,000-file repository with an origin remote. The workspaces
/// are in five states, ten of each: clean; a modified file; an untracked file; a commit not pushed (the branch is
/// pushed, then one more commit made); a stash. Measured, alternated after one warm-up of each:
/// <list type="bullet">
/// <item>floor: the git commands <see cref="GitSafetyAnalyzer"/> runs, started directly from this process with the
/// same parallelism — the four repository-wide reads at once, then per workspace status, ls-files and rev-list at
/// once, at most max(4, 4 × cores) workspaces at a time. Their arguments (branch tips, other worktrees' HEADs) are
/// worked out from the same reads before the clock starts, so the floor is git's work and process starts only;</item>
/// <item>library: <see cref="GitSafetyAnalyzer.AnalyzeManyAsync"/> over all 50 in this process;</item>
/// <item>CLI: <c>baton workspace list --json</c>, which analyzes them all (and starts a process, reads state.db).</item>
/// </list>
/// Targets: under 1 s, and at most 1.5× the floor.
/// </summary>
internal static class SafetyBench
{
    private static readonly string[] s_kinds = ["clean", "modified file", "untracked file", "commit not pushed", "stash"];

    public static IEnumerable<Row> Run(BenchOptions options, Scratch scratch, string template, GitLog gitLog, List<string> notes)
    {
        var count = options.AnalyzeWorkspaces;
        var repository = Fixtures.Copy(template, Path.Combine(scratch.Subdirectory("safety"), "app"));
        var batonHome = Path.Combine(scratch.Root, "safety", "home", ".baton");
        var environment = new Dictionary<string, string> { ["BATON_HOME"] = batonHome };
        Launch Baton(params string[] arguments) => new(options.Baton, arguments, repository, environment);
        var targets = Populate(repository, Baton, count);

        var analyzer = new GitSafetyAnalyzer();
        var floor = Floor.Prepare(repository, targets);
        var list = Baton("workspace", "list", "--json");

        // Untimed: the verdicts and what each variant spawns.
        var results = analyzer.AnalyzeManyAsync(repository, targets, "main").GetAwaiter().GetResult();
        if (results.FirstOrDefault(r => r.Report is null) is { } failed)
        {
            throw new BenchFailedException($"the analysis of {failed.WorkspacePath} failed: {failed.Error?.Message}");
        }

        notes.Add("safety verdicts: " + string.Join("; ", results
            .GroupBy(r => WorkspaceCommands.Summary(r.Report!), StringComparer.Ordinal)
            .Select(g => $"{g.Count()} × {g.Key}")));
        var listed = CountListed(Timing.RunOk(list).Output);
        if (listed != count)
        {
            throw new BenchFailedException($"baton workspace list --json listed {listed} analyzed workspaces, not {count}");
        }

        var libraryGit = gitLog.Record(() => analyzer.AnalyzeManyAsync(repository, targets, "main"));
        var cliGit = gitLog.Record(list);
        notes.Add($"git processes per analysis of {count}: floor {floor.ProcessCount}, library {libraryGit.Count} ({WorkspaceCreateBench.Commands(libraryGit)}), CLI {cliGit.Count}");

        var variants = new (Func<TimeSpan> Measure, List<TimeSpan> Times)[]
        {
            (() => Timing.Time(floor.RunAsync), []),
            (() => Timing.Time(() => analyzer.AnalyzeManyAsync(repository, targets, "main")), []),
            (() => Timing.RunOk(list).Elapsed, []),
        };
        for (var run = 0; run <= options.AnalyzeRuns; run++)
        {
            for (var turn = 0; turn < variants.Length; turn++)
            {
                var (measure, times) = variants[(turn + run) % variants.Length];
                var elapsed = measure();
                if (run > 0)
                {
                    times.Add(elapsed);
                }
            }
        }

        var floorStats = Stats.Of(variants[0].Times);
        var floorText = string.Create(CultureInfo.InvariantCulture, $"{floorStats} git ×{floor.ProcessCount}");
        var what = $"safety analysis, {count} workspaces ({options.AnalyzeRuns} runs)";
        return
        [
            Verdict($"{what}: GitSafetyAnalyzer.AnalyzeManyAsync", floorText, floorStats, Stats.Of(variants[1].Times)),
            Verdict($"{what}: baton workspace list (incl. process start)", floorText, floorStats, Stats.Of(variants[2].Times)),
        ];
    }

    private static Row Verdict(string measure, string floorText, Stats floor, Stats measured)
    {
        var ratio = measured.MedianMs / floor.MedianMs;
        return new Row(measure, floorText, measured.ToString(), Row.FormatRatio(ratio), "< 1 s and ≤ 1.5× git", measured.MedianMs < 1000 && ratio <= 1.5 ? "ok" : "MISSED");
    }

    /// <summary>A project with tasks APP-1 … APP-count and one workspace each, the i-th in state i mod 5.</summary>
    private static List<WorkspaceTarget> Populate(string repository, Func<string[], Launch> baton, int count)
    {
        var origin = Path.Combine(Path.GetDirectoryName(repository)!, "origin.git");
        Timing.RunOk(Fixtures.Git(repository, "clone", "--quiet", "--bare", repository, origin));
        Timing.RunOk(Fixtures.Git(repository, "remote", "add", "origin", origin));
        Timing.RunOk(Fixtures.Git(repository, "fetch", "--quiet", "origin"));
        Timing.RunOk(Fixtures.Git(repository, "branch", "--quiet", "--set-upstream-to=origin/main", "main"));

        Timing.RunOk(baton(["init", "--prefix", "app"]));
        Fixtures.ImportTasks(baton([]), Path.Combine(Path.GetDirectoryName(repository)!, "tasks.jsonl"), count);

        // The first through the CLI, to learn where baton keeps this project's workspaces; the rest through the library.
        using var created = JsonDocument.Parse(Timing.RunOk(baton(["workspace", "create", "APP-1", "--json"])).Output);
        var root = Path.GetDirectoryName(created.RootElement.GetProperty("data").GetProperty("path").GetString()!)!;
        var layout = new WorkspaceLayout { Strategy = WorkspaceLayout.Worktree, Root = root, RepositoryPath = repository, DefaultBranch = "main" };
        var paths = new List<string> { Path.Combine(root, "APP-1") };
        for (var i = 2; i <= count; i++)
        {
            paths.Add(WorkspaceManager.CreateOrReuseAsync(layout, new WorkspaceTask($"id{i}", $"APP-{i}")).GetAwaiter().GetResult().Path);
        }

        var pushed = Enumerable.Range(1, count).Where(i => i % s_kinds.Length == 3).Select(i => $"baton/APP-{i}").ToArray();
        if (pushed.Length > 0)
        {
            Timing.RunOk(Fixtures.Git(repository, ["push", "--quiet", "--set-upstream", "origin", .. pushed]));
        }

        for (var i = 1; i <= count; i++)
        {
            var path = paths[i - 1];
            var file = Path.Combine(path, "src", $"module{i % Fixtures.Directories:00}", "file00.cs");
            switch (i % s_kinds.Length)
            {
                case 1:
                    File.AppendAllText(file, $"// changed in APP-{i}\n");
                    break;
                case 2:
                    File.WriteAllText(Path.Combine(path, "src", "module00", $"new-{i}.cs"), $"// new in APP-{i}\n");
                    break;
                case 3:
                    File.AppendAllText(file, $"// committed in APP-{i}\n");
                    Timing.RunOk(Fixtures.Git(path, "commit", "--quiet", "--all", "-m", $"APP-{i}: not pushed"));
                    break;
                case 4:
                    File.AppendAllText(file, $"// stashed in APP-{i}\n");
                    Timing.RunOk(Fixtures.Git(path, "stash", "push", "--quiet", "-m", $"APP-{i} work"));
                    break;
            }
        }

        return [.. paths.Select(p => new WorkspaceTarget(p, null))];
    }

    private static int CountListed(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("data").EnumerateArray().Count(item => item.GetProperty("error").ValueKind == JsonValueKind.Null);
    }

    /// <summary>The analyzer's git commands (GitSafetyAnalyzer.cs), as plain processes with the analyzer's parallelism.</summary>
    private sealed class Floor
    {
        private readonly Launch[] _repositoryReads;
        private readonly Launch[][] _perWorkspace;

        private Floor(Launch[] repositoryReads, Launch[][] perWorkspace)
        {
            _repositoryReads = repositoryReads;
            _perWorkspace = perWorkspace;
        }

        public int ProcessCount => _repositoryReads.Length + _perWorkspace.Sum(w => w.Length);

        public static Floor Prepare(string repository, IReadOnlyList<WorkspaceTarget> targets)
        {
            Launch Git(string directory, params string[] arguments) => new("git", arguments, directory, Fixtures.GitEnvironment);
            var reads = new[]
            {
                Git(repository, "worktree", "list", "--porcelain", "-z"),
                Git(repository, "for-each-ref", "--format=%(refname)%1f%(objectname)%1f%(upstream)%1f%(upstream:track)%1f%(upstream:remotename)", "refs/heads/"),
                Git(repository, "stash", "list", "--format=%gd%x1f%gs"),
                Git(repository, "remote"),
            };
            var worktrees = GitPorcelain.ParseWorktreeList(Timing.RunOk(reads[0]).Output);
            var branches = GitPorcelain.ParseBranches(Timing.RunOk(reads[1]).Output);
            var perWorkspace = targets.Select(target =>
            {
                var entry = worktrees.Single(w => w.Path.TrimEnd('/') == target.WorkspacePath.TrimEnd('/'));
                var otherHeads = worktrees.Where(w => !ReferenceEquals(w, entry) && w.Head is not null).Select(w => w.Head!).Distinct(StringComparer.Ordinal);
                var branch = branches[entry.Branch ?? throw new BenchFailedException($"{target.WorkspacePath} has no branch")];
                if (Directory.Exists(Path.Combine(repository, ".git", "worktrees", Path.GetFileName(target.WorkspacePath), "refs")))
                {
                    throw new BenchFailedException($"{target.WorkspacePath} has per-worktree refs; the floor does not mirror that case");
                }

                return new[]
                {
                    Git(target.WorkspacePath, "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignore-submodules=none", "--no-renames"),
                    Git(target.WorkspacePath, "ls-files", "-v", "-s", "-z"),
                    Git(repository, ["rev-list", "--no-commit-header", "--format=%H%x1f%s", branch.Commit, "--not", "--exclude=refs/stash", "--exclude=refs/heads/" + branch.Name, "--glob=refs/*", .. otherHeads]),
                };
            }).ToArray();
            return new Floor(reads, perWorkspace);
        }

        public async Task RunAsync()
        {
            await Task.WhenAll(_repositoryReads.Select(Timing.RunOkAsync)).ConfigureAwait(false);
            using var gate = new SemaphoreSlim(Math.Max(4, Environment.ProcessorCount * 4));
            await Task.WhenAll(_perWorkspace.Select(async commands =>
            {
                await gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    await Task.WhenAll(commands.Select(Timing.RunOkAsync)).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }
    }
}
