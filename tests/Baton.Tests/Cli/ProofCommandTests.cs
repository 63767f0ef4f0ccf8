using Baton.Tests.TestSupport;

namespace Baton.Tests.Cli;

/// <summary><c>baton proof</c> when there is nothing to show: clear errors, documented exit codes.</summary>
public sealed class ProofCommandTests
{
    [Fact]
    public async Task Proof_UnknownTaskOrSession_IsSessionNotFound()
    {
        using var w = await TempWorld.CreateAsync();

        var result = await w.RunAsync("proof", "APP-99", "--json");

        result.ExitCode.ShouldBe(1);
        result.ErrorCode.ShouldBe("session_not_found");
        result.ErrorSuggestion.ShouldContain("No session has worked on APP-99 yet");
    }

    [Fact]
    public async Task Proof_SessionSpawnedOutsideTheOrchestrator_IsProofNotFoundWithWhy()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("No orchestrator");
        var session = await w.SpawnCommandAsync(task, "echo hi");

        var byTask = await w.RunAsync("proof", task);
        var bySession = await w.RunAsync("proof", session, "--json");

        byTask.ExitCode.ShouldBe(1);
        byTask.Stderr.ShouldStartWith($"error[proof_not_found]: {task} has no proof yet (its latest session {session} is ");
        byTask.Stderr.ShouldContain("→ 'baton run' writes the proof when a run ends");
        bySession.ErrorCode.ShouldBe("proof_not_found");
        bySession.ErrorMessage.ShouldStartWith($"{session} has no proof yet");
    }

    [Fact]
    public async Task Proof_NoArgument_IsBadUsage()
    {
        using var w = await TempWorld.CreateAsync();

        (await w.RunAsync("proof")).ExitCode.ShouldBe(2);
    }
}
