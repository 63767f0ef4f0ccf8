using System.Text.Json.Nodes;
using Baton.Core.Tracking;

namespace Baton.Core.Tests.Tracking;

public sealed class LinearToolTests
{
    [Fact]
    public void ParseArguments_RawString_IsTheQueryWithNoVariables()
    {
        var call = LinearTool.ParseArguments(JsonValue.Create("  { viewer { id } } "), out var failure).ShouldNotBeNull();

        failure.ShouldBeNull();
        call.Query.ShouldBe("{ viewer { id } }");
        call.Variables.Count.ShouldBe(0);
    }

    [Fact]
    public void ParseArguments_ObjectWithVariables_KeepsThem()
    {
        var call = LinearTool.ParseArguments(new JsonObject { ["query"] = "query Q($id: String!) { issue(id: $id) { id } }", ["variables"] = new JsonObject { ["id"] = "ENG-1" } }, out _).ShouldNotBeNull();

        call.Variables["id"]!.GetValue<string>().ShouldBe("ENG-1");
    }

    [Fact]
    public void ParseArguments_NullVariables_AreEmpty() =>
        LinearTool.ParseArguments(new JsonObject { ["query"] = "{ viewer { id } }", ["variables"] = null }, out _).ShouldNotBeNull().Variables.Count.ShouldBe(0);

    [Theory]
    [InlineData("""{"query":""}""", "non-empty `query`")]
    [InlineData("""{"query":7}""", "non-empty `query`")]
    [InlineData("""{"variables":{}}""", "non-empty `query`")]
    [InlineData("""{"query":"{ viewer { id } }","variables":"x"}""", "must be a JSON object")]
    [InlineData("""[1]""", "expects a GraphQL query string")]
    [InlineData("""  "" """, "non-empty `query`")]
    public void ParseArguments_Invalid_IsAFailureResult(string arguments, string message)
    {
        LinearTool.ParseArguments(JsonNode.Parse(arguments), out var failure).ShouldBeNull();

        failure.ShouldNotBeNull().Success.ShouldBeFalse();
        failure.Output["error"]!["message"]!.GetValue<string>().ShouldContain(message);
    }

    [Fact]
    public void ParseArguments_Null_IsAFailureResult() =>
        LinearTool.ParseArguments(null, out var failure).ShouldBeNull();

    [Fact]
    public void FromResponse_200WithoutErrors_SucceedsWithTheBody()
    {
        var result = LinearTool.FromResponse(200, """{"data":{"viewer":{"id":"u"}}}""");

        result.Success.ShouldBeTrue();
        result.Output["data"]!["viewer"]!["id"]!.GetValue<string>().ShouldBe("u");
    }

    [Fact]
    public void FromResponse_200WithErrors_FailsButKeepsTheBody()
    {
        var result = LinearTool.FromResponse(200, """{"data":null,"errors":[{"message":"bad field"}]}""");

        result.Success.ShouldBeFalse();
        result.Output["errors"]![0]!["message"]!.GetValue<string>().ShouldBe("bad field");
    }

    [Fact]
    public void FromResponse_200WithEmptyErrors_Succeeds() =>
        LinearTool.FromResponse(200, """{"data":{},"errors":[]}""").Success.ShouldBeTrue();

    [Fact]
    public void FromResponse_Non200_FailsWithStatusAndParsedBody()
    {
        var result = LinearTool.FromResponse(400, """{"errors":[{"message":"Cannot query field"}]}""");

        result.Success.ShouldBeFalse();
        result.Output["error"]!["status"]!.GetValue<int>().ShouldBe(400);
        result.Output["error"]!["message"]!.GetValue<string>().ShouldBe("Linear GraphQL request failed with HTTP 400.");
        result.Output["error"]!["body"]!["errors"]![0]!["message"]!.GetValue<string>().ShouldBe("Cannot query field");
    }

    [Fact]
    public void FromResponse_200NotJson_Fails()
    {
        var result = LinearTool.FromResponse(200, "<html>");

        result.Success.ShouldBeFalse();
        result.OutputText.ShouldContain("not a JSON object");
    }

    [Fact]
    public void OutputText_BackticksAndQuotes_StayReadableForTheModel()
    {
        var result = LinearTool.ParseArguments(null, out var failure);

        result.ShouldBeNull();
        failure!.OutputText.ShouldContain("`linear_graphql` expects a GraphQL query string");
    }

    [Fact]
    public void InputSchema_RequiresQuery() =>
        LinearTool.InputSchema()["required"]![0]!.GetValue<string>().ShouldBe("query");
}
