using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Tasks;

namespace Baton.Storage;

/// <summary>The JSON kept inside columns: label lists and a project's states.</summary>
public static class StorageJson
{
    public static string Labels(IReadOnlyList<string> labels) =>
        JsonSerializer.Serialize(labels as List<string> ?? [.. labels], StorageJsonContext.Default.ListString);

    public static IReadOnlyList<string> ParseLabels(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize(json, StorageJsonContext.Default.ListString) ?? [];

    public static string States(TaskStates states)
    {
        ArgumentNullException.ThrowIfNull(states);
        return JsonSerializer.Serialize(
            new StoredStates([.. states.Active], [.. states.Handoff], [.. states.Terminal], [.. states.Inactive], states.Merge, states.Rework),
            StorageJsonContext.Default.StoredStates);
    }

    public static TaskStates ParseStates(string json)
    {
        var stored = JsonSerializer.Deserialize(json, StorageJsonContext.Default.StoredStates);
        return stored is null
            ? TaskStates.Default
            : TaskStates.Create(stored.Active ?? [], stored.Handoff ?? [], stored.Terminal ?? [], stored.Inactive ?? [], stored.Merge, stored.Rework);
    }
}

/// <summary>A project's states as stored; rows written before the merge queue have no Merge and Rework (the defaults then).</summary>
public sealed record StoredStates(List<string>? Active, List<string>? Handoff, List<string>? Terminal, List<string>? Inactive, string? Merge = null, string? Rework = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(StoredStates))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
