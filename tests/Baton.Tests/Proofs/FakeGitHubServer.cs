using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Baton.Tests.Proofs;

public sealed record FakeGitHubRequest(string Method, string PathAndQuery, string? Authorization, string? Accept, string? ApiVersion, JsonNode? Body);

/// <summary>
/// A local HTTP server speaking GitHub's REST wire format for pull requests: <c>POST /repos/{owner}/{repo}/pulls</c>
/// answers 201 with <c>number</c> and <c>html_url</c> (or 422 "A pull request already exists" for a head it has seen),
/// <c>GET /repos/{owner}/{repo}/pulls?head=owner:branch</c> lists them; a wrong token is 401 "Bad credentials".
/// </summary>
public sealed class FakeGitHubServer : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<FakeGitHubRequest> _requests = [];
    private readonly Dictionary<string, (int Number, string Url)> _pulls = new(StringComparer.Ordinal);
    private WebApplication? _app;

    private FakeGitHubServer(string token) => Token = token;

    public string Token { get; }

    public string ApiUrl { get; private set; } = "http://127.0.0.1";

    public IReadOnlyList<FakeGitHubRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeGitHubServer> StartAsync(string token)
    {
        var server = new FakeGitHubServer(token);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [], ApplicationName = "fake-github", EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddSingleton<IHostLifetime, NoSignalsLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.ApiUrl = $"http://127.0.0.1:{new Uri(address).Port.ToString(CultureInfo.InvariantCulture)}";
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var text = await reader.ReadToEndAsync();
        var body = text.Length == 0 ? null : JsonNode.Parse(text);
        var request = new FakeGitHubRequest(
            http.Request.Method,
            http.Request.Path + http.Request.QueryString,
            http.Request.Headers.Authorization.ToString(),
            http.Request.Headers.Accept.ToString(),
            http.Request.Headers["X-GitHub-Api-Version"].ToString(),
            body);
        lock (_lock)
        {
            _requests.Add(request);
        }

        http.Response.ContentType = "application/json";
        if (request.Authorization != $"Bearer {Token}")
        {
            http.Response.StatusCode = 401;
            await http.Response.WriteAsync("""{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}""");
            return;
        }

        var parts = http.Request.Path.Value!.Trim('/').Split('/');
        if (parts is not ["repos", var owner, var repo, "pulls"])
        {
            http.Response.StatusCode = 404;
            await http.Response.WriteAsync("""{"message":"Not Found"}""");
            return;
        }

        if (HttpMethods.IsGet(http.Request.Method))
        {
            var head = http.Request.Query["head"].ToString();
            var found = new JsonArray();
            lock (_lock)
            {
                if (_pulls.TryGetValue($"{owner}/{repo}/{head.Split(':').Last()}", out var pull))
                {
                    found.Add(new JsonObject { ["number"] = pull.Number, ["html_url"] = pull.Url });
                }
            }

            await http.Response.WriteAsync(found.ToJsonString());
            return;
        }

        var branch = body?["head"]?.GetValue<string>();
        if (string.IsNullOrEmpty(branch) || string.IsNullOrEmpty(body?["base"]?.GetValue<string>()) || string.IsNullOrEmpty(body?["title"]?.GetValue<string>()))
        {
            http.Response.StatusCode = 422;
            await http.Response.WriteAsync("""{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"missing_field"}]}""");
            return;
        }

        (int Number, string Url) created;
        lock (_lock)
        {
            var key = $"{owner}/{repo}/{branch}";
            if (_pulls.ContainsKey(key))
            {
                created = default;
            }
            else
            {
                var number = _pulls.Count + 7;
                created = (number, $"https://github.com/{owner}/{repo}/pull/{number.ToString(CultureInfo.InvariantCulture)}");
                _pulls[key] = created;
            }
        }

        if (created == default)
        {
            http.Response.StatusCode = 422;
            await http.Response.WriteAsync($$"""{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for {{owner}}:{{branch}}."}]}""");
            return;
        }

        http.Response.StatusCode = 201;
        await http.Response.WriteAsync(new JsonObject { ["number"] = created.Number, ["html_url"] = created.Url, ["state"] = "open" }.ToJsonString());
    }

    private sealed class NoSignalsLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
