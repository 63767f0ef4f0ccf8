using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Core.Workflows;

/// <summary>
/// Turns a piece of the front matter (the plain tree of <see cref="WorkflowDocument"/>: maps, lists, strings) into JSON
/// for a program that takes JSON, e.g. <c>codex.approval_policy</c> passed to Codex unchanged (§5.3.6). The tree keeps
/// every scalar as text, so YAML's own plain scalars get their types back: <c>true</c>/<c>false</c>, integers and
/// decimals become JSON booleans and numbers; everything else stays a string.
/// </summary>
public static class FrontMatterJson
{
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        IReadOnlyDictionary<string, object?> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key, ToNode(kv.Value)))),
        IEnumerable<object?> list => new JsonArray([.. list.Select(ToNode)]),
        string text => Scalar(text),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    public static JsonElement? ToElement(object? value) =>
        value is null ? null : JsonSerializer.SerializeToElement(ToNode(value), FrontMatterJsonContext.Default.JsonNode);

    private static JsonNode Scalar(string text)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        return double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) && text.Contains('.', StringComparison.Ordinal)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class FrontMatterJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
