using Baton.Tests.TestSupport;

namespace Baton.Tests.Sessions;

/// <summary>Symphony's model: the agent moves its own task, so <c>baton</c> is on its PATH.</summary>
public sealed class AgentCallsBatonTests
{
    [Fact]
    public async Task CommandAgent_CanRunBatonTaskShow()
    {
        await using var w = await SessionWorld.CreateAsync();
        var task = await w.AddTaskAsync("Look at yourself");

        var name = await w.SpawnCommandAsync(task, "command -v baton > which.txt; echo \"$BATON_EXECUTABLE\" > executable.txt; baton task show \"$BATON_TASK\" > shown.txt 2>&1", "--idle-timeout", "1");
        var finished = await w.WaitForStatusAsync(name, "finished", 60);

        var workspace = finished.GetProperty("workspace").GetString()!;
        File.ReadAllText(Path.Combine(workspace, "which.txt")).Trim().ShouldBe(Path.Combine(Path.GetDirectoryName(BatonBinary.Path)!, "baton"));
        File.ReadAllText(Path.Combine(workspace, "executable.txt")).Trim().ShouldBe(BatonBinary.Path);
        var shown = File.ReadAllText(Path.Combine(workspace, "shown.txt"));
        shown.ShouldContain(task);
        shown.ShouldContain("Look at yourself");
    }
}
