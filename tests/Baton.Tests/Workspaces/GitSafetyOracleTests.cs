using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Baton.Core.Workspaces;
using Baton.Tests.TestSupport;
using Baton.Workspaces;
using Xunit.Abstractions;

namespace Baton.Tests.Workspaces;

/// <summary>
/// Zero false negatives, checked against reality: for hundreds of random repository states the analyzer's
/// verdict must equal what actually happens when the workspace is removed (and its branch deleted).
/// BATON_ORACLE_SEED and BATON_ORACLE_STATES change the seed and the number of states.
/// </summary>
public sealed class GitSafetyOracleTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20_240_601;
    private const int DefaultStates = 300;

    [Fact]
    public async Task Analyze_RandomRepositoryStates_AgreesWithRemovalOracle()
    {
        var baseSeed = ReadSetting("BATON_ORACLE_SEED", DefaultSeed);
        var states = ReadSetting("BATON_ORACLE_STATES", DefaultStates);
        var failures = new ConcurrentBag<string>();
        var counters = new ConcurrentDictionary<string, int>();
        var watch = Stopwatch.StartNew();
        using var template = await RandomRepositoryState.CreateTemplateAsync().WaitAsync(TimeSpan.FromSeconds(60));

        await Parallel.ForEachAsync(
            Enumerable.Range(0, states),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            async (i, _) =>
            {
                var seed = baseSeed + i;
                try
                {
                    var failure = await CheckStateAsync(template, seed, counters);
                    if (failure is not null)
                    {
                        failures.Add(failure);
                    }
                }
                catch (Exception ex)
                {
                    failures.Add($"seed {seed}: {ex}");
                }
            }).WaitAsync(TimeSpan.FromMinutes(5));

        output.WriteLine($"{states} states from seed {baseSeed} in {watch.Elapsed.TotalSeconds:F1} s; " +
            string.Join(", ", counters.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}")));
        if (!failures.IsEmpty)
        {
            Assert.Fail($"{failures.Count} of {states} states disagree (base seed {baseSeed}; rerun one with BATON_ORACLE_SEED=<seed> BATON_ORACLE_STATES=1):\n\n"
                + string.Join("\n\n", failures.OrderBy(f => f, StringComparer.Ordinal).Take(5)));
        }
    }

    private static async Task<string?> CheckStateAsync(GitSandbox template, int seed, ConcurrentDictionary<string, int> counters)
    {
        using var git = await GitSandbox.CopyOfAsync(template).WaitAsync(GitSandbox.Timeout);
        git.Keep = Environment.GetEnvironmentVariable("BATON_ORACLE_KEEP") == "1";
        var state = await RandomRepositoryState.BuildAsync(git, seed).WaitAsync(TimeSpan.FromMinutes(2));
        var report = await new GitSafetyAnalyzer()
            .AnalyzeAsync(git.Repo, state.Workspace, RandomRepositoryState.Branch, "main")
            .WaitAsync(TimeSpan.FromSeconds(30));
        var verdict = await RemovalOracle.JudgeAsync(git, state.Workspace, RandomRepositoryState.Branch, git.Root).WaitAsync(TimeSpan.FromSeconds(60));

        Count(counters, verdict.LostWithDirectory ? "lost-with-directory" : "safe-with-directory");
        Count(counters, verdict.LostWithBranch ? "lost-with-branch" : "safe-with-branch");
        foreach (var finding in report.Findings)
        {
            Count(counters, finding.Kind);
        }

        var problems = new List<string>();
        if (report.LosesWork(deleteBranch: false) != verdict.LostWithDirectory)
        {
            problems.Add($"directory removal: analyzer says loses-work={report.LosesWork(false)}, oracle says {verdict.LostWithDirectory}");
        }

        if (report.LosesWork(deleteBranch: true) != verdict.LostWithBranch)
        {
            problems.Add($"branch deletion: analyzer says loses-work={report.LosesWork(true)}, oracle says {verdict.LostWithBranch}");
        }

        if ((report.Find(SafetyFindingKinds.LockedWorktree) is not null) != verdict.RefusedBecauseLocked)
        {
            problems.Add($"lock: analyzer says {report.Find(SafetyFindingKinds.LockedWorktree) is not null}, git refused removal: {verdict.RefusedBecauseLocked}");
        }

        if (problems.Count == 0)
        {
            return null;
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"seed {seed}: {string.Join("; ", problems)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  sandbox: {git.Root}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  oracle: {verdict.Detail}");
        foreach (var finding in report.Findings)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  finding {finding.Kind} ({finding.Severity}, {finding.Scope}) x{finding.Count}: {string.Join(" | ", finding.Items.Take(5))}");
        }

        foreach (var line in state.Log)
        {
            text.AppendLine("  " + line);
        }

        return text.ToString();
    }

    private static void Count(ConcurrentDictionary<string, int> counters, string key) => counters.AddOrUpdate(key, 1, (_, v) => v + 1);

    private static int ReadSetting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
