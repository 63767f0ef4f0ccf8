using Baton.Cli.Commands;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Cli;

public sealed class SessionContextTests
{
    [Fact]
    public async Task CommonGitDirectory_RepositoryAndItsWorktree_NameTheRepositoryGitDoes()
    {
        using var repository = await TestRepository.CreateAsync();
        var worktree = Path.Combine(repository.Root, "worktrees", "APP-1");
        await repository.GitAsync("worktree", "add", "-q", "-b", "baton/APP-1", worktree);
        var expected = await TestRepository.GitInAsync(worktree, "rev-parse", "--path-format=absolute", "--git-common-dir");

        SessionContext.CommonGitDirectory(repository.Path).ShouldBe(expected);
        SessionContext.CommonGitDirectory(worktree).ShouldBe(expected);
        SessionContext.CommonGitDirectory(repository.Root).ShouldBeNull();
    }
}
