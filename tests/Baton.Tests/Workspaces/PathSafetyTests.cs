using Baton.Core.Errors;
using Baton.Workspaces;

namespace Baton.Tests.Workspaces;

public class PathSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("baton-paths-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EnsureInside_ChildOfRoot_ReturnsCanonicalPath()
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;

        PathSafety.EnsureInside(root, Path.Combine(root, "INT-1")).ShouldBe(Path.Combine(root, "INT-1"));
    }

    [Theory]
    [InlineData("..", PathSafety.OutsideRoot)]
    [InlineData("../other", PathSafety.OutsideRoot)]
    [InlineData(".", PathSafety.EqualsRoot)]
    [InlineData("a/../..", PathSafety.OutsideRoot)]
    public void EnsureInside_NotStrictlyInside_IsRefused(string relative, string code)
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;

        Should.Throw<BatonException>(() => PathSafety.EnsureInside(root, Path.Combine(root, relative))).Code.ShouldBe(code);
    }

    [Fact]
    public void EnsureInside_SymlinkThatEscapes_IsRefused()
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        File.CreateSymbolicLink(Path.Combine(root, "INT-1"), outside);

        var error = Should.Throw<BatonException>(() => PathSafety.EnsureInside(root, Path.Combine(root, "INT-1")));

        error.Code.ShouldBe(PathSafety.SymlinkEscape);
        error.Suggestion.ShouldContain(Path.Combine(root, "INT-1"));
        Directory.Exists(outside).ShouldBeTrue();
    }

    [Fact]
    public void EnsureInside_SymlinkLoop_IsRefused()
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;
        File.CreateSymbolicLink(Path.Combine(root, "a"), Path.Combine(root, "b"));
        File.CreateSymbolicLink(Path.Combine(root, "b"), Path.Combine(root, "a"));

        Should.Throw<BatonException>(() => PathSafety.EnsureInside(root, Path.Combine(root, "a", "x"))).Code.ShouldBe(PathSafety.SymlinkEscape);
    }

    [Fact]
    public void EnsureInside_SymlinkedRoot_ResolvesToTheRealRoot()
    {
        var real = Directory.CreateDirectory(Path.Combine(_dir, "real")).FullName;
        var link = Path.Combine(_dir, "link");
        File.CreateSymbolicLink(link, real);

        PathSafety.EnsureInside(link, Path.Combine(link, "INT-1")).ShouldBe(Path.Combine(real, "INT-1"));
    }

    [Fact]
    public void EnsureInside_RelativePaths_AreRefused() =>
        Should.Throw<BatonException>(() => PathSafety.EnsureInside("root", "root/x")).Code.ShouldBe(PathSafety.OutsideRoot);
}
