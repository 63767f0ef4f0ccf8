namespace Baton.Tests.TestSupport;

/// <summary>
/// Bounded polling for conditions nothing notifies about (the process table, files other processes write):
/// never a bare sleep, never an unbounded wait.
/// </summary>
public static class Poll
{
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Fails the test, naming <paramref name="what"/>, when the condition does not hold in time.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        if (!await UntilAsync(condition, timeout))
        {
            throw new TimeoutException($"not within {timeout.TotalSeconds} s: {what}");
        }
    }
}
