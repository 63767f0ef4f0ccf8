namespace Baton.Core.Scheduling;

/// <summary>Retry delays of §8.4.</summary>
public static class RetryDelays
{
    /// <summary>A continuation after a clean exit waits a short fixed delay (§8.4).</summary>
    public static TimeSpan Continuation { get; } = TimeSpan.FromMilliseconds(1000);

    public const int FailureBaseMs = 10_000;

    /// <summary>
    /// The exponent stops growing here, as in the reference implementation, so a long-failing task cannot
    /// overflow the arithmetic before the cap applies.
    /// </summary>
    public const int MaxExponent = 10;

    /// <summary>§8.4: <c>min(10000 * 2^(attempt-1), max_retry_backoff_ms)</c> — 10 s, 20 s, 40 s, … capped.</summary>
    public static TimeSpan Failure(int attempt, int maxRetryBackoffMs)
    {
        var exponent = Math.Clamp(attempt - 1, 0, MaxExponent);
        var delay = (long)FailureBaseMs << exponent;
        return TimeSpan.FromMilliseconds(Math.Min(delay, Math.Max(maxRetryBackoffMs, 0)));
    }

    public static TimeSpan For(RetryKind kind, int attempt, int maxRetryBackoffMs) =>
        kind == RetryKind.Continuation ? Continuation : Failure(attempt, maxRetryBackoffMs);
}
