using Baton.Core.Errors;
using Baton.Core.Tracking;
using Baton.Core.Workflows;

namespace Baton.Core.Tests.Tracking;

public sealed class LinearSettingsTests
{
    private const string Secret = "lin_api_SETTINGSSECRET00000000000000000000";

    [Fact]
    public void From_ProviderKeysOnly_AppliesTheLinearDefaults()
    {
        var settings = LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "abc123", ["api_key"] = Secret }), NoEnvironment);

        settings.Endpoint.ShouldBe(new Uri("https://api.linear.app/graphql"));
        settings.ApiKey.ShouldBe(Secret);
        settings.ProjectSlug.ShouldBe("abc123");
        settings.Assignee.ShouldBeNull();
        settings.ActiveStates.ShouldBe(["Todo", "In Progress"]);
        settings.TerminalStates.ShouldBe(["Closed", "Cancelled", "Canceled", "Duplicate", "Done"]);
        settings.SecretEnvironmentNames.ShouldBe(["LINEAR_API_KEY"]);
    }

    [Fact]
    public void From_TimeoutMs_SetsTheRequestTimeoutAndDefaultsToThirtySeconds()
    {
        LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "abc123", ["api_key"] = Secret }), NoEnvironment).RequestTimeoutMs.ShouldBe(30_000);
        LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "abc123", ["api_key"] = Secret, ["timeout_ms"] = "2500" }), NoEnvironment).RequestTimeoutMs.ShouldBe(2500);

        var error = Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "abc123", ["api_key"] = Secret, ["timeout_ms"] = "soon" }), NoEnvironment));

        error.Code.ShouldBe(WorkflowErrorCodes.Invalid);
        error.Message.ShouldNotContain(Secret);
    }

    [Fact]
    public void From_NoApiKeyKey_FallsBackToLinearApiKeyAndLinearAssignee()
    {
        var settings = LinearSettings.From(
            Tracker(provider: new() { ["project_slug"] = "abc123" }),
            Environment(("LINEAR_API_KEY", Secret), ("LINEAR_ASSIGNEE", "user-42")));

        settings.ApiKey.ShouldBe(Secret);
        settings.Assignee.ShouldBe("user-42");
    }

    [Fact]
    public void From_DollarVariables_AreReadFromTheEnvironment()
    {
        var settings = LinearSettings.From(
            Tracker(provider: new() { ["project_slug"] = "abc123", ["api_key"] = "$WORK_LINEAR", ["assignee"] = "$WHO" }),
            Environment(("WORK_LINEAR", Secret), ("WHO", "me"), ("LINEAR_API_KEY", "lin_api_other")));

        settings.ApiKey.ShouldBe(Secret);
        settings.Assignee.ShouldBe("me");
        settings.RoutesToViewer.ShouldBeTrue();
        settings.SecretEnvironmentNames.ShouldBe(["LINEAR_API_KEY", "WORK_LINEAR"]);
    }

    [Fact]
    public void From_LegacyFlatKeys_AreAccepted()
    {
        var settings = LinearSettings.From(
            Tracker(raw: new()
            {
                ["endpoint"] = "http://127.0.0.1:9999/graphql",
                ["api_key"] = Secret,
                ["project_slug"] = "legacy-slug",
                ["assignee"] = "user-7",
            }),
            NoEnvironment);

        settings.Endpoint.ShouldBe(new Uri("http://127.0.0.1:9999/graphql"));
        settings.ApiKey.ShouldBe(Secret);
        settings.ProjectSlug.ShouldBe("legacy-slug");
        settings.Assignee.ShouldBe("user-7");
    }

    [Fact]
    public void From_ProviderAndLegacyKeys_ProviderWins()
    {
        var settings = LinearSettings.From(
            Tracker(provider: new() { ["project_slug"] = "new-slug", ["api_key"] = Secret }, raw: new() { ["project_slug"] = "old-slug" }),
            NoEnvironment);

        settings.ProjectSlug.ShouldBe("new-slug");
    }

    [Fact]
    public void From_ConfiguredStatesAndLabels_AreKept()
    {
        var tracker = Tracker(provider: new() { ["project_slug"] = "s", ["api_key"] = Secret }) with
        {
            ActiveStates = ["Ready"],
            TerminalStates = ["Shipped"],
            RequiredLabels = ["baton"],
        };

        var settings = LinearSettings.From(tracker, NoEnvironment);

        settings.ActiveStates.ShouldBe(["Ready"]);
        settings.TerminalStates.ShouldBe(["Shipped"]);
        settings.RequiredLabels.ShouldBe(["baton"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("github")]
    [InlineData("memory")]
    public void From_OtherKind_IsUnsupportedTrackerKind(string? kind)
    {
        var error = Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "s", ["api_key"] = Secret }) with { Kind = kind }, NoEnvironment));

        error.Code.ShouldBe("unsupported_tracker_kind");
        error.Suggestion.ShouldContain("tracker.kind: linear");
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://api.linear.app/graphql")]
    [InlineData("/graphql")]
    [InlineData("")]
    public void From_BadEndpoint_IsInvalidLinearEndpoint(string endpoint)
    {
        var error = Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "s", ["api_key"] = Secret, ["endpoint"] = endpoint }), NoEnvironment));

        error.Code.ShouldBe("invalid_linear_endpoint");
    }

    [Fact]
    public void From_NoKeyAnywhere_IsMissingLinearApiToken()
    {
        var error = Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "s" }), Environment(("LINEAR_API_KEY", ""))));

        error.Code.ShouldBe("missing_linear_api_token");
        error.Message.ShouldContain("LINEAR_API_KEY");
        error.Suggestion.ShouldNotBeNullOrWhiteSpace();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void From_DollarVariableUnsetOrEmpty_IsMissingAndDoesNotFallBack(string? value)
    {
        var environment = Environment(("LINEAR_API_KEY", Secret), ("WORK_LINEAR", value));

        var error = Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "s", ["api_key"] = "$WORK_LINEAR" }), environment));

        error.Code.ShouldBe("missing_linear_api_token");
        error.Message.ShouldContain("$WORK_LINEAR");
        error.Message.ShouldNotContain(Secret);
    }

    [Fact]
    public void From_ApiKeyIsAList_IsMissingLinearApiToken()
    {
        var error = Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "s", ["api_key"] = new List<object?> { Secret } }), NoEnvironment));

        error.Code.ShouldBe("missing_linear_api_token");
        error.Message.ShouldNotContain(Secret);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    public void From_NoProjectSlug_IsMissingLinearProjectSlug(string? slug)
    {
        var provider = new Dictionary<string, object?> { ["api_key"] = Secret, ["project_slug"] = slug };

        var error = Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: provider), NoEnvironment));

        error.Code.ShouldBe("missing_linear_project_slug");
    }

    [Theory]
    [InlineData("Ada Lovelace")]
    [InlineData("$UNSET_ASSIGNEE")]
    public void From_BadAssignee_IsInvalidLinearAssignee(string assignee)
    {
        var error = Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "s", ["api_key"] = Secret, ["assignee"] = assignee }), NoEnvironment));

        error.Code.ShouldBe("invalid_linear_assignee");
    }

    [Fact]
    public void From_AssigneeIsAMap_IsInvalidLinearAssignee()
    {
        var provider = new Dictionary<string, object?> { ["project_slug"] = "s", ["api_key"] = Secret, ["assignee"] = new Dictionary<string, object?> { ["id"] = "x" } };

        Should.Throw<BatonException>(() => LinearSettings.From(Tracker(provider: provider), NoEnvironment)).Code.ShouldBe("invalid_linear_assignee");
    }

    [Theory]
    [InlineData("ME", "me")]
    [InlineData(" user-9 ", "user-9")]
    [InlineData("", null)]
    public void From_Assignee_IsNormalized(string configured, string? expected)
    {
        var settings = LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "s", ["api_key"] = Secret, ["assignee"] = configured }), Environment(("LINEAR_ASSIGNEE", "user-env")));

        settings.Assignee.ShouldBe(expected);
    }

    [Fact]
    public void ToString_NeverShowsTheApiKey()
    {
        var settings = LinearSettings.From(Tracker(provider: new() { ["project_slug"] = "s", ["api_key"] = Secret }), NoEnvironment);

        settings.ToString().ShouldNotContain(Secret);
        settings.ToString().ShouldContain("[redacted]");
    }

    [Theory]
    [InlineData("$LINEAR_API_KEY", "LINEAR_API_KEY")]
    [InlineData(" $_X1 ", "_X1")]
    [InlineData("$1BAD", null)]
    [InlineData("lin_api_$abc", null)]
    [InlineData("$A/B", null)]
    public void VariableName_WholeValueReferencesOnly(string value, string? expected) =>
        LinearSettings.VariableName(value).ShouldBe(expected);

    private static string? NoEnvironment(string name) => null;

    private static Func<string, string?> Environment(params (string Name, string? Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static TrackerSettings Tracker(Dictionary<string, object?>? provider = null, Dictionary<string, object?>? raw = null) => new()
    {
        Kind = "linear",
        Provider = provider ?? [],
        Raw = raw ?? [],
    };
}
