using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Baton.Core.Errors;
using Baton.Core.Tracking;
using Baton.Tracking.Linear;

namespace Baton.Tests.Tracking;

/// <summary>
/// The Linear tracker against <see cref="FakeLinearServer"/>, a real HTTP server speaking Linear's GraphQL wire format
/// (checklist §1.7, §1.18, §1.21).
/// </summary>
public sealed class LinearTrackerTests : IAsyncLifetime
{
    private const string Token = "lin_api_TESTSECRET0123456789abcdefghijklmnop";
    private const string Project = "0123456789ab-demo";
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _log = new();
    private FakeLinearServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeLinearServer.StartAsync(Token).WaitAsync(TestTimeout);

    public async Task DisposeAsync() => await _server.DisposeAsync().AsTask().WaitAsync(TestTimeout);

    [Fact]
    public async Task FetchByStatesAsync_120IssuesAcrossThreePages_ReturnsEveryIssueOnceInLinearOrder()
    {
        for (var n = 1; n <= 120; n++)
        {
            _server.AddIssue(FakeLinearServer.NewIssue(n, n % 2 == 0 ? "Todo" : "In Progress"));
        }

        _server.AddIssue(FakeLinearServer.NewIssue(500, "Done"));
        var other = FakeLinearServer.NewIssue(501);
        other.ProjectSlug = "someone-elses-project";
        _server.AddIssue(other);
        using var tracker = Tracker();

        var tasks = await tracker.FetchByStatesAsync(["Todo", "In Progress"]).WaitAsync(TestTimeout);

        tasks.Count.ShouldBe(120);
        tasks.Select(t => t.Identifier).ShouldBe(Enumerable.Range(1, 120).Select(n => $"ENG-{n}"));
        tasks.Select(t => t.Id).Distinct().Count().ShouldBe(120);
        tasks.ShouldAllBe(t => t.Project == Project);

        var requests = _server.Requests;
        requests.Count.ShouldBe(3);
        requests.ShouldAllBe(r => r.OperationName == LinearQueries.PollOperation);
        requests.ShouldAllBe(r => r.Authorization == Token);
        requests.ShouldAllBe(r => r.ContentType == "application/json");
        requests.ShouldAllBe(r => r.Variables["first"]!.GetValue<int>() == 50 && r.Variables["relationFirst"]!.GetValue<int>() == 50);
        requests.ShouldAllBe(r => r.Variables["projectSlug"]!.GetValue<string>() == FakeLinearServer.DefaultProjectSlug);
        requests[0].Variables["after"].ShouldBeNull();
        requests[1].Variables["after"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        requests[2].Variables["after"]!.GetValue<string>().ShouldNotBe(requests[1].Variables["after"]!.GetValue<string>());
    }

    [Fact]
    public async Task FetchByStatesAsync_FullIssue_NormalizesEveryField()
    {
        var issue = FakeLinearServer.NewIssue(7);
        issue.Description = "Fix the *thing*";
        issue.Priority = 2;
        issue.AssigneeId = "user-ada";
        issue.BranchName = "ada/eng-7-fix";
        issue.Labels.AddRange(["  Backend ", "backend", "URGENT", " "]);
        _server.AddIssue(issue);
        using var tracker = Tracker();

        var task = (await tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout)).ShouldHaveSingleItem();

        task.Id.ShouldBe(FakeLinearServer.IssueId(7));
        task.Identifier.ShouldBe("ENG-7");
        task.Title.ShouldBe("Issue 7");
        task.Description.ShouldBe("Fix the *thing*");
        task.Priority.ShouldBe(2);
        task.State.ShouldBe("Todo");
        task.BranchName.ShouldBe("ada/eng-7-fix");
        task.Url.ShouldBe("https://linear.app/fake/issue/ENG-7");
        task.Assignee.ShouldBe("user-ada");
        task.Labels.ShouldBe(["backend", "urgent"]);
        task.CreatedAt.ShouldBe(issue.CreatedAt);
        task.UpdatedAt.ShouldBe(issue.UpdatedAt);
        task.Dispatchable.ShouldBeTrue();
    }

    [Fact]
    public async Task FetchByStatesAsync_InverseBlocksRelations_BecomeBlockersWithTheirStates()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(1, "In Progress"));
        _server.AddIssue(FakeLinearServer.NewIssue(2, "Done"));
        _server.AddIssue(FakeLinearServer.NewIssue(3, "Backlog"));
        _server.AddIssue(FakeLinearServer.NewIssue(4, "Todo"));
        _server.AddIssue(FakeLinearServer.NewIssue(5, "Todo"));
        _server.Relate("blocks", FakeLinearServer.IssueId(1), FakeLinearServer.IssueId(4));
        _server.Relate("blocks", FakeLinearServer.IssueId(2), FakeLinearServer.IssueId(4));
        _server.Relate("related", FakeLinearServer.IssueId(3), FakeLinearServer.IssueId(4));
        // ENG-4 blocks ENG-5: a forward relation of ENG-4, so it is not a blocker of ENG-4.
        _server.Relate("blocks", FakeLinearServer.IssueId(4), FakeLinearServer.IssueId(5));
        using var tracker = Tracker();

        var tasks = await tracker.FetchByStatesAsync(["Todo", "In Progress"]).WaitAsync(TestTimeout);

        var four = tasks.Single(t => t.Identifier == "ENG-4");
        four.BlockedBy.Select(b => (b.Identifier, b.State)).ShouldBe([("ENG-1", "In Progress"), ("ENG-2", "Done")]);
        four.BlockedBy[0].Id.ShouldBe(FakeLinearServer.IssueId(1));
        tasks.Single(t => t.Identifier == "ENG-5").BlockedBy.ShouldHaveSingleItem().Identifier.ShouldBe("ENG-4");
        tasks.Single(t => t.Identifier == "ENG-1").BlockedBy.ShouldBeEmpty();
    }

    [Fact]
    public async Task FetchByStatesAsync_TodoBlockerRule_OnlyTodoIssuesWithUnfinishedBlockersAreNotDispatchable()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(1, "In Progress"));
        _server.AddIssue(FakeLinearServer.NewIssue(2, "Done"));
        _server.AddIssue(FakeLinearServer.NewIssue(10, "Todo"));
        _server.AddIssue(FakeLinearServer.NewIssue(11, "Todo"));
        _server.AddIssue(FakeLinearServer.NewIssue(12, "In Progress"));
        _server.AddIssue(FakeLinearServer.NewIssue(13, "Todo"));
        _server.Relate("blocks", FakeLinearServer.IssueId(1), FakeLinearServer.IssueId(10));
        _server.Relate("blocks", FakeLinearServer.IssueId(2), FakeLinearServer.IssueId(11));
        _server.Relate("blocks", FakeLinearServer.IssueId(1), FakeLinearServer.IssueId(12));
        using var tracker = Tracker();

        var tasks = (await tracker.FetchByStatesAsync(["Todo", "In Progress"]).WaitAsync(TestTimeout)).ToDictionary(t => t.Identifier);

        tasks["ENG-10"].Dispatchable.ShouldBeFalse("Todo, blocked by an issue still in progress");
        tasks["ENG-11"].Dispatchable.ShouldBeTrue("Todo, its only blocker is Done");
        tasks["ENG-12"].Dispatchable.ShouldBeTrue("already In Progress: the rule covers Todo only");
        tasks["ENG-13"].Dispatchable.ShouldBeTrue("no blockers");
    }

    [Fact]
    public async Task FetchByStatesAsync_AssigneeMe_RoutesToTheViewerAndLooksItUpOnce()
    {
        var mine = FakeLinearServer.NewIssue(1);
        mine.AssigneeId = FakeLinearServer.DefaultViewerId;
        var theirs = FakeLinearServer.NewIssue(2);
        theirs.AssigneeId = "user-someone-else";
        _server.AddIssue(mine);
        _server.AddIssue(theirs);
        _server.AddIssue(FakeLinearServer.NewIssue(3));
        using var tracker = Tracker(assignee: "me");

        var first = await tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout);
        var second = await tracker.FetchByIdsAsync([FakeLinearServer.IssueId(1), FakeLinearServer.IssueId(2)]).WaitAsync(TestTimeout);

        first.Select(t => (t.Identifier, t.Dispatchable)).ShouldBe([("ENG-1", true), ("ENG-2", false), ("ENG-3", false)]);
        second.Select(t => (t.Identifier, t.Dispatchable)).ShouldBe([("ENG-1", true), ("ENG-2", false)]);
        _server.Requests.Count(r => r.OperationName == LinearQueries.ViewerOperation).ShouldBe(1);
        (await tracker.RoutingAssigneeAsync().WaitAsync(TestTimeout)).ShouldBe(FakeLinearServer.DefaultViewerId);
    }

    [Fact]
    public async Task FetchByStatesAsync_AssigneeUserId_RoutesWithoutAViewerLookup()
    {
        var issue = FakeLinearServer.NewIssue(1);
        issue.AssigneeId = "user-ada";
        _server.AddIssue(issue);
        _server.AddIssue(FakeLinearServer.NewIssue(2));
        using var tracker = Tracker(assignee: "user-ada");

        var tasks = await tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout);

        tasks.Select(t => t.Dispatchable).ShouldBe([true, false]);
        _server.Requests.ShouldAllBe(r => r.OperationName == LinearQueries.PollOperation);
    }

    [Fact]
    public async Task FetchByIdsAsync_75Ids_AsksInTwoBatchesAndAnswersInTheRequestedOrder()
    {
        for (var n = 1; n <= 80; n++)
        {
            _server.AddIssue(FakeLinearServer.NewIssue(n));
        }

        var wanted = Enumerable.Range(1, 75).Reverse().Select(FakeLinearServer.IssueId).ToList();
        using var tracker = Tracker();

        var tasks = await tracker.FetchByIdsAsync(wanted).WaitAsync(TestTimeout);

        tasks.Select(t => t.Id).ShouldBe(wanted);
        var requests = _server.Requests;
        requests.Count.ShouldBe(2);
        requests.ShouldAllBe(r => r.OperationName == LinearQueries.IssuesByIdOperation && r.Authorization == Token);
        requests.Select(r => ((JsonArray)r.Variables["ids"]!).Count).ShouldBe([50, 25]);
        requests.Select(r => r.Variables["first"]!.GetValue<int>()).ShouldBe([50, 25]);
        requests.ShouldAllBe(r => r.Variables["relationFirst"]!.GetValue<int>() == 50);
    }

    [Fact]
    public async Task FetchByIdsAsync_MissingDuplicateAndOtherProjectIds_OmitsInvisibleAndAnswersEachOnce()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(1));
        _server.AddIssue(FakeLinearServer.NewIssue(2, "Done"));
        var moved = FakeLinearServer.NewIssue(3);
        moved.ProjectSlug = "another-project";
        _server.AddIssue(moved);
        using var tracker = Tracker();

        var tasks = await tracker.FetchByIdsAsync(
        [
            FakeLinearServer.IssueId(2), "0a1b2c3d-dead-4000-8000-000000000000", FakeLinearServer.IssueId(1), FakeLinearServer.IssueId(2), FakeLinearServer.IssueId(3),
        ]).WaitAsync(TestTimeout);

        tasks.Select(t => (t.Identifier, t.State)).ShouldBe([("ENG-2", "Done"), ("ENG-1", "Todo")]);
        ((JsonArray)_server.Requests.ShouldHaveSingleItem().Variables["ids"]!).Count.ShouldBe(4);
    }

    [Fact]
    public async Task FetchAsync_EmptyInputs_ReturnEmptyWithoutARequest()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(1));
        using var tracker = Tracker(assignee: "me");

        (await tracker.FetchByStatesAsync([]).WaitAsync(TestTimeout)).ShouldBeEmpty();
        (await tracker.FetchByIdsAsync([]).WaitAsync(TestTimeout)).ShouldBeEmpty();
        (await tracker.FetchByStatesAsync(["  "]).WaitAsync(TestTimeout)).ShouldBeEmpty();

        _server.Requests.ShouldBeEmpty();
    }

    public static TheoryData<FakeLinearFault, string, string> Faults() => new()
    {
        { FakeLinearFault.ServerError, TrackerErrorCodes.Status, "linear_api_status" },
        { FakeLinearFault.RateLimited, TrackerErrorCodes.RateLimited, "linear_rate_limited" },
        { FakeLinearFault.GarbageJson, TrackerErrorCodes.Response, "linear_unknown_payload" },
        { FakeLinearFault.GraphQLErrors, TrackerErrorCodes.Response, "linear_graphql_errors" },
        { FakeLinearFault.MissingEndCursor, TrackerErrorCodes.Pagination, "linear_missing_end_cursor" },
        { FakeLinearFault.Hang, TrackerErrorCodes.Request, "linear_api_request" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task FetchByStatesAsync_FaultOnTheSecondPage_FailsTheWholeReadWithItsCategory(FakeLinearFault fault, string code, string reason)
    {
        for (var n = 1; n <= 120; n++)
        {
            _server.AddIssue(FakeLinearServer.NewIssue(n));
        }

        _server.InjectFault(fault, LinearQueries.PollOperation, skip: 1);
        using var tracker = Tracker(requestTimeout: TimeSpan.FromSeconds(1));

        var error = await Should.ThrowAsync<TrackerException>(tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout));

        error.Code.ShouldBe(code);
        error.Reason.ShouldBe(reason);
        _server.Requests.Count.ShouldBe(2);
        AssertNoSecret(error);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task FetchByIdsAsync_Fault_FailsWithItsCategory(FakeLinearFault fault, string code, string reason)
    {
        if (fault == FakeLinearFault.MissingEndCursor)
        {
            // The id refresh asks for at most 50 ids in one page: there is no cursor to miss.
            return;
        }

        _server.AddIssue(FakeLinearServer.NewIssue(1));
        _server.InjectFault(fault, LinearQueries.IssuesByIdOperation);
        using var tracker = Tracker(requestTimeout: TimeSpan.FromSeconds(1));

        var error = await Should.ThrowAsync<TrackerException>(tracker.FetchByIdsAsync([FakeLinearServer.IssueId(1)]).WaitAsync(TestTimeout));

        error.Code.ShouldBe(code);
        error.Reason.ShouldBe(reason);
        AssertNoSecret(error);
    }

    [Fact]
    public async Task FetchByStatesAsync_RateLimited_CarriesStatusAndResetTime()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(1));
        _server.InjectFault(FakeLinearFault.RateLimited);
        using var tracker = Tracker();

        var error = await Should.ThrowAsync<TrackerException>(tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout));

        error.Status.ShouldBe(429);
        error.RateLimitResetAt.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(1893456000000));
    }

    [Fact]
    public async Task FetchByIdsAsync_FaultInTheSecondBatch_FailsTheWholeRefresh()
    {
        for (var n = 1; n <= 60; n++)
        {
            _server.AddIssue(FakeLinearServer.NewIssue(n));
        }

        _server.InjectFault(FakeLinearFault.ServerError, LinearQueries.IssuesByIdOperation, skip: 1);
        using var tracker = Tracker();

        var error = await Should.ThrowAsync<TrackerException>(tracker.FetchByIdsAsync([.. Enumerable.Range(1, 60).Select(FakeLinearServer.IssueId)]).WaitAsync(TestTimeout));

        error.Code.ShouldBe(TrackerErrorCodes.Status);
        error.Status.ShouldBe(500);
        _log.ShouldContain(l => l.Contains("status=500", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchByStatesAsync_MalformedRecord_IsDroppedAndLogged()
    {
        for (var n = 1; n <= 3; n++)
        {
            _server.AddIssue(FakeLinearServer.NewIssue(n));
        }

        _server.InjectFault(FakeLinearFault.MalformedIssue, LinearQueries.PollOperation);
        using var tracker = Tracker();

        var tasks = await tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout);

        tasks.Select(t => t.Identifier).ShouldBe(["ENG-2", "ENG-3"]);
        _log.ShouldContain(l => l.Contains("dropped malformed issue", StringComparison.Ordinal)
            && l.Contains(FakeLinearServer.IssueId(1), StringComparison.Ordinal)
            && l.Contains("missing_title", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchByIdsAsync_MalformedRequestedRecord_FailsTheRefresh()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(1));
        _server.AddIssue(FakeLinearServer.NewIssue(2));
        _server.InjectFault(FakeLinearFault.MalformedIssue, LinearQueries.IssuesByIdOperation);
        using var tracker = Tracker();

        var error = await Should.ThrowAsync<TrackerException>(tracker.FetchByIdsAsync([FakeLinearServer.IssueId(1), FakeLinearServer.IssueId(2)]).WaitAsync(TestTimeout));

        error.Code.ShouldBe(TrackerErrorCodes.Response);
        error.Reason.ShouldBe("linear_unknown_payload");
    }

    [Fact]
    public async Task FetchByStatesAsync_WrongToken_FailsWith401AndNeverShowsEitherToken()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(1));
        const string wrong = "lin_api_WRONGSECRET9876543210zyxwvutsrqponm";
        using var tracker = Tracker(apiKey: wrong);

        var error = await Should.ThrowAsync<TrackerException>(tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout));

        error.Code.ShouldBe(TrackerErrorCodes.Status);
        error.Status.ShouldBe(401);
        error.Message.ShouldContain("Authentication required");
        _server.Requests.ShouldHaveSingleItem().Authorization.ShouldBe(wrong);
        foreach (var text in new[] { error.ToString(), error.Suggestion, tracker.Settings.ToString() }.Concat(_log))
        {
            text.ShouldNotContain(wrong);
            text.ShouldNotContain(Token);
        }
    }

    [Fact]
    public async Task FetchByStatesAsync_ErrorQuotesTheToken_MessageIsRedacted()
    {
        _server.InjectFault(FakeLinearFault.EchoesToken);
        using var tracker = Tracker();

        var error = await Should.ThrowAsync<TrackerException>(tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout));

        error.Code.ShouldBe(TrackerErrorCodes.Response);
        error.Message.ShouldContain("API key '[redacted]'");
        AssertNoSecret(error);
    }

    [Fact]
    public async Task ExecuteToolAsync_ErrorQuotesTheToken_OutputIsRedacted()
    {
        _server.InjectFault(FakeLinearFault.EchoesToken);
        using var tracker = Tracker();

        var result = await tracker.ExecuteToolAsync(JsonValue.Create("{ viewer { id } }")).WaitAsync(TestTimeout);

        result.Success.ShouldBeFalse();
        result.OutputText.ShouldNotContain(Token);
        result.OutputText.ShouldContain("[redacted]");
    }

    [Fact]
    public async Task FetchByStatesAsync_NothingListening_FailsAsARequestError()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var tracker = Tracker(endpoint: new Uri($"http://127.0.0.1:{port}/graphql"));

        var error = await Should.ThrowAsync<TrackerException>(tracker.FetchByStatesAsync(["Todo"]).WaitAsync(TestTimeout));

        error.Code.ShouldBe(TrackerErrorCodes.Request);
        AssertNoSecret(error);
    }

    [Fact]
    public async Task FetchByStatesAsync_CallerCancelsAHungRequest_ThrowsCancellationNotATrackerError()
    {
        _server.InjectFault(FakeLinearFault.Hang);
        using var tracker = Tracker(requestTimeout: TimeSpan.FromSeconds(20));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Should.ThrowAsync<OperationCanceledException>(tracker.FetchByStatesAsync(["Todo"], cancel.Token).WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task RoutingAssigneeAsync_ViewerLookupFails_IsNotCachedAndTheNextCallSucceeds()
    {
        _server.InjectFault(FakeLinearFault.ServerError, LinearQueries.ViewerOperation);
        using var tracker = Tracker(assignee: "me");

        await Should.ThrowAsync<TrackerException>(tracker.RoutingAssigneeAsync().WaitAsync(TestTimeout));
        (await tracker.RoutingAssigneeAsync().WaitAsync(TestTimeout)).ShouldBe(FakeLinearServer.DefaultViewerId);
    }

    [Fact]
    public async Task ExecuteToolAsync_RawQueryString_SucceedsWithLinearsBody()
    {
        using var tracker = Tracker();

        var result = await tracker.ExecuteToolAsync(JsonValue.Create("query { viewer { id name } }")).WaitAsync(TestTimeout);

        result.Success.ShouldBeTrue();
        result.Output["data"]!["viewer"]!["id"]!.GetValue<string>().ShouldBe(FakeLinearServer.DefaultViewerId);
        result.OutputText.ShouldContain("Fake Viewer");
        _server.Requests.ShouldHaveSingleItem().Authorization.ShouldBe(Token);
    }

    [Fact]
    public async Task ExecuteToolAsync_QueryWithVariables_PassesTheVariables()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(4));
        using var tracker = Tracker();
        var arguments = new JsonObject
        {
            ["query"] = "query SymphonyLinearIssuesById($ids: [ID!]!, $projectSlug: String!, $first: Int!) { issues(filter: {id: {in: $ids}, project: {slugId: {eq: $projectSlug}}}, first: $first) { nodes { id identifier } } }",
            ["variables"] = new JsonObject { ["ids"] = new JsonArray(FakeLinearServer.IssueId(4)), ["projectSlug"] = FakeLinearServer.DefaultProjectSlug, ["first"] = 1 },
        };

        var result = await tracker.ExecuteToolAsync(arguments).WaitAsync(TestTimeout);

        result.Success.ShouldBeTrue();
        var node = result.Output["data"]!["issues"]!["nodes"]![0]!.AsObject();
        node["identifier"]!.GetValue<string>().ShouldBe("ENG-4");
        node.ContainsKey("title").ShouldBeFalse("the fake answers only the selected fields");
    }

    [Fact]
    public async Task ExecuteToolAsync_GraphQLErrors_FailsAndKeepsTheBody()
    {
        _server.InjectFault(FakeLinearFault.GraphQLErrors);
        using var tracker = Tracker();

        var result = await tracker.ExecuteToolAsync(new JsonObject { ["query"] = "query { viewer { id } }" }).WaitAsync(TestTimeout);

        result.Success.ShouldBeFalse();
        result.Output["errors"]![0]!["message"]!.GetValue<string>().ShouldStartWith("Entity not found");
    }

    [Fact]
    public async Task ExecuteToolAsync_UnknownOperation_FailsWithTheStatusAndLinearsErrors()
    {
        using var tracker = Tracker();

        var result = await tracker.ExecuteToolAsync(JsonValue.Create("query Bogus { bogus { id } }")).WaitAsync(TestTimeout);

        result.Success.ShouldBeFalse();
        result.Output["error"]!["status"]!.GetValue<int>().ShouldBe(400);
        result.Output["error"]!["body"]!["errors"]![0]!["extensions"]!["code"]!.GetValue<string>().ShouldBe("GRAPHQL_VALIDATION_FAILED");
    }

    [Fact]
    public async Task ExecuteToolAsync_WrongToken_FailsWith401WithoutTheToken()
    {
        using var tracker = Tracker(apiKey: "lin_api_nope");

        var result = await tracker.ExecuteToolAsync(JsonValue.Create("{ viewer { id } }")).WaitAsync(TestTimeout);

        result.Success.ShouldBeFalse();
        result.Output["error"]!["status"]!.GetValue<int>().ShouldBe(401);
        result.OutputText.ShouldNotContain("lin_api_nope");
    }

    [Fact]
    public async Task ExecuteToolAsync_InvalidArguments_FailsWithoutARequest()
    {
        using var tracker = Tracker();

        var empty = await tracker.ExecuteToolAsync(JsonValue.Create("   ")).WaitAsync(TestTimeout);
        var badVariables = await tracker.ExecuteToolAsync(new JsonObject { ["query"] = "{ viewer { id } }", ["variables"] = new JsonArray(1) }).WaitAsync(TestTimeout);
        var number = await tracker.ExecuteToolAsync(JsonValue.Create(42)).WaitAsync(TestTimeout);

        empty.Success.ShouldBeFalse();
        empty.Output["error"]!["message"]!.GetValue<string>().ShouldContain("non-empty `query`");
        badVariables.Output["error"]!["message"]!.GetValue<string>().ShouldContain("variables");
        number.Success.ShouldBeFalse();
        _server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task ExecuteToolAsync_TransportFailure_FailsWithAnErrorMessage()
    {
        _server.InjectFault(FakeLinearFault.Hang);
        using var tracker = Tracker(requestTimeout: TimeSpan.FromMilliseconds(500));

        var result = await tracker.ExecuteToolAsync(JsonValue.Create("{ viewer { id } }")).WaitAsync(TestTimeout);

        result.Success.ShouldBeFalse();
        result.Output["error"]!["message"]!.GetValue<string>().ShouldContain("before receiving a response");
    }

    [Fact]
    public async Task CommentAsync_Issue_CreatesTheCommentAndReturnsItsId()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(9));
        using var tracker = Tracker();

        var id = await tracker.CommentAsync(FakeLinearServer.IssueId(9), "Branch `baton/ENG-9` is ready for review.").WaitAsync(TestTimeout);

        var comment = _server.Comments.ShouldHaveSingleItem();
        comment.Id.ShouldBe(id);
        comment.IssueId.ShouldBe(FakeLinearServer.IssueId(9));
        comment.Body.ShouldBe("Branch `baton/ENG-9` is ready for review.");
        var request = _server.Requests.ShouldHaveSingleItem();
        request.OperationName.ShouldBe(LinearQueries.CommentCreateOperation);
        request.Query.ShouldStartWith("mutation");
    }

    [Fact]
    public async Task CommentAsync_UnknownIssue_FailsWithLinearsError()
    {
        using var tracker = Tracker();

        var error = await Should.ThrowAsync<TrackerException>(tracker.CommentAsync("0a1b2c3d-dead-4000-8000-000000000000", "hello").WaitAsync(TestTimeout));

        error.Message.ShouldContain("Entity not found");
        _server.Comments.ShouldBeEmpty();
    }

    [Fact]
    public async Task MoveToStateAsync_StateNameInAnyCase_MovesTheIssueToTheTeamsState()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(5, "In Progress"));
        using var tracker = Tracker();

        var state = await tracker.MoveToStateAsync(FakeLinearServer.IssueId(5), " in review ").WaitAsync(TestTimeout);

        state.ShouldBe("In Review");
        _server.Issue(FakeLinearServer.IssueId(5)).State.ShouldBe("In Review");
        var requests = _server.Requests;
        requests.Select(r => r.OperationName).ShouldBe([LinearQueries.TeamStatesOperation, LinearQueries.MoveStateOperation]);
        requests[1].Variables["stateId"]!.GetValue<string>().ShouldBe("state-review");
        (await tracker.FetchByIdsAsync([FakeLinearServer.IssueId(5)]).WaitAsync(TestTimeout)).ShouldHaveSingleItem().State.ShouldBe("In Review");
    }

    [Fact]
    public async Task MoveToStateAsync_AlreadyInTheState_SkipsTheUpdate()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(5, "Done"));
        using var tracker = Tracker();

        (await tracker.MoveToStateAsync(FakeLinearServer.IssueId(5), "done").WaitAsync(TestTimeout)).ShouldBe("Done");

        _server.Requests.ShouldHaveSingleItem().OperationName.ShouldBe(LinearQueries.TeamStatesOperation);
    }

    [Fact]
    public async Task MoveToStateAsync_UnknownState_FailsListingTheTeamsStates()
    {
        _server.AddIssue(FakeLinearServer.NewIssue(5));
        using var tracker = Tracker();

        var error = await Should.ThrowAsync<BatonException>(tracker.MoveToStateAsync(FakeLinearServer.IssueId(5), "Human Review").WaitAsync(TestTimeout));

        error.Code.ShouldBe(ErrorCodes.UnknownState);
        error.Message.ShouldContain("ENG");
        error.Suggestion.ShouldContain("In Review");
        _server.Issue(FakeLinearServer.IssueId(5)).State.ShouldBe("Todo");
    }

    private LinearTracker Tracker(string apiKey = Token, string? assignee = null, TimeSpan? requestTimeout = null, Uri? endpoint = null)
    {
        var settings = new LinearSettings
        {
            Endpoint = endpoint ?? _server.Endpoint,
            ApiKey = apiKey,
            ProjectSlug = FakeLinearServer.DefaultProjectSlug,
            Assignee = assignee,
        };
        return new LinearTracker(settings, Project, new LinearTrackerOptions
        {
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10),
            Log = _log.Enqueue,
        });
    }

    private void AssertNoSecret(BatonException error)
    {
        error.ToString().ShouldNotContain(Token);
        error.Suggestion.ShouldNotContain(Token);
        foreach (var line in _log)
        {
            line.ShouldNotContain(Token);
        }
    }
}
