using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Files;

namespace Baton.Agents.Pi;

/// <summary>The folders of one pi session inside <see cref="AgentLaunchContext.AgentHome"/>.</summary>
public sealed record PiPaths(string Root)
{
    /// <summary>HOME of the agent: never the user's own.</summary>
    public string Home => Path.Combine(Root, "home");

    /// <summary>PI_CODING_AGENT_DIR: models.json, settings.json (replaces <c>~/.pi/agent</c>).</summary>
    public string AgentDirectory => Path.Combine(Root, "agent");

    /// <summary>Session JSONL files (the transcript pi writes as it goes).</summary>
    public string Sessions => Path.Combine(Root, "sessions");

    public string Temp => Path.Combine(Root, "tmp");

    public string ModelsFile => Path.Combine(AgentDirectory, "models.json");

    public string SettingsFile => Path.Combine(AgentDirectory, "settings.json");
}

/// <summary>
/// What pi is started with: its config files, command line and environment. Pure functions of the launch context, so
/// they are tested without starting pi.
/// </summary>
public static class PiConfig
{
    /// <summary>The provider name Baton's replay model gets in models.json and on pi's command line.</summary>
    public const string ReplayProvider = "replay";

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>How long one model request may take before pi reports "Request timed out." (the SDK default is far longer).</summary>
    public static readonly TimeSpan ProviderTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The provider pi is told to use: Baton's replay model gets its own, real providers keep pi's built-in one.</summary>
    public static string Provider(ModelEndpoint model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.IsReplay ? ReplayProvider : model.Provider;
    }

    /// <summary>
    /// models.json. Replay: a custom OpenAI-completions provider at <c>&lt;BaseUrl&gt;/v1</c>. A real provider keeps pi's
    /// built-in definition (and key lookup) and only gets Baton's prices — so pi's own cost numbers agree with Baton's,
    /// though Baton computes cost itself — and a base URL when one is given.
    /// </summary>
    public static string ModelsJson(ModelEndpoint model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cost = new JsonObject
        {
            ["input"] = model.Pricing.Input,
            ["output"] = model.Pricing.Output,
            ["cacheRead"] = model.Pricing.CacheRead,
            ["cacheWrite"] = model.Pricing.CacheWrite,
        };
        JsonObject provider;
        if (model.IsReplay)
        {
            if (string.IsNullOrEmpty(model.BaseUrl))
            {
                throw new ArgumentException("the replay model needs its server's base URL", nameof(model));
            }

            provider = new JsonObject
            {
                ["baseUrl"] = model.BaseUrl.TrimEnd('/') + "/v1",
                ["api"] = "openai-completions",
                ["apiKey"] = string.IsNullOrEmpty(model.ApiKey) ? "replay" : model.ApiKey,
                // The replay server speaks plain chat completions: no developer role, no reasoning effort.
                ["compat"] = new JsonObject { ["supportsDeveloperRole"] = false, ["supportsReasoningEffort"] = false },
                ["models"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["id"] = model.Model,
                        ["name"] = model.Model,
                        ["reasoning"] = false,
                        ["contextWindow"] = 128000,
                        ["maxTokens"] = 16384,
                        ["cost"] = cost,
                    },
                },
            };
        }
        else
        {
            provider = new JsonObject { ["modelOverrides"] = new JsonObject { [model.Model] = new JsonObject { ["cost"] = cost } } };
            if (!string.IsNullOrEmpty(model.BaseUrl))
            {
                // The OpenAI SDK expects /v1 in the base URL; Anthropic's adds it itself, and other providers' URLs are
                // taken as given.
                provider["baseUrl"] = model.Provider == "openai" ? model.BaseUrl.TrimEnd('/') + "/v1" : model.BaseUrl.TrimEnd('/');
            }
        }

        return new JsonObject { ["providers"] = new JsonObject { [Provider(model)] = provider } }.ToJsonString(s_indented);
    }

    /// <summary>
    /// settings.json. With Baton retrying runs itself, pi's auto-retry and the provider SDK's silent retries are off,
    /// so a failure shows at once as a failed turn (reference/agents.md §1.5); the request timeout is bounded either way.
    /// </summary>
    public static string SettingsJson(ModelEndpoint model, bool disableAgentRetries)
    {
        ArgumentNullException.ThrowIfNull(model);
        var retry = new JsonObject
        {
            ["enabled"] = !disableAgentRetries,
            ["provider"] = new JsonObject
            {
                ["timeoutMs"] = (long)ProviderTimeout.TotalMilliseconds,
                ["maxRetries"] = disableAgentRetries ? 0 : 2,
            },
        };
        return new JsonObject
        {
            ["defaultProvider"] = Provider(model),
            ["defaultModel"] = model.Model,
            ["quietStartup"] = true,
            ["retry"] = retry,
        }.ToJsonString(s_indented);
    }

    /// <summary>
    /// The command line. No extension, skill, prompt template or context file is loaded from the workspace or the
    /// agent directory — a repository must not be able to inject code into the agent; Baton's own extensions are
    /// passed explicitly with <c>-e</c>.
    /// </summary>
    public static IReadOnlyList<string> Arguments(ModelEndpoint model, PiPaths paths, IEnumerable<string> extensions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(extensions);
        var arguments = new List<string>
        {
            "--mode", "rpc",
            "--provider", Provider(model),
            "--model", model.Model,
            "--session-dir", paths.Sessions,
            "--no-extensions", "--no-skills", "--no-prompt-templates", "--no-context-files",
        };
        foreach (var extension in extensions)
        {
            arguments.Add("-e");
            arguments.Add(extension);
        }

        return arguments;
    }

    /// <summary>The extensions in Baton's <c>extensions/pi</c> folder: each top-level <c>.ts</c> file, and each folder with an <c>index.ts</c>.</summary>
    public static IReadOnlyList<string> Extensions(string? directory)
    {
        if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory))
        {
            return [];
        }

        var files = Directory.EnumerateFiles(directory, "*.ts").Where(f => !f.EndsWith(".d.ts", StringComparison.Ordinal));
        var folders = Directory.EnumerateDirectories(directory).Select(d => Path.Combine(d, "index.ts")).Where(File.Exists);
        return [.. files.Concat(folders).Select(Path.GetFullPath).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The agent's environment: the context's variables, then the isolation ones, which win. A real provider's key is
    /// handed over in the variable pi reads for that provider.
    /// </summary>
    public static Dictionary<string, string?> Environment(AgentLaunchContext context, PiPaths paths)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(paths);
        var environment = new Dictionary<string, string?>(context.Environment, StringComparer.Ordinal)
        {
            ["HOME"] = paths.Home,
            ["PI_CODING_AGENT_DIR"] = paths.AgentDirectory,
            ["PI_CODING_AGENT_SESSION_DIR"] = paths.Sessions,
            ["TMPDIR"] = paths.Temp,
            // No update checks, package fetches or telemetry: the agent talks to its model and nothing else.
            ["PI_OFFLINE"] = "1",
            ["PI_SKIP_VERSION_CHECK"] = "1",
            ["PI_TELEMETRY"] = "0",
        };
        var model = context.Model;
        if (!model.IsReplay && !string.IsNullOrEmpty(model.ApiKey) && (KeyVariable(model.Provider) ?? model.ApiKeyVariable) is { } variable)
        {
            environment[variable] = model.ApiKey;
        }

        return environment;
    }

    /// <summary>The variable pi reads a built-in provider's key from (pi's docs/providers.md), when Baton knows it.</summary>
    public static string? KeyVariable(string provider) => provider switch
    {
        "anthropic" => "ANTHROPIC_API_KEY",
        "openai" => "OPENAI_API_KEY",
        _ => null,
    };

    /// <summary>Creates the session's folders and writes models.json and settings.json (atomically).</summary>
    public static PiPaths Write(AgentLaunchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var paths = new PiPaths(Path.GetFullPath(context.AgentHome));
        foreach (var directory in new[] { paths.Home, paths.AgentDirectory, paths.Sessions, paths.Temp })
        {
            Directory.CreateDirectory(directory);
        }

        AtomicFile.WriteAllText(paths.ModelsFile, ModelsJson(context.Model));
        AtomicFile.WriteAllText(paths.SettingsFile, SettingsJson(context.Model, context.DisableAgentRetries));
        return paths;
    }

    internal static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
}
