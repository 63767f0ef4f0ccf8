namespace Baton.Core.Replay;

/// <summary>Everything one response says, with ids resolved, ready for a dialect's wire format.</summary>
public sealed record ReplayAnswer(
    string Id,
    string Model,
    string Text,
    IReadOnlyList<ReplayAnsweredCall> ToolCalls,
    ReplayTokens Tokens,
    long CreatedUnixSeconds)
{
    /// <summary>
    /// Builds the answer for <paramref name="turn"/>. <paramref name="newId"/> returns a fresh id with the given prefix
    /// (random in the server, predictable in tests).
    /// </summary>
    public static ReplayAnswer Create(
        ReplayDialect dialect,
        ReplayTurn turn,
        string model,
        int requestBytes,
        Func<string, string> newId,
        long createdUnixSeconds)
    {
        ArgumentNullException.ThrowIfNull(turn);
        ArgumentNullException.ThrowIfNull(newId);
        var callPrefix = dialect == ReplayDialect.AnthropicMessages ? "toolu_" : "call_";
        var calls = turn.ToolCalls.Select(c => new ReplayAnsweredCall(c.Id ?? newId(callPrefix), c.Name, c.ArgumentsJson)).ToList();
        var id = newId(dialect switch
        {
            ReplayDialect.ChatCompletions => "chatcmpl-",
            ReplayDialect.Responses => "resp_",
            _ => "msg_",
        });
        return new ReplayAnswer(id, model, turn.Text, calls, ReplayTokens.For(turn, requestBytes), createdUnixSeconds);
    }

    public bool HasToolCalls => ToolCalls.Count > 0;
}

public sealed record ReplayAnsweredCall(string Id, string Name, string ArgumentsJson);

/// <summary>Token counts in pi's terms: <see cref="Input"/> is the uncached input.</summary>
public readonly record struct ReplayTokens(int Input, int Output, int CacheRead, int CacheWrite)
{
    /// <summary>
    /// The script's counts, or estimates when it gives none (about four bytes a token), so usage accounting always
    /// sees non-zero numbers.
    /// </summary>
    public static ReplayTokens For(ReplayTurn turn, int requestBytes)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var usage = turn.Usage ?? new ReplayUsage();
        var input = usage.Input ?? Math.Max(1, requestBytes / 4);
        var output = usage.Output ?? 5 + (turn.Text.Length / 4) + (20 * turn.ToolCalls.Count);
        return new ReplayTokens(input, output, usage.CacheRead, usage.CacheWrite);
    }

    /// <summary>All prompt tokens, cached or not: what the OpenAI dialects call the prompt or input tokens.</summary>
    public int Prompt => Input + CacheRead + CacheWrite;

    public int Total => Prompt + Output;
}

/// <summary>One server-sent event: an optional <c>event:</c> name and one line of data.</summary>
public sealed record SseEvent(string? Name, string Data)
{
    public string ToWire() => Name is null ? $"data: {Data}\n\n" : $"event: {Name}\ndata: {Data}\n\n";
}
