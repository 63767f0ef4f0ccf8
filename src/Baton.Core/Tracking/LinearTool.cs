using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Core.Tracking;

/// <summary>
/// The result of one <c>linear_graphql</c> call (§1.18). <see cref="Output"/> is Linear's whole JSON body when Linear
/// answered HTTP 200 with JSON — <see cref="Success"/> is then true only when it has no top-level <c>errors</c>, and the
/// body is kept either way so the agent can read the errors. Otherwise <see cref="Output"/> is
/// <c>{"error":{"message", "status"?, "body"?}}</c>.
/// </summary>
public sealed record LinearToolResult(bool Success, JsonNode Output)
{
    /// <summary>The text handed back to the agent.</summary>
    public string OutputText => Output.ToJsonString(s_indented);

    // The text goes to a model, not into HTML: backticks, quotes and non-ASCII stay readable instead of \u0060 escapes.
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>The host-side <c>linear_graphql</c> tool: argument checking and result shaping (§1.18). The request itself is the tracker's.</summary>
public static class LinearTool
{
    public const string Name = "linear_graphql";

    public const string Description = "Execute a GraphQL query or mutation against Linear with Baton's configured credential.";

    /// <summary>The tool's input schema for agents: <c>{query: string, variables?: object}</c>.</summary>
    public static JsonObject InputSchema() => new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["required"] = new JsonArray("query"),
        ["properties"] = new JsonObject
        {
            ["query"] = new JsonObject { ["type"] = "string", ["description"] = "The GraphQL document." },
            ["variables"] = new JsonObject { ["type"] = new JsonArray("object", "null"), ["description"] = "Variables for the document.", ["additionalProperties"] = true },
        },
    };

    /// <summary>
    /// Accepts a raw query string, or an object with a non-empty <c>query</c> and an optional object <c>variables</c>.
    /// Returns null and sets <paramref name="failure"/> when the arguments are not usable.
    /// </summary>
    public static (string Query, JsonObject Variables)? ParseArguments(JsonNode? arguments, out LinearToolResult? failure)
    {
        failure = null;
        switch (arguments)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var raw = value.GetValue<string>().Trim();
                if (raw.Length == 0)
                {
                    failure = Failure("`linear_graphql` requires a non-empty `query` string.");
                    return null;
                }

                return (raw, new JsonObject());

            case JsonObject map:
                var query = map["query"] is JsonValue q && q.GetValueKind() == JsonValueKind.String ? q.GetValue<string>().Trim() : "";
                if (query.Length == 0)
                {
                    failure = Failure("`linear_graphql` requires a non-empty `query` string.");
                    return null;
                }

                var variables = map["variables"];
                if (variables is null)
                {
                    return (query, new JsonObject());
                }

                if (variables is not JsonObject variableMap)
                {
                    failure = Failure("`linear_graphql.variables` must be a JSON object when provided.");
                    return null;
                }

                return (query, (JsonObject)variableMap.DeepClone());

            default:
                failure = Failure("`linear_graphql` expects a GraphQL query string or an object with `query` and optional `variables`.");
                return null;
        }
    }

    /// <summary>Shapes Linear's answer: HTTP 200 with a JSON object is passed through; anything else is a failure with the status.</summary>
    public static LinearToolResult FromResponse(int status, string? body)
    {
        JsonNode? parsed = null;
        try
        {
            parsed = string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            parsed = null;
        }

        if (status != 200)
        {
            return Failure($"Linear GraphQL request failed with HTTP {status.ToString(CultureInfo.InvariantCulture)}.", status, parsed);
        }

        if (parsed is not JsonObject payload)
        {
            return Failure("Linear answered HTTP 200 with a body that is not a JSON object.", status);
        }

        var hasErrors = payload["errors"] is JsonArray { Count: > 0 };
        return new LinearToolResult(!hasErrors, payload);
    }

    public static LinearToolResult Failure(string message, int? status = null, JsonNode? body = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var error = new JsonObject { ["message"] = message };
        if (status is not null)
        {
            error["status"] = status.Value;
        }

        if (body is not null)
        {
            error["body"] = body.DeepClone();
        }

        return new LinearToolResult(false, new JsonObject { ["error"] = error });
    }
}
