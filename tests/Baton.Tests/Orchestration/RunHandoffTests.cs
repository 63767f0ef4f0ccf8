using Baton.Tests.TestSupport;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>Hand-off under <c>baton run</c>: the orchestrator starts the task's next run, a fresh agent in the same workspace with the note.</summary>
public sealed class RunHandoffTests
{
    [Fact]
    public async Task Run_AgentHandsOff_TheOrchestratorStartsTheNextRunWithTheNoteInItsPrompt()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Two halves");

        // The agent reads its prompt: with a hand-off note in it, it finishes the task; without, it does the first half,
        // tells the orchestrator, and hands off.
        Write(w, $"""
            prompt=$(cat)
            if printf '%s' "$prompt" | grep -q 'NOTE-77'; then
              echo second half > second.txt
              {BatonCli} task update "$BATON_TASK" --state 'Human Review'
            else
              echo first half > first.txt
              {BatonCli} mail send orchestrator -s 'Cycling my context' -m 'first half done'
              {BatonCli} handoff -m 'NOTE-77: first.txt is written; write second.txt next'
            fi
            """);
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitForTaskStateAsync(w, task, "Human Review", 120);
        await daemon.WaitForStateAsync(s => !Rows(s, "running").Any() && !Rows(s, "retrying").Any(), "the task being released", 60);

        var sessions = (await SessionsAsync(w)).OrderBy(s => s.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        sessions.Count.ShouldBe(2, string.Join("\n", sessions));
        var (first, second) = (sessions[0], sessions[1]);
        first.GetProperty("outcome").GetString().ShouldBe("handed_off");
        // The second run ends on its own or is stopped by reconciliation once its task left the active states: a race.
        second.GetProperty("outcome").GetString().ShouldBeOneOf("succeeded", "stopped");
        var workspace = second.GetProperty("workspace").GetString()!;
        workspace.ShouldBe(first.GetProperty("workspace").GetString());
        File.Exists(Path.Combine(workspace, "first.txt")).ShouldBeTrue();
        File.Exists(Path.Combine(workspace, "second.txt")).ShouldBeTrue();
        var secondName = second.GetProperty("name").GetString()!;
        var prompt = await File.ReadAllTextAsync(Path.Combine(w.SessionDirectory(secondName), "prompt.md"));
        prompt.ShouldStartWith($"Work on {task}: Two halves");
        prompt.ShouldContain("NOTE-77: first.txt is written; write second.txt next");
        (await w.SessionAsync(secondName)).GetProperty("previousSession").GetString().ShouldBe(first.GetProperty("name").GetString());
        var log = await File.ReadAllTextAsync(Path.Combine(w.World.Home, "logs", "baton-run.log"));
        log.ShouldContain("msg=\"message for the orchestrator\"");
        log.ShouldContain("subject=\"Cycling my context\"");
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }
}
