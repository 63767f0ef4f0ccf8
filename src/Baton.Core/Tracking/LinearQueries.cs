using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Core.Tracking;

/// <summary>
/// The GraphQL documents Baton sends to Linear. The two reads and the viewer lookup carry Symphony's operation names and
/// selection (checklist §1.7: <c>SymphonyLinearPoll</c>, <c>SymphonyLinearIssuesById</c>, <c>viewer { id }</c>) so a
/// Linear workspace sees the same traffic from Baton as from Symphony; the writes are Baton's own.
/// </summary>
public static class LinearQueries
{
    /// <summary>Issues per page and per id batch; also the inverse-relation page (§1.7: <c>first=50</c>, <c>relationFirst=50</c>).</summary>
    public const int PageSize = 50;

    /// <summary>Linear's largest page; a team's workflow states are read in one page of this size.</summary>
    public const int MaxPageSize = 250;

    public const string PollOperation = "SymphonyLinearPoll";
    public const string IssuesByIdOperation = "SymphonyLinearIssuesById";
    public const string ViewerOperation = "SymphonyLinearViewer";
    public const string TeamStatesOperation = "BatonLinearIssueTeamStates";
    public const string CommentCreateOperation = "BatonLinearCommentCreate";
    public const string MoveStateOperation = "BatonLinearIssueMoveState";

    // Everything normalization reads (§1.7 "selected fields"); blockers come from INVERSE relations, where this issue is
    // the related one and `issue` is the one that blocks it.
    private const string IssueFields =
        """
              id
              identifier
              title
              description
              priority
              state { name }
              branchName
              url
              assignee { id }
              labels { nodes { name } }
              inverseRelations(first: $relationFirst) {
                nodes {
                  type
                  issue { id identifier state { name } }
                }
              }
              createdAt
              updatedAt
        """;

    public static string Poll { get; } =
        """
        query @OPERATION($projectSlug: String!, $stateNames: [String!]!, $first: Int!, $relationFirst: Int!, $after: String) {
          issues(filter: {project: {slugId: {eq: $projectSlug}}, state: {name: {in: $stateNames}}}, first: $first, after: $after) {
            nodes {
        @FIELDS
            }
            pageInfo { hasNextPage endCursor }
          }
        }
        """.Replace("@OPERATION", PollOperation, StringComparison.Ordinal).Replace("@FIELDS", IssueFields, StringComparison.Ordinal);

    public static string IssuesById { get; } =
        """
        query @OPERATION($ids: [ID!]!, $projectSlug: String!, $first: Int!, $relationFirst: Int!) {
          issues(filter: {id: {in: $ids}, project: {slugId: {eq: $projectSlug}}}, first: $first) {
            nodes {
        @FIELDS
            }
          }
        }
        """.Replace("@OPERATION", IssuesByIdOperation, StringComparison.Ordinal).Replace("@FIELDS", IssueFields, StringComparison.Ordinal);

    public static string Viewer { get; } =
        $$"""
        query {{ViewerOperation}} {
          viewer { id }
        }
        """;

    public static string TeamStates { get; } =
        $$"""
        query {{TeamStatesOperation}}($id: String!, $first: Int!) {
          issue(id: $id) {
            id
            state { id name }
            team { id key states(first: $first) { nodes { id name type } } }
          }
        }
        """;

    public static string CommentCreate { get; } =
        $$"""
        mutation {{CommentCreateOperation}}($issueId: String!, $body: String!) {
          commentCreate(input: {issueId: $issueId, body: $body}) {
            success
            comment { id url }
          }
        }
        """;

    public static string MoveState { get; } =
        $$"""
        mutation {{MoveStateOperation}}($id: String!, $stateId: String!) {
          issueUpdate(id: $id, input: {stateId: $stateId}) {
            success
            issue { id state { id name } }
          }
        }
        """;

    public static JsonObject PollVariables(string projectSlug, IEnumerable<string> stateNames, string? after) => new()
    {
        ["projectSlug"] = projectSlug,
        ["stateNames"] = new JsonArray([.. stateNames.Select(s => (JsonNode?)JsonValue.Create(s))]),
        ["first"] = PageSize,
        ["relationFirst"] = PageSize,
        ["after"] = after,
    };

    public static JsonObject IssuesByIdVariables(string projectSlug, IReadOnlyCollection<string> ids) => new()
    {
        ["ids"] = new JsonArray([.. ids.Select(s => (JsonNode?)JsonValue.Create(s))]),
        ["projectSlug"] = projectSlug,
        ["first"] = ids.Count,
        ["relationFirst"] = PageSize,
    };

    /// <summary>The POST body: <c>{"query", "variables", "operationName"}</c> as UTF-8 JSON.</summary>
    public static byte[] Body(string query, JsonObject? variables, string? operationName)
    {
        ArgumentNullException.ThrowIfNull(query);
        var body = new JsonObject
        {
            ["query"] = query,
            ["variables"] = variables ?? new JsonObject(),
        };
        if (!string.IsNullOrWhiteSpace(operationName))
        {
            body["operationName"] = operationName.Trim();
        }

        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }
}
