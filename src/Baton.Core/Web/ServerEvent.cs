using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Baton.Core.Web;

/// <summary>
/// The event types the page at <c>/</c> listens for (an EventSource only hears the named types it asks for). Others
/// may be sent; clients that do not know them ignore them.
/// </summary>
public static class ServerEventTypes
{
    /// <summary>Something in <c>/api/v1/state</c> changed (dispatch, retry, block, finish): re-read it.</summary>
    public const string State = "state";

    /// <summary>A session's worker event, in plain words (data: <see cref="SessionActivity"/>).</summary>
    public const string Session = "session";

    /// <summary>A refresh was requested (data: the refresh result).</summary>
    public const string Refresh = "refresh";
}

/// <summary>
/// One live update for <c>GET /api/v1/events</c>: written as <c>event: {Type}</c> and <c>data: {Data}</c> (one line of
/// compact JSON). <paramref name="Id"/>, when given, becomes the server-sent event's <c>id:</c>.
/// </summary>
public sealed record ServerEvent(string Type, JsonElement Data, long? Id = null)
{
    /// <summary>A server-sent event type is one token: a newline in it would let data forge further events.</summary>
    public static bool IsValidType(string? type) =>
        !string.IsNullOrEmpty(type) && type.Length <= 64
        && type.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.' or '-');

    public static ServerEvent Create<T>(string type, T value, JsonTypeInfo<T> typeInfo, long? id = null)
    {
        if (!IsValidType(type))
        {
            throw new ArgumentException($"'{type}' is not a server-sent event type (a-z, 0-9, '_', '.', '-')", nameof(type));
        }

        return new ServerEvent(type, JsonSerializer.SerializeToElement(value, typeInfo), id);
    }
}
