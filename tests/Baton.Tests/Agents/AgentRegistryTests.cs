using Baton.Agents;
using Baton.Agents.Pi;

namespace Baton.Tests.Agents;

public class AgentRegistryTests
{
    [Fact]
    public void Find_Kinds_KnowsPiCaseInsensitively()
    {
        var pi = AgentRegistry.Find("pi").ShouldBeOfType<PiAdapter>();
        AgentRegistry.Find("PI").ShouldBeSameAs(pi);
        AgentRegistry.Find("nope").ShouldBeNull();
        pi.Kind.ShouldBe("pi");
        pi.Capabilities.ShouldBe(new AgentCapabilities(Steer: true, FollowUp: true, Abort: true, ExportTranscript: true));
    }
}
