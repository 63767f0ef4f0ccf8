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
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            var reason = ex is UnauthorizedAccessException ? "cannot be read" : Directory.Exists(path) ? "is a directory" : "does not exist";
            throw new BatonException(
                ErrorCodes.ReplayScriptNotFound,
                $"the replay script {path} {reason}",
                "Give --script the path of a JSON list of turns, e.g. [{\"text\": \"Done.\"}].",
                ExitCodes.BadUsage,
                ex);
        }

        return ReplayScript.Parse(text, path);
    }
}
