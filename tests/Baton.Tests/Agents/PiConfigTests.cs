using System.Text.Json;
using Baton.Agents;
using Baton.Agents.Pi;
using Baton.Core.Events;
using Baton.Tests.Replay;

namespace Baton.Tests.Agents;

public class PiConfigTests
{
    private static readonly ModelEndpoint s_replay = new("replay", "fake-model", "http://127.0.0.1:41234", "replay-key", null, ModelPricing.Replay);
    private static readonly ModelEndpoint s_anthropic = new("anthropic", "claude-sonnet-4-5", null, "sk-ant-test", "BATON_ANTHROPIC_KEY", new ModelPricing(3m, 15m, 0.3m, 3.75m));

    [Fact]
    public void ModelsJson_Replay_IsAnOpenAiCompletionsProviderAtV1WithBatonsPrices()
    {
        var provider = Parse(PiConfig.ModelsJson(s_replay)).GetProperty("providers").GetProperty("replay");

        provider.GetProperty("baseUrl").GetString().ShouldBe("http://127.0.0.1:41234/v1");
        provider.GetProperty("api").GetString().ShouldBe("openai-completions");
        provider.GetProperty("apiKey").GetString().ShouldBe("replay-key");
        var model = provider.GetProperty("models").EnumerateArray().ShouldHaveSingleItem();
        model.GetProperty("id").GetString().ShouldBe("fake-model");
        var cost = model.GetProperty("cost");
        (cost.GetProperty("input").GetDecimal(), cost.GetProperty("output").GetDecimal(), cost.GetProperty("cacheRead").GetDecimal(), cost.GetProperty("cacheWrite").GetDecimal())
            .ShouldBe((3m, 15m, 0.3m, 3.75m));
    }

    [Fact]
    public void ModelsJson_RealProvider_KeepsTheBuiltInProviderAndOverridesOnlyTheCost()
    {
        var provider = Parse(PiConfig.ModelsJson(s_anthropic)).GetProperty("providers").GetProperty("anthropic");

        provider.TryGetProperty("models", out _).ShouldBeFalse();
        provider.TryGetProperty("baseUrl", out _).ShouldBeFalse();
        provider.TryGetProperty("apiKey", out _).ShouldBeFalse();
        provider.GetProperty("modelOverrides").GetProperty("claude-sonnet-4-5").GetProperty("cost").GetProperty("output").GetDecimal().ShouldBe(15m);
    }

    [Theory]
    [InlineData("openai", "http://proxy.internal:8080/v1")]
    [InlineData("anthropic", "http://proxy.internal:8080")]
    public void ModelsJson_RealProviderWithBaseUrl_AddsV1OnlyForOpenAi(string providerName, string expected)
    {
        var model = s_anthropic with { Provider = providerName, BaseUrl = "http://proxy.internal:8080/" };

        var provider = Parse(PiConfig.ModelsJson(model)).GetProperty("providers").GetProperty(providerName);

        provider.GetProperty("baseUrl").GetString().ShouldBe(expected);
    }

    [Theory]
    [InlineData(true, false, 0)]
    [InlineData(false, true, 2)]
    public void SettingsJson_AgentRetries_FollowTheContext(bool disable, bool enabled, int sdkRetries)
    {
        var settings = Parse(PiConfig.SettingsJson(s_replay, disable));

        settings.GetProperty("quietStartup").GetBoolean().ShouldBeTrue();
        settings.GetProperty("defaultProvider").GetString().ShouldBe("replay");
        var retry = settings.GetProperty("retry");
        retry.GetProperty("enabled").GetBoolean().ShouldBe(enabled);
        retry.GetProperty("provider").GetProperty("maxRetries").GetInt32().ShouldBe(sdkRetries);
        retry.GetProperty("provider").GetProperty("timeoutMs").GetInt64().ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Arguments_LoadNothingFromTheWorkspaceAndPinTheModel()
    {
        var paths = new PiPaths("/h");

        var arguments = PiConfig.Arguments(s_replay, paths, ["/x/guard.ts"]);

        arguments.ShouldBe(
        [
            "--mode", "rpc", "--provider", "replay", "--model", "fake-model", "--session-dir", "/h/sessions",
            "--no-extensions", "--no-skills", "--no-prompt-templates", "--no-context-files", "-e", "/x/guard.ts",
        ]);
    }

    [Fact]
    public void Environment_IsolatesHomeAndConfigAndHandsOverARealProvidersKey()
    {
        var context = Context(s_anthropic, new Dictionary<string, string?> { ["PATH"] = "/bin", ["HOME"] = "/root", ["PI_OFFLINE"] = "0" });
        var paths = new PiPaths("/h");

        var environment = PiConfig.Environment(context, paths);

        environment["PATH"].ShouldBe("/bin");
        environment["HOME"].ShouldBe("/h/home");
        environment["PI_CODING_AGENT_DIR"].ShouldBe("/h/agent");
        environment["PI_CODING_AGENT_SESSION_DIR"].ShouldBe("/h/sessions");
        environment["TMPDIR"].ShouldBe("/h/tmp");
        environment["PI_OFFLINE"].ShouldBe("1");
        environment["PI_SKIP_VERSION_CHECK"].ShouldBe("1");
        environment["PI_TELEMETRY"].ShouldBe("0");
        environment["ANTHROPIC_API_KEY"].ShouldBe("sk-ant-test");
    }

    [Fact]
    public void Environment_Replay_SetsNoProviderKey()
    {
        var environment = PiConfig.Environment(Context(s_replay, new Dictionary<string, string?>()), new PiPaths("/h"));

        environment.Keys.ShouldNotContain("ANTHROPIC_API_KEY");
        environment.Keys.ShouldNotContain("OPENAI_API_KEY");
    }

    [Fact]
    public void Extensions_Folder_GivesTopLevelTsFilesAndIndexFolders()
    {
        using var temp = new TempDirectory("baton-pi-ext-");
        File.WriteAllText(temp.Combine("guard.ts"), "");
        File.WriteAllText(temp.Combine("types.d.ts"), "");
        File.WriteAllText(temp.Combine("README.md"), "");
        Directory.CreateDirectory(temp.Combine("proof"));
        File.WriteAllText(temp.Combine("proof", "index.ts"), "");
        Directory.CreateDirectory(temp.Combine("empty"));

        PiConfig.Extensions(temp.Path).ShouldBe([temp.Combine("guard.ts"), temp.Combine("proof", "index.ts")]);
        PiConfig.Extensions(null).ShouldBeEmpty();
        PiConfig.Extensions(temp.Combine("missing")).ShouldBeEmpty();
    }

    [Fact]
    public void Write_CreatesTheSessionFoldersAndConfigFiles()
    {
        using var temp = new TempDirectory("baton-pi-config-");
        var context = Context(s_replay, new Dictionary<string, string?>()) with { AgentHome = temp.Combine("agent-home") };

        var paths = PiConfig.Write(context);

        foreach (var directory in new[] { paths.Home, paths.AgentDirectory, paths.Sessions, paths.Temp })
        {
            Directory.Exists(directory).ShouldBeTrue(directory);
        }

        Parse(File.ReadAllText(paths.ModelsFile)).GetProperty("providers").TryGetProperty("replay", out _).ShouldBeTrue();
        Parse(File.ReadAllText(paths.SettingsFile)).GetProperty("retry").GetProperty("enabled").GetBoolean().ShouldBeFalse();
    }

    private static AgentLaunchContext Context(ModelEndpoint model, Dictionary<string, string?> environment) => new()
    {
        Session = "s",
        Run = 1,
        Workspace = "/w",
        SessionDirectory = "/s",
        AgentHome = "/h",
        Model = model,
        Environment = environment,
        BatonHome = "/b",
    };

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
