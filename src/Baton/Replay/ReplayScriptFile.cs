using Baton.Core.Errors;
using Baton.Core.Replay;

namespace Baton.Replay;

/// <summary>Reads a replay script from disk.</summary>
public static class ReplayScriptFile
{
    /// <exception cref="BatonException"><c>replay_script_not_found</c> or <c>replay_script_invalid</c>.</exception>
    public static ReplayScript Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw NotFound(path, "is a directory", null);
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            throw NotFound(path, ex is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"cannot be read ({ex.Message})", ex);
        }

        return ReplayScript.Parse(text, path);
    }

    private static BatonException NotFound(string path, string reason, Exception? inner) => new(
        ErrorCodes.ReplayScriptNotFound,
        $"the replay script {path} {reason}",
        "Give --script the path of a JSON list of turns, e.g. [{\"text\": \"Done.\"}].",
        ExitCodes.BadUsage,
        inner);
}
