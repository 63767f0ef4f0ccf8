using Baton.Core.Proofs;
using Baton.Processes;
using Baton.Proofs;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Proofs;

/// <summary>Validation commands for real: bash in a workspace, logs on disk, timeouts that kill the whole group.</summary>
public sealed class ValidationRunnerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N")[..12]);

    public ValidationRunnerTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "ws"));
    }

    private ValidationContext Context(long maxLogBytes = ValidationRunner.DefaultMaxLogBytes) => new()
    {
        Workspace = Path.Combine(_root, "ws"),
        LogDirectory = Path.Combine(_root, "logs"),
        Environment = new Dictionary<string, string?> { ["PROOF_TEST"] = "visible", ["GITHUB_TOKEN"] = null },
        Commit = "abc123",
        MaxLogBytes = maxLogBytes,
    };

    [Fact]
    public async Task RunAll_PassingAndFailingCommands_RecordsExitCodesOutputAndLogsInOrder()
    {
        File.WriteAllText(Path.Combine(_root, "ws", "marker.txt"), "here");
        Environment.SetEnvironmentVariable("GITHUB_TOKEN", null);

        var results = await ValidationRunner.RunAllAsync(
            [new ValidationCommand("cat marker.txt; echo \" $PROOF_TEST\"; echo to-stderr >&2", 30_000), new ValidationCommand("echo failing; exit 3", 30_000), new ValidationCommand("echo ${GITHUB_TOKEN:-no-token}", 30_000)],
            Context(),
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        results.Count.ShouldBe(3);
        results[0].Passed.ShouldBeTrue();
        results[0].ExitCode.ShouldBe(0);
        results[0].Commit.ShouldBe("abc123");
        results[0].Log.ShouldBe("1.log");
        var log = File.ReadAllText(Path.Combine(_root, "logs", "1.log"));
        log.ShouldContain("here visible\n");
        log.ShouldContain("to-stderr\n");
        results[0].Excerpt.ShouldBe(log);
        results[0].OutputBytes.ShouldBe(new FileInfo(Path.Combine(_root, "logs", "1.log")).Length);
        results[1].Passed.ShouldBeFalse();
        results[1].ExitCode.ShouldBe(3);
        results[1].Describe().ShouldBe("exit code 3");
        File.ReadAllText(Path.Combine(_root, "logs", "2.log")).ShouldBe("failing\n");
        results[2].Excerpt.ShouldBe("no-token\n");
    }

    [Fact]
    public async Task Run_CommandThatHangsWithABackgroundChild_IsKilledWithItsGroupAtTheTimeout()
    {
        var marker = $"sleep 7{Random.Shared.Next(100_000, 999_999)}";
        var result = await ValidationRunner.RunAsync(
            new ValidationCommand($"echo started; ({marker} &) ; {marker}", 1500),
            Path.Combine(_root, "logs", "hang.log"),
            Context(),
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        result.TimedOut.ShouldBeTrue();
        result.ExitCode.ShouldBeNull();
        result.Passed.ShouldBeFalse();
        result.Describe().ShouldBe("timed out after 1500 ms and was killed with its process group");
        result.DurationMs.ShouldBeGreaterThanOrEqualTo(1500);
        File.ReadAllText(Path.Combine(_root, "logs", "hang.log")).ShouldContain("[baton: killed after 1500 ms (timeout)]");
        (await Poll.UntilAsync(() => ProcessTable.WithCommandLine(marker).Count == 0, TimeSpan.FromSeconds(10))).ShouldBeTrue("a sleep of the killed group is still alive");
    }

    [Fact]
    public async Task Run_CommandPrintingHundredsOfMegabytes_IsDrainedWithTheLogCapped()
    {
        const long Printed = 300L * 1024 * 1024;
        const long Cap = 64 * 1024;
        var result = await ValidationRunner.RunAsync(
            new ValidationCommand($"head -c {Printed} /dev/zero | tr '\\0' 'x'; echo; echo the-end", 120_000),
            Path.Combine(_root, "logs", "huge.log"),
            Context(Cap),
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));

        result.ExitCode.ShouldBe(0);
        result.OutputBytes.ShouldBe(Printed + "\nthe-end\n".Length);
        result.LogTruncated.ShouldBeTrue();
        var log = new FileInfo(Path.Combine(_root, "logs", "huge.log"));
        log.Length.ShouldBeLessThan(Cap + 200);
        File.ReadAllText(log.FullName).ShouldEndWith($"[baton: log capped at {Cap} bytes; the command printed {Printed + 9} bytes]\n");
        result.Excerpt.Length.ShouldBeLessThanOrEqualTo(ValidationRunner.ExcerptBytes);
        result.Excerpt.ShouldEndWith("xxx\nthe-end\n");
    }

    [Fact]
    public async Task Run_EndlessOutputThatNeverExits_IsCappedAndKilledAtTheTimeout()
    {
        var result = await ValidationRunner.RunAsync(
            new ValidationCommand("yes 'endless line'", 2000),
            Path.Combine(_root, "logs", "yes.log"),
            Context(1024 * 1024),
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        result.TimedOut.ShouldBeTrue();
        result.OutputBytes.ShouldBeGreaterThan(1024 * 1024);
        new FileInfo(Path.Combine(_root, "logs", "yes.log")).Length.ShouldBeLessThan(1024 * 1024 + 300);
        result.Excerpt.ShouldEndWith("endless line\n");
    }

    [Fact]
    public async Task Run_ProgramOnTheCallersPath_IsFoundDespiteTheLoginShell()
    {
        var bin = Path.Combine(_root, "bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "proof-tool"), "#!/bin/sh\necho tool ran\n");
        File.SetUnixFileMode(Path.Combine(bin, "proof-tool"), (UnixFileMode)0b111_101_101);
        var context = Context();
        var environment = new Dictionary<string, string?>(context.Environment) { ["PATH"] = $"{bin}:/usr/bin:/bin" };

        var result = await ValidationRunner.RunAsync(new ValidationCommand("proof-tool", 30_000), Path.Combine(_root, "logs", "p.log"), context with { Environment = environment }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        result.ExitCode.ShouldBe(0, result.Excerpt);
        result.Excerpt.ShouldBe("tool ran\n");
    }

    [Fact]
    public async Task Run_MissingWorkspace_IsAnErrorNotACrash()
    {
        var result = await ValidationRunner.RunAsync(
            new ValidationCommand("true", 1000),
            Path.Combine(_root, "logs", "x.log"),
            Context() with { Workspace = Path.Combine(_root, "gone") },
            CancellationToken.None);

        result.Passed.ShouldBeFalse();
        result.Error!.ShouldContain("does not exist");
        result.Describe().ShouldStartWith("could not run: ");
    }

    [Fact]
    public async Task Run_Cancelled_KillsTheCommand()
    {
        var marker = $"sleep 8{Random.Shared.Next(100_000, 999_999)}";
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(800));

        await Should.ThrowAsync<OperationCanceledException>(ValidationRunner.RunAsync(new ValidationCommand(marker, 60_000), Path.Combine(_root, "logs", "c.log"), Context(), cancel.Token).WaitAsync(TimeSpan.FromSeconds(30)));

        (await Poll.UntilAsync(() => ProcessTable.WithCommandLine(marker).Count == 0, TimeSpan.FromSeconds(10))).ShouldBeTrue();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
