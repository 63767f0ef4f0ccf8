using Baton.Core.Templates;
using Baton.Core.Workflows;

namespace Baton.Core.Tests.Templates;

public class PromptBuilderTests
{
    private const string Workflow =
        """
        ---
        tracker:
          kind: local
        agent:
          max_turns: 20
        ---
        You are an engineer working on {{ issue.identifier }}: {{ issue.title }}.
        {%- if attempt %}
        This is attempt {{ attempt }}{% if attempt > 1 %}; earlier attempts failed, so read the workspace notes first{% endif %}.
        {%- endif %}

        ## Task
        {{ issue.description | default: "No description was provided." | strip }}

        ## Context
        - State: {{ issue.state }}
        - Priority: {% case issue.priority %}{% when 1 %}urgent{% when 2 %}high{% when 3 %}normal{% else %}none{% endcase %}
        - Branch: `{{ issue.branch_name | default: issue.identifier | downcase }}`
        {%- if issue.labels.size > 0 %}
        - Labels: {% for label in issue.labels %}`{{ label }}`{% unless forloop.last %}, {% endunless %}{% endfor %}
        {%- endif %}
        {%- assign open_blockers = issue.blocked_by | where: "state", "In Progress" %}
        {%- if issue.blocked_by != empty %}

        ## Blockers
        {%- for blocker in issue.blocked_by %}
        {{ forloop.index }}. {{ blocker.identifier }} ({{ blocker.state | default: "unknown" }})
        {%- endfor %}
        {%- if open_blockers.size > 0 %}
        {{ open_blockers.size }} blocker(s) are still open: coordinate before merging.
        {%- endif %}
        {%- endif %}

        Created {{ issue.created_at | date: "%b %-d, %Y" }}.
        """;

    [Fact]
    public void Render_WorkflowPromptFirstRun_RendersLabelsAndBlockers()
    {
        var template = PromptBuilder.ParsePrompt(WorkflowDocument.Parse(Workflow, "WORKFLOW.md").Prompt, "WORKFLOW.md");

        PromptBuilder.Render(template, TemplateTestData.Task(), attempt: null).ShouldBe(
            """
            You are an engineer working on APP-42: Fix login redirect.

            ## Task
            Users land on /home after login.
            They should land where they started.

            ## Context
            - State: Todo
            - Priority: high
            - Branch: `app-42-fix-login-redirect`
            - Labels: `bug`, `auth`

            ## Blockers
            1. APP-40 (Done)
            2. APP-41 (In Progress)
            1 blocker(s) are still open: coordinate before merging.

            Created Jan 2, 2026.
            """);
    }

    [Fact]
    public void Render_WorkflowPromptRetryOfBareTask_RendersAttemptAndDefaults()
    {
        var template = PromptBuilder.ParsePrompt(WorkflowDocument.Parse(Workflow, "WORKFLOW.md").Prompt, "WORKFLOW.md");
        var task = TemplateTestData.Task() with { Labels = [], BlockedBy = [], Description = null, Priority = null, BranchName = null };

        PromptBuilder.Render(template, task, attempt: 2).ShouldBe(
            """
            You are an engineer working on APP-42: Fix login redirect.
            This is attempt 2; earlier attempts failed, so read the workspace notes first.

            ## Task
            No description was provided.

            ## Context
            - State: Todo
            - Priority: none
            - Branch: `app-42`

            Created Jan 2, 2026.
            """);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t\n")]
    public void ParsePrompt_BlankBody_UsesDefaultPrompt(string body)
    {
        var template = PromptBuilder.ParsePrompt(body);

        template.ShouldBeSameAs(PromptBuilder.DefaultTemplate);
        PromptBuilder.Render(template, TemplateTestData.Task(), attempt: null).ShouldBe(
            """
            You are working on an issue from the configured tracker.

            Identifier: APP-42
            Title: Fix login redirect

            Description:
            Users land on /home after login.
            They should land where they started.
            """);
    }

    [Fact]
    public void DefaultTemplate_NoDescription_SaysSo() =>
        PromptBuilder.Render(PromptBuilder.DefaultTemplate, TemplateTestData.Task() with { Description = "  " }, attempt: 1)
            .ShouldEndWith("Description:\nNo description provided.");

    [Fact]
    public void ParsePrompt_InvalidBody_FailsInsteadOfFallingBack()
    {
        var error = Should.Throw<TemplateException>(() => PromptBuilder.ParsePrompt("Work on {{ issue.title", "WORKFLOW.md", firstLine: 8));

        error.Code.ShouldBe(WorkflowErrorCodes.TemplateParseError);
        error.Message.ShouldStartWith("WORKFLOW.md:8:9: ");
    }

    [Fact]
    public void IssueInput_Task_HasSymphonyKeysNestedValuesAndIsoDates()
    {
        var issue = PromptBuilder.IssueInput(TemplateTestData.Task());

        issue.Keys.ShouldBe(
            ["id", "identifier", "title", "description", "priority", "state", "branch_name", "url", "assignee", "labels",
             "blocked_by", "created_at", "updated_at", "project", "comments"],
            ignoreOrder: true);
        issue["assignee"].ShouldBeNull();
        issue["priority"].ShouldBe(2);
        issue["labels"].ShouldBe(new List<string> { "bug", "auth" });
        issue["created_at"].ShouldBe("2026-01-02T03:04:05Z");
        issue["updated_at"].ShouldBe("2026-01-03T08:00:00Z");
        var blocker = ((List<object?>)issue["blocked_by"]!)[1].ShouldBeOfType<Dictionary<string, object?>>();
        blocker.ShouldBe(new Dictionary<string, object?> { ["id"] = "t-41", ["identifier"] = "APP-41", ["state"] = "In Progress" });
        var comment = ((List<object?>)issue["comments"]!)[0].ShouldBeOfType<Dictionary<string, object?>>();
        comment["created_at"].ShouldBe("2026-01-02T09:00:00Z");
    }

    [Fact]
    public void IssueInput_Extra_IsAddedAndWins()
    {
        var issue = PromptBuilder.IssueInput(
            TemplateTestData.Task(),
            new Dictionary<string, object?> { ["team"] = "web", ["state"] = "Rework" });

        issue["team"].ShouldBe("web");
        issue["state"].ShouldBe("Rework");
    }

    [Fact]
    public void IssueInput_FractionalSeconds_AreKept() =>
        PromptBuilder.IssueInput(TemplateTestData.Task() with { CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 120, TimeSpan.Zero) })["created_at"]
            .ShouldBe("2026-01-02T03:04:05.12Z");

    [Fact]
    public void Inputs_Attempt_IsAlwaysDefined()
    {
        var inputs = PromptBuilder.Inputs(new Dictionary<string, object?>(), attempt: null);

        inputs.ContainsKey("attempt").ShouldBeTrue();
        inputs["attempt"].ShouldBeNull();
    }

    [Fact]
    public void Inputs_AttemptZero_Throws() =>
        Should.Throw<ArgumentOutOfRangeException>(() => PromptBuilder.Inputs(new Dictionary<string, object?>(), attempt: 0));

    [Fact]
    public void Render_TemplateUsingUnknownIssueField_FailsTheAttempt()
    {
        var template = PromptBuilder.ParsePrompt("Fix {{ issue.titel }}");

        var error = Should.Throw<TemplateException>(() => PromptBuilder.Render(template, TemplateTestData.Task(), attempt: null));

        error.Code.ShouldBe(WorkflowErrorCodes.TemplateRenderError);
        error.Suggestion.ShouldContain("title");
    }

    [Fact]
    public void AnswerGuidance_QuestionAndAnswer_CarriesBothTrimmed()
    {
        var text = PromptBuilder.AnswerGuidance("  Which region? ", " eu-west-1\n");

        text.ShouldContain("The earlier run asked: Which region?");
        text.ShouldContain("The answer: eu-west-1");
    }

    [Fact]
    public void AnswerGuidance_NoQuestion_SaysItWasNotRecorded() =>
        PromptBuilder.AnswerGuidance(null, "yes").ShouldContain("(the question was not recorded)");

    [Fact]
    public void ContinuationGuidance_Turn_NamesTurnAndMax()
    {
        var text = PromptBuilder.ContinuationGuidance(2, 20);

        text.ShouldStartWith("Continuation guidance:");
        text.ShouldContain("This is continuation turn #2 of 20");
        text.ShouldNotContain("{{");
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(6, 5)]
    public void ContinuationGuidance_OutOfRange_Throws(int turn, int max) =>
        Should.Throw<ArgumentOutOfRangeException>(() => PromptBuilder.ContinuationGuidance(turn, max));
}
