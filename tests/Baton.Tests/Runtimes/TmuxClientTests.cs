using Baton.Runtimes;

namespace Baton.Tests.Runtimes;

public sealed class TmuxClientTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("baton-tmux-").FullName;
    private TmuxClient _tmux = null!;

    public Task InitializeAsync()
    {
        _tmux = TmuxClient.ForHome(_home, $"baton-test-{Guid.NewGuid():N}"[..24]);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _tmux.KillServerAsync();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task NewSession_Command_RunsWithEnvironmentAndPipesThePane()
    {
        var log = Path.Combine(_home, "pane.log");

        await _tmux.NewSessionAsync("s1", _home, ["bash", "-c", "echo \"hello $TASK from $(pwd)\"; sleep 30"], new Dictionary<string, string> { ["TASK"] = "INT 1" }, log).WaitAsync(TimeSpan.FromSeconds(30));

        (await _tmux.HasSessionAsync("s1")).ShouldBeTrue();
        await WaitForAsync(async () => (await _tmux.CapturePaneAsync("s1")).Contains($"hello INT 1 from {_home}", StringComparison.Ordinal));
        await WaitForAsync(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains("hello INT 1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ListSessions_ExitedPane_StaysDeadWithItsExitStatusWhenTmuxRecordsIt()
    {
        await _tmux.NewSessionAsync("quick", _home, ["bash", "-c", "sleep 0.3; exit 7"], new Dictionary<string, string>()).WaitAsync(TimeSpan.FromSeconds(30));

        // What Baton relies on: with remain-on-exit the pane (and its transcript) stays after the process ends.
        await WaitForAsync(async () => (await _tmux.ListSessionsAsync()).SingleOrDefault(s => s.Name == "quick") is { PaneDead: true });

        // tmux 3.3a does not always record the exit status (about one full-suite run in three left it empty for good),
        // and Baton never reads it; when it is there, it must be the process's.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        TmuxSession session;
        do
        {
            session = (await _tmux.ListSessionsAsync()).Single(s => s.Name == "quick");
            await Task.Delay(50);
        }
        while (session.PaneExitStatus is null && DateTime.UtcNow < deadline);

        session.PaneDead.ShouldBeTrue();
        if (session.PaneExitStatus is { } status)
        {
            status.ShouldBe(7);
        }
    }

    [Fact]
    public async Task SendLine_TypedText_ReachesTheProgram()
    {
        var output = Path.Combine(_home, "typed.txt");
        await _tmux.NewSessionAsync("typing", _home, ["bash", "-c", $"read line; echo \"$line\" > {output}; sleep 30"], new Dictionary<string, string>()).WaitAsync(TimeSpan.FromSeconds(30));

        await _tmux.SendLineAsync("typing", "steer: use 'quotes' & $signs");

        await WaitForAsync(() => Task.FromResult(File.Exists(output) && File.ReadAllText(output) == "steer: use 'quotes' & $signs\n"));
    }

    [Fact]
    public async Task KillSession_Session_IsGone()
    {
        await _tmux.NewSessionAsync("gone", _home, ["sleep", "60"], new Dictionary<string, string>()).WaitAsync(TimeSpan.FromSeconds(30));

        await _tmux.KillSessionAsync("gone");

        (await _tmux.HasSessionAsync("gone")).ShouldBeFalse();
    }

    [Fact]
    public async Task HasSession_PrefixOfAnotherName_IsNotAMatch()
    {
        await _tmux.NewSessionAsync("abc-10", _home, ["sleep", "60"], new Dictionary<string, string>()).WaitAsync(TimeSpan.FromSeconds(30));

        (await _tmux.HasSessionAsync("abc-1")).ShouldBeFalse();
    }

    [Fact]
    public async Task KillServer_Server_LeavesNoSocketFileBehind()
    {
        var tmux = TmuxClient.ForHome(_home, $"bt-sock-{Guid.NewGuid():N}"[..20]);
        await tmux.NewSessionAsync("s", _home, ["sleep", "60"], new Dictionary<string, string>()).WaitAsync(TimeSpan.FromSeconds(30));
        var socket = Path.Combine("/tmp", $"tmux-{Baton.Processes.Posix.EffectiveUserId}", tmux.SocketName);
        File.Exists(socket).ShouldBeTrue();

        await tmux.KillServerAsync();

        File.Exists(socket).ShouldBeFalse();
    }

    [Fact]
    public async Task ListSessions_NoServer_IsEmpty() =>
        (await TmuxClient.ForHome(_home, $"nobody-{Guid.NewGuid():N}"[..20]).ListSessionsAsync()).ShouldBeEmpty();

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "condition not met within 15 s");
            await Task.Delay(50);
        }
    }
}
