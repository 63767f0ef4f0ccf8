using System.Globalization;
using System.Text;

namespace Baton.Agents.Codex;

/// <summary>
/// The private world one Codex run lives in, under <see cref="AgentLaunchContext.AgentHome"/>:
/// <c>home/</c> (HOME), <c>codex-home/</c> (CODEX_HOME, with Baton's <c>config.toml</c>) and <c>tmp/</c> (TMPDIR).
/// <para>
/// TMPDIR is Baton's own folder on purpose: Codex refuses to create its helper binaries (<c>codex-linux-sandbox</c>,
/// <c>apply_patch</c>) when CODEX_HOME lies under the temp directory, and the <c>workspace-write</c> sandbox then fails
/// every command (reference/agents.md §4, gotcha 1). With TMPDIR pointing at <c>tmp/</c>, CODEX_HOME is never under it,
/// wherever AgentHome is.
/// </para>
/// </summary>
internal sealed record CodexSetup(string Home, string CodexHome, string Temp, string ConfigPath, IReadOnlyDictionary<string, string?> Environment, string RunMarker)
{
    /// <summary>The variable Codex reads the model key from (<c>env_key</c> of Baton's provider); never the user's own.</summary>
    public const string ApiKeyVariable = "BATON_CODEX_API_KEY";

    /// <summary>The provider id in config.toml: Baton always declares its own, so the endpoint and retries are explicit.</summary>
    public const string ProviderId = "baton";

    public static CodexSetup Prepare(AgentLaunchContext context, CodexAdapterOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var home = Path.Combine(context.AgentHome, "home");
        var codexHome = Path.Combine(context.AgentHome, "codex-home");
        var temp = Path.Combine(context.AgentHome, "tmp");
        foreach (var directory in new[] { home, codexHome, temp })
        {
            Directory.CreateDirectory(directory);
        }

        var configPath = Path.Combine(codexHome, "config.toml");
        WriteAtomically(configPath, ConfigToml(context, options));

        var environment = new Dictionary<string, string?>(context.Environment, StringComparer.Ordinal)
        {
            ["HOME"] = home,
            ["CODEX_HOME"] = codexHome,
            ["TMPDIR"] = temp,
            [ApiKeyVariable] = ApiKey(context.Model),
        };
        var marker = string.Create(CultureInfo.InvariantCulture, $"{context.Session}.{context.Run}.{Guid.NewGuid():N}");
        return new CodexSetup(home, codexHome, temp, configPath, environment, marker);
    }

    /// <summary>
    /// Baton's config.toml (accepted by codex-cli 0.169.0 with <c>--strict-config</c>). The model always comes from
    /// Baton's own provider entry speaking the Responses API: the replay model at <c>&lt;BaseUrl&gt;/v1</c>, or the
    /// real endpoint (OpenAI's by default). Update checks, analytics and telemetry are off: a worker makes no call
    /// but model calls.
    /// </summary>
    public static string ConfigToml(AgentLaunchContext context, CodexAdapterOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var model = context.Model;
        var baseUrl = (model.BaseUrl ?? "https://api.openai.com").TrimEnd('/') + "/v1";
        var toml = new StringBuilder();
        toml.AppendLine(CultureInfo.InvariantCulture, $"model = {Quote(model.Model)}");
        toml.AppendLine(CultureInfo.InvariantCulture, $"model_provider = {Quote(ProviderId)}");
        if (options.ApprovalPolicyObject is null && options.ApprovalPolicy is { } policy)
        {
            toml.AppendLine(CultureInfo.InvariantCulture, $"approval_policy = {Quote(policy)}");
        }

        toml.AppendLine(CultureInfo.InvariantCulture, $"sandbox_mode = {Quote(options.Sandbox)}");
        toml.AppendLine("check_for_update_on_startup = false");
        toml.AppendLine();
        toml.AppendLine("[analytics]");
        toml.AppendLine("enabled = false");
        toml.AppendLine();
        toml.AppendLine("[otel]");
        toml.AppendLine("exporter = \"none\"");
        toml.AppendLine();
        toml.AppendLine(CultureInfo.InvariantCulture, $"[model_providers.{ProviderId}]");
        toml.AppendLine(CultureInfo.InvariantCulture, $"name = {Quote($"Baton ({model.Provider})")}");
        toml.AppendLine(CultureInfo.InvariantCulture, $"base_url = {Quote(baseUrl)}");
        toml.AppendLine("wire_api = \"responses\"");
        toml.AppendLine(CultureInfo.InvariantCulture, $"env_key = {Quote(ApiKeyVariable)}");
        if (context.DisableAgentRetries)
        {
            // Baton retries runs itself; Codex's own retries would hide a failing model behind minutes of backoff.
            toml.AppendLine("request_max_retries = 0");
            toml.AppendLine("stream_max_retries = 0");
        }

        return toml.ToString();
    }

    /// <summary>A TOML basic string.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => quoted.Append("\\\""),
                '\\' => quoted.Append("\\\\"),
                '\n' => quoted.Append("\\n"),
                '\r' => quoted.Append("\\r"),
                '\t' => quoted.Append("\\t"),
                < ' ' or '\u007f' => quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => quoted.Append(c),
            };
        }

        return quoted.Append('"').ToString();
    }

    private static string ApiKey(ModelEndpoint model) =>
        model.ApiKey
        ?? (model.ApiKeyVariable is { } variable ? System.Environment.GetEnvironmentVariable(variable) : null)
        ?? (model.IsReplay ? "replay" : "");

    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }
}
