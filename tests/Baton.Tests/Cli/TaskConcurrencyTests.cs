using System.Diagnostics;
using System.Globalization;
using Baton.Processes;
using Baton.Tests.TestSupport;
using Xunit.Abstractions;

namespace Baton.Tests.Cli;

/// <summary>Many real baton processes writing one project at once: identifiers come out gap-free and unique.</summary>
public sealed class TaskConcurrencyTests(ITestOutputHelper output)
{
    private const int Workers = 8;
    private const int TasksPerWorker = 200;

    // About 1,600 process launches: minutes on two cores. Skip it while iterating with --filter "Category!=Slow".
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Add_EightProcessesTwoHundredTasksEach_AllocatesOneToSixteenHundredWithoutGapsOrDuplicates()
    {
        using var world = await TempWorld.CreateAsync();

        var baton = BatonBinary.Path;

        // Each worker is a shell loop of real launches, so eight processes contend for the database at every moment.
        const string script = """
            failures=0
            for i in $(seq 1 "$COUNT"); do
              "$BATON" task add app "worker $WORKER task $i" >/dev/null 2>>"$ERRORS" || failures=$((failures + 1))
            done
            echo "$failures"
            """;
        var watch = Stopwatch.StartNew();
        var runs = Enumerable.Range(1, Workers).Select(worker => ProcessRunner.RunAsync(new ProcessSpec("bash", ["-c", script])
        {
            WorkingDirectory = world.Repo,
            Environment = new Dictionary<string, string?>
            {
                ["BATON"] = baton,
                ["BATON_HOME"] = world.Home,
                ["HOME"] = world.UserHome,
                ["WORKER"] = worker.ToString(CultureInfo.InvariantCulture),
                ["COUNT"] = TasksPerWorker.ToString(CultureInfo.InvariantCulture),
                ["ERRORS"] = Path.Combine(world.Root, $"worker-{worker}.err"),
                ["BATON_PROJECT"] = null,
            },
            Timeout = TimeSpan.FromMinutes(10),
        }));
        var results = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromMinutes(11));
        watch.Stop();
        output.WriteLine($"{Workers}×{TasksPerWorker} task add launches: {watch.Elapsed.TotalSeconds:0.0} s ({watch.Elapsed.TotalMilliseconds / (Workers * TasksPerWorker):0} ms per add overall)");

        foreach (var (result, worker) in results.Select((r, i) => (r, i + 1)))
        {
            var errors = File.ReadAllText(Path.Combine(world.Root, $"worker-{worker}.err"));
            result.TimedOut.ShouldBeFalse();
            result.StandardOutput.Trim().ShouldBe("0", $"worker {worker} failures; stderr: {errors}");
            errors.ShouldBeEmpty();
        }

        var listed = await world.RunAsync("task", "list", "--all", "--json");
        var identifiers = TaskCommandTests.Identifiers(listed.Data);
        identifiers.Count.ShouldBe(Workers * TasksPerWorker);
        identifiers.ShouldBe(Enumerable.Range(1, Workers * TasksPerWorker).Select(n => $"APP-{n}").ToList());
        var titles = listed.Data.EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToHashSet();
        titles.Count.ShouldBe(Workers * TasksPerWorker);
    }
}
