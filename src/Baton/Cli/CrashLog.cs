using System.Globalization;

namespace Baton.Cli;

/// <summary>Unexpected exceptions are appended in full to <c>BATON_HOME/logs/crash.log</c> (or the temp directory).</summary>
public static class CrashLog
{
    public static string Write(CliContext context, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(context);
        var entry = string.Create(CultureInfo.InvariantCulture, $"{context.Time.GetUtcNow():O} pid={Environment.ProcessId} {exception}\n\n");
        foreach (var directory in new[] { Path.Combine(context.BatonHome, "logs"), Path.GetTempPath() })
        {
            try
            {
                Directory.CreateDirectory(directory);
                var path = Path.Combine(directory, "baton-crash.log");
                File.AppendAllText(path, entry);
                return path;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Try the next place.
            }
        }

        return "(nowhere: no writable log directory)";
    }
}
