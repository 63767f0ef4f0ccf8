using Baton.Core.Workspaces;

namespace Baton.Core.Tests.Workspaces;

public sealed class ShellQuoteTests
{
    [Theory]
    [InlineData("/plain/path-1.2_x", "/plain/path-1.2_x")]
    [InlineData("with space", "'with space'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    [InlineData("stash@{0}", "'stash@{0}'")]
    [InlineData("$HOME", "'$HOME'")]
    public void Quote_Word_IsSafeForPosixShell(string word, string expected) =>
        ShellQuote.Quote(word).ShouldBe(expected);
}
