using Baton.Core.Errors;
using Baton.Core.Tasks;

namespace Baton.Core.Tests.Tasks;

public class TaskRulesTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TaskRecord Task(string identifier, int? priority = null, int minutes = 0, string state = "Todo", params TaskBlocker[] blockers) => new()
    {
        Id = identifier.ToLowerInvariant(),
        Identifier = identifier,
        Project = "h-app",
        Title = identifier,
        Priority = priority,
        State = state,
        CreatedAt = s_t0.AddMinutes(minutes),
        UpdatedAt = s_t0.AddMinutes(minutes),
        BlockedBy = blockers,
    };

    [Fact]
    public void TaskOrdering_SymphonySort_PriorityThenCreatedThenIdentifier()
    {
        var tasks = new[]
        {
            Task("INT-1", priority: null, minutes: 0),
            Task("INT-2", priority: 0, minutes: 0),
            Task("INT-3", priority: 2, minutes: 5),
            Task("INT-4", priority: 1, minutes: 9),
            Task("INT-10", priority: 2, minutes: 1),
            Task("INT-9", priority: 2, minutes: 1),
            Task("INT-5", priority: 7, minutes: -1),
        };

        tasks.Order(TaskOrdering.Instance).Select(t => t.Identifier)
            .ShouldBe(["INT-4", "INT-9", "INT-10", "INT-3", "INT-5", "INT-1", "INT-2"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(-1)]
    public void ValidatePriority_OutsideOneToFour_IsUsageError(int priority)
    {
        var error = Should.Throw<BatonException>(() => TaskRules.ValidatePriority(priority));

        error.Code.ShouldBe(ErrorCodes.InvalidPriority);
        error.ExitCode.ShouldBe(ExitCodes.BadUsage);
    }

    [Fact]
    public void NormalizeLabels_TrimsLowersDropsBlanksAndDuplicates() =>
        TaskRules.NormalizeLabels([" Bug", "bug", "", "  ", "UI "]).ShouldBe(["bug", "ui"]);

    [Fact]
    public void IsReady_ActiveWithTerminalBlockers_IsReady() =>
        TaskRules.IsReady(Task("INT-1", blockers: [new("b", "INT-2", "done")]), TaskStates.Default).ShouldBeTrue();

    [Theory]
    [InlineData("In Progress")]
    [InlineData(null)]
    public void IsReady_BlockerNotTerminalOrMissing_IsNotReady(string? blockerState) =>
        TaskRules.IsReady(Task("INT-1", blockers: [new("b", "INT-2", blockerState)]), TaskStates.Default).ShouldBeFalse();

    [Theory]
    [InlineData("Human Review")]
    [InlineData("Done")]
    public void IsReady_NotActive_IsNotReady(string state) =>
        TaskRules.IsReady(Task("INT-1", state: state), TaskStates.Default).ShouldBeFalse();

    [Fact]
    public void FindCycle_NewEdgeClosesALoop_ReturnsTheLoop()
    {
        var existing = new Dictionary<string, IReadOnlyList<string>> { ["b"] = ["c"], ["c"] = ["a"] };

        TaskRules.FindCycle("a", ["b"], existing).ShouldBe(["a", "b", "c", "a"]);
    }

    [Fact]
    public void FindCycle_SelfBlock_IsACycle() =>
        TaskRules.FindCycle("a", ["a"], new Dictionary<string, IReadOnlyList<string>>()).ShouldBe(["a", "a"]);

    [Fact]
    public void FindCycle_Diamond_IsNotACycle()
    {
        var existing = new Dictionary<string, IReadOnlyList<string>> { ["b"] = ["d"], ["c"] = ["d"] };

        TaskRules.FindCycle("a", ["b", "c"], existing).ShouldBeNull();
    }

    [Theory]
    [InlineData("INT-12", "int", 12)]
    [InlineData("int-12", "int", 12)]
    [InlineData(" AO-1 ", "ao", 1)]
    public void TryParse_Identifier_SplitsPrefixAndNumber(string text, string prefix, long number)
    {
        TaskIdentifier.TryParse(text, out var p, out var n).ShouldBeTrue();
        (p, n).ShouldBe((prefix, number));
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("INT-")]
    [InlineData("-12")]
    [InlineData("INT-0")]
    [InlineData("INT-x")]
    [InlineData("INT-+1")]
    public void TryParse_Malformed_IsFalse(string text) => TaskIdentifier.TryParse(text, out _, out _).ShouldBeFalse();

    [Fact]
    public void Format_UpperCasesThePrefix() => TaskIdentifier.Format("int", 3).ShouldBe("INT-3");

    [Fact]
    public void TaskStates_Canonical_KeepsTheProjectsSpelling()
    {
        TaskStates.Default.Canonical(" in progress ").ShouldBe("In Progress");
        TaskStates.Default.Canonical("Nope").ShouldBeNull();
        TaskStates.Default.Initial.ShouldBe("Todo");
        TaskStates.Default.Closed.ShouldBe("Done");
    }
}
