using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Web;

/// <summary>How <see cref="ApiServer"/> listens. The defaults are the spec's: loopback, and no token needed there.</summary>
public sealed record ApiServerOptions
{
    /// <summary>
    /// An IP address or <c>localhost</c>. Loopback by default (SPEC.md §13.7: "bind loopback by default"); any other
    /// address needs <see cref="Token"/>, or the server refuses to start.
    /// </summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 asks for an ephemeral port (§13.7); <see cref="ApiServer.Port"/> tells which.</summary>
    public int Port { get; init; }

    /// <summary>
    /// When set, every request must carry <c>Authorization: Bearer &lt;token&gt;</c> or the <c>baton_token</c> cookie
    /// (which <c>GET /?token=&lt;token&gt;</c> sets). At least 16 characters of <c>A-Z a-z 0-9 . _ ~ -</c>, so it
    /// travels unchanged in a URL, a header and a cookie; <see cref="ApiServer.NewToken"/> makes one.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>How long <c>/api/v1/state</c> waits for the snapshot before answering <c>snapshot_timeout</c>
    /// (15 s, the reference implementation's snapshot call timeout).</summary>
    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often an idle event stream gets a comment line, so proxies and browsers keep it open.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where unexpected failures go (a 500 never carries them to the client). Never given the token.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}
