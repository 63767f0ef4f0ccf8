using System.Text.Json;
using Baton.Core.Web;
using Baton.Web;

namespace Baton.Tests.Web;

public class ServerEventHubTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Publish_SubscriberFallsBehind_EndsItsStreamAfterWhatItHas()
    {
        var hub = new ServerEventHub(capacity: 2);
        await using var slow = hub.SubscribeAsync().GetAsyncEnumerator();
        var first = slow.MoveNextAsync().AsTask();
        hub.SubscriberCount.ShouldBe(1);

        for (var i = 1; i <= 4; i++)
        {
            hub.Publish(Event(i));
        }

        // It is told (its stream ends) instead of silently missing events 3 and 4.
        (await first.WaitAsync(s_bound)).ShouldBeTrue();
        slow.Current.Id.ShouldBe(1);
        (await slow.MoveNextAsync().AsTask().WaitAsync(s_bound)).ShouldBeTrue();
        slow.Current.Id.ShouldBe(2);
        (await slow.MoveNextAsync().AsTask().WaitAsync(s_bound)).ShouldBeFalse();
        hub.SubscriberCount.ShouldBe(0);
    }

    [Fact]
    public async Task SubscribeAsync_Cancelled_Unsubscribes()
    {
        var hub = new ServerEventHub();
        using var cancel = new CancellationTokenSource();
        var enumerator = hub.SubscribeAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = enumerator.MoveNextAsync().AsTask();
        hub.SubscriberCount.ShouldBe(1);

        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => next.WaitAsync(s_bound));
        await enumerator.DisposeAsync().AsTask().WaitAsync(s_bound);
        hub.SubscriberCount.ShouldBe(0);
    }

    [Fact]
    public async Task Complete_EndsSubscribersAndRefusesNewOnes()
    {
        var hub = new ServerEventHub();
        await using var before = hub.SubscribeAsync().GetAsyncEnumerator();
        var next = before.MoveNextAsync().AsTask();

        hub.Complete();

        (await next.WaitAsync(s_bound)).ShouldBeFalse();
        await using var after = hub.SubscribeAsync().GetAsyncEnumerator();
        (await after.MoveNextAsync().AsTask().WaitAsync(s_bound)).ShouldBeFalse();
    }

    [Theory]
    [InlineData("state", true)]
    [InlineData("session.event-1", true)]
    [InlineData("", false)]
    [InlineData("two\nlines", false)]
    [InlineData("Upper", false)]
    public void IsValidType_Token_OnlyOneLowercaseWord(string type, bool valid) =>
        ServerEvent.IsValidType(type).ShouldBe(valid);

    private static ServerEvent Event(int n) => new(ServerEventTypes.State, JsonDocument.Parse("{}").RootElement.Clone(), n);
}
