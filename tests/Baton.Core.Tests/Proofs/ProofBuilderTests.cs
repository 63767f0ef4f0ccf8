using Baton.Core.Events;
using Baton.Core.Proofs;

namespace Baton.Core.Tests.Proofs;

public class ProofBuilderTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static WorkerEvent E(int run, int seconds, string type, TokenUsage? usage = null, string? outcome = null, string? text = null) =>
        new() { Ts = s_t0.AddSeconds(seconds), Session = "app-1", Run = run, Type = type, Usage = usage, Outcome = outcome, Text = text, Agent = type == WorkerEventTypes.RunStarted ? "pi" : null, Model = type == WorkerEventTypes.RunStarted ? "replay:x.json" : null };

    private static ProofInput Input(IReadOnlyList<WorkerEvent> events, string outcome = Outcomes.Succeeded) => new()
    {
        Now = s_t0.AddMinutes(5),
        Task = new ProofTask("id-1", "APP-1", "Add mul", "Human Review", null),
        Session = new ProofSession("app-1", "/home/s/app-1", "/w/APP-1", "baton/APP-1", s_t0.AddSeconds(-1)),
        Events = events,
        Outcome = outcome,
        Validation = ProofValidation.NotConfigured,
        Handoff = new ProofHandoff { Enabled = false, Status = HandoffStatuses.NotEnabled },
        Transcript = new ProofTranscript(ProofDocument.TranscriptFile, TranscriptSources.Events),
    };

    [Fact]
    public void Runs_AbsoluteUsageReports_TakeTheHighestPerRunAndAddRuns()
    {
        var events = new[]
        {
            E(1, 0, WorkerEventTypes.RunStarted),
            E(1, 1, WorkerEventTypes.Usage, new TokenUsage(100, 10, 0, 0, 0.01m)),
            E(1, 2, WorkerEventTypes.Usage, new TokenUsage(300, 30, 50, 0, 0.03m)),
            E(1, 3, WorkerEventTypes.Usage, new TokenUsage(300, 30, 50, 0, 0.03m)), // repeated: counts once
            E(1, 4, WorkerEventTypes.TurnFinished, outcome: Outcomes.Succeeded),
            E(1, 9, WorkerEventTypes.RunFinished, new TokenUsage(300, 30, 50, 0, 0.03m), Outcomes.Failed),
            E(2, 20, WorkerEventTypes.RunStarted),
            E(2, 21, WorkerEventTypes.Usage, new TokenUsage(1000, 100, 0, 0, 0.1m)),
            E(2, 22, WorkerEventTypes.TurnFinished, outcome: Outcomes.Succeeded),
            E(2, 23, WorkerEventTypes.TurnFinished, outcome: Outcomes.Succeeded),
            E(2, 24, WorkerEventTypes.Heartbeat),
            E(2, 30, WorkerEventTypes.RunFinished, new TokenUsage(1000, 100, 0, 0, 0.1m), Outcomes.Succeeded),
        };

        var proof = ProofBuilder.Build(Input(events));

        proof.Runs.Count.ShouldBe(2);
        proof.Runs[0].ShouldBe(new ProofRun { Run = 1, Agent = "pi", Model = "replay:x.json", StartedAt = s_t0, EndedAt = s_t0.AddSeconds(9), DurationMs = 9000, Turns = 1, Outcome = Outcomes.Failed, Tokens = new ProofTokens(300, 30, 50, 0, 380), CostUsd = 0.03m });
        proof.Runs[1].Tokens.ShouldBe(new ProofTokens(1000, 100, 0, 0, 1100));
        proof.Runs[1].Turns.ShouldBe(2);
        proof.Tokens.ShouldBe(new ProofTokens(1300, 130, 50, 0, 1480));
        proof.CostUsd.ShouldBe(0.13m);
        proof.Agent.ShouldBe("pi");
        proof.Timings.RunsDurationMs.ShouldBe(19_000);
        proof.Timings.FirstEventAt.ShouldBe(s_t0);
        proof.Timings.LastEventAt.ShouldBe(s_t0.AddSeconds(30));
    }

    [Fact]
    public void Build_RunWithoutItsEndEvent_TakesTheDaemonsOutcome()
    {
        var proof = ProofBuilder.Build(Input([E(1, 0, WorkerEventTypes.RunStarted), E(1, 1, WorkerEventTypes.AgentMessage, text: "hi")], Outcomes.Failed) with { Reason = "the worker process died" });

        proof.Runs.Single().Outcome.ShouldBe(Outcomes.Failed);
        proof.Runs.Single().Reason.ShouldBe("the worker process died");
        proof.Runs.Single().DurationMs.ShouldBeNull();
    }

    [Fact]
    public void Build_GitFacts_GiveTheDiffStat()
    {
        var git = new GitFacts
        {
            Branch = "baton/APP-1",
            Commits = [new ProofCommit("c1", "a", s_t0, "s", string.Empty)],
            Files = [new ProofFileChange("a.txt", 3, 1), new ProofFileChange("b.png", null, null), new ProofFileChange("c.txt", 0, 4)],
        };

        var proof = ProofBuilder.Build(Input([]) with { Git = git });

        proof.DiffStat.ShouldBe(new ProofDiffStat(3, 3, 5, 1));
        proof.Runs.ShouldBeEmpty();
        proof.Tokens.ShouldBe(ProofTokens.Zero);
    }

    [Fact]
    public void Json_RoundTrips()
    {
        var proof = ProofBuilder.Build(Input([E(1, 0, WorkerEventTypes.RunStarted)]) with { Validation = ProofValidation.Of([new ValidationResult { Command = "x", ExitCode = 3, StartedAt = s_t0 }]) });

        var json = ProofRenderer.Json(proof);
        var back = ProofRenderer.ParseJson(json)!;

        json.ShouldContain("\"costUsd\"");
        json.ShouldContain("\"validation\"");
        back.Validation.Status.ShouldBe(ValidationStatuses.Failed);
        back.Validation.Results.Single().ExitCode.ShouldBe(3);
        back.Task.ShouldBe(proof.Task);
        back.Runs.Single().Agent.ShouldBe("pi");
    }
}
