using System.Globalization;

namespace Baton.Core.Sessions;

/// <summary>
/// Session names (agent-orchestrator seed): <c>{prefix}-{n}</c> for people, <c>{hash}-{prefix}-{n}</c> for tmux, so two
/// checkouts of the same config never share a tmux session.
/// </summary>
public static class SessionNames
{
    public static string Name(string sessionPrefix, long number) =>
        string.Create(CultureInfo.InvariantCulture, $"{sessionPrefix.ToLowerInvariant()}-{number}");

    public static string RuntimeName(string configHash, string sessionPrefix, long number) =>
        string.Create(CultureInfo.InvariantCulture, $"{configHash}-{sessionPrefix.ToLowerInvariant()}-{number}");

    /// <summary>Splits <c>int-3</c> into its prefix and number.</summary>
    public static bool TryParse(string? name, out string prefix, out long number)
    {
        prefix = string.Empty;
        number = 0;
        if (string.IsNullOrWhiteSpace(name))
        {
            return false;
        }

        var text = name.Trim();
        var dash = text.LastIndexOf('-');
        if (dash <= 0 || !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out number) || number <= 0)
        {
            return false;
        }

        prefix = text[..dash].ToLowerInvariant();
        return prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));
    }
}

/// <summary>What a session is doing, as <c>baton list</c> shows it.</summary>
public static class SessionStatus
{
    public const string Starting = "starting";
    public const string Working = "working";
    public const string Idle = "idle";
    public const string WaitingForInput = "waiting_for_input";
    public const string Finished = "finished";
    public const string Failed = "failed";

    /// <summary>The worker stopped without finishing (killed, crashed, stopped by a person) and nothing of it runs.</summary>
    public const string Exited = "exited";

    /// <summary>The worker is gone but processes of its agent still run: <c>baton kill</c> cleans them.</summary>
    public const string Orphaned = "orphaned";

    public static bool IsLive(string status) => status is Starting or Working or Idle or WaitingForInput;

    public static bool IsEnded(string status) => status is Finished or Failed or Exited;

    /// <summary>
    /// The truthful status from what can be observed: the worker's last reported status, whether the worker process
    /// is alive, and whether any process of its agent run is alive.
    /// </summary>
    public static string Derive(string? reported, bool workerAlive, bool agentProcessesAlive)
    {
        if (reported is null)
        {
            return workerAlive ? Starting : agentProcessesAlive ? Orphaned : Exited;
        }

        if (workerAlive)
        {
            return reported;
        }

        if (agentProcessesAlive)
        {
            return Orphaned;
        }

        return reported is Finished or Failed ? reported : Exited;
    }
}
