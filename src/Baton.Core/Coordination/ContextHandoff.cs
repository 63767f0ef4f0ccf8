using System.Globalization;
using Baton.Core.Errors;

namespace Baton.Core.Coordination;

/// <summary>
/// Context cycling (the Gas Town seed's "mail to self"): when an agent's context is nearly full, it writes a note for
/// its task's next run with <c>baton handoff</c>, its run ends, and the next run starts a fresh conversation with the note.
/// </summary>
public static class ContextHandoff
{
    /// <summary>The default of <c>agent.context_handoff_percent</c> (WORKFLOW.md) and <c>baton spawn --handoff-threshold</c>.</summary>
    public const int DefaultThresholdPercent = 80;

    /// <summary>A threshold of 0 turns automatic hand-off off.</summary>
    public const int Off = 0;

    /// <summary>A threshold is a whole percentage, 0 (off) to 100.</summary>
    public static int Validate(int percent, string source)
    {
        if (percent is < 0 or > 100)
        {
            throw BatonException.Usage(
                ErrorCodes.HandoffThresholdInvalid,
                string.Create(CultureInfo.InvariantCulture, $"{source} must be a percentage from 0 (off) to 100, not {percent}"),
                string.Create(CultureInfo.InvariantCulture, $"Use e.g. {DefaultThresholdPercent} (ask for a hand-off when the context is {DefaultThresholdPercent}% full), or 0 to turn automatic hand-off off."));
        }

        return percent;
    }

    /// <summary>Whether to ask the agent for its hand-off note now: the threshold is on and reached, and it was not asked yet.</summary>
    public static bool ShouldAsk(double? contextPercent, int thresholdPercent, bool alreadyAsked) =>
        thresholdPercent > Off && !alreadyAsked && contextPercent is { } percent && percent >= thresholdPercent;

    /// <summary>The steering message that asks the agent to write its note and hand off.</summary>
    public static string SteeringText(double contextPercent, int thresholdPercent)
    {
        var percent = string.Create(CultureInfo.InvariantCulture, $"Your context is {contextPercent:0}% full (the hand-off threshold is {thresholdPercent}%).");
        return $"[Baton] {percent} Finish the step you are on and commit what is worth keeping, then hand off: write a note for the next run of this task " +
            "(what is done, what is left, where things are, decisions and pitfalls) and run `baton handoff -m \"<your note>\"`. " +
            "The next run starts a fresh conversation in this same workspace with your note; this run ends after the current turn.";
    }

    /// <summary>The run's reason when it ended with a hand-off.</summary>
    public static string Reason(long messageId) =>
        string.Create(CultureInfo.InvariantCulture, $"handed off: note #{messageId} goes to the task's next run");
}
