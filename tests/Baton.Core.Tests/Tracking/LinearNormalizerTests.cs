using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Tasks;
using Baton.Core.Tracking;

namespace Baton.Core.Tests.Tracking;

public sealed class LinearNormalizerTests
{
    private static readonly LinearNormalizeContext NoRouting = new("proj", null, LinearSettings.DefaultTerminalStates);

    private const string FullIssue =
        """
        {
          "id": "issue-1", "identifier": "ENG-1", "title": "  Fix it  ", "description": "  keep spacing ",
          "priority": 3, "state": { "name": "In Progress" }, "branchName": "eng-1-fix", "url": "https://linear.app/x/issue/ENG-1",
          "assignee": { "id": "user-1" },
          "labels": { "nodes": [ { "name": " Bug " }, { "name": "bug" }, { "name": "" }, { "name": "Backend" }, { "name": null } ] },
          "inverseRelations": { "nodes": [
            { "type": "blocks", "issue": { "id": "issue-9", "identifier": "ENG-9", "state": { "name": "Todo" } } },
            { "type": "blocks", "issue": { "id": "issue-9", "identifier": "ENG-9", "state": { "name": "Todo" } } },
            { "type": "related", "issue": { "id": "issue-8", "identifier": "ENG-8", "state": { "name": "Todo" } } },
            { "type": "duplicate", "issue": { "id": "issue-7", "identifier": "ENG-7", "state": { "name": "Done" } } },
            { "type": "blocks", "issue": { "id": "issue-6", "identifier": "ENG-6", "state": null } },
            { "type": "blocks", "issue": null }
          ] },
          "createdAt": "2026-03-01T10:00:00.000Z", "updatedAt": "2026-03-02T11:30:00+02:00"
        }
        """;

    [Fact]
    public void Normalize_FullIssue_MapsEveryField()
    {
        var task = LinearNormalizer.Normalize(Json(FullIssue), NoRouting, out var problem).ShouldNotBeNull();

        problem.ShouldBeEmpty();
        task.Id.ShouldBe("issue-1");
        task.Identifier.ShouldBe("ENG-1");
        task.Project.ShouldBe("proj");
        task.Title.ShouldBe("Fix it");
        task.Description.ShouldBe("  keep spacing ");
        task.Priority.ShouldBe(3);
        task.State.ShouldBe("In Progress");
        task.BranchName.ShouldBe("eng-1-fix");
        task.Url.ShouldBe("https://linear.app/x/issue/ENG-1");
        task.Assignee.ShouldBe("user-1");
        task.Labels.ShouldBe(["bug", "backend"]);
        task.BlockedBy.ShouldBe([new TaskBlocker("issue-9", "ENG-9", "Todo"), new TaskBlocker("issue-6", "ENG-6", null)]);
        task.CreatedAt.ShouldBe(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        task.UpdatedAt.ShouldBe(new DateTimeOffset(2026, 3, 2, 9, 30, 0, TimeSpan.Zero));
        task.Dispatchable.ShouldBeTrue("In Progress is not covered by the Todo-blocker rule");
    }

    [Theory]
    [InlineData("2", 2)]
    [InlineData("0", 0)]
    [InlineData("2.5", null)]
    [InlineData("2.0", null)]
    [InlineData("\"2\"", null)]
    [InlineData("null", null)]
    public void Normalize_Priority_IsAnIntegerOrNull(string priority, int? expected)
    {
        var task = LinearNormalizer.Normalize(Json(Minimal($"\"priority\": {priority},")), NoRouting, out _).ShouldNotBeNull();

        task.Priority.ShouldBe(expected);
    }

    [Fact]
    public void Normalize_MinimalIssue_HasEmptyListsAndNulls()
    {
        var task = LinearNormalizer.Normalize(Json(Minimal("")), NoRouting, out _).ShouldNotBeNull();

        task.Labels.ShouldBeEmpty();
        task.BlockedBy.ShouldBeEmpty();
        task.Assignee.ShouldBeNull();
        task.Description.ShouldBeNull();
        task.Priority.ShouldBeNull();
        task.BranchName.ShouldBeNull();
    }

    [Theory]
    [InlineData("\"id\": null,", "missing_id")]
    [InlineData("\"identifier\": \"  \",", "missing_identifier")]
    [InlineData("\"title\": 5,", "missing_title")]
    [InlineData("\"state\": null,", "missing_state")]
    [InlineData("\"createdAt\": \"yesterday\",", "invalid_created_at")]
    public void Normalize_MalformedRecord_IsNullWithTheReason(string overrideField, string reason)
    {
        LinearNormalizer.Normalize(Json(Minimal(overrideField)), NoRouting, out var problem).ShouldBeNull();

        problem.ShouldContain($"reason={reason}");
    }

    [Fact]
    public void Normalize_NotAnObject_IsNull()
    {
        LinearNormalizer.Normalize(Json("[1]"), NoRouting, out var problem).ShouldBeNull();

        problem.ShouldBe("reason=not_an_object");
    }

    [Theory]
    [InlineData("Todo", null, true)]
    [InlineData("Todo", "Done", true)]
    [InlineData("Todo", "canceled", true)]
    [InlineData("Todo", "In Progress", false)]
    [InlineData("todo", "Backlog", false)]
    [InlineData(" TODO ", "", false)]
    [InlineData("Todo", "(null)", false)]
    [InlineData("In Progress", "In Progress", true)]
    [InlineData("In Progress", "(null)", true)]
    public void IsDispatchable_TodoBlockerRule(string state, string? blockerState, bool expected)
    {
        IReadOnlyList<TaskBlocker> blockers = blockerState switch
        {
            null => [],
            "(null)" => [new TaskBlocker("b", "ENG-2", null)],
            _ => [new TaskBlocker("b", "ENG-2", blockerState)],
        };

        LinearNormalizer.IsDispatchable(state, null, blockers, NoRouting).ShouldBe(expected);
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(null, "user-1", true)]
    [InlineData("user-1", "user-1", true)]
    [InlineData("user-1", "user-2", false)]
    [InlineData("user-1", null, false)]
    public void IsDispatchable_AssigneeRouting(string? routing, string? assignee, bool expected) =>
        LinearNormalizer.IsDispatchable("In Progress", assignee, [], NoRouting with { RoutingAssigneeId = routing }).ShouldBe(expected);

    [Fact]
    public void ReadPage_MalformedRecord_IsDroppedAndReported()
    {
        var data = Json($$"""{ "issues": { "nodes": [ {{Minimal("\"title\": null,")}}, {{Minimal("\"id\": \"ok\",")}} ], "pageInfo": { "hasNextPage": false, "endCursor": "c1" } } }""");

        var page = LinearNormalizer.ReadPage(data, NoRouting);

        page.Tasks.ShouldHaveSingleItem().Id.ShouldBe("ok");
        page.Dropped.ShouldHaveSingleItem().ShouldBe("index=0 id=issue-x reason=missing_title");
        page.NextCursor.ShouldBeNull();
    }

    [Theory]
    [InlineData("""{ "hasNextPage": true, "endCursor": "abc" }""", "abc")]
    [InlineData("""{ "hasNextPage": false, "endCursor": "abc" }""", null)]
    [InlineData("""{ "hasNextPage": false, "endCursor": null }""", null)]
    [InlineData("""{ }""", null)]
    public void NextCursor_PageInfo_GivesTheCursorOrNull(string pageInfo, string? expected) =>
        LinearNormalizer.NextCursor(Json(pageInfo)).ShouldBe(expected);

    [Theory]
    [InlineData("""{ "hasNextPage": true, "endCursor": null }""")]
    [InlineData("""{ "hasNextPage": true, "endCursor": "" }""")]
    [InlineData("""{ "hasNextPage": true }""")]
    public void NextCursor_NextPageWithoutCursor_IsAPaginationError(string pageInfo)
    {
        var error = Should.Throw<TrackerException>(() => LinearNormalizer.NextCursor(Json(pageInfo)));

        error.Code.ShouldBe(TrackerErrorCodes.Pagination);
        error.Reason.ShouldBe("linear_missing_end_cursor");
    }

    [Fact]
    public void ReadPage_NoPageInfo_IsAPaginationError() =>
        Should.Throw<TrackerException>(() => LinearNormalizer.ReadPage(Json("""{ "issues": { "nodes": [] } }"""), NoRouting)).Code.ShouldBe(TrackerErrorCodes.Pagination);

    [Fact]
    public void ReadIssuesById_MalformedRecord_FailsTheBatch()
    {
        var data = Json($$"""{ "issues": { "nodes": [ {{Minimal("")}}, {{Minimal("\"state\": {},")}} ] } }""");

        var error = Should.Throw<TrackerException>(() => LinearNormalizer.ReadIssuesById(data, NoRouting));

        error.Code.ShouldBe(TrackerErrorCodes.Response);
        error.Reason.ShouldBe("linear_unknown_payload");
        error.Message.ShouldContain("missing_state");
    }

    [Theory]
    [InlineData(200, """{"data":{"ok":true}}""", null, null)]
    [InlineData(500, """{"errors":[{"message":"boom"}]}""", TrackerErrorCodes.Status, "linear_api_status")]
    [InlineData(502, "<html>Bad gateway</html>", TrackerErrorCodes.Status, "linear_api_status")]
    [InlineData(401, """{"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR"}}]}""", TrackerErrorCodes.Status, "linear_api_status")]
    [InlineData(429, "", TrackerErrorCodes.RateLimited, "linear_rate_limited")]
    [InlineData(400, """{"errors":[{"message":"Rate limit exceeded","extensions":{"type":"ratelimited","code":"RATELIMITED"}}]}""", TrackerErrorCodes.RateLimited, "linear_rate_limited")]
    [InlineData(200, """{"errors":[{"message":"slow down","extensions":{"code":"RATELIMITED"}}],"data":null}""", TrackerErrorCodes.RateLimited, "linear_rate_limited")]
    [InlineData(200, """{"errors":[{"message":"Entity not found"}],"data":{"issues":null}}""", TrackerErrorCodes.Response, "linear_graphql_errors")]
    [InlineData(200, """{"data":{"issues":{"nodes":[""", TrackerErrorCodes.Response, "linear_unknown_payload")]
    [InlineData(200, "", TrackerErrorCodes.Response, "linear_unknown_payload")]
    [InlineData(200, "[1,2]", TrackerErrorCodes.Response, "linear_unknown_payload")]
    [InlineData(200, """{"data":null}""", TrackerErrorCodes.Response, "linear_unknown_payload")]
    [InlineData(200, """{"errors":[]}""", TrackerErrorCodes.Response, "linear_unknown_payload")]
    public void ReadData_Answer_IsDataOrTheRightCategory(int status, string body, string? code, string? reason)
    {
        if (code is null)
        {
            LinearNormalizer.ReadData(status, body, "Op").GetProperty("ok").GetBoolean().ShouldBeTrue();
            return;
        }

        var error = Should.Throw<TrackerException>(() => LinearNormalizer.ReadData(status, body, "Op"));

        error.Code.ShouldBe(code);
        error.Reason.ShouldBe(reason);
        error.Message.ShouldContain("Op");
        if (status != 200)
        {
            error.Status.ShouldBe(status);
        }
    }

    [Fact]
    public void ReadData_GraphQLErrors_QuoteTheFirstMessages()
    {
        var body = """{"errors":[{"message":"one"},{"message":"two"},{"message":"three"},{"message":"four"},{"message":"five"}]}""";

        var error = Should.Throw<TrackerException>(() => LinearNormalizer.ReadData(200, body, "Op"));

        error.Message.ShouldEndWith("one; two; three (+2 more)");
    }

    [Fact]
    public void ReadViewerId_ViewerWithoutId_IsMissingViewerIdentity()
    {
        LinearNormalizer.ReadViewerId(Json("""{"viewer":{"id":"u-1"}}""")).ShouldBe("u-1");
        Should.Throw<TrackerException>(() => LinearNormalizer.ReadViewerId(Json("""{"viewer":null}"""))).Reason.ShouldBe("missing_linear_viewer_identity");
    }

    [Fact]
    public void ReadIssueStates_TeamStates_FindsByNameIgnoringCase()
    {
        var data = Json("""
            { "issue": { "id": "i-1", "state": { "id": "s-2", "name": "Todo" }, "team": { "id": "t", "key": "ENG", "states": { "nodes": [
              { "id": "s-1", "name": "Backlog", "type": "backlog" }, { "id": "s-2", "name": "Todo", "type": "unstarted" }, { "id": "s-3", "name": "Human Review", "type": "started" } ] } } } }
            """);

        var states = LinearNormalizer.ReadIssueStates(data, "i-1");

        states.CurrentStateId.ShouldBe("s-2");
        states.TeamKey.ShouldBe("ENG");
        LinearNormalizer.FindState(states, " human REVIEW ").ShouldBe(new LinearWorkflowState("s-3", "Human Review", "started"));
        LinearNormalizer.FindState(states, "Done").ShouldBeNull();
    }

    [Fact]
    public void ReadIssueStates_NullIssue_IsTaskNotFound() =>
        Should.Throw<Errors.BatonException>(() => LinearNormalizer.ReadIssueStates(Json("""{"issue":null}"""), "i-404")).Code.ShouldBe("task_not_found");

    [Fact]
    public void ReadMutations_SuccessFalse_IsAResponseError()
    {
        LinearNormalizer.ReadCommentCreated(Json("""{"commentCreate":{"success":true,"comment":{"id":"c-1"}}}""")).ShouldBe("c-1");
        LinearNormalizer.ReadIssueMoved(Json("""{"issueUpdate":{"success":true,"issue":{"id":"i","state":{"id":"s","name":"Done"}}}}""")).ShouldBe("Done");
        Should.Throw<TrackerException>(() => LinearNormalizer.ReadCommentCreated(Json("""{"commentCreate":{"success":false,"comment":null}}"""))).Reason.ShouldBe("linear_mutation_failed");
        Should.Throw<TrackerException>(() => LinearNormalizer.ReadIssueMoved(Json("""{"issueUpdate":{"success":false}}"""))).Code.ShouldBe(TrackerErrorCodes.Response);
    }

    [Fact]
    public void Queries_ReadsCarrySymphonysSelection()
    {
        foreach (var query in new[] { LinearQueries.Poll, LinearQueries.IssuesById })
        {
            foreach (var field in new[] { "identifier", "description", "priority", "branchName", "url", "assignee { id }", "labels { nodes { name } }", "inverseRelations(first: $relationFirst)", "createdAt", "updatedAt" })
            {
                query.ShouldContain(field);
            }
        }

        LinearQueries.Poll.ShouldStartWith("query SymphonyLinearPoll(");
        LinearQueries.Poll.ShouldContain("pageInfo { hasNextPage endCursor }");
        LinearQueries.IssuesById.ShouldStartWith("query SymphonyLinearIssuesById($ids: [ID!]!");
    }

    /// <summary>A well-formed issue with <paramref name="overrides"/> (JSON members, trailing comma allowed) replacing its fields.</summary>
    private static string Minimal(string overrides)
    {
        var issue = new JsonObject
        {
            ["id"] = "issue-x",
            ["identifier"] = "ENG-5",
            ["title"] = "T",
            ["state"] = new JsonObject { ["name"] = "Todo" },
            ["createdAt"] = "2026-01-01T00:00:00Z",
            ["updatedAt"] = "2026-01-01T00:00:00Z",
        };
        if (overrides.Length > 0)
        {
            foreach (var (name, value) in JsonNode.Parse($"{{{overrides.TrimEnd(',')}}}")!.AsObject())
            {
                issue[name] = value?.DeepClone();
            }
        }

        return issue.ToJsonString();
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
