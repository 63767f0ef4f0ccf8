namespace Baton.Core.Scheduling;

/// <summary>What Baton's supervisor says, to agents and to people.</summary>
public static class SupervisorMessages
{
    /// <summary>The one message a run gets when it is about to end with work left uncommitted in its workspace.</summary>
    public static string CommitOrExplain(string problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return $"""
            Supervisor: your run is about to end, but your workspace is not committed and clean:

            {problems.Trim()}

            Commit the work that belongs to this task (git add, git commit with a message that says why), and remove what does not belong. If something must stay uncommitted, say why in one short paragraph. Then end your turn.
            """;
    }

    /// <summary>The comment and message a person gets when a task keeps failing.</summary>
    public static string Escalation(string identifier, int attempts, string? error, string? session)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var last = string.IsNullOrWhiteSpace(error) ? "no error was reported" : error.Trim();
        var where = session is null ? string.Empty : $" Its last session is {session} (baton peek {session}, baton attach {session}).";
        return $"Baton's supervisor: {identifier} has failed {attempts} attempts in a row; the last error: {last}. Baton keeps retrying with backoff, but a person should look.{where}";
    }
}
