using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Core.Tasks;

namespace Baton.Tracking.Local;

/// <summary>
/// One line of <c>task export</c> / <c>task import</c> (JSON Lines), meant to be kept in git: every field of the
/// task and its comments, but not the project's instance id, which differs from one machine to the next.
/// </summary>
public sealed record TaskLine
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string? Id { get; init; }

    public string? Identifier { get; init; }

    public string? Title { get; init; }

    public string? Description { get; init; }

    public int? Priority { get; init; }

    public string? State { get; init; }

    public string? BranchName { get; init; }

    public string? Url { get; init; }

    public string? Assignee { get; init; }

    public List<string>? Labels { get; init; }

    /// <summary>Null on import: keep the task's blockers as they are.</summary>
    public List<TaskLineBlocker>? BlockedBy { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public List<TaskLineComment>? Comments { get; init; }

    public static TaskLine From(TaskRecord task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new TaskLine
        {
            Id = task.Id,
            Identifier = task.Identifier,
            Title = task.Title,
            Description = task.Description,
            Priority = task.Priority,
            State = task.State,
            BranchName = task.BranchName,
            Url = task.Url,
            Assignee = task.Assignee,
            Labels = [.. task.Labels],
            BlockedBy = [.. task.BlockedBy.Select(b => new TaskLineBlocker(b.Id, b.Identifier, b.State))],
            CreatedAt = task.CreatedAt,
            UpdatedAt = task.UpdatedAt,
            Comments = [.. task.Comments.Select(c => new TaskLineComment(c.Id, c.Author, c.Body, c.CreatedAt))],
        };
    }

    /// <summary>One line, with non-ASCII text left readable (the file is meant for diffs in git).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            JsonSerializer.Serialize(writer, this, TaskLineJsonContext.Default.TaskLine);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static TaskLine? Parse(string json) => JsonSerializer.Deserialize(json, TaskLineJsonContext.Default.TaskLine);
}

/// <summary>A blocker by id or identifier; its state is written for readers and ignored on import.</summary>
public sealed record TaskLineBlocker(string? Id, string? Identifier, string? State);

public sealed record TaskLineComment(string? Id, string? Author, string? Body, DateTimeOffset? CreatedAt);

/// <summary>A parsed import line and where it came from, for error messages.</summary>
public sealed record ImportedTask(int LineNumber, TaskLine Line);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(TaskLine))]
internal sealed partial class TaskLineJsonContext : JsonSerializerContext;
