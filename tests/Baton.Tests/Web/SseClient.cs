namespace Baton.Tests.Web;

/// <summary>One server-sent event as read off the wire; a frame with only comment lines has no event.</summary>
internal sealed record SseFrame(string? Event, string? Data, string? Id, IReadOnlyList<string> Comments);

/// <summary>A bare server-sent events reader over a real HTTP response, with a bound on every read.</summary>
internal sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Connects and reads the opening comment, after which the server has subscribed this client.</summary>
    public static async Task<SseClient> ConnectAsync(HttpClient http, string url, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var client = new SseClient(response, new StreamReader(stream));
        var first = await client.NextFrameAsync(bound);
        first.Comments.ShouldContain("connected");
        return client;
    }

    public async Task<SseFrame> NextFrameAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        string? type = null;
        string? data = null;
        string? id = null;
        var comments = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("the event stream ended");
            if (line.Length == 0)
            {
                return new SseFrame(type, data, id, comments);
            }

            if (line.StartsWith(':'))
            {
                comments.Add(line[1..].Trim());
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = data is null ? line["data: ".Length..] : data + "\n" + line["data: ".Length..];
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line["id: ".Length..];
            }
        }
    }

    /// <summary>The next frame that carries an event, skipping heartbeats.</summary>
    public async Task<SseFrame> NextEventAsync(TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var frame = await NextFrameAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (frame.Event is not null)
            {
                return frame;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
