using System.Text.Json.Serialization;
using Baton.Core.Configuration;
using Baton.Core.Tasks;
using Baton.Tracking.Local;

namespace Baton.Cli.Commands;

/// <summary>A task as the CLI prints it. <see cref="Comments"/> is left out of lists (null), present in <c>show</c>.</summary>
public sealed record TaskView(
    string Id,
    string Identifier,
    string Project,
    string InstanceId,
    string Title,
    string? Description,
    int? Priority,
    string State,
    string? BranchName,
    string? Url,
    string? Assignee,
    IReadOnlyList<string> Labels,
    IReadOnlyList<TaskBlocker> BlockedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<TaskComment>? Comments)
{
    public static TaskView From(TaskRecord task, Project project, bool withComments)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(project);
        return new(task.Id, task.Identifier, project.Id, task.Project, task.Title, task.Description, task.Priority, task.State,
            task.BranchName, task.Url, task.Assignee, task.Labels, task.BlockedBy, task.CreatedAt, task.UpdatedAt,
            withComments ? task.Comments : null);
    }
}

public sealed record TaskCommentView(string Task, string Id, string Author, string Body, DateTimeOffset CreatedAt);

public sealed record TaskImportView(string Project, int Added, int Updated, int Unchanged, int CommentsAdded);

public sealed record TaskExportView(string Project, int Count, string? Output, IReadOnlyList<TaskLine>? Tasks);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TaskView))]
[JsonSerializable(typeof(IReadOnlyList<TaskView>))]
[JsonSerializable(typeof(TaskCommentView))]
[JsonSerializable(typeof(TaskImportView))]
[JsonSerializable(typeof(TaskExportView))]
internal sealed partial class TaskJsonContext : JsonSerializerContext;
