using Baton.Core.Errors;
using Baton.Core.Proofs;
using Baton.Core.Scheduling;
using Baton.Core.Tasks;
using Baton.Core.Workflows;

namespace Baton.Core.Tests.Proofs;

/// <summary>The <c>proof</c> and <c>handoff</c> extension keys of WORKFLOW.md.</summary>
public class ProofSettingsTests
{
    private static WorkflowSettings Settings(string frontMatter) =>
        WorkflowSettings.From(WorkflowDocument.Parse($"---\n{frontMatter}\n---\nprompt", "/repo/WORKFLOW.md"), _ => null, "/home/u", "/tmp");

    [Fact]
    public void From_NoExtensionKeys_ValidatesNothingAndLeavesTheHandOffToTheAgent()
    {
        var settings = Settings("polling:\n  interval_ms: 1000");

        settings.Proof.Validate.ShouldBeEmpty();
        settings.Handoff.Enabled.ShouldBeFalse();
        SchedulerConfig.From(settings, TaskStates.Default).Handoff.ShouldBeFalse();
    }

    [Fact]
    public void From_ValidateStringsAndMaps_KeepsOrderAndTimeouts()
    {
        var settings = Settings("proof:\n  timeout_ms: 5000\n  validate:\n    - ./check.sh\n    - command: dotnet test --no-build\n      timeout_ms: 900000\n    - \"  npm run lint  \"");

        settings.Proof.Validate.ShouldBe([
            new ValidationCommand("./check.sh", 5000),
            new ValidationCommand("dotnet test --no-build", 900_000),
            new ValidationCommand("npm run lint", 5000),
        ]);
    }

    [Fact]
    public void From_ValidateWithoutTimeout_UsesTenMinutes() =>
        Settings("proof:\n  validate: [make test]").Proof.Validate.Single().TimeoutMs.ShouldBe(ProofSettings.DefaultTimeoutMs);

    [Theory]
    [InlineData("proof:\n  validate: make test", "proof.validate must be a list")]
    [InlineData("proof:\n  validate:\n    - \"\"", "proof.validate[0] must be a command string")]
    [InlineData("proof:\n  validate:\n    - timeout_ms: 5", "proof.validate[0].command must be a non-empty string")]
    [InlineData("proof:\n  validate:\n    - command: x\n      timeout_ms: soon", "proof.validate[0].timeout_ms must be a positive integer")]
    [InlineData("proof:\n  validate:\n    - command: x\n      timeout_ms: 0", "proof.validate[0].timeout_ms must be a positive integer")]
    [InlineData("proof:\n  timeout_ms: -1", "proof.timeout_ms must be a positive integer")]
    [InlineData("handoff:\n  pull_request: maybe", "handoff.pull_request must be true or false")]
    [InlineData("handoff: yes", "handoff must be a mapping")]
    public void From_BadValue_IsWorkflowInvalidNamingTheKey(string frontMatter, string message)
    {
        var error = Should.Throw<BatonException>(() => Settings(frontMatter));

        error.Code.ShouldBe(WorkflowErrorCodes.Invalid);
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void From_HandoffMap_TurnsTheHandOffOnWithItsState()
    {
        var settings = Settings("handoff:\n  state: Ready for Review\n  pull_request: true");

        settings.Handoff.ShouldBe(new HandoffSettings { Enabled = true, State = "Ready for Review", PullRequest = true });
        SchedulerConfig.From(settings, TaskStates.Default).Handoff.ShouldBeTrue();
    }

    [Fact]
    public void From_HandoffEnabledFalse_KeepsItOff()
    {
        var settings = Settings("handoff:\n  enabled: false\n  state: Review");

        settings.Handoff.Enabled.ShouldBeFalse();
        SchedulerConfig.From(settings, TaskStates.Default).Handoff.ShouldBeFalse();
    }

    [Fact]
    public void From_EmptyHandoffMap_IsOnWithTheDefaultState()
    {
        var settings = Settings("handoff: {}");

        settings.Handoff.Enabled.ShouldBeTrue();
        settings.Handoff.State.ShouldBeNull();
        settings.Handoff.PullRequest.ShouldBeFalse();
    }
}
