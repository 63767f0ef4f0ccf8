using Baton.Tests.TestSupport;
using System.Diagnostics;
using Baton.Workspaces;

namespace Baton.Tests.Workspaces;

public class HookRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("baton-hook-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Dictionary<string, string?> s_env = new() { ["BATON_TASK_IDENTIFIER"] = "INT-7" };

    [Fact]
    public async Task RunAsync_Script_RunsInWorkspaceWithTaskEnvironment()
    {
        var result = await HookRunner.RunAsync(HookNames.AfterCreate, "pwd; echo \"$BATON_TASK_IDENTIFIER\"; echo oops >&2; exit 0", _dir, s_env, TimeSpan.FromSeconds(30))
            .WaitAsync(TimeSpan.FromSeconds(60));

        result.Succeeded.ShouldBeTrue();
        result.Output.ShouldContain(_dir);
        result.Output.ShouldContain("INT-7");
        result.Output.ShouldContain("oops");
    }

    [Fact]
    public async Task RunAsync_ProgramOnlyOnTheCallersPath_IsFoundDespiteTheLoginShellResettingPath()
    {
        // Debian's /etc/profile sets PATH from scratch in a login shell (bash -l), which Symphony prescribes.
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "my-tools")).FullName;
        var tool = Path.Combine(bin, "baton-hook-probe");
        File.WriteAllText(tool, "#!/bin/sh\necho probe ran\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string?>(s_env) { ["PATH"] = $"{bin}:/usr/bin:/bin" };

        var result = await HookRunner.RunAsync(HookNames.AfterCreate, "baton-hook-probe\nfalse_command_on_line_2", _dir, env, TimeSpan.FromSeconds(30)).WaitAsync(TimeSpan.FromSeconds(60));

        result.Output.ShouldContain("probe ran");
        result.Output.ShouldContain("line 2:"); // the PATH prefix does not shift the script's line numbers
    }

    [Fact]
    public async Task RunAsync_NonZeroExit_IsAFailureWithItsCode()
    {
        var result = await HookRunner.RunAsync(HookNames.BeforeRun, "exit 7", _dir, s_env, TimeSpan.FromSeconds(30)).WaitAsync(TimeSpan.FromSeconds(60));

        result.Succeeded.ShouldBeFalse();
        result.ExitCode.ShouldBe(7);
        result.TimedOut.ShouldBeFalse();
        result.Describe().ShouldContain("code 7");
    }

    [Fact]
    public async Task RunAsync_LoopForever_IsKilledWithItsWholeProcessGroup()
    {
        var marker = Path.Combine(_dir, "child.pid");

        // A background child that would outlive a plain kill of bash, plus a loop that never ends.
        var script = $"sleep 300 & echo $! > {marker}; while true; do sleep 0.1; done";
        var watch = Stopwatch.StartNew();
        var result = await HookRunner.RunAsync(HookNames.AfterCreate, script, _dir, s_env, TimeSpan.FromMilliseconds(700)).WaitAsync(TimeSpan.FromSeconds(60));

        result.TimedOut.ShouldBeTrue();
        result.Succeeded.ShouldBeFalse();
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        var childPid = int.Parse(await File.ReadAllTextAsync(marker), System.Globalization.CultureInfo.InvariantCulture);
        await Poll.UntilAsync(() => !ProcessIsRunning(childPid), TimeSpan.FromSeconds(10), "the hook's child process ending");
    }

    [Fact]
    public async Task RunAsync_Megabytes_AreDrainedAndTheExcerptIsBounded()
    {
        var result = await HookRunner.RunAsync(HookNames.AfterRun, "head -c 20000000 /dev/zero | tr '\\0' x; echo; echo done", _dir, s_env, TimeSpan.FromSeconds(60))
            .WaitAsync(TimeSpan.FromSeconds(90));

        result.Succeeded.ShouldBeTrue();
        result.Output.Length.ShouldBeLessThanOrEqualTo(64 * 1024);
        result.Excerpt.Length.ShouldBeLessThanOrEqualTo(HookResult.LogExcerptBytes + 20);
        result.Excerpt.ShouldEndWith("... (truncated)");
    }

    [Fact]
    public void Truncate_MultiByteBoundary_NeverSplitsACharacter()
    {
        var text = new string('é', 2000);

        var cut = HookResult.Truncate(text, 1001);

        cut.ShouldEndWith("... (truncated)");
        cut.TrimEnd(". (truncated)".ToCharArray()).ShouldAllBe(c => c == 'é');
    }

    private static bool ProcessIsRunning(int pid)
    {
        // A killed child may linger as a zombie until PID 1 reaps it; a zombie does no work.
        var stat = $"/proc/{pid}/stat";
        return File.Exists(stat) && !File.ReadAllText(stat).Split(' ')[2].Equals("Z", StringComparison.Ordinal);
    }

}
