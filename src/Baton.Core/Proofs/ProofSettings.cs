using System.Globalization;
using Baton.Core.Workflows;

namespace Baton.Core.Proofs;

/// <summary>One validation command of <c>proof.validate</c>: a <c>bash -lc</c> script and how long it may run.</summary>
public sealed record ValidationCommand(string Command, int TimeoutMs);

/// <summary>
/// Baton extension <c>proof</c>: the validation commands run in the workspace after a run ends normally (and before a
/// hand-off). Absent, nothing is validated and the proof says so.
/// </summary>
public sealed record ProofSettings
{
    /// <summary>Ten minutes: long enough for a test suite, short enough that a hung command does not hold a slot for hours.</summary>
    public const int DefaultTimeoutMs = 600_000;

    public IReadOnlyList<ValidationCommand> Validate { get; init; } = [];

    /// <summary><c>proof.timeout_ms</c>: the timeout of a command that names none.</summary>
    public int TimeoutMs { get; init; } = DefaultTimeoutMs;

    public static ProofSettings None { get; } = new();

    internal static ProofSettings Read(SettingsReader reader, List<string> errors)
    {
        var timeout = reader.PositiveInt("proof.timeout_ms") ?? DefaultTimeoutMs;
        var commands = new List<ValidationCommand>();
        switch (reader.Raw("proof.validate"))
        {
            case null:
                break;
            case List<object?> list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (ReadCommand(list[i], i, timeout, errors) is { } command)
                    {
                        commands.Add(command);
                    }
                }

                break;
            default:
                errors.Add("proof.validate must be a list of commands (each a string, or a map with command and timeout_ms)");
                break;
        }

        return new ProofSettings { Validate = commands, TimeoutMs = timeout };
    }

    private static ValidationCommand? ReadCommand(object? item, int index, int defaultTimeout, List<string> errors)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"proof.validate[{index}]");
        switch (item)
        {
            case string text when text.Trim().Length > 0:
                return new ValidationCommand(text.Trim(), defaultTimeout);
            case Dictionary<string, object?> map:
                var command = map.GetValueOrDefault("command") as string;
                if (string.IsNullOrWhiteSpace(command))
                {
                    errors.Add($"{key}.command must be a non-empty string");
                    return null;
                }

                var timeout = defaultTimeout;
                if (map.TryGetValue("timeout_ms", out var raw) && raw is not null)
                {
                    if (raw is not string value || !int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out timeout) || timeout <= 0)
                    {
                        errors.Add($"{key}.timeout_ms must be a positive integer");
                        return null;
                    }
                }

                return new ValidationCommand(command.Trim(), timeout);
            default:
                errors.Add($"{key} must be a command string or a map with command and timeout_ms");
                return null;
        }
    }
}

/// <summary>
/// Baton extension <c>handoff</c>: when a turn ends and the task is still in an active state, Baton checks the work
/// (validation green, workspace committed and clean) and, if it is review-ready, moves the task to <see cref="State"/>
/// with the proof summary as a comment. Off unless the workflow has a <c>handoff</c> map: in Symphony the agent moves
/// its own task, and a plain Symphony WORKFLOW.md must behave as the specification says.
/// </summary>
public sealed record HandoffSettings
{
    public const string DefaultState = "Human Review";

    public bool Enabled { get; init; }

    /// <summary><c>handoff.state</c>; null means the project's first hand-off state, else <see cref="DefaultState"/>.</summary>
    public string? State { get; init; }

    /// <summary><c>handoff.pull_request</c>: open a GitHub pull request when the project has a GitHub repo.</summary>
    public bool PullRequest { get; init; }

    public static HandoffSettings None { get; } = new();

    internal static HandoffSettings Read(SettingsReader reader, List<string> errors)
    {
        if (reader.Raw("handoff") is null)
        {
            return None;
        }

        if (reader.Map("handoff") is null)
        {
            return None; // the reader reported "must be a mapping"
        }

        return new HandoffSettings
        {
            Enabled = reader.Bool("handoff.enabled") ?? true,
            State = reader.String("handoff.state"),
            PullRequest = reader.Bool("handoff.pull_request") ?? false,
        };
    }

}
