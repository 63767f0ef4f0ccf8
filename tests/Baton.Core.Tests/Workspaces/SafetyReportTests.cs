using Baton.Core.Workspaces;

namespace Baton.Core.Tests.Workspaces;

public sealed class SafetyReportTests
{
    [Fact]
    public void IsSafeToRemove_NoFindings_IsTrueEitherWay()
    {
        var report = Report();

        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public void IsSafeToRemove_BranchScopedBlocker_BlocksOnlyBranchDeletion()
    {
        var report = Report(Finding(SafetyFindingKinds.UnpushedCommits, FindingSeverity.Blocking, FindingScope.Branch));

        report.IsSafeToRemove(deleteBranch: false).ShouldBeTrue();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
        report.BlockingFindings(deleteBranch: true).Single().Kind.ShouldBe(SafetyFindingKinds.UnpushedCommits);
    }

    [Fact]
    public void IsSafeToRemove_WorkspaceScopedBlocker_BlocksBoth()
    {
        var report = Report(Finding(SafetyFindingKinds.DetachedHeadUnreachableCommits, FindingSeverity.Blocking, FindingScope.Workspace));

        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
        report.IsSafeToRemove(deleteBranch: true).ShouldBeFalse();
    }

    [Fact]
    public void IsSafeToRemove_InfoOnly_IsTrue()
    {
        var report = Report(
            Finding(SafetyFindingKinds.OtherStashes, FindingSeverity.Info, FindingScope.Workspace),
            Finding(SafetyFindingKinds.Prunable, FindingSeverity.Info, FindingScope.Workspace));

        report.IsSafeToRemove(deleteBranch: true).ShouldBeTrue();
    }

    [Fact]
    public void LosesWork_PolicyBlockerOnly_IsFalseButStillBlocks()
    {
        var report = Report(Finding(SafetyFindingKinds.LockedWorktree, FindingSeverity.Blocking, FindingScope.Workspace));

        report.LosesWork(deleteBranch: true).ShouldBeFalse();
        report.IsSafeToRemove(deleteBranch: false).ShouldBeFalse();
    }

    [Fact]
    public void Create_ManyItems_KeepsTwentyAndTheTotal()
    {
        var finding = SafetyFinding.Create(
            SafetyFindingKinds.UntrackedFiles, FindingSeverity.Blocking, FindingScope.Workspace,
            [.. Enumerable.Range(0, 50).Select(i => $"f{i}")], "m", "r");

        finding.Count.ShouldBe(50);
        finding.Items.Count.ShouldBe(SafetyFinding.MaxItems);
        finding.ItemsTruncated.ShouldBeTrue();
    }

    [Fact]
    public void Kinds_AllCodes_AreLowerSnakeCase()
    {
        var codes = typeof(SafetyFindingKinds).GetFields()
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

        codes.Count.ShouldBeGreaterThan(10);
        codes.ShouldAllBe(c => System.Text.RegularExpressions.Regex.IsMatch(c, "^[a-z]+(_[a-z]+)*$"));
        codes.Distinct().Count().ShouldBe(codes.Count);
    }

    private static SafetyReport Report(params SafetyFinding[] findings) =>
        new("/repo", "/ws", "baton/T-1", "abc", false, findings);

    private static SafetyFinding Finding(string kind, FindingSeverity severity, FindingScope scope) =>
        SafetyFinding.Create(kind, severity, scope, ["x"], "message", "resolution");
}
