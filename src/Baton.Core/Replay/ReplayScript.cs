using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Baton.Core.Errors;

namespace Baton.Core.Replay;

/// <summary>
/// A replay script: the model's answers, one per assistant turn. Turn N answers a request whose history already
/// holds N assistant turns, so the script needs no conversation state (see <see cref="ReplayTurnSelector"/>).
/// </summary>
public sealed record ReplayScript(IReadOnlyList<ReplayTurn> Turns)
{
    /// <summary>The keys a turn may have; anything else is refused so a typo cannot silently change a test.</summary>
    public static IReadOnlyList<string> TurnKeys { get; } = ["text", "tool_calls", "usage", "delay", "error"];

    /// <summary>The longest <c>delay</c> a turn may ask for, so a script cannot stall a server past any sane test bound.</summary>
    public const double MaxDelaySeconds = 600;

    /// <summary>Parses a script (a JSON list of turns). <paramref name="source"/> names the script in error messages.</summary>
    /// <exception cref="BatonException"><c>replay_script_invalid</c> with the JSON path of the first problem.</exception>
    public static ReplayScript Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            // Scripts are written by hand: comments and trailing commas are allowed.
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            throw Invalid(source, $"not valid JSON (line {line.ToString(CultureInfo.InvariantCulture)}): {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(source, $"the script must be a JSON list of turns, not {Describe(root.ValueKind)}");
            }

            var turns = new List<ReplayTurn>();
            var index = 0;
            foreach (var element in root.EnumerateArray())
            {
                turns.Add(ParseTurn(element, $"$[{index.ToString(CultureInfo.InvariantCulture)}]", source));
                index++;
            }

            return new ReplayScript(turns);
        }
    }

    private static ReplayTurn ParseTurn(JsonElement element, string at, string source)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"{at}: a turn must be an object, not {Describe(element.ValueKind)}");
        }

        var turn = new ReplayTurn();
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            var path = $"{at}.{property.Name}";
            turn = property.Name switch
            {
                "text" => turn with { Text = RequireString(value, path, source) },
                "tool_calls" => turn with { ToolCalls = ParseToolCalls(value, path, source) },
                "usage" => turn with { Usage = ParseUsage(value, path, source) },
                "delay" => turn with { Delay = ParseDelay(value, path, source) },
                "error" => turn with { Error = ParseError(value, path, source) },
                _ => throw Invalid(source, $"{at}: unknown key '{property.Name}' (a turn has {string.Join(", ", TurnKeys)})"),
            };
        }

        return turn;
    }

    private static List<ReplayToolCall> ParseToolCalls(JsonElement value, string at, string source)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(source, $"{at}: must be a list of {{\"name\", \"arguments\"}} objects");
        }

        var calls = new List<ReplayToolCall>();
        var index = 0;
        foreach (var call in value.EnumerateArray())
        {
            var path = $"{at}[{index.ToString(CultureInfo.InvariantCulture)}]";
            if (call.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, $"{path}: a tool call must be an object with \"name\" and \"arguments\"");
            }

            string? name = null;
            string? id = null;
            var arguments = "{}";
            foreach (var property in call.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "name":
                        name = RequireString(property.Value, $"{path}.name", source);
                        break;
                    case "id":
                        id = RequireString(property.Value, $"{path}.id", source);
                        break;
                    case "arguments":
                        if (property.Value.ValueKind != JsonValueKind.Object)
                        {
                            throw Invalid(source, $"{path}.arguments: must be a JSON object (the tool's input)");
                        }

                        arguments = Compact(property.Value);
                        break;
                    default:
                        throw Invalid(source, $"{path}: unknown key '{property.Name}' (a tool call has name, arguments, id)");
                }
            }

            if (string.IsNullOrEmpty(name))
            {
                throw Invalid(source, $"{path}: \"name\" is required");
            }

            calls.Add(new ReplayToolCall(name, arguments, id));
            index++;
        }

        return calls;
    }

    private static ReplayUsage ParseUsage(JsonElement value, string at, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"{at}: must be an object like {{\"input\": 1200, \"output\": 40}}");
        }

        var usage = new ReplayUsage();
        foreach (var property in value.EnumerateObject())
        {
            var path = $"{at}.{property.Name}";
            usage = property.Name switch
            {
                "input" => usage with { Input = RequireCount(property.Value, path, source) },
                "output" => usage with { Output = RequireCount(property.Value, path, source) },
                "cacheRead" => usage with { CacheRead = RequireCount(property.Value, path, source) },
                "cacheWrite" => usage with { CacheWrite = RequireCount(property.Value, path, source) },
                _ => throw Invalid(source, $"{at}: unknown key '{property.Name}' (usage has input, output, cacheRead, cacheWrite)"),
            };
        }

        return usage;
    }

    private static TimeSpan ParseDelay(JsonElement value, string at, string source)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || seconds < 0 || seconds > MaxDelaySeconds)
        {
            throw Invalid(source, $"{at}: must be a number of seconds from 0 to {MaxDelaySeconds.ToString(CultureInfo.InvariantCulture)}");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static ReplayError ParseError(JsonElement value, string at, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"{at}: must be an object like {{\"status\": 500, \"message\": \"boom\", \"times\": 1}}");
        }

        var error = new ReplayError(500, "replay-model scripted error", 1);
        foreach (var property in value.EnumerateObject())
        {
            var path = $"{at}.{property.Name}";
            error = property.Name switch
            {
                "status" => error with { Status = RequireStatus(property.Value, path, source) },
                "message" => error with { Message = RequireString(property.Value, path, source) },
                "times" => error with { Times = RequirePositive(property.Value, path, source) },
                _ => throw Invalid(source, $"{at}: unknown key '{property.Name}' (error has status, message, times)"),
            };
        }

        return error;
    }

    private static string RequireString(JsonElement value, string at, string source) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid(source, $"{at}: must be a string, not {Describe(value.ValueKind)}");

    private static int RequireCount(JsonElement value, string at, string source) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var count) && count >= 0
            ? count
            : throw Invalid(source, $"{at}: must be a whole number of tokens, 0 or more");

    private static int RequirePositive(JsonElement value, string at, string source) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var count) && count >= 1
            ? count
            : throw Invalid(source, $"{at}: must be a whole number, 1 or more");

    private static int RequireStatus(JsonElement value, string at, string source) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var status) && status is >= 400 and <= 599
            ? status
            : throw Invalid(source, $"{at}: must be an HTTP error status from 400 to 599");

    /// <summary>Arguments are kept as compact JSON: they go into single-line SSE <c>data:</c> records.</summary>
    private static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = ReplayJson.Encoder }))
        {
            value.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static BatonException Invalid(string source, string message) => BatonException.Usage(
        ErrorCodes.ReplayScriptInvalid,
        $"{source}: {message}",
        "A script is a JSON list of turns: [{\"text\": \"…\", \"tool_calls\": [{\"name\": \"write\", \"arguments\": {…}}], \"usage\": {\"input\": 10, \"output\": 5}, \"delay\": 1.5, \"error\": {\"status\": 500, \"times\": 1}}].");
}

/// <summary>One scripted answer. Every part is optional: an empty turn answers with empty text and stops.</summary>
public sealed record ReplayTurn
{
    public string Text { get; init; } = "";

    public IReadOnlyList<ReplayToolCall> ToolCalls { get; init; } = [];

    /// <summary>Token counts to report; missing counts are estimated from the request and the answer.</summary>
    public ReplayUsage? Usage { get; init; }

    /// <summary>How long to wait before sending the response headers (stall and abort tests).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Fail the first <see cref="ReplayError.Times"/> requests for this turn (retry tests).</summary>
    public ReplayError? Error { get; init; }
}

/// <summary>A tool call the model makes. <paramref name="ArgumentsJson"/> is a compact JSON object; <paramref name="Id"/> is generated when null.</summary>
public sealed record ReplayToolCall(string Name, string ArgumentsJson, string? Id = null);

/// <summary>
/// Token counts in pi's terms: <paramref name="Input"/> is the uncached input. Each dialect reports them in its own
/// shape (see <see cref="ReplayWire"/>) so that the client reads back exactly these numbers.
/// </summary>
public sealed record ReplayUsage(int? Input = null, int? Output = null, int CacheRead = 0, int CacheWrite = 0);

public sealed record ReplayError(int Status, string Message, int Times);
