using Baton.Core.Errors;

namespace Baton.Core.Sessions;

/// <summary>
/// A <c>--model</c> value: <c>replay:&lt;script.json&gt;</c> (Baton's scripted model, no network) or
/// <c>provider/model</c> (a real provider; the key comes from the provider's environment variable).
/// </summary>
public sealed record ModelSpec(string Provider, string Model, string? ReplayScript, string? ApiKeyVariable)
{
    public const string ReplayProvider = "replay";
    public const string ReplayModelId = "fake-model";

    private static readonly Dictionary<string, string> s_keyVariables = new(StringComparer.Ordinal)
    {
        ["anthropic"] = "ANTHROPIC_API_KEY",
        ["openai"] = "OPENAI_API_KEY",
        ["google"] = "GEMINI_API_KEY",
        ["openrouter"] = "OPENROUTER_API_KEY",
        ["groq"] = "GROQ_API_KEY",
        ["mistral"] = "MISTRAL_API_KEY",
        ["xai"] = "XAI_API_KEY",
    };

    public bool IsReplay => Provider == ReplayProvider;

    public override string ToString() => IsReplay ? $"replay:{ReplayScript}" : $"{Provider}/{Model}";

    /// <param name="resolvePath">Makes the replay script's path absolute.</param>
    public static ModelSpec Parse(string value, Func<string, string> resolvePath)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(resolvePath);
        var text = value.Trim();
        if (text.StartsWith("replay:", StringComparison.Ordinal))
        {
            var script = text["replay:".Length..].Trim();
            if (script.Length == 0)
            {
                throw Invalid(value);
            }

            return new ModelSpec(ReplayProvider, ReplayModelId, resolvePath(script), null);
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1)
        {
            throw Invalid(value);
        }

        var provider = text[..slash].ToLowerInvariant();
        return new ModelSpec(provider, text[(slash + 1)..], null, s_keyVariables.GetValueOrDefault(provider, $"{provider.ToUpperInvariant().Replace('-', '_')}_API_KEY"));
    }

    private static BatonException Invalid(string value) => BatonException.Usage(
        "invalid_model",
        $"'{value}' is not a model: use provider/model (e.g. anthropic/claude-sonnet-4-5) or replay:<script.json>",
        "Pass --model anthropic/<model>, openai/<model>, or replay:path/to/script.json for Baton's offline replay model.");
}
