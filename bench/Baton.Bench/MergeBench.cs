using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Baton.Bench;

/// <summary>
/// The merge queue (<c>--only merge</c>): N independent task branches (default 20) of the 2,000-file repository, each
/// adding one file, every one in its workspace, the default branch one commit ahead of where they started, and a
/// validation command. Baton: <c>baton merge</c> (the ReadyToRun publish, one process) lands them all — rebase in its
/// merge worktree, validation, fast-forward, task closed, workspace removed through the safety rules, branch deleted.
/// The floor: the same git and validation commands run by a shell loop on an identical copy (a detached worktree, then
/// per branch: checkout, clean, rebase, the validation under <c>bash -lc</c>, <c>merge --ff-only</c> in the main
/// checkout, <c>worktree remove</c>, <c>branch -D</c>). Worlds alternate which goes first, round by round.
/// </summary>
internal static class MergeBench
{
    private const string Validation = "ls src > /dev/null && test -d .git -o -f .git";

    public static IEnumerable<Row> Run(BenchOptions options, Scratch scratch, string template, GitLog gitLog, List<string> notes)
    {
        var count = options.MergeTasks;
        var baton = new List<TimeSpan>();
        var floor = new List<TimeSpan>();
        for (var round = 0; round < options.MergeRounds; round++)
        {
            var order = round % 2 == 0 ? new[] { true, false } : [false, true];
            foreach (var isBaton in order)
            {
                if (isBaton)
                {
                    baton.Add(BatonRound(options, scratch, template, count, round));
                }
                else
                {
                    floor.Add(FloorRound(scratch, template, count, round));
                }
            }
        }

        var batonStats = Stats.Of(baton);
        var floorStats = Stats.Of(floor);
        var perTask = (batonStats.MedianMs - floorStats.MedianMs) / count;
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"merge queue: {count} branches, {options.MergeRounds} round(s) each (median); validation `{Validation}` under bash -lc in both. {GitProcesses(options, scratch, template, gitLog)}"));
        yield return new Row(
            $"merge queue: {count} independent branches rebased, validated, landed, closed, workspaces removed",
            string.Create(CultureInfo.InvariantCulture, $"{floorStats.MedianMs / 1000:0.00} s shell loop"),
            string.Create(CultureInfo.InvariantCulture, $"{batonStats.MedianMs / 1000:0.00} s baton merge"),
            Row.FormatRatio(batonStats.MedianMs / floorStats.MedianMs),
            "info",
            "-");
        yield return new Row(
            "  Baton's cost per task over the floor ((baton − floor) / tasks)",
            "-",
            string.Create(CultureInfo.InvariantCulture, $"{perTask:0} ms"),
            "-",
            "info",
            "-");
    }

    private static TimeSpan BatonRound(BenchOptions options, Scratch scratch, string template, int count, int round)
    {
        var world = Prepare(options, scratch, template, count, $"baton-{round}");
        var watch = Stopwatch.StartNew();
        var merged = Timing.RunOk(world.Baton("merge", "app", "--json"));
        var elapsed = watch.Elapsed;
        using var json = JsonDocument.Parse(merged.Output);
        var outcomes = json.RootElement.GetProperty("data").GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("outcome").GetString()).ToList();
        if (outcomes.Count != count || outcomes.Any(o => o != "merged"))
        {
            throw new BenchFailedException($"baton merge landed {outcomes.Count(o => o == "merged")} of {count}: {Timing.FirstLine(merged.Output)}");
        }

        Fixtures.Delete(world.Root);
        return elapsed;
    }

    private static TimeSpan FloorRound(Scratch scratch, string template, int count, int round)
    {
        var root = scratch.Subdirectory("merge", $"floor-{round}");
        var repository = Fixtures.Copy(template, Path.Combine(root, "app"));
        var workspaces = Directory.CreateDirectory(Path.Combine(root, "worktrees")).FullName;
        for (var i = 1; i <= count; i++)
        {
            var workspace = Path.Combine(workspaces, $"APP-{i}");
            Timing.RunOk(Fixtures.Git(repository, "worktree", "add", "--quiet", "--no-track", "-b", $"baton/APP-{i}", workspace, "main"));
            Commit(workspace, i);
        }

        AdvanceMain(repository);
        var mergeWorktree = Path.Combine(root, "merge-worktree");
        var script = $"""
            set -e
            cd '{repository}'
            git worktree add --quiet --detach '{mergeWorktree}' main
            for i in $(seq 1 {count}); do
              tip=$(git rev-parse --verify "refs/heads/baton/APP-$i")
              (cd '{mergeWorktree}' && git checkout --quiet --force --detach "$tip" && git clean -ffdq && git rebase --quiet main && bash -lc '{Validation}')
              git merge --ff-only --quiet "$(git -C '{mergeWorktree}' rev-parse HEAD)"
              git worktree remove '{workspaces}'/"APP-$i"
              git branch --quiet -D "baton/APP-$i"
            done
            """;
        var watch = Stopwatch.StartNew();
        Timing.RunOk(new Launch("bash", ["-c", script], repository, Fixtures.GitEnvironment));
        var elapsed = watch.Elapsed;
        var files = Timing.RunOk(Fixtures.Git(repository, "ls-tree", "--name-only", "main", "bench/")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        if (files != count)
        {
            throw new BenchFailedException($"the merge floor landed {files} of {count} branches");
        }

        Fixtures.Delete(root);
        return elapsed;
    }

    /// <summary>Untimed: how many git processes each side starts per task, with the logging git first on PATH.</summary>
    private static string GitProcesses(BenchOptions options, Scratch scratch, string template, GitLog gitLog)
    {
        const int Tasks = 3;
        var world = Prepare(options, scratch, template, Tasks, "gitlog");
        var lines = gitLog.Record(world.Baton("merge", "app", "--json"));
        Fixtures.Delete(world.Root);
        return string.Create(CultureInfo.InvariantCulture, $"git processes per task: baton {lines.Count / (double)Tasks:0.#} (checks, status of the checkout, the safety analysis before removal), floor 8");
    }

    /// <summary>A project with <paramref name="count"/> tasks in Merging, each with its workspace and one commit; main one commit ahead.</summary>
    private static BatonWorld Prepare(BenchOptions options, Scratch scratch, string template, int count, string name)
    {
        var root = scratch.Subdirectory("merge", name);
        var repository = Fixtures.Copy(template, Path.Combine(root, "app"));
        var environment = new Dictionary<string, string>(Fixtures.GitEnvironment)
        {
            ["BATON_HOME"] = Path.Combine(root, "home", ".baton"),
            ["BATON_TMUX_SOCKET"] = $"baton-bench-{Environment.ProcessId}-merge",
        };
        var world = new BatonWorld(root, repository, environment, options.Baton);
        Timing.RunOk(world.Baton("init", "--prefix", "app"));
        File.WriteAllText(Path.Combine(repository, "WORKFLOW.md"), $"---\nproof:\n  validate:\n    - {JsonSerializer.Serialize(Validation)}\n---\nWork on the task.\n");
        Fixtures.ImportTasks(world.Baton(), Path.Combine(root, "tasks.jsonl"), count);
        for (var i = 1; i <= count; i++)
        {
            var created = Timing.RunOk(world.Baton("workspace", "create", $"APP-{i}", "--json"));
            using var json = JsonDocument.Parse(created.Output);
            Commit(json.RootElement.GetProperty("data").GetProperty("path").GetString()!, i);
        }

        AdvanceMain(repository);
        var queued = Path.Combine(root, "queued.jsonl");
        File.WriteAllLines(queued, Enumerable.Range(1, count).Select(i => $"{{\"identifier\":\"APP-{i}\",\"title\":\"Bench task {i}\",\"state\":\"Merging\"}}"));
        Timing.RunOk(world.Baton("task", "import", "--input", queued));
        return world;
    }

    private static void Commit(string workspace, int task)
    {
        Directory.CreateDirectory(Path.Combine(workspace, "bench"));
        File.WriteAllText(Path.Combine(workspace, "bench", $"task-{task}.txt"), $"the work of task {task}\n");
        Timing.RunOk(Fixtures.Git(workspace, "add", "bench"));
        Timing.RunOk(Fixtures.Git(workspace, "commit", "--quiet", "-m", $"APP-{task}: its work"));
    }

    /// <summary>The default branch moves on after the branches started, so every rebase has work to do.</summary>
    private static void AdvanceMain(string repository)
    {
        File.WriteAllText(Path.Combine(repository, "CHANGELOG.md"), "main moved on\n");
        Timing.RunOk(Fixtures.Git(repository, "add", "CHANGELOG.md"));
        Timing.RunOk(Fixtures.Git(repository, "commit", "--quiet", "-m", "main moves on"));
    }

    private sealed record BatonWorld(string Root, string Repository, Dictionary<string, string> Environment, string BatonPath)
    {
        public Launch Baton(params string[] arguments) => new(BatonPath, arguments, Repository, Environment);
    }
}
