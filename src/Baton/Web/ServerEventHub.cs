using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Baton.Core.Web;

namespace Baton.Web;

/// <summary>
/// Fans live updates out to every subscriber, each with its own bounded queue, so one slow browser tab never holds up
/// the orchestrator or the other clients. A subscriber that falls <see cref="Capacity"/> events behind is ended
/// rather than silently skipped: its stream completes, the browser's EventSource reconnects and re-reads the state, so
/// what it shows is never quietly wrong.
/// </summary>
public sealed class ServerEventHub
{
    private readonly Lock _lock = new();
    private readonly List<Channel<ServerEvent>> _subscribers = [];
    private bool _completed;

    public ServerEventHub(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Hands <paramref name="serverEvent"/> to every current subscriber; never blocks.</summary>
    public void Publish(ServerEvent serverEvent)
    {
        ArgumentNullException.ThrowIfNull(serverEvent);
        lock (_lock)
        {
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                if (!_subscribers[i].Writer.TryWrite(serverEvent))
                {
                    _subscribers[i].Writer.TryComplete();
                    _subscribers.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Ends every subscription and refuses new ones (the orchestrator is shutting down).</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }

            _subscribers.Clear();
        }
    }

    /// <summary>Events published from the first <c>MoveNextAsync</c> on, until cancelled or ended.</summary>
    public async IAsyncEnumerable<ServerEvent> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<ServerEvent>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        bool accepted;
        lock (_lock)
        {
            accepted = !_completed;
            if (accepted)
            {
                _subscribers.Add(channel);
            }
        }

        if (!accepted)
        {
            yield break;
        }

        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
            }
        }
    }
}
