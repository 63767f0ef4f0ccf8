namespace Baton.Core.Events;

/// <summary>Token counts and their cost in US dollars.</summary>
public sealed record TokenUsage(long Input, long Output, long CacheRead, long CacheWrite, decimal CostUsd)
{
    public static TokenUsage Zero { get; } = new(0, 0, 0, 0, 0m);

    public long Total => Input + Output + CacheRead + CacheWrite;

    public TokenUsage Add(TokenUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Input + other.Input, Output + other.Output, CacheRead + other.CacheRead, CacheWrite + other.CacheWrite, CostUsd + other.CostUsd);
    }
}

/// <summary>Prices in US dollars per million tokens. Cost is always computed from tokens by Baton, never taken from an agent.</summary>
public sealed record ModelPricing(decimal Input, decimal Output, decimal CacheRead, decimal CacheWrite)
{
    /// <summary>The replay model's price list (the scripted server's numbers, so demos show a cost).</summary>
    public static ModelPricing Replay { get; } = new(3m, 15m, 0.3m, 3.75m);

    public static ModelPricing Free { get; } = new(0m, 0m, 0m, 0m);

    public decimal Cost(long input, long output, long cacheRead, long cacheWrite) =>
        ((input * Input) + (output * Output) + (cacheRead * CacheRead) + (cacheWrite * CacheWrite)) / 1_000_000m;

    /// <summary>Known list prices; unknown models cost nothing rather than a made-up number.</summary>
    public static ModelPricing For(string? provider, string? model)
    {
        var name = (model ?? string.Empty).ToLowerInvariant();
        if (provider == "replay" || name == "fake-model")
        {
            return Replay;
        }

        return name switch
        {
            _ when name.Contains("opus", StringComparison.Ordinal) => new(15m, 75m, 1.5m, 18.75m),
            _ when name.Contains("sonnet", StringComparison.Ordinal) => new(3m, 15m, 0.3m, 3.75m),
            _ when name.Contains("haiku", StringComparison.Ordinal) => new(1m, 5m, 0.1m, 1.25m),
            _ when name.StartsWith("gpt-5", StringComparison.Ordinal) => new(1.25m, 10m, 0.125m, 0m),
            _ when name.StartsWith("gpt-4.1", StringComparison.Ordinal) => new(2m, 8m, 0.5m, 0m),
            _ when name.StartsWith("o3", StringComparison.Ordinal) => new(2m, 8m, 0.5m, 0m),
            _ => Free,
        };
    }
}

/// <summary>
/// Keeps a run's absolute token totals whether the agent reports per-message deltas (pi, Claude) or running
/// totals (Codex): totals only ever grow, and a repeated absolute report is never counted twice.
/// </summary>
public sealed class UsageAccumulator(ModelPricing pricing)
{
    private long _input;
    private long _output;
    private long _cacheRead;
    private long _cacheWrite;

    public TokenUsage Totals => new(_input, _output, _cacheRead, _cacheWrite, pricing.Cost(_input, _output, _cacheRead, _cacheWrite));

    public TokenUsage AddDelta(long input, long output, long cacheRead = 0, long cacheWrite = 0)
    {
        _input += Math.Max(0, input);
        _output += Math.Max(0, output);
        _cacheRead += Math.Max(0, cacheRead);
        _cacheWrite += Math.Max(0, cacheWrite);
        return Totals;
    }

    public TokenUsage SetAbsolute(long input, long output, long cacheRead = 0, long cacheWrite = 0)
    {
        _input = Math.Max(_input, input);
        _output = Math.Max(_output, output);
        _cacheRead = Math.Max(_cacheRead, cacheRead);
        _cacheWrite = Math.Max(_cacheWrite, cacheWrite);
        return Totals;
    }
}
