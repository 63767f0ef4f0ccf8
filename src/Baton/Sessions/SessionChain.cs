using Baton.Storage;

namespace Baton.Sessions;

/// <summary>
/// A task's sessions as one chain of runs (retries, continuations, hand-offs): each session's manifest names the
/// previous one; the next is the session whose manifest names this one.
/// </summary>
public static class SessionChain
{
    /// <summary>The sessions before and after <paramref name="session"/> in its task's chain (null at either end).</summary>
    public static (string? Previous, string? Next) Around(StateStore store, SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(session);
        var previous = Previous(session);
        if (session.TaskId is not { } taskId)
        {
            return (previous, null);
        }

        var next = store.Read(db => SessionRows.ForTask(db, taskId))
            .Where(s => s.Project == session.Project && s.Number > session.Number)
            .OrderBy(s => s.Number)
            .FirstOrDefault(s => Previous(s) == session.Name);
        return (previous, next?.Name);
    }

    /// <summary>The previous session its manifest records; null when it records none (or cannot be read, e.g. archived away).</summary>
    public static string? Previous(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            return File.Exists(session.Files.Manifest) ? session.Files.ReadManifest().PreviousSession : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            return null;
        }
    }
}
