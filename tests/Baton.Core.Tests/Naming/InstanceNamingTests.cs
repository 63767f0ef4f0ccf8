using System.Security.Cryptography;
using System.Text;
using Baton.Core.Naming;

namespace Baton.Core.Tests.Naming;

public class InstanceNamingTests
{
    [Fact]
    public void ConfigHash_Directory_IsFirst12HexOfSha256()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("/home/alice/code/orchestrator")))[..12];
        InstanceNaming.ConfigHash("/home/alice/code/orchestrator").ShouldBe(expected);
    }

    [Fact]
    public void ConfigHash_TrailingSlash_IsIgnored() =>
        InstanceNaming.ConfigHash("/srv/conf/").ShouldBe(InstanceNaming.ConfigHash("/srv/conf"));

    [Fact]
    public void ConfigHash_DifferentDirectories_Differ() =>
        InstanceNaming.ConfigHash("/a").ShouldNotBe(InstanceNaming.ConfigHash("/b"));

    [Fact]
    public void InstanceId_HashAndProject_AreJoinedWithDash() =>
        InstanceNaming.InstanceId("a3b4c5d6e7f8", "integrator").ShouldBe("a3b4c5d6e7f8-integrator");
}
