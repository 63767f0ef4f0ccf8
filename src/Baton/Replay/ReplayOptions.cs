namespace Baton.Replay;

/// <summary>How a <see cref="ReplayServer"/> listens, how long it lives and what it logs.</summary>
public sealed record ReplayOptions
{
    /// <summary>The port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Model requests answered from the script; after that every request gets a plain "stop" answer.</summary>
    public int MaxRequests { get; init; } = 50;

    /// <summary>The server stops on its own after this long, whatever is running against it.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromSeconds(1800);

    /// <summary>
    /// Once the request limit has been passed, the server stops when no request has come for this long: the agent
    /// has its stop answer, and a closing side request (a title, a summary) still finds the server up.
    /// </summary>
    public TimeSpan LimitDrain { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>JSON Lines request log (path, dialect, turn, tools); null for none.</summary>
    public string? LogPath { get; init; }

    /// <summary>Also log the request headers (credentials redacted) and the full body.</summary>
    public bool LogBodies { get; init; }

    /// <summary>The model id reported when a request names none, and listed by <c>GET /v1/models</c>.</summary>
    public string Model { get; init; } = "fake-model";

    /// <summary>The clock for the lifetime, the drain, scripted delays and timestamps.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequests, 1);
        if (Lifetime <= TimeSpan.Zero || Lifetime.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(Lifetime), Lifetime, "The lifetime must be positive and under 24 days.");
        }

        if (LimitDrain < TimeSpan.Zero || LimitDrain.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(LimitDrain), LimitDrain, "The drain must be zero or positive and under 24 days.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(Model);
        ArgumentNullException.ThrowIfNull(Time);
    }
}

/// <summary>Why a replay server stopped.</summary>
public enum ReplayStopReason
{
    /// <summary>Still running.</summary>
    None,

    /// <summary><see cref="ReplayServer.Stop"/> or <see cref="ReplayServer.DisposeAsync"/> was called.</summary>
    Stopped,

    /// <summary><see cref="ReplayOptions.Lifetime"/> ran out.</summary>
    Lifetime,

    /// <summary>The request limit was passed and the drain time went by with no request.</summary>
    RequestLimit,
}
