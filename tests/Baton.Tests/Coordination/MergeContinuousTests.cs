using Baton.Tests.Orchestration;
using Baton.Tests.TestSupport;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Coordination;

/// <summary>
/// <c>merge.continuous: true</c>: <c>baton run</c> lands what agents hand to the merge queue, and a task the queue sends
/// back is dispatched again (Rework is active) until it lands.
/// </summary>
public sealed class MergeContinuousTests
{
    [Fact]
    public async Task Run_MergeContinuous_LandsBothTasksAndTheOneThatConflictedAfterItsReworkRun()
    {
        await using var w = await SessionWorld.CreateAsync();
        var repo = w.World.Repo;
        File.WriteAllText(Path.Combine(repo, "shared.txt"), "one\ntwo\nthree\n");
        await GitAsync(repo, "add", "shared.txt");
        await GitAsync(repo, "commit", "-q", "-m", "base");

        // Run 1 of each task edits the same line (one of them will conflict with the other once it lands); a later run
        // rebases on main and resolves. Each run hands its task to the merge queue.
        Write(w, $$"""
            set -e
            runs="$BATON_HOME/runs-$BATON_TASK"; n=$(( $(cat "$runs" 2>/dev/null || echo 0) + 1 )); echo $n > "$runs"
            printf '%s' "$BATON_PROMPT" > "$BATON_HOME/prompt-$BATON_TASK-$n"
            if [ "$n" = 1 ]; then
              printf 'one\n%s\nthree\n' "$BATON_TASK" > shared.txt
              echo "$BATON_TASK" > "file-$BATON_TASK.txt"
              git add -A && git commit -qm "$BATON_TASK: work"
            else
              git rebase main || { printf 'one\nresolved\nthree\n' > shared.txt; git add shared.txt; GIT_EDITOR=true git rebase --continue; }
            fi
            {{BatonCli}} task update "$BATON_TASK" --state Merging
            """, pollMs: 1000, extra: "merge:\n  continuous: true");
        var first = await w.AddTaskAsync("First");
        var second = await w.AddTaskAsync("Second");

        await using var daemon = await RunDaemon.StartAsync(w, "--stop-sessions");
        await WaitForTaskStateAsync(w, first, "Done", 120);
        await WaitForTaskStateAsync(w, second, "Done", 120);
        (await daemon.StopAsync()).ShouldBe(0);

        var files = (await GitAsync(repo, "ls-tree", "--name-only", "main")).Split('\n');
        files.ShouldContain($"file-{first}.txt");
        files.ShouldContain($"file-{second}.txt");
        File.ReadAllText(Path.Combine(repo, "shared.txt")).ShouldBe("one\nresolved\nthree\n");
        var comments = new List<string>();
        foreach (var task in new[] { first, second })
        {
            var shown = await w.RunAsync("task", "show", task, "--json");
            comments.AddRange(shown.Data.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("body").GetString()!));
        }

        comments.Count(c => c.StartsWith("The merge queue sent this task back", StringComparison.Ordinal)).ShouldBe(1);

        // The rework run's prompt carries the queue's message (sent to the task's session, which had ended).
        var reworkPrompt = Directory.GetFiles(w.World.Home, "prompt-*-2").ShouldHaveSingleItem();
        var prompt = File.ReadAllText(reworkPrompt);
        prompt.ShouldContain("sent back by the merge queue");
        prompt.ShouldContain("conflicts in shared.txt");
        comments.Count(c => c.StartsWith("Merged by the merge queue", StringComparison.Ordinal)).ShouldBe(2);
        File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log")).ShouldContain("outcome=rework");
        (await GitAsync(repo, "status", "--porcelain", "--untracked-files=no")).ShouldBeEmpty();
    }

    private static async Task<string> GitAsync(string directory, params string[] arguments)
    {
        var result = await Processes.ProcessRunner.RunAsync(new Processes.ProcessSpec("git", ["-c", "user.name=T", "-c", "user.email=t@t", .. arguments]) { WorkingDirectory = directory, Timeout = TempWorld.Timeout });
        result.Succeeded.ShouldBeTrue(result.StandardError);
        return result.StandardOutput.Trim();
    }
}
