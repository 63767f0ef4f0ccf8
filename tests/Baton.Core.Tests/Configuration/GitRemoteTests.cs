using Baton.Core.Configuration;

namespace Baton.Core.Tests.Configuration;

public class GitRemoteTests
{
    [Theory]
    [InlineData("https://github.com/ComposioHQ/integrator.git", "ComposioHQ/integrator")]
    [InlineData("https://github.com/ComposioHQ/integrator", "ComposioHQ/integrator")]
    [InlineData("https://user:token@github.com/acme/app.git", "acme/app")]
    [InlineData("git@github.com:acme/app.git", "acme/app")]
    [InlineData("git@github.com:acme/app", "acme/app")]
    [InlineData("ssh://git@github.com/acme/app.git", "acme/app")]
    [InlineData("ssh://git@github.com:2222/acme/app.git", "acme/app")]
    [InlineData("https://gitlab.com/group/sub/app.git", "group/sub/app")]
    public void ParseOwnerAndName_KnownForms_ReturnOwnerSlashName(string url, string expected) =>
        GitRemote.ParseOwnerAndName(url).ShouldBe(expected);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/srv/git/app.git")]
    [InlineData("../app")]
    [InlineData("file:///srv/git/app.git")]
    [InlineData("https://github.com/justone")]
    public void ParseOwnerAndName_LocalOrIncomplete_ReturnsNull(string? url) =>
        GitRemote.ParseOwnerAndName(url).ShouldBeNull();
}
