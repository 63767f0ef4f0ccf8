using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Baton.Core.Errors;
using Baton.Core.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Baton.Web;

/// <summary>
/// The orchestrator's HTTP server (SPEC.md §13.7): Symphony's JSON API, Baton's session routes, live updates as
/// server-sent events, and a page at <c>/</c>. It keeps no state: every answer comes from <see cref="IOrchestratorApi"/>.
/// Loopback by default; elsewhere only with a token. On loopback it also checks the Host header, because a page on
/// another site can point its own domain name at 127.0.0.1 (DNS rebinding) and would otherwise read the API.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    /// <summary>The cookie <c>GET /?token=</c> sets, so a browser can use the page and the API without a header.</summary>
    public const string TokenCookie = "baton_token";

    private const int MaxBodyBytes = 64 * 1024;
    private const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>The longest answer a person may send a blocked session (characters).</summary>
    public const int MaxAnswerChars = 16_000;

    /// <summary>The largest proof file served (a transcript of a very long run is still far below this).</summary>
    private const long MaxProofBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The pages' policy: scripts and styles only from this server's own files (no inline script, no eval), data only
    /// from this server. Task titles and agent text are inserted as text anyway; this is the second wall.
    /// </summary>
    private const string PagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// A proof transcript is HTML written from agent output: sandboxed (an opaque origin, no script, no forms), so
    /// even markup an agent smuggled into it can neither run nor reach the API with the person's cookie.
    /// </summary>
    private const string ProofPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

    // The dashboard's files, embedded in the executable (no build step): these names and no others are served.
    private static readonly Dictionary<string, (string Resource, string ContentType)> s_assets = new(StringComparer.Ordinal)
    {
        ["baton.css"] = ("Baton.Web.baton.css", "text/css; charset=utf-8"),
        ["common.js"] = ("Baton.Web.common.js", "text/javascript; charset=utf-8"),
        ["dashboard.js"] = ("Baton.Web.dashboard.js", "text/javascript; charset=utf-8"),
        ["session.js"] = ("Baton.Web.session.js", "text/javascript; charset=utf-8"),
        ["baton.svg"] = ("Baton.Web.baton.svg", "image/svg+xml"),
    };

    private static readonly Dictionary<string, Lazy<(byte[] Bytes, string Version)>> s_assetBytes =
        s_assets.ToDictionary(a => a.Key, a => new Lazy<(byte[], string)>(() => Versioned(LoadResource(a.Value.Resource))), StringComparer.Ordinal);

    private static readonly Lazy<byte[]> s_page = new(() => LoadPage("Baton.Web.index.html"));
    private static readonly Lazy<byte[]> s_sessionPage = new(() => LoadPage("Baton.Web.session.html"));

    // One encoding of each live update however many clients receive it.
    private readonly ConditionalWeakTable<ServerEvent, byte[]> _frames = [];

    private readonly IOrchestratorApi _api;
    private readonly ApiServerOptions _options;
    private readonly IPAddress _address;
    private readonly bool _loopback;
    private readonly byte[]? _tokenHash;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private int _disposed;

    private ApiServer(IOrchestratorApi api, ApiServerOptions options, IPAddress address)
    {
        _api = api;
        _options = options;
        _address = address;
        _loopback = IPAddress.IsLoopback(address);
        _tokenHash = options.Token is null ? null : Hash(options.Token);
        _logger = options.Logger;
    }

    /// <summary>The address to give clients, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash). For a wildcard
    /// address (0.0.0.0, ::) it names 127.0.0.1, which always reaches the server from this machine.</summary>
    public string BaseUrl { get; private set; } = "";

    public int Port { get; private set; }

    public bool RequiresToken => _tokenHash is not null;

    /// <summary>
    /// With a token: the URL that logs a browser in (<c>{BaseUrl}/?token=…</c>), for the orchestrator to print once.
    /// It carries the secret, so it goes to the person's terminal only, never into a log.
    /// </summary>
    public string? LoginUrl => _options.Token is { } token ? $"{BaseUrl}/?token={token}" : null;

    /// <summary>A fresh random token for <see cref="ApiServerOptions.Token"/> (256 bits, URL- and cookie-safe).</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Starts listening and returns once the port is bound.</summary>
    /// <exception cref="BatonException">
    /// <c>server_token_required</c> when the host is not loopback and no token is given; <c>server_token_invalid</c>,
    /// <c>server_host_invalid</c> for a malformed option; <c>port_in_use</c> when the port is taken.
    /// </exception>
    public static async Task<ApiServer> StartAsync(IOrchestratorApi api, ApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        options ??= new ApiServerOptions();
        var address = Validate(options);
        var server = new ApiServer(api, options, address);
        try
        {
            await server.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Event streams never end on their own: cancel them first, or stopping waits out the whole shutdown timeout.
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            if (_app is { } app)
            {
                try
                {
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    await app.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _stopping.Dispose();
        }
    }

    private static IPAddress Validate(ApiServerOptions options)
    {
        if (options.Port is < 0 or > 65535)
        {
            throw BatonException.Usage(ErrorCodes.ServerHostInvalid, $"port {options.Port.ToString(CultureInfo.InvariantCulture)} is out of range", "Use a port from 1 to 65535, or 0 for a free one.");
        }

        var host = options.Host.Trim();
        IPAddress? address = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            ? IPAddress.Loopback
            : IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed : null;
        if (address is null)
        {
            throw BatonException.Usage(ErrorCodes.ServerHostInvalid, $"'{options.Host}' is not an IP address to listen on", "Use an address such as 127.0.0.1 (the default), ::1 or 0.0.0.0.");
        }

        if (options.Token is { } token && (token.Length < 16 || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')))
        {
            // Not echoed: it is a secret even when it is a bad one.
            throw BatonException.Usage(ErrorCodes.ServerTokenInvalid, "the server token must be at least 16 characters of A-Z a-z 0-9 . _ ~ -", "Leave the token out to have one generated.");
        }

        if (!IPAddress.IsLoopback(address) && options.Token is null)
        {
            // Anyone who can reach the port could read every task and trigger polls: off loopback, a token is the only gate.
            throw BatonException.Usage(ErrorCodes.ServerTokenRequired, $"listening on {options.Host} (not loopback) needs a token", "Give a token, or listen on 127.0.0.1.");
        }

        return address;
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var builder = EmbeddedWebHost.CreateBuilder("baton-api", _address, _options.Port, MaxBodyBytes, TimeSpan.FromSeconds(2));
        builder.Services.AddRoutingCore();

        var app = builder.Build();
        app.Use(GuardAsync);
        app.UseRouting();
        MapRoutes(app);
        _app = app;
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsAddressInUse(ex))
        {
            throw new BatonException(
                ErrorCodes.PortInUse,
                $"port {_options.Port.ToString(CultureInfo.InvariantCulture)} on {_options.Host} is already in use",
                "Pick another port, or --port 0 for a free one.",
                inner: ex);
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        var urlHost = _address.Equals(IPAddress.Any) || _address.Equals(IPAddress.IPv6Any) ? "127.0.0.1"
            : _address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{_address}]"
            : _address.ToString();
        BaseUrl = $"http://{urlHost}:{Port.ToString(CultureInfo.InvariantCulture)}";
    }

    private void MapRoutes(WebApplication app)
    {
        // Every route takes every method and checks it itself: a wrong method on a defined route is a 405 with the
        // error envelope (§13.7.2), and literal routes such as /api/v1/refresh always win over /api/v1/{issue} by
        // template precedence, whatever the method (GET /api/v1/refresh is a 405, not an unknown issue).
        app.Map("/", Only(HttpMethods.Get, PageAsync));
        app.Map("/sessions/{name}", Only(HttpMethods.Get, SessionPageAsync));
        app.Map("/assets/{file}", Only(HttpMethods.Get, AssetAsync));
        app.Map("/api/v1/state", Only(HttpMethods.Get, StateAsync));
        app.Map("/api/v1/refresh", Only(HttpMethods.Post, RefreshAsync));
        app.Map("/api/v1/sessions", Only(HttpMethods.Get, SessionsAsync));
        app.Map("/api/v1/sessions/{name}", Only(HttpMethods.Get, SessionAsync));
        app.Map("/api/v1/sessions/{name}/events", Only(HttpMethods.Get, TranscriptAsync));
        app.Map("/api/v1/sessions/{name}/answer", Only(HttpMethods.Post, AnswerAsync));
        app.Map("/api/v1/sessions/{name}/proof/{file}", Only(HttpMethods.Get, ProofAsync));
        app.Map("/api/v1/events", Only(HttpMethods.Get, EventsAsync));
        app.Map("/api/v1/{issue_identifier}", Only(HttpMethods.Get, IssueAsync));
        app.Map("/{**path}", NotFoundAsync);
    }

    private static RequestDelegate Only(string method, RequestDelegate handler) =>
        http => HttpMethods.Equals(http.Request.Method, method) ? handler(http) : MethodNotAllowedAsync(http, method);

    /// <summary>Host, origin and token checks, and the one place an unexpected exception becomes a 500.</summary>
    private async Task GuardAsync(HttpContext http, RequestDelegate next)
    {
        var headers = http.Response.Headers;
        AddSecurityHeaders(headers);
        try
        {
            if (_loopback && !HostAllowed(http.Request.Host))
            {
                await WriteErrorAsync(http, StatusCodes.Status421MisdirectedRequest, ErrorCodes.HostNotAllowed, "this server answers only to its own loopback address (Host header rejected)").ConfigureAwait(false);
                return;
            }

            if (!OriginAllowed(http.Request))
            {
                // A page on another site may not make the orchestrator act (POST /api/v1/refresh) on its behalf.
                await WriteErrorAsync(http, StatusCodes.Status403Forbidden, ErrorCodes.OriginNotAllowed, "cross-origin requests may only read").ConfigureAwait(false);
                return;
            }

            if (_tokenHash is not null && !IsLogin(http.Request) && !Authorized(http.Request))
            {
                headers.WWWAuthenticate = "Bearer";
                await WriteErrorAsync(http, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "this server needs its token: send it as an Authorization Bearer header, or open the login URL the orchestrator printed").ConfigureAwait(false);
                return;
            }

            await next(http).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // The client went away or the server is stopping: nobody is left to answer.
        }
        catch (OrchestratorUnavailableException ex)
        {
            if (http.Response.HasStarted)
            {
                http.Abort();
                return;
            }

            await WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, ErrorCodes.OrchestratorUnavailable, ex.Message).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "HTTP {Method} {Path} failed", http.Request.Method, http.Request.Path.Value);
            if (http.Response.HasStarted)
            {
                http.Abort();
                return;
            }

            // The details stay in the log: a client sees a code, never a stack trace.
            http.Response.Clear();
            AddSecurityHeaders(http.Response.Headers);
            await WriteErrorAsync(http, StatusCodes.Status500InternalServerError, ErrorCodes.Internal, "the server failed to answer; the orchestrator log has the details").ConfigureAwait(false);
        }
    }

    /// <summary>No sniffing JSON into HTML, no caching of live state, no framing of the page, no token in a Referer.</summary>
    private static void AddSecurityHeaders(IHeaderDictionary headers)
    {
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
    }

    private bool HostAllowed(HostString host)
    {
        if (!host.HasValue)
        {
            return false;
        }

        var name = host.Host.Trim('[', ']');
        var port = host.Port ?? 80;
        if (port != Port)
        {
            return false;
        }

        return string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
    }

    private static bool OriginAllowed(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        // Same origin only: browsers send Origin on cross-site POSTs (and "null" from sandboxed frames).
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Host.Trim('[', ']'), request.Host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            && uri.Port == (request.Host.Port ?? 80);
    }

    private static bool IsLogin(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path == "/" && request.Query.ContainsKey("token");

    private bool Authorized(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && TokenMatches(authorization["Bearer ".Length..].Trim()))
        {
            return true;
        }

        return request.Cookies.TryGetValue(TokenCookie, out var cookie) && TokenMatches(cookie);
    }

    /// <summary>Compares hashes in constant time, so neither the token's content nor its length leaks through timing.</summary>
    private bool TokenMatches(string? candidate) =>
        _tokenHash is not null && candidate is not null && CryptographicOperations.FixedTimeEquals(Hash(candidate), _tokenHash);

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));

    private async Task PageAsync(HttpContext http)
    {
        if (http.Request.Query.TryGetValue("token", out var given))
        {
            if (_tokenHash is not null)
            {
                if (!TokenMatches(given.ToString()))
                {
                    http.Response.Headers.WWWAuthenticate = "Bearer";
                    await WriteErrorAsync(http, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "wrong token").ConfigureAwait(false);
                    return;
                }

                // HttpOnly: the page's scripts never see it; Strict: no other site's page can make the browser send it.
                http.Response.Cookies.Append(TokenCookie, given.ToString(), new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Path = "/",
                    IsEssential = true,
                });
            }

            // Off the address bar (and the history) at once: the token must not stay in the URL.
            http.Response.StatusCode = StatusCodes.Status303SeeOther;
            http.Response.Headers.Location = "/";
            return;
        }

        await WritePageAsync(http, s_page.Value).ConfigureAwait(false);
    }

    /// <summary>The session page; it reads the session itself, so an unknown name shows as such on the page.</summary>
    private static Task SessionPageAsync(HttpContext http) => WritePageAsync(http, s_sessionPage.Value);

    private static async Task WritePageAsync(HttpContext http, byte[] page)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.ContentSecurityPolicy = PagePolicy;
        await http.Response.Body.WriteAsync(page, http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task AssetAsync(HttpContext http)
    {
        var file = (string)http.Request.RouteValues["file"]!;
        if (!s_assets.TryGetValue(file, out var asset))
        {
            await NotFoundAsync(http).ConfigureAwait(false);
            return;
        }

        var (bytes, version) = s_assetBytes[file].Value;
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = asset.ContentType;

        // The pages name each file with its content's hash (?v=), so a browser may keep it for good: a new build of
        // Baton names new content with a new hash. Asked for without the hash, it is fetched afresh every time.
        http.Response.Headers.CacheControl = http.Request.Query["v"] == version ? "public, max-age=31536000, immutable" : "no-cache";
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
    }

    private static (byte[] Bytes, string Version) Versioned(byte[] bytes) => (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes))[..12]);

    /// <summary>A page, with every <c>/assets/NAME</c> it names pointed at that file's current version.</summary>
    private static byte[] LoadPage(string resource)
    {
        var html = Encoding.UTF8.GetString(LoadResource(resource));
        foreach (var (name, asset) in s_assetBytes)
        {
            html = html.Replace($"\"/assets/{name}\"", $"\"/assets/{name}?v={asset.Value.Version}\"", StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(html);
    }

    private async Task StateAsync(HttpContext http)
    {
        using var timeout = new CancellationTokenSource(_options.SnapshotTimeout, _options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, http.RequestAborted, _stopping.Token);
        OrchestratorSnapshot snapshot;
        try
        {
            // WaitAsync too: an orchestrator that ignores the token must not hold the request past the timeout.
            snapshot = await _api.SnapshotAsync(linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && timeout.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested))
        {
            await WriteSnapshotErrorAsync(http, ErrorCodes.SnapshotTimeout, "the orchestrator did not answer in time").ConfigureAwait(false);
            return;
        }
        catch (OrchestratorUnavailableException ex)
        {
            await WriteSnapshotErrorAsync(http, ErrorCodes.SnapshotUnavailable, ex.Message).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(http, StatusCodes.Status200OK, snapshot, ApiJsonContext.Default.OrchestratorSnapshot).ConfigureAwait(false);
    }

    /// <summary>Still HTTP 200, as the reference implementation answers: a dashboard polling the state keeps going.</summary>
    private Task WriteSnapshotErrorAsync(HttpContext http, string code, string message) =>
        WriteJsonAsync(http, StatusCodes.Status200OK, new SnapshotErrorBody(_options.Time.GetUtcNow(), new ApiError(code, message)), ApiJsonContext.Default.SnapshotErrorBody);

    private Task IssueAsync(HttpContext http)
    {
        var identifier = (string)http.Request.RouteValues["issue_identifier"]!;
        return _api.Issue(identifier) is { } detail
            ? WriteJsonAsync(http, StatusCodes.Status200OK, detail, ApiJsonContext.Default.IssueDetail)
            : WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.IssueNotFound, $"no task {identifier} is running, retrying or blocked");
    }

    private Task RefreshAsync(HttpContext http) =>
        WriteJsonAsync(http, StatusCodes.Status202Accepted, _api.RequestRefresh(), ApiJsonContext.Default.RefreshResult);

    private Task SessionsAsync(HttpContext http) =>
        WriteJsonAsync(http, StatusCodes.Status200OK, new SessionList(_api.Sessions()), ApiJsonContext.Default.SessionList);

    private Task SessionAsync(HttpContext http)
    {
        var name = (string)http.Request.RouteValues["name"]!;
        return _api.Session(name) is { } detail
            ? WriteJsonAsync(http, StatusCodes.Status200OK, detail, ApiJsonContext.Default.SessionDetail)
            : WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound, $"no session {name}");
    }

    private Task TranscriptAsync(HttpContext http)
    {
        var name = (string)http.Request.RouteValues["name"]!;
        if (!TryQueryNumber(http, "from", 0, out var from) || !TryQueryNumber(http, "max", 200, out var max))
        {
            return WriteErrorAsync(http, StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest, "from and max must be whole numbers (from: a byte offset the previous page gave as next)");
        }

        return _api.Transcript(name, from, (int)Math.Min(max, TranscriptReader.MaxEvents)) is { } page
            ? WriteJsonAsync(http, StatusCodes.Status200OK, page, ApiJsonContext.Default.TranscriptPage)
            : WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound, $"no session {name}");
    }

    private static bool TryQueryNumber(HttpContext http, string name, long fallback, out long value)
    {
        value = fallback;
        var given = http.Request.Query[name];
        if (given.Count == 0)
        {
            return true;
        }

        return given.Count == 1 && long.TryParse(given[0], NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// A person's answer to a session waiting for one. JSON only: a form on another site cannot send
    /// <c>application/json</c> without the browser asking first, and the guard has already refused foreign origins.
    /// </summary>
    private async Task AnswerAsync(HttpContext http)
    {
        var name = (string)http.Request.RouteValues["name"]!;
        if (!MediaTypeIsJson(http.Request.ContentType))
        {
            await WriteErrorAsync(http, StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "send the answer as JSON {\"text\": \"...\"} with Content-Type: application/json").ConfigureAwait(false);
            return;
        }

        AnswerRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(http.Request.Body, ApiJsonContext.Default.AnswerRequest, http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, ErrorCodes.BodyInvalid, "send a JSON object with a non-empty \"text\": {\"text\": \"your answer\"}").ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, ErrorCodes.RequestTooLarge, $"the body is larger than {MaxBodyBytes / 1024} KB").ConfigureAwait(false);
            return;
        }

        var text = body?.Text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, ErrorCodes.BodyInvalid, "send a JSON object with a non-empty \"text\": {\"text\": \"your answer\"}").ConfigureAwait(false);
            return;
        }

        if (text.Length > MaxAnswerChars)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, ErrorCodes.BodyInvalid, $"the answer is longer than {MaxAnswerChars.ToString(CultureInfo.InvariantCulture)} characters").ConfigureAwait(false);
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
        var outcome = await _api.AnswerAsync(name, text, linked.Token).ConfigureAwait(false);
        await (outcome switch
        {
            AnswerOutcome.Accepted => WriteJsonAsync(http, StatusCodes.Status202Accepted, new AnswerAccepted(name, _options.Time.GetUtcNow()), ApiJsonContext.Default.AnswerAccepted),
            AnswerOutcome.NotBlocked => WriteErrorAsync(http, StatusCodes.Status409Conflict, ErrorCodes.SessionNotBlocked, $"session {name} is not waiting for an answer"),
            _ => WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound, $"no session {name}"),
        }).ConfigureAwait(false);
    }

    private static bool MediaTypeIsJson(string? contentType) =>
        contentType is not null
        && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && string.Equals(parsed.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// One file of the session's proof bundle, by a name from <see cref="ProofFiles.Served"/> only: no other name, no
    /// path, no link out of the directory is followed (a symbolic link there is refused, not served).
    /// </summary>
    private async Task ProofAsync(HttpContext http)
    {
        var name = (string)http.Request.RouteValues["name"]!;
        var file = (string)http.Request.RouteValues["file"]!;
        var contentType = ProofFiles.ContentType(file);
        if (contentType is null)
        {
            await WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"a proof has no file {file}; there are {string.Join(", ", ProofFiles.Served)}").ConfigureAwait(false);
            return;
        }

        if (_api.ProofDirectory(name) is not { } directory)
        {
            await WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.SessionNotFound, $"no session {name}").ConfigureAwait(false);
            return;
        }

        FileStream stream;
        try
        {
            var path = Path.Combine(directory, file);
            var info = new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null || new DirectoryInfo(directory).LinkTarget is not null
                || !string.Equals(Path.GetDirectoryName(Path.GetFullPath(path)), Path.GetFullPath(directory).TrimEnd('/'), StringComparison.Ordinal)
                || info.Length > MaxProofBytes)
            {
                if (info.Exists)
                {
                    _logger.LogWarning("refused to serve proof file {File} of session {Session}: a link, outside the directory or too large", file, name);
                }

                await WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.ProofNotFound, $"session {name} has no {file} in its proof yet").ConfigureAwait(false);
                return;
            }

            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.ProofNotFound, $"session {name} has no readable {file} in its proof").ConfigureAwait(false);
            return;
        }

        await using (stream.ConfigureAwait(false))
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = contentType;
            http.Response.ContentLength = stream.Length;
            if (file == ProofFiles.Transcript)
            {
                http.Response.Headers.ContentSecurityPolicy = ProofPolicy;
            }

            await stream.CopyToAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Server-sent events: <c>event: type</c> and <c>data: json</c> per update, flushed one by one, and a comment line
    /// every <see cref="ApiServerOptions.HeartbeatInterval"/> so idle proxies keep the stream open and a dead client is
    /// noticed. Ends when the client leaves, the server stops or the orchestrator ends the stream (the client then
    /// reconnects).
    /// </summary>
    private async Task EventsAsync(HttpContext http)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
        var token = linked.Token;
        var enumerator = _api.EventsAsync(token).GetAsyncEnumerator(token);
        Task<bool>? pending = null;
        try
        {
            // Subscribe before the headers go out: a client that has seen the response start misses nothing after.
            pending = enumerator.MoveNextAsync().AsTask();

            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "text/event-stream; charset=utf-8";
            http.Response.Headers.CacheControl = "no-cache, no-store, no-transform";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            await WriteTextAsync(http, ": connected\n\n", token).ConfigureAwait(false);

            var heartbeat = Task.Delay(_options.HeartbeatInterval, _options.Time, token);
            while (true)
            {
                var finished = await Task.WhenAny(pending, heartbeat).ConfigureAwait(false);
                if (finished == heartbeat)
                {
                    await heartbeat.ConfigureAwait(false);
                    await WriteTextAsync(http, ": heartbeat\n\n", token).ConfigureAwait(false);
                    heartbeat = Task.Delay(_options.HeartbeatInterval, _options.Time, token);
                    continue;
                }

                var hasNext = await pending.ConfigureAwait(false);
                pending = null;
                if (!hasNext)
                {
                    return;
                }

                var item = enumerator.Current;
                pending = enumerator.MoveNextAsync().AsTask();
                await WriteFrameAsync(http, item, token).ConfigureAwait(false);

                // Whatever is already queued goes out with the same flush: one write to the socket for a burst of
                // events rather than one each (bounded, so a flood still reaches the client in pieces).
                for (var batched = 1; batched < 64 && pending.IsCompletedSuccessfully && pending.Result; batched++)
                {
                    item = enumerator.Current;
                    pending = enumerator.MoveNextAsync().AsTask();
                    await WriteFrameAsync(http, item, token).ConfigureAwait(false);
                }

                await http.Response.Body.FlushAsync(token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && token.IsCancellationRequested)
        {
            // The client left or the server is stopping.
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
            await CloseSubscriptionAsync(enumerator, pending).ConfigureAwait(false);
        }
    }

    private async Task CloseSubscriptionAsync(IAsyncEnumerator<ServerEvent> enumerator, Task<bool>? pending)
    {
        if (pending is not null)
        {
            try
            {
                // An async iterator cannot be disposed while a MoveNextAsync is in flight; it was cancelled above.
                await pending.WaitAsync(TimeSpan.FromSeconds(5), _options.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("an event subscription ignored cancellation for 5 s; left undisposed");
                return;
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "an event subscription failed while closing");
            }
        }

        try
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "an event subscription failed to dispose");
        }
    }

    private async Task WriteFrameAsync(HttpContext http, ServerEvent item, CancellationToken token)
    {
        if (Frame(item) is { } frame)
        {
            await http.Response.Body.WriteAsync(frame, token).ConfigureAwait(false);
        }
    }

    private byte[]? Frame(ServerEvent item)
    {
        if (!ServerEvent.IsValidType(item.Type))
        {
            // A newline in the type would let the data forge other events: drop it rather than write a broken frame.
            _logger.LogWarning("dropped a server event with an invalid type");
            return null;
        }

        return _frames.GetValue(item, Encode);
    }

    private static byte[] Encode(ServerEvent item)
    {
        var builder = new StringBuilder();
        if (item.Id is { } id)
        {
            builder.Append("id: ").Append(id.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        // Compact JSON is one line: string contents have their line breaks escaped, so one data: line always suffices.
        builder.Append("event: ").Append(item.Type).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(item.Data, ApiJsonContext.Default.JsonElement)).Append("\n\n");
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static async Task WriteTextAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task NotFoundAsync(HttpContext http) =>
        WriteErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"no route {http.Request.Path.Value}");

    private static Task MethodNotAllowedAsync(HttpContext http, string allowed)
    {
        // RFC 9110 §15.5.6: a 405 names the methods the route does take.
        http.Response.Headers.Allow = allowed;
        return WriteErrorAsync(http, StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed, $"{http.Request.Method} is not allowed on {http.Request.Path.Value}; use {allowed}");
    }

    private static Task WriteErrorAsync(HttpContext http, int status, string code, string message) =>
        WriteJsonAsync(http, status, new ApiErrorEnvelope(new ApiError(code, message)), ApiJsonContext.Default.ApiErrorEnvelope);

    private static async Task WriteJsonAsync<T>(HttpContext http, int status, T value, JsonTypeInfo<T> typeInfo)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = JsonContentType;
        await JsonSerializer.SerializeAsync(http.Response.Body, value, typeInfo, http.RequestAborted).ConfigureAwait(false);
    }

    private static byte[] LoadResource(string name)
    {
        using var stream = typeof(ApiServer).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the page resource {name} is not embedded");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static bool IsAddressInUse(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is AddressInUseException)
            {
                return true;
            }
        }

        return false;
    }
}
