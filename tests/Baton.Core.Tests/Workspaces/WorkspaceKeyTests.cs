using Baton.Core.Errors;
using Baton.Core.Workspaces;

namespace Baton.Core.Tests.Workspaces;

public sealed class WorkspaceKeyTests
{
    [Theory]
    [InlineData("INT-12")]
    [InlineData("abc.DEF_1-2")]
    [InlineData("...")]
    public void From_SafeIdentifier_IsKeptVerbatim(string identifier) =>
        WorkspaceKey.From(identifier).ShouldBe(identifier);

    [Fact]
    public void From_IdentifierWithUnsafeCharacters_ReplacesThemAndAppendsHash()
    {
        var key = WorkspaceKey.From("team/a 1");

        key.ShouldStartWith("team_a_1--");
        key.Length.ShouldBe("team_a_1--".Length + 16);
        key[^16..].ShouldAllBe(c => "0123456789abcdef".Contains(c));
    }

    [Fact]
    public void From_SanitizedFormAndOriginal_NeverCollide()
    {
        WorkspaceKey.From("team/a 1").ShouldNotBe(WorkspaceKey.From("team_a_1"));
        WorkspaceKey.From("team/a 1").ShouldNotBe(WorkspaceKey.From("team:a 1"));
    }

    [Fact]
    public void From_SameIdentifier_IsStable() =>
        WorkspaceKey.From("ä/ö").ShouldBe(WorkspaceKey.From("ä/ö"));

    [Fact]
    public void From_IdentifierThatLooksLikeASuffixedKey_GetsItsOwnSuffix()
    {
        var suffixed = WorkspaceKey.From("team/a 1");

        var key = WorkspaceKey.From(suffixed);

        key.ShouldNotBe(suffixed);
        key.ShouldStartWith(suffixed + "--");
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void From_DotOrDotDot_NeverNamesADirectoryItselfOrItsParent(string identifier)
    {
        var key = WorkspaceKey.From(identifier);

        key.ShouldNotBe(identifier);
        key.ShouldStartWith(new string('_', identifier.Length) + "--");
        WorkspaceKey.IsValid(key).ShouldBeTrue();
    }

    [Fact]
    public void From_VeryLongIdentifier_IsTruncatedWithHash()
    {
        var identifier = new string('a', 500);

        var key = WorkspaceKey.From(identifier);

        key.Length.ShouldBe(WorkspaceKey.MaxSanitizedLength + 2 + 16);
        WorkspaceKey.From(identifier + "b").ShouldNotBe(key);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void From_Empty_ThrowsTypedError(string? identifier)
    {
        var error = Should.Throw<BatonException>(() => WorkspaceKey.From(identifier!));

        error.Code.ShouldBe(ErrorCodes.InvalidWorkspaceKey);
        error.ExitCode.ShouldBe(ExitCodes.BadUsage);
    }

    [Theory]
    [InlineData("INT-1", true)]
    [InlineData("a/b", false)]
    [InlineData("..", false)]
    [InlineData("", false)]
    public void IsValid_Key_ChecksCharacters(string key, bool expected) =>
        WorkspaceKey.IsValid(key).ShouldBe(expected);
}
