using Baton.Cli;

namespace Baton;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        var context = CliContext.FromProcess();
        try
        {
            return await BatonApp.RunAsync(args, context, cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return 130;
        }
#pragma warning disable CA1031 // The one catch-all: the full exception goes to the log, one line to the person.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var log = CrashLog.Write(context, ex);
            await context.Err.WriteLineAsync($"error[internal_error]: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            await context.Err.WriteLineAsync($"  → This is a bug in Baton. The details are in {log}; please include them in a report.").ConfigureAwait(false);
            return 1;
        }
    }
}
