using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Naming;

namespace Baton.Core.Tests.Configuration;

public class ProjectResolverTests
{
    private static IReadOnlyList<Project> Resolve(string yaml) =>
        ProjectResolver.Resolve(ConfigParser.Parse(yaml, "/conf/baton.yaml"), "/home/u/.baton", p => Path.GetFullPath(p, "/conf"));

    [Fact]
    public void Resolve_OnlyPath_DerivesIdPrefixNameAndInstance()
    {
        var p = Resolve("projects:\n  - path: ../repos/integrator\n").ShouldHaveSingleItem();

        p.Id.ShouldBe("integrator");
        p.Name.ShouldBe("integrator");
        p.Path.ShouldBe("/repos/integrator");
        p.SessionPrefix.ShouldBe("int");
        p.IdentifierPrefix.ShouldBe("INT");
        p.ConfigHash.ShouldBe(InstanceNaming.ConfigHash("/conf"));
        p.InstanceId.ShouldBe($"{p.ConfigHash}-integrator");
        p.InstanceDirectory.ShouldBe($"/home/u/.baton/{p.ConfigHash}-integrator");
        p.Derived.ShouldBe(["id", "sessionPrefix", "name", "states"], ignoreOrder: true);
    }

    [Fact]
    public void Resolve_SamePrefix_AsksForSessionPrefix()
    {
        var error = Should.Throw<BatonException>(() => Resolve("projects:\n  - path: /r/backend\n  - path: /r/bachelor\n"));

        error.Code.ShouldBe(ErrorCodes.SessionPrefixConflict);
        error.Message.ShouldContain("'bac'");
        error.Suggestion.ShouldContain("sessionPrefix");
    }

    [Fact]
    public void Resolve_ExplicitPrefix_ResolvesTheClash() =>
        Resolve("projects:\n  - path: /r/backend\n  - path: /r/bachelor\n    sessionPrefix: bh\n").Select(p => p.SessionPrefix).ShouldBe(["bac", "bh"]);

    [Fact]
    public void Resolve_SamePath_IsDuplicate() =>
        Should.Throw<BatonException>(() => Resolve("projects:\n  - path: /r/app\n  - path: /r/../r/app\n    sessionPrefix: x\n"))
            .Code.ShouldBe(ErrorCodes.ProjectDuplicate);

    [Fact]
    public void Resolve_SameFolderName_IsDuplicateIdWithSuggestion()
    {
        var error = Should.Throw<BatonException>(() => Resolve("projects:\n  - path: /a/app\n  - path: /b/app\n    sessionPrefix: b\n"));

        error.Code.ShouldBe(ErrorCodes.ProjectDuplicate);
        error.Suggestion.ShouldContain("id:");
    }

    [Fact]
    public void Resolve_PrefixThatIsNotUsable_AsksForOne()
    {
        var error = Should.Throw<BatonException>(() => Resolve("projects:\n  - path: /r/my.repo\n"));

        error.Code.ShouldBe(ErrorCodes.SessionPrefixInvalid);
        error.Suggestion.ShouldContain("sessionPrefix");
    }

    [Fact]
    public void Resolve_IdWithSpaces_AsksForAnId() =>
        Should.Throw<BatonException>(() => Resolve("projects:\n  - path: '/r/my repo'\n")).Suggestion.ShouldContain("id: my-repo");
}
