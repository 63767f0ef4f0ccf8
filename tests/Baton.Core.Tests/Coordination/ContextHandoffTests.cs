using Baton.Core.Coordination;
using Baton.Core.Errors;

namespace Baton.Core.Tests.Coordination;

public class ContextHandoffTests
{
    [Theory]
    [InlineData(79.9, 80, false, false)]
    [InlineData(80.0, 80, false, true)]
    [InlineData(95.0, 80, true, false)]
    [InlineData(99.0, 0, false, false)]
    [InlineData(null, 80, false, false)]
    public void ShouldAsk_OnlyOncePastAnActiveThreshold(double? percent, int threshold, bool asked, bool expected) =>
        ContextHandoff.ShouldAsk(percent, threshold, asked).ShouldBe(expected);

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    public void Validate_OutOfRange_IsAUsageError(int percent)
    {
        var error = Should.Throw<BatonException>(() => ContextHandoff.Validate(percent, "--handoff-threshold"));

        error.Code.ShouldBe(ErrorCodes.HandoffThresholdInvalid);
        error.ExitCode.ShouldBe(ExitCodes.BadUsage);
        error.Message.ShouldContain("--handoff-threshold");
    }

    [Fact]
    public void SteeringText_SaysHowFullAndWhatToRun()
    {
        var text = ContextHandoff.SteeringText(86.4, 80);

        text.ShouldContain("86% full");
        text.ShouldContain("threshold is 80%");
        text.ShouldContain("baton handoff -m");
    }

    [Fact]
    public void Reason_NamesTheNote() => ContextHandoff.Reason(14).ShouldBe("handed off: note #14 goes to the task's next run");
}

public class ContextHandoffWorkflowTests
{
    private static Baton.Core.Workflows.WorkflowSettings Settings(string text) =>
        Baton.Core.Workflows.WorkflowSettings.From(Baton.Core.Workflows.WorkflowDocument.Parse(text, "/repo/WORKFLOW.md"), _ => null, "/home/u", "/tmp");

    [Fact]
    public void From_NoContextHandoffKey_DefaultsToEightyPercent() =>
        Settings("Prompt only").Agent.ContextHandoffPercent.ShouldBe(ContextHandoff.DefaultThresholdPercent);

    [Theory]
    [InlineData("65", 65)]
    [InlineData("0", 0)]
    public void From_ContextHandoffPercent_IsRead(string value, int expected) =>
        Settings($"---\nagent:\n  context_handoff_percent: {value}\n---\n").Agent.ContextHandoffPercent.ShouldBe(expected);

    [Theory]
    [InlineData("150")]
    [InlineData("-5")]
    [InlineData("most")]
    public void From_ContextHandoffPercentOutOfRange_FailsNamingTheKey(string value)
    {
        var error = Should.Throw<BatonException>(() => Settings($"---\nagent:\n  context_handoff_percent: {value}\n---\n"));

        error.Code.ShouldBe(Baton.Core.Workflows.WorkflowErrorCodes.Invalid);
        error.Message.ShouldContain("agent.context_handoff_percent");
    }
}
