using System.Text.Json;
using Baton.Tests.Orchestration;
using Baton.Tests.TestSupport;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Web;

/// <summary>The live events a real <c>baton run</c> publishes for the dashboard.</summary>
public sealed class OrchestratorEventsTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Events_RealSession_PublishesItsWorkerEventsAndTheState()
    {
        await using var w = await SessionWorld.CreateAsync();
        var go = Path.Combine(w.World.Root, "go");
        Write(w, $"""
            while [ ! -f {go} ]; do sleep 0.1; done
            echo "checking the build"
            sleep 7304
            """);
        var task = await w.AddTaskAsync("Watch me live");
        await using var daemon = await RunDaemon.StartAsync(w);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        await using var sse = await SseClient.ConnectAsync(http, daemon.Http.BaseAddress + "api/v1/events", s_bound);

        var state = await NextAsync(sse, "state", d => d.GetProperty("running").GetArrayLength() == 1 && d.GetProperty("running")[0].GetProperty("session").ValueKind == JsonValueKind.String);
        var session = state.GetProperty("running")[0].GetProperty("session").GetString();
        File.WriteAllText(go, string.Empty);
        var said = await NextAsync(sse, "session", d => d.GetProperty("type").GetString() == "agent_message");

        state.GetProperty("running")[0].GetProperty("title").GetString().ShouldBe("Watch me live");
        state.GetProperty("running")[0].GetProperty("issue_identifier").GetString().ShouldBe(task);
        said.GetProperty("session").GetString().ShouldBe(session);
        said.GetProperty("words").GetString().ShouldBe("said: checking the build");
        (await daemon.StopAsync()).ShouldBe(0);
    }

    private static async Task<JsonElement> NextAsync(SseClient sse, string type, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + s_bound;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            left.ShouldBeGreaterThan(TimeSpan.Zero, $"no {type} event matched within {s_bound.TotalSeconds} s");
            var frame = await sse.NextEventAsync(left);
            if (frame.Event == type && frame.Data is { } data && JsonDocument.Parse(data).RootElement.Clone() is var json && condition(json))
            {
                return json;
            }
        }
    }
}
