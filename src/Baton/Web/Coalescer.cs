namespace Baton.Web;

/// <summary>
/// Runs an action at most once per interval however often it is signalled, and always once more after the last
/// signal (trailing edge), so the last change is never left unpublished. A signal after a quiet spell runs at once.
/// Used for the dashboard's <c>state</c> events: a crew of agents changes the state hundreds of times a second, and
/// every change would otherwise be a whole snapshot sent to every open page.
/// </summary>
public sealed class Coalescer : IDisposable
{
    private readonly Action _action;
    private readonly Action<Exception>? _onError;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private bool _scheduled;
    private bool _disposed;
    private long _lastRun = long.MinValue;

    /// <param name="onError">Where a failure of <paramref name="action"/> goes: it runs on a timer thread, where an
    /// exception would end the process.</param>
    public Coalescer(Action action, TimeSpan interval, TimeProvider time, Action<Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(time);
        _action = action;
        _onError = onError;
        _interval = interval;
        _time = time;
    }

    public void Signal()
    {
        lock (_lock)
        {
            if (_scheduled || _disposed)
            {
                return;
            }

            _scheduled = true;
            var since = _lastRun == long.MinValue ? _interval : _time.GetElapsedTime(_lastRun);
            var delay = since >= _interval ? TimeSpan.Zero : _interval - since;
            _timer?.Dispose();
            _timer = _time.CreateTimer(_ => Fire(), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Fire()
    {
        lock (_lock)
        {
            // Cleared before the action runs: a change during it schedules the next run instead of being lost.
            _scheduled = false;
            _lastRun = _time.GetTimestamp();
            if (_disposed)
            {
                return;
            }
        }

        try
        {
            _action();
        }
        catch (Exception ex)
        {
            _onError?.Invoke(ex);
        }
    }
}
