using Baton.Core.Errors;
using Baton.Workers;

namespace Baton.Tests.Workers;

public sealed class WorkerSocketTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("baton-sock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<WorkerReply> Echo(WorkerRequest request) => Task.FromResult(new WorkerReply(true, Message: $"{request.Command}:{request.Text}"));

    [Fact]
    public async Task Start_StaleSocketFileFromADeadWorker_IsReplaced()
    {
        var path = Path.Combine(_dir, "worker.sock");
        // .NET unlinks a socket it bound when it is disposed, so a worker killed with SIGKILL is what leaves one
        // behind; a file nobody listens on is the same thing to the next worker.
        await File.WriteAllTextAsync(path, string.Empty);
        await using var server = await WorkerSocketServer.StartAsync(path, Echo).WaitAsync(TimeSpan.FromSeconds(10));

        var reply = await WorkerClient.SendAsync(path, new WorkerRequest(WorkerCommands.Steer, "hi"), TimeSpan.FromSeconds(5));
        reply.Ok.ShouldBeTrue();
        reply.Message.ShouldBe("steer:hi");
    }

    [Fact]
    public async Task Start_SocketOwnedByALiveWorker_IsRefused()
    {
        var path = Path.Combine(_dir, "worker.sock");
        await using var first = await WorkerSocketServer.StartAsync(path, Echo).WaitAsync(TimeSpan.FromSeconds(10));

        var error = await Should.ThrowAsync<BatonException>(WorkerSocketServer.StartAsync(path, Echo).WaitAsync(TimeSpan.FromSeconds(10)));

        error.Code.ShouldBe("worker_already_running");
    }

    [Fact]
    public async Task Send_NoWorker_IsUnreachableNotAnException()
    {
        var reply = await WorkerClient.SendAsync(Path.Combine(_dir, "nobody.sock"), new WorkerRequest(WorkerCommands.Status), TimeSpan.FromSeconds(2));

        reply.Ok.ShouldBeFalse();
        reply.ErrorCode.ShouldBe(WorkerClient.Unreachable);
    }

    [Fact]
    public async Task Send_UnknownCommand_IsABadRequest()
    {
        var path = Path.Combine(_dir, "worker.sock");
        await using var server = await WorkerSocketServer.StartAsync(path, Echo).WaitAsync(TimeSpan.FromSeconds(10));

        var reply = await WorkerClient.SendAsync(path, new WorkerRequest("reboot"), TimeSpan.FromSeconds(5));

        reply.ErrorCode.ShouldBe("bad_request");
    }

    [Fact]
    public void SocketPath_DeepSessionDirectory_MovesToAShortPath()
    {
        var deep = Path.Combine("/tmp", new string('d', 120), "sessions", "app-1");

        var path = new Baton.Sessions.SessionFiles(deep).SocketPath;

        System.Text.Encoding.UTF8.GetByteCount(path).ShouldBeLessThanOrEqualTo(107);
        path.ShouldStartWith("/tmp/baton-sockets/");
        new Baton.Sessions.SessionFiles(deep).SocketPath.ShouldBe(path);
    }
}
