using System.Text.RegularExpressions;
using Baton.Core.Errors;
using Baton.Core.Tasks;

namespace Baton.Tracking.Local;

/// <summary>How a person names a task: its identifier (<c>INT-12</c>, any case) or its stable 16-hex id.</summary>
public sealed partial record TaskKey(string? Id, string? Identifier)
{
    public string Text => Identifier ?? Id!;

    public static TaskKey Parse(string? value)
    {
        var text = value?.Trim() ?? string.Empty;
        if (StableId().IsMatch(text))
        {
            return new TaskKey(text.ToLowerInvariant(), null);
        }

        if (IdentifierShape().IsMatch(text) && TaskIdentifier.TryParse(text, out var prefix, out var number))
        {
            return new TaskKey(null, TaskIdentifier.Format(prefix, number));
        }

        throw BatonException.Usage(
            ErrorCodes.InvalidTaskId,
            $"'{value}' is not a task id",
            "Task ids look like INT-12: the project's prefix, a dash and a number (see 'baton task list').");
    }

    public static bool IsValidIdentifier(string? value) =>
        value is not null && IdentifierShape().IsMatch(value.Trim()) && TaskIdentifier.TryParse(value, out _, out _);

    [GeneratedRegex("^[0-9a-fA-F]{16}$")]
    private static partial Regex StableId();

    [GeneratedRegex("^[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*-[0-9]+$")]
    private static partial Regex IdentifierShape();
}
