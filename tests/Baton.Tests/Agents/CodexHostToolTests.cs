using System.Text.Json.Nodes;
using Baton.Agents;
using Baton.Agents.Codex;
using Baton.Core.Events;
using static Baton.Tests.Agents.CodexTestBed;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Agents;

/// <summary>
/// The real Codex CLI (0.169.0) with a host-side tool offered as a dynamic tool (§10.5): the model calls
/// <c>linear_graphql</c>, Codex asks Baton with <c>item/tool/call</c>, and the model gets Baton's answer.
/// </summary>
public class CodexHostToolTests
{
    [Fact]
    public async Task AppServer_ModelCallsAHostTool_CodexAsksBatonAndTheModelReadsTheAnswer()
    {
        await using var bed = await StartAsync(
            """
            [
              {"tool_calls": [{"name": "linear_graphql", "arguments": {"query": "query { viewer { id } }"}}], "usage": {"input": 800, "output": 20}},
              {"text": "You are viewer-from-baton.", "usage": {"input": 900, "output": 8}}
            ]
            """,
            logBodies: true);
        var tools = new RecordingHostTools("""{"data":{"viewer":{"id":"viewer-from-baton"}}}""");
        var context = bed.Context() with { HostTools = tools };
        var options = new CodexAdapterOptions { Mode = CodexMode.AppServer, ReadTimeout = TimeSpan.FromSeconds(30) };
        await using var connection = await new CodexAdapter(options).StartAsync(context, bed.Sink, CancellationToken.None).WaitAsync(TurnTimeout);

        await connection.SendPromptAsync("Who am I on Linear?", CancellationToken.None).WaitAsync(TurnTimeout);
        var finished = await bed.Sink.TurnFinishedAsync(TurnTimeout);

        finished.Outcome.ShouldBe(Outcomes.Succeeded, bed.Sink.Describe());
        var call = tools.Calls.ShouldHaveSingleItem();
        call.Tool.ShouldBe("linear_graphql");
        call.Arguments!["query"]!.GetValue<string>().ShouldBe("query { viewer { id } }");
        bed.Sink.Events.ShouldContain(e => e.Type == WorkerEventTypes.ToolFinished && e.ToolName == "linear_graphql" && e.IsError == false, bed.Sink.Describe());
        bed.Sink.Events.Last(e => e.Type == WorkerEventTypes.AgentMessage).Text.ShouldBe("You are viewer-from-baton.");

        // The model's second request carried the tool's output.
        File.ReadAllText(bed.RequestLog).ShouldContain("viewer-from-baton");
        await connection.StopAsync(TimeSpan.FromSeconds(6), CancellationToken.None).WaitAsync(TestTimeout);
    }

    private sealed class RecordingHostTools(string answer) : IHostTools
    {
        private readonly Lock _lock = new();
        private readonly List<(string Tool, JsonNode? Arguments)> _calls = [];

        public IReadOnlyList<HostToolSpec> Specs { get; } = [HostToolCatalog.Find("linear_graphql")!];

        public IReadOnlyList<(string Tool, JsonNode? Arguments)> Calls
        {
            get
            {
                lock (_lock)
                {
                    return [.. _calls];
                }
            }
        }

        public Task<HostToolResult> CallAsync(string tool, JsonNode? arguments, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                _calls.Add((tool, arguments));
            }

            return Task.FromResult(new HostToolResult(true, answer));
        }
    }
}
