using Baton.Core.Coordination;
using Baton.Core.Errors;
using Baton.Core.Tasks;
using Baton.Core.Workflows;

namespace Baton.Core.Tests.Coordination;

public sealed class MergeRulesTests
{
    private static readonly MergeJournal s_journal = new()
    {
        TaskId = "t1",
        Identifier = "APP-1",
        Branch = "baton/APP-1",
        BranchTip = "tip",
        DefaultBranch = "main",
        Base = "base",
        Phase = MergePhases.Rebasing,
        StartedAt = DateTimeOffset.UnixEpoch,
    };

    [Theory]
    [InlineData(MergePhases.Rebasing, null, false, MergeRecovery.Restart)]
    [InlineData(MergePhases.Validating, "rebased", false, MergeRecovery.Restart)]
    [InlineData(MergePhases.Landing, "rebased", false, MergeRecovery.Restart)]
    [InlineData(MergePhases.Landing, "rebased", true, MergeRecovery.Finish)]
    [InlineData(MergePhases.Landed, "rebased", true, MergeRecovery.Finish)]
    [InlineData(MergePhases.Landed, "rebased", false, MergeRecovery.Restart)]
    public void Decide_TheDefaultBranchNotThePhaseSaysWhetherItLanded(string phase, string? rebased, bool inDefault, MergeRecovery expected) =>
        MergeRecoveryRules.Decide(s_journal with { Phase = phase, Rebased = rebased }, inDefault).ShouldBe(expected);

    [Fact]
    public void TaskStates_Default_HasMergingAsAHandoffStateAndReworkAsAnActiveOne()
    {
        var states = TaskStates.Default;

        states.Active.ShouldBe(["Todo", "In Progress", "Rework"]);
        states.Handoff.ShouldBe(["Human Review", "Merging"]);
        states.IsActive("rework").ShouldBeTrue();
        states.IsActive("Merging").ShouldBeFalse();
        states.IsTerminal("Merging").ShouldBeFalse();
        states.IsMerge(" merging ").ShouldBeTrue();
        states.Initial.ShouldBe("Todo");
        states.QueueStatesProblem().ShouldBeNull();
    }

    [Fact]
    public void TaskStates_Create_ListsThatNameTheQueueStatesAreLeftAsTheyAre()
    {
        var states = TaskStates.Create(["Open", "REWORK"], [], ["Closed"], ["merging"]);

        states.Active.ShouldBe(["Open", "REWORK"]);
        states.Handoff.ShouldBeEmpty();
        (states.Merge, states.Rework).ShouldBe(("merging", "REWORK"));
    }

    [Fact]
    public void MergeSettings_FromWorkflow_ReadsContinuousAndPushAndDefaultsOff()
    {
        Settings("merge:\n  continuous: true\n  push: TRUE").Merge.ShouldBe(new MergeSettings { Continuous = true, Push = true });
        Settings("agent:\n  kind: pi").Merge.ShouldBe(MergeSettings.None);
    }

    [Fact]
    public void MergeSettings_NotABoolean_IsWorkflowInvalidNamingTheKey()
    {
        var error = Should.Throw<BatonException>(() => Settings("merge:\n  push: sometimes"));

        error.Message.ShouldContain("merge.push must be true or false, not 'sometimes'");
    }

    private static WorkflowSettings Settings(string frontMatter) =>
        WorkflowSettings.From(WorkflowDocument.Parse($"---\n{frontMatter}\n---\nprompt\n", "/r/WORKFLOW.md"), _ => null, "/home/u", "/tmp");
}
