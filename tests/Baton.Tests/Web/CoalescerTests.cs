using Baton.Tests.TestSupport;
using Baton.Web;

namespace Baton.Tests.Web;

/// <summary>The state-event coalescer on a <see cref="ManualTime"/> clock: what it does, never how fast.</summary>
public sealed class CoalescerTests
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(200);

    private readonly ManualTime _time = new();
    private int _runs;

    [Fact]
    public void Signal_AfterAQuietSpell_RunsAtOnceAndOnlyOnce()
    {
        using var coalescer = new Coalescer(() => _runs++, s_interval, _time);

        coalescer.Signal();
        _time.Advance(TimeSpan.Zero);
        _runs.ShouldBe(1);

        _time.Advance(s_interval * 10);
        _runs.ShouldBe(1);
    }

    [Fact]
    public void Burst_FoldsIntoOneRunPerInterval_AndTheLastSignalIsFollowedByARun()
    {
        using var coalescer = new Coalescer(() => _runs++, s_interval, _time);

        Signal(coalescer, 1000);
        _time.Advance(TimeSpan.Zero);
        _runs.ShouldBe(1);

        Signal(coalescer, 1000);
        _time.Advance(s_interval / 2);
        _runs.ShouldBe(1); // not before the interval is over

        _time.Advance(s_interval / 2);
        _runs.ShouldBe(2); // the trailing run: the last change is published

        _time.Advance(s_interval * 10);
        _runs.ShouldBe(2);
    }

    [Fact]
    public void Signal_WhileTheActionRuns_SchedulesAnotherRun()
    {
        Coalescer? coalescer = null;
        coalescer = new Coalescer(
            () =>
            {
                if (++_runs == 1)
                {
                    coalescer!.Signal(); // a change that happens while the snapshot is being taken
                }
            },
            s_interval,
            _time);
        using (coalescer)
        {
            coalescer.Signal();
            _time.Advance(TimeSpan.Zero);
            _time.Advance(s_interval);

            _runs.ShouldBe(2);
        }
    }

    [Fact]
    public void Action_Throws_GoesToOnErrorAndLaterSignalsStillRun()
    {
        var errors = new List<Exception>();
        using var coalescer = new Coalescer(
            () =>
            {
                if (++_runs == 1)
                {
                    throw new InvalidOperationException("first");
                }
            },
            s_interval,
            _time,
            errors.Add);

        coalescer.Signal();
        _time.Advance(TimeSpan.Zero);
        coalescer.Signal();
        _time.Advance(s_interval);

        _runs.ShouldBe(2);
        errors.Single().Message.ShouldBe("first");
    }

    [Fact]
    public void Dispose_BeforeTheTrailingRun_RunsNothingMore()
    {
        var coalescer = new Coalescer(() => _runs++, s_interval, _time);
        coalescer.Signal();
        _time.Advance(TimeSpan.Zero);
        coalescer.Signal();

        coalescer.Dispose();
        coalescer.Signal();
        _time.Advance(s_interval * 10);

        _runs.ShouldBe(1);
    }

    private static void Signal(Coalescer coalescer, int times)
    {
        for (var i = 0; i < times; i++)
        {
            coalescer.Signal();
        }
    }
}
