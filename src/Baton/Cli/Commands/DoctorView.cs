using System.Text.Json.Serialization;
using Baton.Core.Doctor;

namespace Baton.Cli.Commands;

/// <summary>One row of <c>baton doctor</c>. <c>status</c> is ok, warn, missing or too_old; <c>source</c> is runtime, tools or path.</summary>
public sealed record DoctorCheckView(
    string Name,
    string Kind,
    bool Required,
    string Status,
    string? Version,
    string? Minimum,
    string? Path,
    string? Source,
    string? Detail,
    string? Fix)
{
    public static DoctorCheckView From(CheckOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return new(outcome.Name, outcome.Kind, outcome.Required, DoctorRules.StatusCode(outcome.Status), outcome.Version, outcome.Minimum,
            outcome.Path, outcome.Source is { } source ? DoctorRules.SourceCode(source) : null, outcome.Detail, outcome.Fix);
    }
}

/// <summary>What <c>--fix</c> did: the agents installed, the npm command, and the problems left for a person (with their command).</summary>
public sealed record DoctorFixView(IReadOnlyList<string> Installed, string? Command, IReadOnlyList<string> Manual);

/// <summary>
/// <c>healthy</c> is false when git or tmux is missing or too old, or when the crew has a problem <c>--fix</c> did not
/// repair; the exit code is then 1. <c>crew</c> is null when no project is in reach (no baton.yaml, no state.db).
/// </summary>
public sealed record DoctorReport(bool Healthy, string ToolsDirectory, IReadOnlyList<DoctorCheckView> Checks, DoctorFixView? Fix, IReadOnlyList<CrewFinding>? Crew = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DoctorReport))]
internal sealed partial class DoctorJsonContext : JsonSerializerContext;
