using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Baton.Core.Web;

/// <summary>
/// The API's JSON: snake_case names as in the spec's examples (§13.7.2), nulls written, and every timestamp in UTC
/// to the second with a <c>Z</c> (<c>2026-02-24T20:15:30Z</c>, the spec's form).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [typeof(UtcSecondsConverter)])]
[JsonSerializable(typeof(OrchestratorSnapshot))]
[JsonSerializable(typeof(SnapshotErrorBody))]
[JsonSerializable(typeof(ApiErrorEnvelope))]
[JsonSerializable(typeof(RefreshResult))]
[JsonSerializable(typeof(AnswerRequest))]
[JsonSerializable(typeof(AnswerAccepted))]
[JsonSerializable(typeof(IssueDetail))]
[JsonSerializable(typeof(SessionList))]
[JsonSerializable(typeof(SessionDetail))]
[JsonSerializable(typeof(SessionSummary))]
[JsonSerializable(typeof(RecentEvent))]
[JsonSerializable(typeof(TranscriptPage))]
[JsonSerializable(typeof(SessionActivity))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>
/// Writes UTC to the whole second with <c>Z</c>, as the spec's examples and its reference implementation do (it
/// truncates to seconds); reads any ISO 8601 timestamp.
/// </summary>
public sealed class UtcSecondsConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public static string ToText(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString() ?? throw new JsonException("a timestamp is a string"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(ToText(value));
    }
}
