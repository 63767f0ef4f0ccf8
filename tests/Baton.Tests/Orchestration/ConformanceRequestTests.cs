using System.Text.Json;
using Baton.Tests.TestSupport;
using Baton.Tests.Tracking;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// Symphony conformance of what the agent asks the client (§10.5, checklist §1.18), black-box through <c>baton run</c>
/// and the codex app-server stand-in: approvals, questions for a person, and the host-side <c>linear_graphql</c> tool.
/// </summary>
/// <remarks>
/// Baton's posture, as these tests pin it down: under <c>approval_policy: never</c> every approval request is granted
/// for the session and the turn goes on. Under any other policy nobody is there to approve, so the request is
/// declined (<c>cancel</c>), the turn is interrupted and ends <c>input_required</c>; the run is stopped (no agent
/// waits on a question) and the task shows as <c>blocked</c> in the API until a person answers or the tracker moves
/// it. A question for the user (<c>item/tool/requestUserInput</c>) always ends that way.
/// </remarks>
public sealed class ConformanceRequestTests
{
    private const string Token = "lin_api_conformance_secret_0123456789";

    [Fact]
    public async Task Approval_PolicyNever_IsGrantedForTheSessionAndTheTurnGoesOn()
    {
        await using var w = await SessionWorld.CreateAsync();
        var update = JsonSerializer.Serialize($"{BatonCli} task update \"$BATON_TASK\" --state 'Human Review'");
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), $$$"""
            {"turns": [{"steps": [{"approval": "command", "command": "touch approved.txt"}, {"approval": "fileChange"}, {"message": "Approved twice."}, {"shell": {{{update}}} }]}]}
            """);
        ConformanceWorkflows.WriteLocal(w, agent, codex: "approval_policy: never");
        var task = await w.AddTaskAsync("Needs approval");
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitForTaskStateAsync(w, task, "Human Review", 60);

        var approvals = agent.Events("approval");
        approvals.Select(a => a.GetProperty("kind").GetString()).ShouldBe(["command", "fileChange"]);
        approvals.ShouldAllBe(a => a.GetProperty("answer").GetProperty("result").GetProperty("decision").GetString() == "acceptForSession");
        agent.Received("thread/start").Single().GetProperty("approvalPolicy").GetString().ShouldBe("never");
        var state = await daemon.WaitForStateAsync(s => !Rows(s, "running").Any(), "the run ending", 30);
        Rows(state, "blocked").ShouldBeEmpty();
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    [Fact]
    public async Task Approval_PolicyOnRequest_IsDeclinedTheRunStopsAndTheTaskShowsBlocked()
    {
        await using var w = await SessionWorld.CreateAsync();
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """
            {"turns": [{"steps": [{"approval": "command", "command": "rm -rf build"}, {"message": "Went on without approval."}, {"sleep": 30000}]}]}
            """);
        ConformanceWorkflows.WriteLocal(w, agent, codex: "approval_policy: on-request");
        var task = await w.AddTaskAsync("Wants to delete");
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "blocked").Any(), "the task blocked", 60);

        var blocked = Rows(state, "blocked").Single();
        blocked.GetProperty("issue_identifier").GetString().ShouldBe(task);
        Rows(state, "running").ShouldBeEmpty();
        Rows(state, "retrying").ShouldBeEmpty();
        state.GetProperty("counts").GetProperty("blocked").GetInt32().ShouldBe(1);
        var detail = JsonDocument.Parse(await daemon.Http.GetStringAsync($"/api/v1/{task}")).RootElement;
        detail.GetProperty("status").GetString().ShouldBe("blocked");
        detail.GetRawText().ShouldContain("rm -rf build");

        // Declined and interrupted: the agent never went on, and no agent is left waiting on the question.
        agent.Received("thread/start").Single().GetProperty("approvalPolicy").GetString().ShouldBe("on-request");
        agent.Events("approval").Single().GetProperty("answer").GetProperty("result").GetProperty("decision").GetString().ShouldBe("cancel");
        agent.Received("turn/interrupt").ShouldNotBeEmpty();
        await agent.WaitForAsync(a => !StandIn.IsAlive(a.Pids.Single()), "the agent ending", 30);
        agent.Events("turn_end").Single().GetProperty("status").GetString().ShouldBe("interrupted");
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    [Fact]
    public async Task UserInput_AgentAsksAQuestion_TheTaskShowsBlockedWithTheQuestion()
    {
        await using var w = await SessionWorld.CreateAsync();
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """
            {"turns": [{"steps": [{"message": "I need to know one thing."}, {"userInput": "Which database should the cache use?"}, {"sleep": 30000}]}]}
            """);
        ConformanceWorkflows.WriteLocal(w, agent);
        var task = await w.AddTaskAsync("Ambiguous");
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "blocked").Any(), "the task blocked", 60);

        var blocked = Rows(state, "blocked").Single();
        blocked.GetProperty("issue_identifier").GetString().ShouldBe(task);
        blocked.GetRawText().ShouldContain("Which database should the cache use?");
        Rows(state, "running").ShouldBeEmpty();
        Rows(state, "retrying").ShouldBeEmpty();
        var answer = agent.Events("user_input").Single().GetProperty("answer");
        answer.TryGetProperty("error", out _).ShouldBeTrue(answer.GetRawText());
        await agent.WaitForAsync(a => !StandIn.IsAlive(a.Pids.Single()), "the agent ending", 30);

        // Blocked holds: the next polls neither retry nor dispatch it again.
        await Task.Delay(1500);
        var later = await daemon.StateAsync();
        Rows(later, "blocked").Single().GetProperty("issue_identifier").GetString().ShouldBe(task);
        agent.Pids.Count.ShouldBe(1);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    /// <summary>
    /// The blocked posture's other half: a person answers with <c>baton send</c> while no orchestrator runs (the question
    /// survives the restart in the session's blocked.json), and the next orchestrator starts a run whose prompt carries
    /// the question and the answer, once.
    /// </summary>
    [Fact]
    public async Task BatonSend_ToABlockedSessionWhileTheOrchestratorIsDown_TheNextOrchestratorRunsTheTaskWithTheAnswer()
    {
        await using var w = await SessionWorld.CreateAsync();
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """
            {"turns": [{"steps": [{"userInput": "Which database should the cache use?"}, {"sleep": 30000}]}]}
            """);
        ConformanceWorkflows.WriteLocal(w, agent);
        var task = await w.AddTaskAsync("Ambiguous");
        string session;
        await using (var first = await RunDaemon.StartAsync(w))
        {
            var state = await first.WaitForStateAsync(s => Rows(s, "blocked").Any(), "the task blocked", 60);
            session = Rows(state, "blocked").Single().GetProperty("session").GetString()!;
            await SessionWorld.WaitUntilAsync(() => File.Exists(Path.Combine(w.SessionDirectory(session), "blocked.json")), "the question recorded", 30);
            (await first.StopAsync()).ShouldBe(0);
        }

        var empty = await w.RunAsync("send", session, "   ");
        empty.ExitCode.ShouldBe(2, empty.ToString());
        empty.Stderr.ShouldContain("the answer is empty");
        var sent = await w.RunAsync("send", session, "Use PostgreSQL.", "--json");
        sent.ExitCode.ShouldBe(0, sent.ToString());
        sent.Data.GetProperty("delivered").GetString().ShouldBe("answer");

        await using var second = await RunDaemon.StartAsync(w);
        await agent.WaitForAsync(a => a.Turns.Any(t => t.Text.Contains("Use PostgreSQL.", StringComparison.Ordinal)), "the answer reaching a new run", 60);

        var answered = agent.Turns.Single(t => t.Text.Contains("Use PostgreSQL.", StringComparison.Ordinal)).Text;
        answered.ShouldContain("The earlier run asked: ", Case.Sensitive, answered);
        answered.ShouldContain("Which database should the cache use?", Case.Sensitive, answered);
        answered.ShouldContain("The answer: Use PostgreSQL.", Case.Sensitive, answered);
        // The question is closed once the answering run has started: neither a restart nor a second send answers it again.
        await SessionWorld.WaitUntilAsync(() => File.Exists(Path.Combine(w.SessionDirectory(session), "answered.json")), "the question closed", 30);
        File.Exists(Path.Combine(w.SessionDirectory(session), "answer.json")).ShouldBeFalse();
        File.Exists(Path.Combine(w.SessionDirectory(session), "blocked.json")).ShouldBeFalse();
        (await second.StopAsync()).ShouldBe(0, second.Stderr);
    }

    /// <summary>
    /// §10.5 client-side tool: <c>linear_graphql</c> is offered to Codex as a dynamic tool and executed by the
    /// orchestrator with the tracker's credential; the agent gets Linear's answer, bad input and unknown tools come
    /// back as failed tool results, and neither the agent nor its worker holds the key.
    /// </summary>
    [Fact]
    public async Task LinearGraphql_AgentCallsTheTool_TheOrchestratorRunsItWithTheKeyTheAgentNeverSeesIt()
    {
        var keyVariable = $"BATON_TEST_CONFORMANCE_KEY_{Guid.NewGuid():N}"[..40].ToUpperInvariant();
        await using var w = await SessionWorld.CreateAsync();
        await using var linear = await FakeLinearServer.StartAsync(Token);
        linear.AddIssue(FakeLinearServer.NewIssue(1));
        w.World.Environment[keyVariable] = Token;
        w.World.Environment["LINEAR_API_KEY"] = Token;

        // The key is in this process's environment too, as when a person exports it and starts baton run: the tmux
        // server inherits it, so only Baton's own stripping keeps it from the worker and the agent.
        Environment.SetEnvironmentVariable(keyVariable, Token);
        try
        {
            var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """
                {"turns": [{"steps": [
                  {"tool": "linear_graphql", "arguments": {"query": "query { viewer { id name } }", "variables": {}}},
                  {"tool": "linear_graphql", "arguments": {"query": ""}},
                  {"tool": "jira_rest", "arguments": {"path": "/issue"}},
                  {"message": "Looked myself up."}
                ], "end": "hang"}]}
                """);
            var path = ConformanceWorkflows.WriteLinear(w, linear, agent, apiKey: "$" + keyVariable);
            await using var daemon = await RunDaemon.StartAsync(w, path);

            await agent.WaitForAsync(a => a.Events("tool_result").Count == 3 && a.Events("hanging").Count == 1, "three tool calls answered", 60);

            var offered = agent.Received("thread/start").Single().GetProperty("dynamicTools");
            offered.GetArrayLength().ShouldBe(1);
            offered[0].GetProperty("name").GetString().ShouldBe("linear_graphql");
            offered[0].GetProperty("inputSchema").GetProperty("required")[0].GetString().ShouldBe("query");

            var results = agent.Events("tool_result").Select(r => r.GetProperty("answer").GetProperty("result")).ToList();
            results[0].GetProperty("success").GetBoolean().ShouldBeTrue(results[0].GetRawText());
            var text = results[0].GetProperty("contentItems")[0].GetProperty("text").GetString()!;
            JsonDocument.Parse(text).RootElement.GetProperty("data").GetProperty("viewer").GetProperty("id").GetString().ShouldBe(linear.ViewerId);
            results[1].GetProperty("success").GetBoolean().ShouldBeFalse();
            results[1].GetProperty("contentItems")[0].GetProperty("text").GetString()!.ShouldContain("non-empty `query`");
            results[2].GetProperty("success").GetBoolean().ShouldBeFalse();
            results[2].GetProperty("contentItems")[0].GetProperty("text").GetString()!.ShouldContain("Unsupported dynamic tool 'jira_rest'");

            // The request Linear saw came from the orchestrator, with the raw key.
            var call = linear.Requests.Single(r => r.Query.Contains("viewer { id name }", StringComparison.Ordinal));
            call.Authorization.ShouldBe(Token);

            // Neither the agent nor its worker holds the key (read from the kernel, not from what they say).
            var pid = agent.Pids.Single();
            var agentEnvironment = StandIn.EnvironmentOf(pid);
            agentEnvironment.ShouldNotContainKey("LINEAR_API_KEY");
            agentEnvironment.ShouldNotContainKey(keyVariable);
            agentEnvironment.Values.ShouldNotContain(Token);
            agentEnvironment["BATON_TASK"].ShouldBe("ENG-1");
            var worker = Ancestors(pid).First(p => File.ReadAllText($"/proc/{p}/cmdline").Contains("\0worker\0", StringComparison.Ordinal));
            var workerEnvironment = StandIn.EnvironmentOf(worker);
            workerEnvironment.ShouldNotContainKey(keyVariable);
            workerEnvironment.ShouldNotContainKey("LINEAR_API_KEY");
            workerEnvironment.Values.ShouldNotContain(Token);

            (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
            File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log")).ShouldSatisfyAllConditions(
                log => log.ShouldContain("agent tool call"),
                log => log.ShouldNotContain(Token));
        }
        finally
        {
            Environment.SetEnvironmentVariable(keyVariable, null);
        }
    }

    private static IEnumerable<int> Ancestors(int pid)
    {
        for (var current = StandIn.ParentOf(pid); current > 1; current = StandIn.ParentOf(current))
        {
            yield return current;
        }
    }
}
