using Baton.Orchestration;
using Baton.Workers;

namespace Baton.Tests.Orchestration;

/// <summary><c>agent.model</c> per task (Baton's extension) and the agent's PATH with baton on it.</summary>
public sealed class WorkflowModelTests
{
    [Fact]
    public void ResolveModel_ReplayWithPlaceholder_SubstitutesTheIdentifierAndResolvesAgainstTheWorkflowDirectory()
    {
        LoadedWorkflow.ResolveModel("replay:scripts/{identifier}.json", "CALC-2", "/repo")
            .ShouldBe("replay:/repo/scripts/CALC-2.json");
        LoadedWorkflow.ResolveModel("replay:../scripts/{identifier}.json", "APP-10", "/work/repo")
            .ShouldBe("replay:/work/scripts/APP-10.json");
    }

    [Fact]
    public void ResolveModel_AbsoluteReplayPath_OnlySubstitutes()
    {
        LoadedWorkflow.ResolveModel("replay:/s/{identifier}.json", "A-1", "/repo").ShouldBe("replay:/s/A-1.json");
        LoadedWorkflow.ResolveModel("replay:/s/one.json", "A-1", "/repo").ShouldBe("replay:/s/one.json");
    }

    [Fact]
    public void ResolveModel_ProviderModelOrNone_IsUnchanged()
    {
        LoadedWorkflow.ResolveModel("anthropic/claude-sonnet-4-5", "A-1", "/repo").ShouldBe("anthropic/claude-sonnet-4-5");
        LoadedWorkflow.ResolveModel(null, "A-1", "/repo").ShouldBeNull();
    }

    [Fact]
    public void AgentPath_PutsTheBatonExecutablesDirectoryFirst()
    {
        WorkerHost.AgentPath(new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["BATON_EXECUTABLE"] = "/opt/baton/baton" })
            .ShouldBe("/opt/baton:/usr/bin:/bin");
        WorkerHost.AgentPath(new Dictionary<string, string> { ["PATH"] = "/usr/bin", ["BATON_EXECUTABLE"] = "baton" }).ShouldBe("/usr/bin");
        WorkerHost.AgentPath(new Dictionary<string, string> { ["BATON_EXECUTABLE"] = "/opt/baton/baton" }).ShouldBe("/opt/baton");
    }
}
