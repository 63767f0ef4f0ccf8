using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Proofs;
using Baton.Core.Workspaces;
using Baton.Git;

namespace Baton.Proofs;

/// <summary>What a pull request is opened from: the project's GitHub repository, its branches, and the proof's text.</summary>
public sealed record PullRequestRequest
{
    /// <summary><c>owner/name</c>.</summary>
    public required string Repo { get; init; }

    /// <summary>The task branch (pushed first).</summary>
    public required string Head { get; init; }

    /// <summary>The branch to merge into (the project's default branch).</summary>
    public required string Base { get; init; }

    public required string Title { get; init; }

    public required string Body { get; init; }

    /// <summary>Where <c>git push</c> runs (the workspace).</summary>
    public required string Workspace { get; init; }

    public string Remote { get; init; } = "origin";

    /// <summary>The summary file, named in the by-hand instructions.</summary>
    public string? SummaryPath { get; init; }
}

/// <summary>
/// Opens a pull request through GitHub's REST API (<c>POST /repos/{owner}/{repo}/pulls</c>) after pushing the task
/// branch. The token comes from <c>GITHUB_TOKEN</c> (or <c>GH_TOKEN</c>); the API base from
/// <c>BATON_GITHUB_API_URL</c> (default https://api.github.com), which is how tests point it at a local server. Without
/// a token nothing is pushed: the result says how to open the pull request by hand.
/// </summary>
public sealed class GitHubPullRequests(IReadOnlyDictionary<string, string> environment, HttpMessageHandler? handler = null)
{
    public const string DefaultApiUrl = "https://api.github.com";
    public const string ApiUrlVariable = "BATON_GITHUB_API_URL";

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    public async Task<ProofPullRequest> OpenAsync(PullRequestRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var manual = Manual(request);
        var token = environment.GetValueOrDefault("GITHUB_TOKEN") is { Length: > 0 } t ? t : environment.GetValueOrDefault("GH_TOKEN");
        if (string.IsNullOrWhiteSpace(token))
        {
            return new ProofPullRequest { Status = PullRequestStatuses.NoToken, Error = "GITHUB_TOKEN is not set, so Baton did not push or open a pull request", Manual = manual };
        }

        var push = await GitCli.RunAsync(request.Workspace, ["push", "--porcelain", request.Remote, $"HEAD:refs/heads/{request.Head}"], cancellationToken, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        if (!push.Succeeded)
        {
            return Failed($"git push {request.Remote} {request.Head} failed: {Scrub(push.StandardError.Trim(), token)}", manual);
        }

        var apiUrl = (environment.GetValueOrDefault(ApiUrlVariable) is { Length: > 0 } configured ? configured : DefaultApiUrl).TrimEnd('/');
        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.Timeout = s_timeout;
        var body = new JsonObject
        {
            ["title"] = request.Title,
            ["head"] = request.Head,
            ["base"] = request.Base,
            ["body"] = request.Body,
        };
        try
        {
            using var post = Request(HttpMethod.Post, $"{apiUrl}/repos/{request.Repo}/pulls", token);
            post.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(post, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return Created(PullRequestStatuses.Created, text) ?? Failed("GitHub answered 201 without html_url and number", manual);
            }

            if (response.StatusCode == HttpStatusCode.UnprocessableEntity && text.Contains("already exists", StringComparison.OrdinalIgnoreCase))
            {
                // A pull request for this branch is open already (a second hand-off of the same task): find it.
                var owner = request.Repo.Split('/')[0];
                using var get = Request(HttpMethod.Get, $"{apiUrl}/repos/{request.Repo}/pulls?state=open&head={Uri.EscapeDataString($"{owner}:{request.Head}")}", token);
                using var found = await http.SendAsync(get, cancellationToken).ConfigureAwait(false);
                var list = await found.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (found.IsSuccessStatusCode && JsonNode.Parse(list) is JsonArray { Count: > 0 } open)
                {
                    return Created(PullRequestStatuses.Existing, open[0]!.ToJsonString()) ?? Failed("GitHub listed the pull request without html_url", manual);
                }
            }

            return Failed(string.Create(CultureInfo.InvariantCulture, $"GitHub answered {(int)response.StatusCode}: {Message(text)}"), manual);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            if (ex is TaskCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            return Failed($"GitHub could not be reached at {apiUrl}: {ex.Message}", manual);
        }
    }

    /// <summary>How a person opens the pull request: push the branch, then the compare page or <c>gh pr create</c>.</summary>
    public static string Manual(PullRequestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var workspace = ShellQuote.Quote(request.Workspace);
        var head = ShellQuote.Quote(request.Head);
        var lines = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"git -C {workspace} push {ShellQuote.Quote(request.Remote)} HEAD:refs/heads/{request.Head}\n")
            .Append(CultureInfo.InvariantCulture, $"gh pr create --repo {ShellQuote.Quote(request.Repo)} --base {ShellQuote.Quote(request.Base)} --head {head} --title {ShellQuote.Quote(request.Title)}")
            .Append(request.SummaryPath is null ? "\n" : $" --body-file {ShellQuote.Quote(request.SummaryPath)}\n")
            .Append(CultureInfo.InvariantCulture, $"# or open https://github.com/{request.Repo}/compare/{Uri.EscapeDataString(request.Base)}...{Uri.EscapeDataString(request.Head)}?expand=1");
        return lines.ToString();
    }

    private static HttpRequestMessage Request(HttpMethod method, string url, string token)
    {
        var message = new HttpRequestMessage(method, url);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        message.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        message.Headers.UserAgent.Add(new ProductInfoHeaderValue("baton", "1.0"));
        return message;
    }

    private static ProofPullRequest? Created(string status, string json)
    {
        var node = JsonNode.Parse(json);
        var url = node?["html_url"]?.GetValue<string>();
        var number = node?["number"]?.GetValue<int>();
        return url is null ? null : new ProofPullRequest { Status = status, Url = url, Number = number };
    }

    private static ProofPullRequest Failed(string error, string manual) => new() { Status = PullRequestStatuses.Failed, Error = error, Manual = manual };

    private static string Message(string body)
    {
        try
        {
            var node = JsonNode.Parse(body);
            var message = node?["message"]?.GetValue<string>();
            var errors = node?["errors"] is JsonArray list ? string.Join("; ", list.Select(e => e?["message"]?.GetValue<string>() ?? e?.ToJsonString())) : null;
            return string.Join(": ", new[] { message, errors }.Where(s => !string.IsNullOrWhiteSpace(s))) is { Length: > 0 } text ? text : Truncate(body);
        }
        catch (JsonException)
        {
            return Truncate(body);
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static string Scrub(string text, string token) => text.Replace(token, "***", StringComparison.Ordinal);
}
