using Baton.Core.Proofs;
using Baton.Proofs;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Proofs;

/// <summary>Pull requests through the REST wire format against a local server, with a real push to a bare origin.</summary>
public sealed class GitHubPullRequestsTests
{
    private const string Token = "ghp_faketoken0123456789";

    private static async Task<(GitSandbox Git, string Workspace)> RepoWithBranchAsync()
    {
        var git = await GitSandbox.CreateAsync();
        var workspace = await git.AddWorktreeAsync("ws", "baton/APP-1");
        await git.CommitFileAsync(workspace, "notes.txt", "work\n", "Add notes");
        return (git, workspace);
    }

    private static PullRequestRequest Request(string workspace) => new()
    {
        Repo = "octo/app",
        Head = "baton/APP-1",
        Base = "main",
        Title = "APP-1: Add notes",
        Body = "proof summary",
        Workspace = workspace,
        SummaryPath = "/s/app-1/proof/summary.md",
    };

    private static Dictionary<string, string> Environment(FakeGitHubServer server, string token = Token) =>
        new() { ["GITHUB_TOKEN"] = token, [GitHubPullRequests.ApiUrlVariable] = server.ApiUrl };

    [Fact]
    public async Task Open_WithToken_PushesTheBranchAndPostsThePullRequest()
    {
        var (git, workspace) = await RepoWithBranchAsync();
        using var _ = git;
        await using var server = await FakeGitHubServer.StartAsync(Token);

        var result = await new GitHubPullRequests(Environment(server)).OpenAsync(Request(workspace), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        result.ShouldBe(new ProofPullRequest { Status = PullRequestStatuses.Created, Url = "https://github.com/octo/app/pull/7", Number = 7 });
        (await git.GitAsync(git.Origin, "rev-parse", "refs/heads/baton/APP-1")).ShouldBe(await git.GitAsync(workspace, "rev-parse", "HEAD"));
        var post = server.Requests.Single();
        post.Method.ShouldBe("POST");
        post.PathAndQuery.ShouldBe("/repos/octo/app/pulls");
        post.Authorization.ShouldBe($"Bearer {Token}");
        post.Accept.ShouldBe("application/vnd.github+json");
        post.ApiVersion.ShouldBe("2022-11-28");
        post.Body!["head"]!.GetValue<string>().ShouldBe("baton/APP-1");
        post.Body["base"]!.GetValue<string>().ShouldBe("main");
        post.Body["title"]!.GetValue<string>().ShouldBe("APP-1: Add notes");
        post.Body["body"]!.GetValue<string>().ShouldBe("proof summary");
    }

    [Fact]
    public async Task Open_Twice_FindsTheOpenPullRequest()
    {
        var (git, workspace) = await RepoWithBranchAsync();
        using var _ = git;
        await using var server = await FakeGitHubServer.StartAsync(Token);
        var client = new GitHubPullRequests(Environment(server));
        await client.OpenAsync(Request(workspace), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        var again = await client.OpenAsync(Request(workspace), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        again.ShouldBe(new ProofPullRequest { Status = PullRequestStatuses.Existing, Url = "https://github.com/octo/app/pull/7", Number = 7 });
        server.Requests.Last().PathAndQuery.ShouldBe("/repos/octo/app/pulls?state=open&head=octo%3Abaton%2FAPP-1");
    }

    [Fact]
    public async Task Open_WithoutToken_PushesNothingAndSaysHowToOpenItByHand()
    {
        var (git, workspace) = await RepoWithBranchAsync();
        using var _ = git;
        await using var server = await FakeGitHubServer.StartAsync(Token);

        var result = await new GitHubPullRequests(new Dictionary<string, string> { [GitHubPullRequests.ApiUrlVariable] = server.ApiUrl }).OpenAsync(Request(workspace), CancellationToken.None);

        result.Status.ShouldBe(PullRequestStatuses.NoToken);
        result.Error.ShouldBe("GITHUB_TOKEN is not set, so Baton did not push or open a pull request");
        result.Manual.ShouldBe(
            $"git -C {workspace} push origin HEAD:refs/heads/baton/APP-1\n"
            + "gh pr create --repo octo/app --base main --head baton/APP-1 --title 'APP-1: Add notes' --body-file /s/app-1/proof/summary.md\n"
            + "# or open https://github.com/octo/app/compare/main...baton%2FAPP-1?expand=1");
        server.Requests.ShouldBeEmpty();
        (await git.TryGitAsync(git.Origin, "rev-parse", "--verify", "refs/heads/baton/APP-1")).Succeeded.ShouldBeFalse();
    }

    [Fact]
    public async Task Open_WrongToken_FailsWithGitHubsMessageAndTheManualSteps()
    {
        var (git, workspace) = await RepoWithBranchAsync();
        using var _ = git;
        await using var server = await FakeGitHubServer.StartAsync(Token);

        var result = await new GitHubPullRequests(Environment(server, "ghp_wrong")).OpenAsync(Request(workspace), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        result.Status.ShouldBe(PullRequestStatuses.Failed);
        result.Error.ShouldBe("GitHub answered 401: Bad credentials");
        result.Manual.ShouldNotBeNull();
    }

    [Fact]
    public async Task Open_PushFails_FailsWithoutCallingGitHub()
    {
        var (git, workspace) = await RepoWithBranchAsync();
        using var _ = git;
        await using var server = await FakeGitHubServer.StartAsync(Token);

        var result = await new GitHubPullRequests(Environment(server)).OpenAsync(Request(workspace) with { Remote = "nowhere" }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        result.Status.ShouldBe(PullRequestStatuses.Failed);
        result.Error!.ShouldStartWith("git push nowhere baton/APP-1 failed: ");
        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Open_ServerDown_FailsWithWhereItTried()
    {
        var (git, workspace) = await RepoWithBranchAsync();
        using var _ = git;

        var result = await new GitHubPullRequests(new Dictionary<string, string> { ["GITHUB_TOKEN"] = Token, [GitHubPullRequests.ApiUrlVariable] = "http://127.0.0.1:1" })
            .OpenAsync(Request(workspace), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        result.Status.ShouldBe(PullRequestStatuses.Failed);
        result.Error!.ShouldStartWith("GitHub could not be reached at http://127.0.0.1:1: ");
    }
}
