using Baton.Core.Errors;
using Baton.Core.Workflows;

namespace Baton.Core.Tests.Workflows;

public class WorkflowTests
{
    private static readonly Dictionary<string, string> s_env = new() { ["WS_ROOT"] = "/data/ws", ["EMPTY"] = "" };

    private static WorkflowSettings Settings(string text, string path = "/repo/WORKFLOW.md") =>
        WorkflowSettings.From(WorkflowDocument.Parse(text, path), name => s_env.GetValueOrDefault(name), "/home/u", "/tmp");

    [Fact]
    public void Parse_FrontMatterAndBody_AreSplitAndTheBodyTrimmed()
    {
        var document = WorkflowDocument.Parse("---\ntracker:\n  kind: linear\n---\n\n  Fix {{ issue.title }}\n\n", "/r/WORKFLOW.md");

        document.Prompt.ShouldBe("Fix {{ issue.title }}");
        ((Dictionary<string, object?>)document.FrontMatter["tracker"]!)["kind"].ShouldBe("linear");
    }

    [Fact]
    public void Parse_NoFrontMatter_WholeFileIsThePrompt()
    {
        var document = WorkflowDocument.Parse("Just do it.\n---\nnot yaml\n", "/r/WORKFLOW.md");

        document.FrontMatter.ShouldBeEmpty();
        document.Prompt.ShouldBe("Just do it.\n---\nnot yaml");
    }

    [Fact]
    public void Parse_UnclosedFrontMatter_IsAllYamlWithAnEmptyPrompt()
    {
        var document = WorkflowDocument.Parse("---\npolling:\n  interval_ms: 5\n", "/r/WORKFLOW.md");

        document.Prompt.ShouldBeEmpty();
        document.FrontMatter.ContainsKey("polling").ShouldBeTrue();
    }

    [Fact]
    public void Parse_FrontMatterList_IsNotAMap() =>
        Should.Throw<BatonException>(() => WorkflowDocument.Parse("---\n- a\n- b\n---\nx", "/r/WORKFLOW.md")).Code.ShouldBe(WorkflowErrorCodes.FrontMatterNotAMap);

    [Fact]
    public void Parse_BadYaml_IsAParseErrorWithTheFileLine()
    {
        var error = Should.Throw<BatonException>(() => WorkflowDocument.Parse("---\nhooks:\n  after_create: [\n---\nx", "/r/WORKFLOW.md"));

        error.Code.ShouldBe(WorkflowErrorCodes.ParseError);
        error.Message.ShouldStartWith("WORKFLOW.md:");
    }

    [Fact]
    public void From_Empty_HasTheSpecDefaults()
    {
        var s = Settings("Prompt only");

        s.PollIntervalMs.ShouldBe(30_000);
        s.WorkspaceRoot.ShouldBe("/tmp/symphony_workspaces");
        s.Hooks.TimeoutMs.ShouldBe(60_000);
        s.Agent.MaxConcurrentAgents.ShouldBe(10);
        s.Agent.MaxTurns.ShouldBe(20);
        s.Agent.MaxRetryBackoffMs.ShouldBe(300_000);
        s.Codex.Command.ShouldBe("codex app-server");
        s.Codex.TurnTimeoutMs.ShouldBe(3_600_000);
        s.Codex.ReadTimeoutMs.ShouldBe(5_000);
        s.Codex.StallTimeoutMs.ShouldBe(300_000);
        s.ServerPort.ShouldBeNull();
        s.ServerHost.ShouldBe("127.0.0.1");
        s.Tracker.RequiredLabels.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("~/ws", "/home/u/ws")]
    [InlineData("$WS_ROOT", "/data/ws")]
    [InlineData("$WS_ROOT/sub", "/data/ws/sub")]
    [InlineData("ws", "/repo/ws")]
    [InlineData("../ws", "/ws")]
    [InlineData("/abs/ws", "/abs/ws")]
    public void From_WorkspaceRoot_ExpandsHomeVariablesAndRelativePaths(string root, string expected) =>
        Settings($"---\nworkspace:\n  root: {root}\n---\n").WorkspaceRoot.ShouldBe(expected);

    [Fact]
    public void From_RootVariableThatIsEmpty_IsInvalid() =>
        Should.Throw<BatonException>(() => Settings("---\nworkspace:\n  root: $EMPTY\n---\n")).Message.ShouldContain("$EMPTY");

    [Fact]
    public void From_Hooks_KeepScriptsVerbatim()
    {
        var s = Settings("---\nhooks:\n  after_create: |\n    git clone x .\n    npm ci\n  timeout_ms: 1234\n---\n");

        s.Hooks.AfterCreate.ShouldBe("git clone x .\nnpm ci\n");
        s.Hooks.TimeoutMs.ShouldBe(1234);
        s.Hooks.BeforeRun.ShouldBeNull();
    }

    [Theory]
    [InlineData("hooks:\n  timeout_ms: 0", "hooks.timeout_ms")]
    [InlineData("hooks:\n  timeout_ms: soon", "hooks.timeout_ms")]
    [InlineData("agent:\n  max_turns: -1", "agent.max_turns")]
    [InlineData("polling:\n  interval_ms: 0", "polling.interval_ms")]
    [InlineData("codex:\n  command: '  '", "codex.command")]
    [InlineData("tracker:\n  active_states: Todo, In Progress", "tracker.active_states")]
    [InlineData("workspace:\n  strategy: clone", "workspace.strategy")]
    [InlineData("server:\n  port: 70000", "server.port")]
    public void From_InvalidValues_FailValidationNamingTheKey(string yaml, string key)
    {
        var error = Should.Throw<BatonException>(() => Settings($"---\n{yaml}\n---\n"));

        error.Code.ShouldBe(WorkflowErrorCodes.Invalid);
        error.Message.ShouldContain(key);
    }

    [Fact]
    public void From_PerStateLimits_NormalizeKeysAndIgnoreInvalidEntries()
    {
        var s = Settings("---\nagent:\n  max_concurrent_agents_by_state:\n    ' In Progress ': 2\n    Todo: 0\n    Review: many\n    Merging: 1\n---\n");

        s.Agent.MaxConcurrentAgentsByState.ShouldBe(new Dictionary<string, int> { ["in progress"] = 2, ["merging"] = 1 });
    }

    [Fact]
    public void From_StallTimeoutZero_IsAllowed() =>
        Settings("---\ncodex:\n  stall_timeout_ms: 0\n---\n").Codex.StallTimeoutMs.ShouldBe(0);

    [Fact]
    public void From_UnknownTopLevelKeys_AreIgnored() =>
        Settings("---\nobservability:\n  dashboard_enabled: false\nsomething: 1\n---\n").PollIntervalMs.ShouldBe(30_000);

    [Fact]
    public void From_TrackerProviderMap_IsKeptWhole()
    {
        var s = Settings("---\ntracker:\n  kind: linear\n  provider:\n    project_slug: abc\n    custom: [1, 2]\n  required_labels: [Agent]\n---\n");

        s.Tracker.Kind.ShouldBe("linear");
        s.Tracker.Provider["project_slug"].ShouldBe("abc");
        s.Tracker.Provider.ContainsKey("custom").ShouldBeTrue();
        s.Tracker.RequiredLabels.ShouldBe(["Agent"]);
    }
}
