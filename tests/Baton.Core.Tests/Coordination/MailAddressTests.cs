using Baton.Core.Coordination;
using Baton.Core.Errors;

namespace Baton.Core.Tests.Coordination;

public class MailAddressTests
{
    [Theory]
    [InlineData("app-3", MailAddressKind.Session, "app-3")]
    [InlineData(" App-12 ", MailAddressKind.Session, "app-12")]
    [InlineData("human", MailAddressKind.Human, "human")]
    [InlineData("HUMAN", MailAddressKind.Human, "human")]
    [InlineData("orchestrator", MailAddressKind.Orchestrator, "orchestrator")]
    [InlineData("project:app", MailAddressKind.Project, "app")]
    [InlineData("Project: my.app ", MailAddressKind.Project, "my.app")]
    public void Parse_KnownForms_GivesKindAndValue(string text, MailAddressKind kind, string value)
    {
        var address = MailAddress.Parse(text);

        address.Kind.ShouldBe(kind);
        address.Value.ShouldBe(value);
    }

    [Fact]
    public void ToString_ProjectAddress_KeepsItsPrefix() =>
        MailAddress.Parse("project:app").ToString().ShouldBe("project:app");

    [Theory]
    [InlineData("bob")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("project:")]
    [InlineData("project:a b")]
    [InlineData("app-0")]
    [InlineData("app 3")]
    [InlineData("app_x-3")]
    public void Parse_NoKnownForm_IsAUsageErrorThatListsTheForms(string text)
    {
        var error = Should.Throw<BatonException>(() => MailAddress.Parse(text));

        error.Code.ShouldBe(ErrorCodes.InvalidAddress);
        error.ExitCode.ShouldBe(ExitCodes.BadUsage);
        error.Suggestion.ShouldContain("human, orchestrator");
        error.Suggestion.ShouldContain("project:<id>");
    }

    [Fact]
    public void Parse_AddressWithAnEscapeSequence_EchoesItEscaped()
    {
        var error = Should.Throw<BatonException>(() => MailAddress.Parse("\u001b[31mevil"));

        error.Message.ShouldNotContain("\u001b");
        error.Message.ShouldContain("\\x1b[31mevil");
    }
}
