using Baton.Core.Events;
using Baton.Core.Scheduling;
using static Baton.Core.Tests.Scheduling.TaskKit;

namespace Baton.Core.Tests.Scheduling;

/// <summary>
/// Seeded random walks over every kind of observation, with a simulated daemon that keeps the set of live agent
/// processes. After every step: one live agent per task at most and every live agent is tracked (§7.4), no dispatch
/// beyond the global or per-state limit (§8.3), and <c>claimed</c> is exactly running ∪ retrying ∪ blocked.
/// </summary>
public class SchedulerPropertyTests
{
    private static readonly string[] s_states = ["Todo", "In Progress", "Human Review", "Done", " todo "];
    private static readonly string[] s_outcomes = [Outcomes.Succeeded, Outcomes.Succeeded, Outcomes.Failed, Outcomes.TimedOut, Outcomes.InputRequired, Outcomes.Stopped, Outcomes.Aborted];

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 1; seed <= 40; seed++)
        {
            seeds.Add(seed);
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Property_RandomObservations_NeverTwoAgentsPerTask_NeverOverTheLimits_ClaimsAlwaysConsistent(int seed)
    {
        var random = new Random(seed);
        var config = RandomConfig(random);
        var h = new SchedulerHarness(config);
        var world = Enumerable.Range(1, 8).Select(i => RandomTask(random, $"INT-{i}")).ToDictionary(t => t.Id);
        var live = new Dictionary<string, long>();       // task id -> run id of the agent process the daemon holds
        var started = new HashSet<long>();
        var revalidations = new List<Revalidate>();
        var retries = new List<ScheduleRetry>();

        void Carry(SchedulerInput input)
        {
            var runningBefore = h.State.Running.Count;
            var actions = h.Feed(input);
            foreach (var action in actions)
            {
                switch (action)
                {
                    case Dispatch dispatch:
                        live.ContainsKey(dispatch.TaskId).ShouldBeFalse($"seed {seed}: second agent for {dispatch.TaskId} after {input.GetType().Name}");
                        live[dispatch.TaskId] = dispatch.RunId;
                        h.State.Running.Count.ShouldBeLessThanOrEqualTo(h.State.Config.MaxConcurrentAgents, $"seed {seed}: over the global limit");
                        var state = TaskStates(dispatch.Task.State);
                        h.State.Running.Values.Count(e => TaskStates(e.Task.State) == state)
                            .ShouldBeLessThanOrEqualTo(h.State.Config.StateLimit(dispatch.Task.State), $"seed {seed}: over the limit of {state}");
                        break;
                    case Adopted adopted:
                        live.ContainsKey(adopted.TaskId).ShouldBeFalse();
                        live[adopted.TaskId] = adopted.RunId;
                        started.Add(adopted.RunId);
                        break;
                    case Revalidate revalidate:
                        revalidations.Add(revalidate);
                        break;
                    case ScheduleRetry retry:
                        retries.Add(retry);
                        break;
                }
            }

            if (!actions.Any(a => a is Dispatch or Revalidate or Adopted))
            {
                h.State.Running.Count.ShouldBeLessThanOrEqualTo(runningBefore, $"seed {seed}: running grew without a dispatch");
            }

            CheckInvariants(h.State, live, seed);
        }

        Carry(new AdoptSessions(h.Now, world.Values.Take(random.Next(0, 3)).Select(t => new LiveSession(t, "old-" + t.Identifier, h.Now)).ToList()));

        for (var step = 0; step < 400; step++)
        {
            h.Clock.AdvanceMs(random.Next(0, 4) switch { 0 => 0, 1 => 700, 2 => 12_000, _ => random.Next(0, 400_000) });
            if (random.Next(0, 6) == 0)
            {
                var id = world.Keys.ElementAt(random.Next(world.Count));
                world[id] = Mutate(random, world[id]);
            }

            var liveRuns = live.ToList();
            switch (random.Next(0, 12))
            {
                case 0 or 1:
                    TaskRefresh? refresh = random.Next(0, 5) switch
                    {
                        0 => TaskRefresh.Failure("tracker down"),
                        1 => null,
                        _ => TaskRefresh.Of(h.State.ReconcileIds, h.State.ReconcileIds.Where(id => random.Next(0, 8) != 0).Select(id => world[id]).ToList()),
                    };
                    var candidates = random.Next(0, 6) == 0 ? null : world.Values.Where(_ => random.Next(0, 4) != 0).ToList();
                    Carry(new Tick(h.Now, refresh, candidates));
                    break;
                case 2 when revalidations.Count > 0:
                    var revalidate = revalidations[random.Next(revalidations.Count)];
                    revalidations.Remove(revalidate);
                    Carry(new Revalidated(h.Now, revalidate.TaskId, revalidate.RunId, RandomLookup(random, world[revalidate.TaskId])));
                    break;
                case 3 when liveRuns.Count > 0:
                    var (startId, startRun) = liveRuns[random.Next(liveRuns.Count)];
                    if (started.Contains(startRun) || random.Next(0, 4) == 0)
                    {
                        live.Remove(startId);
                        Carry(new RunExited(h.Now, startId, startRun, s_outcomes[random.Next(s_outcomes.Length)], "random exit"));
                    }
                    else if (random.Next(0, 5) == 0)
                    {
                        live.Remove(startId);
                        Carry(new SpawnFailed(h.Now, startId, startRun, "random"));
                    }
                    else
                    {
                        started.Add(startRun);
                        Carry(new RunStarted(h.Now, startId, startRun, "s-" + startId));
                    }

                    break;
                case 4 when liveRuns.Count > 0:
                    var (eventId, eventRun) = liveRuns[random.Next(liveRuns.Count)];
                    var type = random.Next(0, 3) switch { 0 => WorkerEventTypes.Usage, 1 => WorkerEventTypes.Heartbeat, _ => WorkerEventTypes.AgentMessage };
                    var usage = new TokenUsage(random.Next(0, 1000), random.Next(0, 100), 0, 0, 0m);
                    Carry(new WorkerObserved(h.Now, eventId, random.Next(0, 5) == 0 ? eventRun + 1 : eventRun, new WorkerEvent { Ts = h.Now, Session = "s", Run = 1, Type = type, Usage = type == WorkerEventTypes.Usage ? usage : null, Text = "hi" }));
                    break;
                case 5 when liveRuns.Count > 0:
                    var (turnId, turnRun) = liveRuns[random.Next(liveRuns.Count)];
                    Carry(new TurnFinished(h.Now, turnId, turnRun, s_outcomes[random.Next(s_outcomes.Length)], null, RandomLookup(random, world[turnId])));
                    break;
                case 6 or 7 when retries.Count > 0:
                    var retry = retries[random.Next(retries.Count)];
                    Carry(new RetryFired(h.Now, retry.TaskId, retry.Token, RandomLookup(random, world[retry.TaskId])));
                    break;
                case 8:
                    Carry(new InputAnswered(h.Now, world.Keys.ElementAt(random.Next(world.Count)), "answer"));
                    break;
                case 9 when random.Next(0, 4) == 0:
                    Carry(new ConfigChanged(h.Now, RandomConfig(random)));
                    break;
                case 10:
                    Carry(new StallCheck(h.Now));
                    break;
                default:
                    // The daemon confirms a requested stop.
                    var stopping = h.State.Running.Values.FirstOrDefault(e => e.Phase == RunPhase.Stopping);
                    if (stopping is not null)
                    {
                        live.Remove(stopping.Task.Id);
                        Carry(new RunExited(h.Now, stopping.Task.Id, stopping.RunId, Outcomes.Stopped, null));
                    }

                    break;
            }
        }
    }

    private static void CheckInvariants(SchedulerState state, Dictionary<string, long> live, int seed)
    {
        var union = state.Running.Keys.Concat(state.Retrying.Keys).Concat(state.Blocked.Keys).ToList();
        union.Count.ShouldBe(union.Distinct().Count(), $"seed {seed}: a task is in two of running/retrying/blocked");
        state.Claimed.SetEquals(union).ShouldBeTrue($"seed {seed}: claimed [{string.Join(",", state.Claimed)}] is not running ∪ retrying ∪ blocked [{string.Join(",", union)}]");

        // Every live agent process is tracked by exactly the run the scheduler knows, and nothing tracked is missing.
        var tracked = state.Running.Values.Where(e => e.HasProcess).ToDictionary(e => e.Task.Id, e => e.RunId);
        tracked.OrderBy(kv => kv.Key).ShouldBe(live.OrderBy(kv => kv.Key), $"seed {seed}: live agents and running entries differ");
    }

    private static string TaskStates(string state) => state.Trim().ToLowerInvariant();

    private static SchedulerConfig RandomConfig(Random random) => SchedulerConfig.Default with
    {
        MaxConcurrentAgents = random.Next(1, 5),
        MaxConcurrentAgentsByState = random.Next(0, 2) == 0 ? new Dictionary<string, int>() : new Dictionary<string, int> { ["todo"] = random.Next(-1, 3), ["In Progress"] = random.Next(1, 3) },
        MaxTurns = random.Next(1, 4),
        StallTimeoutMs = random.Next(0, 3) == 0 ? 0 : 300_000,
        RequiredLabels = random.Next(0, 3) == 0 ? ["baton"] : [],
        RevalidateBeforeDispatch = random.Next(0, 3) != 0,
    };

    private static TrackedTask RandomTask(Random random, string identifier) =>
        T(identifier, s_states[random.Next(s_states.Length)], priority: random.Next(0, 6), minutes: random.Next(0, 100), dispatchable: random.Next(0, 5) != 0, labels: random.Next(0, 2) == 0 ? ["baton"] : []);

    private static TrackedTask Mutate(Random random, TrackedTask task) => random.Next(0, 3) switch
    {
        0 => task.In(s_states[random.Next(s_states.Length)]),
        1 => task with { Dispatchable = !task.Dispatchable },
        _ => task.WithLabels(random.Next(0, 2) == 0 ? ["baton"] : []),
    };

    private static TaskLookup RandomLookup(Random random, TrackedTask task) => random.Next(0, 8) switch
    {
        0 => TaskLookup.Missing,
        1 => TaskLookup.Failure("flaky"),
        _ => TaskLookup.Of(task),
    };
}
