using Baton.Tests.TestSupport;
using Baton.Tests.Tracking;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// <c>baton run path/to/WORKFLOW.md</c> with <c>tracker.kind: linear</c> against <see cref="FakeLinearServer"/>: a bare
/// workflow gets a derived project, directory workspaces under <c>workspace.root</c>, and agents that never see the key.
/// </summary>
public sealed class RunLinearTests
{
    private const string Token = "lin_api_fake_secret_0123456789";

    [Fact]
    public async Task Run_LinearWorkflow_DispatchesTodoIssuesHidesTheKeyAndStopsADoneIssue()
    {
        await using var w = await SessionWorld.CreateAsync();
        await using var linear = await FakeLinearServer.StartAsync(Token);
        linear.AddIssue(FakeLinearServer.NewIssue(1));
        linear.AddIssue(FakeLinearServer.NewIssue(2));
        w.World.Environment["LINEAR_API_KEY"] = Token;
        var log = Path.Combine(w.World.Root, "agents.log");
        var root = Path.Combine(w.World.Root, "workspaces");
        var path = WriteWorkflow(w, linear, root, $"""
            echo "$BATON_TASK" >> {log}
            echo ran > ran.txt
            env > env.txt
            sleep 6547
            """);

        await using var daemon = await RunDaemon.StartAsync(w, path);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "running").Count(r => r.GetProperty("session_id").ValueKind == System.Text.Json.JsonValueKind.String) == 2, "both issues running");
        Rows(state, "running").Select(r => r.GetProperty("issue_identifier").GetString()).Order().ShouldBe(["ENG-1", "ENG-2"]);
        await SessionWorld.WaitUntilAsync(() => File.Exists(Path.Combine(root, "ENG-1", "env.txt")) && File.Exists(Path.Combine(root, "ENG-2", "env.txt")), "both agents running in their workspaces", 60);
        File.ReadAllText(Path.Combine(root, "ENG-1", "ran.txt")).ShouldBe("ran\n");
        File.ReadAllLines(log).Order().ShouldBe(["ENG-1", "ENG-2"]);
        await SessionWorld.WaitUntilAsync(() => new FileInfo(Path.Combine(root, "ENG-1", "env.txt")).Length > 0, "env written", 30);
        var environment = File.ReadAllText(Path.Combine(root, "ENG-1", "env.txt"));
        environment.ShouldContain("BATON_TASK=ENG-1");
        environment.ShouldNotContain("LINEAR_API_KEY");
        environment.ShouldNotContain(Token);

        linear.Issue(FakeLinearServer.IssueId(1)).State = "Done";

        await daemon.WaitForStateAsync(s => Rows(s, "running").Select(r => r.GetProperty("issue_identifier").GetString()).SequenceEqual(["ENG-2"]), "ENG-1 stopped by reconciliation", 90);
        await SessionWorld.WaitUntilAsync(() => SessionWorld.ProcessesWithCommandLine("sleep 6547").Count == 1, "one agent left", 60);
        daemon.Stdout.ShouldNotContain(Token);
        daemon.Stderr.ShouldNotContain(Token);
        (await daemon.StopAsync()).ShouldBe(0);
        File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log")).ShouldNotContain(Token);
    }

    [Fact]
    public async Task Run_LinearWorkflowWithApiKeyInAnotherVariable_KeepsThatVariableFromTheAgent()
    {
        // The tmux server inherits this process's environment, so a variable set here reaches the worker unless
        // the manifest's secret names remove it; a harmless twin shows the path is real.
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var secretName = $"BATON_TEST_LINEAR_KEY_{suffix}";
        var visibleName = $"BATON_TEST_VISIBLE_{suffix}";
        await using var w = await SessionWorld.CreateAsync();
        await using var linear = await FakeLinearServer.StartAsync(Token);
        linear.AddIssue(FakeLinearServer.NewIssue(1));
        w.World.Environment[secretName] = Token;
        Environment.SetEnvironmentVariable(secretName, Token);
        Environment.SetEnvironmentVariable(visibleName, "yes");
        try
        {
            var root = Path.Combine(w.World.Root, "workspaces");
            var path = WriteWorkflow(w, linear, root, "env > env.tmp && mv env.tmp env.txt\nsleep 6548", apiKey: "$" + secretName);
            await using var daemon = await RunDaemon.StartAsync(w, path);

            await SessionWorld.WaitUntilAsync(() => File.Exists(Path.Combine(root, "ENG-1", "env.txt")), "the agent writing its environment", 90);

            var environment = File.ReadAllText(Path.Combine(root, "ENG-1", "env.txt"));
            environment.ShouldContain($"{visibleName}=yes");
            environment.ShouldNotContain(secretName);
            environment.ShouldNotContain(Token);
            (await daemon.StopAsync()).ShouldBe(0);
        }
        finally
        {
            Environment.SetEnvironmentVariable(secretName, null);
            Environment.SetEnvironmentVariable(visibleName, null);
        }
    }

    [Fact]
    public async Task Run_LinearWorkflowWithoutApiKey_FailsAtStartupWithMissingLinearApiToken()
    {
        await using var w = await SessionWorld.CreateAsync();
        await using var linear = await FakeLinearServer.StartAsync(Token);
        w.World.Environment["OTHER_VAR"] = Token;
        var path = WriteWorkflow(w, linear, Path.Combine(w.World.Root, "workspaces"), "true");

        var (code, stdout, stderr) = await RunDaemon.RunToEndAsync(w, path);

        code.ShouldNotBe(0);
        stderr.ShouldContain("missing_linear_api_token");
        (stdout + stderr).ShouldNotContain(Token);
    }

    [Fact]
    public async Task Run_LinearWorkflowInABatonYamlProject_IsUnsupportedTrackerKind()
    {
        await using var w = await SessionWorld.CreateAsync();
        File.WriteAllText(Path.Combine(w.World.Repo, "WORKFLOW.md"), "---\ntracker:\n  kind: linear\n  project_slug: x\n---\nprompt\n");

        var (code, _, stderr) = await RunDaemon.RunToEndAsync(w);

        code.ShouldNotBe(0);
        stderr.ShouldContain("unsupported_tracker_kind");
    }

    private static string WriteWorkflow(SessionWorld w, FakeLinearServer linear, string root, string command, string apiKey = "$LINEAR_API_KEY")
    {
        var directory = Path.Combine(w.World.Root, "linear-flow");
        Directory.CreateDirectory(directory);
        var indented = string.Join("\n", command.Split('\n').Select(l => "    " + l));
        var path = Path.Combine(directory, "WORKFLOW.md");
        File.WriteAllText(path, $"""
            ---
            tracker:
              kind: linear
              provider:
                endpoint: {linear.Endpoint}
                api_key: {apiKey}
                project_slug: {FakeLinearServer.DefaultProjectSlug}
            polling:
              interval_ms: 500
            workspace:
              root: {root}
            agent:
              kind: command
              command: |-
            {indented}
            ---
            Work on {"{{ issue.identifier }}"}: {"{{ issue.title }}"}
            """);
        return path;
    }
}
