using Baton.Core.Workflows;

namespace Baton.Core.Coordination;

/// <summary>
/// Baton extension <c>merge</c> in WORKFLOW.md: how the merge queue lands work. The queue itself always exists
/// (<c>baton merge</c>); these keys only change when it runs by itself and whether it pushes.
/// </summary>
public sealed record MergeSettings
{
    /// <summary><c>merge.continuous</c>: <c>baton run</c> runs the queue whenever a task reaches the merge state.</summary>
    public bool Continuous { get; init; }

    /// <summary><c>merge.push</c>: push the default branch after each landing when the project has a remote.</summary>
    public bool Push { get; init; }

    public static MergeSettings None { get; } = new();

    internal static MergeSettings Read(SettingsReader reader, List<string> errors)
    {
        if (reader.Raw("merge") is null || reader.Map("merge") is null)
        {
            return None;
        }

        return new MergeSettings
        {
            Continuous = reader.Bool("merge.continuous") ?? false,
            Push = reader.Bool("merge.push") ?? false,
        };
    }

}
