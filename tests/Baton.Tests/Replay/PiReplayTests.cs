using System.Text.Json;
using Baton.Core.Replay;
using Baton.Replay;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Replay;

/// <summary>The real pi (RPC mode) against the replay server, in each of the three dialects pi can speak.</summary>
public class PiReplayTests
{
    private const string WriteCommitScript =
        """
        [
          {"text": "I'll create the file.",
           "tool_calls": [{"name": "write", "arguments": {"path": "hello.txt", "content": "Hello from the replay model\n"}}],
           "usage": {"input": 1200, "output": 40, "cacheRead": 100}},
          {"tool_calls": [{"name": "bash", "arguments": {"command": "git add -A && git commit -q -m 'Add hello.txt' && git log --oneline -1"}}],
           "usage": {"input": 1300, "output": 30}},
          {"text": "Created hello.txt and committed it.", "usage": {"input": 1400, "output": 12}}
        ]
        """;

    [Theory]
    [InlineData("openai-completions", "chat")]
    [InlineData("openai-responses", "responses")]
    [InlineData("anthropic-messages", "anthropic")]
    public async Task PiRpc_WriteCommitScript_WritesAndCommitsFile(string api, string dialect)
    {
        var pi = AgentBinary("pi");
        using var temp = new TempDirectory("baton-pi-");
        var workspace = temp.Combine("workspace");
        var home = temp.Combine("home");
        var agentDir = temp.Combine("agent");
        var sessions = temp.Combine("sessions");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(agentDir);
        await InitRepositoryAsync(workspace, home);

        var log = temp.Combine("requests.jsonl");
        await using var server = await ReplayServer.StartAsync(
            ReplayScript.Parse(WriteCommitScript, "write-commit"),
            new ReplayOptions { LogPath = log, LogBodies = true, Lifetime = TimeSpan.FromMinutes(5) }).WaitAsync(TestTimeout);
        WriteModels(agentDir, server.BaseUrl, api);

        var environment = IsolatedEnvironment(home);
        environment["PI_CODING_AGENT_DIR"] = agentDir;
        environment["PI_CODING_AGENT_SESSION_DIR"] = sessions;
        environment["PI_OFFLINE"] = "1";
        environment["PI_SKIP_VERSION_CHECK"] = "1";
        environment["PI_TELEMETRY"] = "0";
        await using var agent = JsonLinesProcess.Start(
            pi,
            ["--mode", "rpc", "--provider", "fake", "--model", "fake-model", "--session-dir", sessions,
             "--no-extensions", "--no-skills", "--no-prompt-templates", "--no-context-files"],
            workspace,
            environment);

        // pi emits no "ready" event: a get_state answer is the readiness probe (reference/agents.md §1.2).
        await agent.SendAsync("""{"id":"ready","type":"get_state"}""");
        await agent.WaitForAsync(e => IsResponse(e, "ready"), TimeSpan.FromSeconds(60));
        await agent.SendAsync("""{"id":"p1","type":"prompt","message":"Create hello.txt and commit it."}""");
        var accepted = await agent.WaitForAsync(e => IsResponse(e, "p1"), TimeSpan.FromSeconds(30));
        accepted.GetProperty("success").GetBoolean().ShouldBeTrue(agent.Transcript);

        var usages = new List<(int Input, int Output, int CacheRead)>();
        var end = await agent.WaitForAsync(
            e => Type(e) == "agent_end",
            TimeSpan.FromSeconds(90),
            seen: e =>
            {
                if (Type(e) == "message_end" && e.GetProperty("message").GetProperty("role").GetString() == "assistant")
                {
                    var usage = e.GetProperty("message").GetProperty("usage");
                    usages.Add((usage.GetProperty("input").GetInt32(), usage.GetProperty("output").GetInt32(), usage.GetProperty("cacheRead").GetInt32()));
                }
            });

        var last = end.GetProperty("messages").EnumerateArray().Last(m => m.GetProperty("role").GetString() == "assistant");
        last.GetProperty("stopReason").GetString().ShouldBe("stop", agent.Transcript);
        File.ReadAllText(Path.Combine(workspace, "hello.txt")).ShouldBe("Hello from the replay model\n");
        (await GitAsync(workspace, home, "log", "--format=%s")).ShouldStartWith("Add hello.txt");
        (await GitAsync(workspace, home, "status", "--porcelain")).ShouldBeEmpty();
        // The script's usage reaches pi unchanged, whatever the dialect's own usage shape.
        usages.ShouldBe([(1200, 40, 100), (1300, 30, 0), (1400, 12, 0)]);
        var records = ReadLog(log).Where(r => r.TryGetProperty("turn", out var turn) && turn.GetInt32() >= 0).ToList();
        records.Select(r => r.GetProperty("turn").GetInt32()).ShouldBe([0, 1, 2]);
        records.ShouldAllBe(r => r.GetProperty("dialect").GetString() == dialect);
        records[0].GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ShouldContain("write");
    }

    private static void WriteModels(string agentDir, string baseUrl, string api)
    {
        // Anthropic's SDK appends /v1 itself; the OpenAI SDKs expect it in the base URL.
        var providerUrl = api.StartsWith("openai", StringComparison.Ordinal) ? baseUrl + "/v1" : baseUrl;
        var compat = api == "openai-completions" ? """{"supportsDeveloperRole": false, "supportsReasoningEffort": false}""" : "{}";
        var models = """
            {"providers": {"fake": {"baseUrl": "BASE_URL", "api": "API", "apiKey": "fake-key", "compat": COMPAT,
              "models": [{"id": "fake-model", "name": "Fake Model", "reasoning": false, "contextWindow": 128000, "maxTokens": 4096,
                          "cost": {"input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75}}]}}}
            """;
        File.WriteAllText(
            Path.Combine(agentDir, "models.json"),
            models.Replace("BASE_URL", providerUrl, StringComparison.Ordinal).Replace("API", api, StringComparison.Ordinal).Replace("COMPAT", compat, StringComparison.Ordinal));
        // Retries off: a failure must show as a failure here, not be papered over by pi's backoff.
        File.WriteAllText(Path.Combine(agentDir, "settings.json"), """
            {"defaultProvider": "fake", "defaultModel": "fake-model", "quietStartup": true, "retry": {"enabled": false}}
            """);
    }

    private static string? Type(JsonElement e) => e.TryGetProperty("type", out var t) ? t.GetString() : null;

    private static bool IsResponse(JsonElement e, string id) =>
        Type(e) == "response" && e.TryGetProperty("id", out var i) && i.GetString() == id;
}
