using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Baton.Cli;
using Baton.Core.Errors;
using Baton.Processes;
using static Baton.Tests.Replay.ReplayTestSupport;

namespace Baton.Tests.Replay;

public class ReplayModelCommandTests
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Run_MissingScript_FailsWithScriptNotFound()
    {
        using var temp = new TempDirectory();

        var (exit, _, stderr) = await RunInProcess(temp.Path, "replay-model", "--script", "nope.json");

        exit.ShouldBe(ExitCodes.BadUsage);
        stderr.ShouldContain($"error[{ErrorCodes.ReplayScriptNotFound}]");
        stderr.ShouldContain(Path.Combine(temp.Path, "nope.json"));
    }

    [Theory]
    [InlineData("""{"text": "hi"}""", "must be a JSON list of turns")]
    [InlineData("""[{"txt": "hi"}]""", "$[0]: unknown key 'txt'")]
    public async Task Run_InvalidScript_FailsWithScriptInvalid(string script, string expected)
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("s.json"), script);

        var (exit, stdout, stderr) = await RunInProcess(temp.Path, "replay-model", "--script", "s.json");

        exit.ShouldBe(ExitCodes.BadUsage);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain($"error[{ErrorCodes.ReplayScriptInvalid}]");
        stderr.ShouldContain(expected);
    }

    [Fact]
    public async Task Run_PortInUse_FailsWithPortInUse()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("s.json"), "[]");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (exit, _, stderr) = await RunInProcess(temp.Path, "replay-model", "--script", "s.json", "--port", port);

        exit.ShouldBe(ExitCodes.Failed);
        stderr.ShouldContain($"error[{ErrorCodes.PortInUse}]");
    }

    [Fact]
    public async Task Run_Cancelled_PrintsListeningAndStops()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("s.json"), """[{"text": "Done."}]""");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = new CliContext(TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr), TextReader.Null, new Dictionary<string, string> { ["HOME"] = temp.Path }, temp.Path);
        using var cancel = new CancellationTokenSource();

        var run = BatonApp.RunAsync(["replay-model", "--script", "s.json", "--port-file", "run/url"], context, cancel.Token);
        var url = await PollFor(() => File.Exists(temp.Combine("run", "url")) ? File.ReadAllText(temp.Combine("run", "url")).Trim() : null);
        var models = await s_http.GetStringAsync(new Uri(url + "/v1/models")).WaitAsync(TestTimeout);
        await cancel.CancelAsync();
        var exit = await run.WaitAsync(TestTimeout);

        exit.ShouldBe(ExitCodes.Ok, stderr.ToString());
        url.ShouldStartWith("http://127.0.0.1:");
        stdout.ToString().ShouldBe($"LISTENING {url}\n");
        models.ShouldContain("fake-model");
        stderr.ToString().ShouldContain("replay-model stopped");
    }

    [Fact]
    public async Task Process_Sigterm_ExitsZeroAfterServing()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("s.json"), """[{"text": "Done."}]""");
        var portFile = temp.Combine("url");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = temp.Path,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "baton.dll"), "replay-model", "--script", "s.json", "--port-file", portFile, "--lifetime", "120" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["HOME"] = temp.Path;
        using var process = Process.Start(startInfo)!;
        try
        {
            var stdout = process.StandardOutput.ReadLineAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var url = await PollFor(() => File.Exists(portFile) ? File.ReadAllText(portFile).Trim() : null);
            (await stdout.WaitAsync(TestTimeout)).ShouldBe($"LISTENING {url}");
            using var content = new StringContent("""{"model": "m", "stream": false, "tools": [{"name": "x"}], "messages": [{"role": "user", "content": "hi"}]}""", Encoding.UTF8, "application/json");
            var answer = await (await s_http.PostAsync(new Uri(url + "/v1/messages"), content).WaitAsync(TestTimeout)).Content.ReadAsStringAsync().WaitAsync(TestTimeout);
            answer.ShouldContain("Done.");

            Posix.Signal(process.Id, Posix.SigTerm);
            await process.WaitForExitAsync().WaitAsync(TestTimeout);

            process.ExitCode.ShouldBe(0);
            (await stderr.WaitAsync(TestTimeout)).ShouldContain("replay-model stopped after 1 requests");
        }
        finally
        {
            ProcessRunner.KillTree(process);
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunInProcess(string directory, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = new CliContext(stdout, stderr, TextReader.Null, new Dictionary<string, string> { ["HOME"] = directory }, directory);
        var exit = await BatonApp.RunAsync(args, context).WaitAsync(TestTimeout);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static async Task<string> PollFor(Func<string?> read)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (read() is { Length: > 0 } value)
            {
                return value;
            }

            watch.Elapsed.ShouldBeLessThan(TestTimeout, "the server did not start in time");
            await Task.Delay(50);
        }
    }
}
