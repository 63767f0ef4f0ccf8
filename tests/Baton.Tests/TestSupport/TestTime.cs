namespace Baton.Tests.TestSupport;

/// <summary>A clock that moves only when a test moves it.</summary>
public sealed class TestTime : TimeProvider
{
    private DateTimeOffset _now;

    public TestTime(DateTimeOffset? start = null)
    {
        _now = start ?? new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
