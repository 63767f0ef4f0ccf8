using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Baton.Core.Errors;
using Baton.Core.Replay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Baton.Replay;

/// <summary>
/// Baton's scripted model server: answers OpenAI chat completions, OpenAI responses and Anthropic messages requests
/// from a <see cref="ReplayScript"/>, so real agent programs run for real with no network. Listens on 127.0.0.1 only.
/// Bounded twice: past <see cref="ReplayOptions.MaxRequests"/> it answers "stop" (and then shuts down), and it shuts
/// down after <see cref="ReplayOptions.Lifetime"/> whatever happens.
/// </summary>
public sealed class ReplayServer : IAsyncDisposable
{
    private const int MaxBodyBytes = 32 * 1024 * 1024;

    private readonly ReplayScript _script;
    private readonly ReplayOptions _options;
    private readonly ReplayRequestLog? _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _lifetime;
    private readonly CancellationTokenSource _limitDrain = new();
    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<int, int> _errorHits = new();
    private readonly Lock _drainLock = new();
    private WebApplication? _app;
    private Task _completion = Task.CompletedTask;
    private int _requests;
    private int _stopReason;

    private ReplayServer(ReplayScript script, ReplayOptions options, ReplayRequestLog? log, TimeProvider time)
    {
        _script = script;
        _options = options;
        _log = log;
        _time = time;
        _lifetime = new CancellationTokenSource(options.Lifetime, time);
        _lifetime.Token.Register(() => RequestStop(ReplayStopReason.Lifetime));
        _limitDrain.Token.Register(() => RequestStop(ReplayStopReason.RequestLimit));
    }

    /// <summary>The address to give clients, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash, no <c>/v1</c>).</summary>
    public string BaseUrl { get; private set; } = "";

    public int Port { get; private set; }

    /// <summary>Model requests received so far (side requests with no tools included; <c>/models</c> and <c>count_tokens</c> not).</summary>
    public int RequestCount => Volatile.Read(ref _requests);

    /// <summary>Completes once the server has stopped listening, for whatever <see cref="StopReason"/>.</summary>
    public Task Completion => _completion;

    public ReplayStopReason StopReason => (ReplayStopReason)Volatile.Read(ref _stopReason);

    /// <summary>Starts listening on 127.0.0.1 and returns once the port is bound.</summary>
    /// <exception cref="BatonException"><c>port_in_use</c> when the port is taken.</exception>
    public static async Task<ReplayServer> StartAsync(ReplayScript script, ReplayOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        options ??= new ReplayOptions();
        options.Validate();
        var log = options.LogPath is null ? null : ReplayRequestLog.Open(options.LogPath);
        var server = new ReplayServer(script, options, log, options.Time);
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

    /// <summary>Asks the server to stop; <see cref="Completion"/> tells when it has.</summary>
    public void Stop() => RequestStop(ReplayStopReason.Stopped);

    public async ValueTask DisposeAsync()
    {
        RequestStop(ReplayStopReason.Stopped);
        try
        {
            await _completion.ConfigureAwait(false);
        }
        finally
        {
            _log?.Dispose();
            _lifetime.Dispose();
            _limitDrain.Dispose();
            _stopping.Dispose();
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var builder = Web.EmbeddedWebHost.CreateBuilder("baton-replay-model", IPAddress.Loopback, _options.Port, MaxBodyBytes, TimeSpan.FromSeconds(1));
        var app = builder.Build();
        app.Run(HandleAsync);
        _app = app;
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsAddressInUse(ex))
        {
            await app.DisposeAsync().ConfigureAwait(false);
            _app = null;
            throw new BatonException(
                ErrorCodes.PortInUse,
                $"port {_options.Port.ToString(CultureInfo.InvariantCulture)} on 127.0.0.1 is already in use",
                "Pick another port, or --port 0 for a free one (with --port-file to learn which).",
                inner: ex);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            _app = null;
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        BaseUrl = $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";
        _completion = RunUntilStoppedAsync(app);
    }

    private async Task RunUntilStoppedAsync(WebApplication app)
    {
        await _stopRequested.Task.ConfigureAwait(false);
        try
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void RequestStop(ReplayStopReason reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, (int)reason, (int)ReplayStopReason.None) != (int)ReplayStopReason.None)
        {
            return;
        }

        // Cancels delayed and in-flight answers so shutdown does not wait for a scripted stall.
        _stopping.Cancel();
        _stopRequested.TrySetResult();
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

    private async Task HandleAsync(HttpContext http)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
        try
        {
            await DispatchAsync(http, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // The client went away or the server is stopping: there is no one to answer.
            http.Abort();
        }
        catch (IOException)
        {
            http.Abort();
        }
    }

    private async Task DispatchAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = http.Request;
        var path = (request.Path.Value ?? "/").TrimEnd('/');
        var isGet = HttpMethods.IsGet(request.Method);
        if (isGet || HttpMethods.IsHead(request.Method))
        {
            if (path.EndsWith("/models", StringComparison.Ordinal))
            {
                LogSimple(http, null, 200);
                await WriteJsonAsync(http, 200, ReplayWire.Models(_options.Model, _time.GetUtcNow().ToUnixTimeSeconds()), cancellationToken).ConfigureAwait(false);
                return;
            }

            // Some clients probe the base URL with HEAD before their first request.
            var status = isGet ? 404 : 200;
            LogSimple(http, null, status);
            if (isGet)
            {
                await WriteJsonAsync(http, 404, ReplayWire.Error(null, 404, $"unknown path {path}"), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            LogSimple(http, null, 405);
            await WriteJsonAsync(http, 405, ReplayWire.Error(null, 405, $"method {request.Method} not allowed"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var dialect = DialectOf(path);
        var isCountTokens = path.EndsWith("/messages/count_tokens", StringComparison.Ordinal);
        if (dialect is null && !isCountTokens)
        {
            LogSimple(http, null, 404);
            await WriteJsonAsync(http, 404, ReplayWire.Error(null, 404, $"unknown path {path}"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            LogSimple(http, dialect, 415);
            await WriteJsonAsync(http, 415, ReplayWire.Error(dialect, 415, $"replay-model does not accept Content-Encoding: {encoding}"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
        if (isCountTokens)
        {
            LogSimple(http, null, 200, "count_tokens");
            await WriteJsonAsync(http, 200, ReplayWire.CountTokens(body.Length), cancellationToken).ConfigureAwait(false);
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            LogSimple(http, dialect, 400);
            await WriteJsonAsync(http, 400, ReplayWire.Error(dialect, 400, $"the request body is not JSON: {ex.Message}"), cancellationToken).ConfigureAwait(false);
            return;
        }

        using (document)
        {
            await AnswerAsync(http, dialect!.Value, document.RootElement, body.Length, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AnswerAsync(HttpContext http, ReplayDialect dialect, JsonElement body, int bodyBytes, CancellationToken cancellationToken)
    {
        var number = Interlocked.Increment(ref _requests);
        var plan = ReplayTurnSelector.Plan(_script, dialect, body, number, _options.MaxRequests);
        var status = 200;
        var errorMessage = "";
        if (plan.Kind == ReplayAnswerKind.Scripted && plan.Turn.Error is { } error)
        {
            // Hits are counted over the server's life, not the conversation: "fail the first N tries of this turn".
            var hits = _errorHits.AddOrUpdate(plan.TurnIndex, 1, (_, n) => n + 1);
            if (hits <= error.Times)
            {
                status = error.Status;
                errorMessage = error.Message;
            }
        }

        var streaming = ReplayTurnSelector.IsStreaming(body);
        LogAnswer(http, dialect, body, number, plan, status, streaming);
        try
        {
            if (plan.Turn.Delay > TimeSpan.Zero)
            {
                // Before the headers: a client sees nothing at all, as with a model that hangs.
                await Task.Delay(plan.Turn.Delay, _time, cancellationToken).ConfigureAwait(false);
            }

            if (status != 200)
            {
                await WriteJsonAsync(http, status, ReplayWire.Error(dialect, status, errorMessage), cancellationToken).ConfigureAwait(false);
                return;
            }

            var model = ReplayTurnSelector.RequestedModel(body) ?? _options.Model;
            var answer = ReplayAnswer.Create(dialect, plan.Turn, model, bodyBytes, NewId, _time.GetUtcNow().ToUnixTimeSeconds());
            if (streaming)
            {
                await WriteEventsAsync(http, ReplayWire.Stream(dialect, answer), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteJsonAsync(http, 200, ReplayWire.Json(dialect, answer), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (plan.Kind == ReplayAnswerKind.RequestLimit)
            {
                ArmLimitDrain();
            }
        }
    }

    private void ArmLimitDrain()
    {
        lock (_drainLock)
        {
            if (StopReason == ReplayStopReason.None)
            {
                // Each request past the limit restarts the wait: stop once the agent has gone quiet.
                _limitDrain.CancelAfter(_options.LimitDrain);
            }
        }
    }

    private static ReplayDialect? DialectOf(string path) =>
        path.EndsWith("/chat/completions", StringComparison.Ordinal) ? ReplayDialect.ChatCompletions
        : path.EndsWith("/responses", StringComparison.Ordinal) ? ReplayDialect.Responses
        : path.EndsWith("/messages", StringComparison.Ordinal) ? ReplayDialect.AnthropicMessages
        : null;

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static async Task WriteJsonAsync(HttpContext http, int status, string json, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteEventsAsync(HttpContext http, IReadOnlyList<SseEvent> events, CancellationToken cancellationToken)
    {
        var response = http.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var e in events)
        {
            // One flush per event, as a real model streams: clients see each event as it comes.
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(e.ToWire()), cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await response.CompleteAsync().ConfigureAwait(false);
    }

    private static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private void LogSimple(HttpContext http, ReplayDialect? dialect, int status, string? dialectName = null)
    {
        _log?.Append(ReplayJson.Write(w =>
        {
            w.WriteStartObject();
            WriteLogHead(w, http);
            var name = dialectName ?? (dialect is { } d ? ReplayTurnSelector.DialectName(d) : null);
            if (name is null)
            {
                w.WriteNull("dialect");
            }
            else
            {
                w.WriteString("dialect", name);
            }

            w.WriteNumber("status", status);
            w.WriteEndObject();
        }));
    }

    private void LogAnswer(HttpContext http, ReplayDialect dialect, JsonElement body, int number, ReplayPlan plan, int status, bool streaming)
    {
        if (_log is null)
        {
            return;
        }

        _log.Append(ReplayJson.Write(w =>
        {
            w.WriteStartObject();
            WriteLogHead(w, http);
            w.WriteString("dialect", ReplayTurnSelector.DialectName(dialect));
            w.WriteNumber("request", number);
            w.WriteNumber("turn", plan.TurnIndex);
            w.WriteString("answer", plan.Kind switch
            {
                ReplayAnswerKind.Scripted => "scripted",
                ReplayAnswerKind.NoTools => "no_tools",
                ReplayAnswerKind.ScriptExhausted => "script_exhausted",
                _ => "request_limit",
            });
            w.WriteNumber("status", status);
            w.WriteBoolean("stream", streaming);
            var model = ReplayTurnSelector.RequestedModel(body);
            if (model is null)
            {
                w.WriteNull("model");
            }
            else
            {
                w.WriteString("model", model);
            }

            w.WriteStartArray("tools");
            foreach (var tool in ReplayTurnSelector.ToolNames(body))
            {
                w.WriteStringValue(tool);
            }

            w.WriteEndArray();
            if (plan.Turn.ToolCalls.Count > 0)
            {
                w.WriteStartArray("toolCalls");
                foreach (var call in plan.Turn.ToolCalls)
                {
                    w.WriteStringValue(call.Name);
                }

                w.WriteEndArray();
            }

            if (_options.LogBodies)
            {
                w.WriteStartObject("headers");
                foreach (var (name, values) in http.Request.Headers)
                {
                    w.WriteString(name.ToLowerInvariant(), ReplayRequestLog.IsSecretHeader(name) ? ReplayRequestLog.RedactedValue : values.ToString());
                }

                w.WriteEndObject();
                w.WritePropertyName("body");
                body.WriteTo(w);
            }

            w.WriteEndObject();
        }));
    }

    private void WriteLogHead(Utf8JsonWriter w, HttpContext http)
    {
        w.WriteString("ts", _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteString("method", http.Request.Method);
        w.WriteString("path", http.Request.Path.Value + http.Request.QueryString.Value);
    }
}
