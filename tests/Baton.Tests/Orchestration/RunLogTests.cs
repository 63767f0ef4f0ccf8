using Baton.Orchestration;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Orchestration;

public sealed class RunLogTests
{
    [Fact]
    public void Info_WritesKeyValueLinesWithQuotedValuesAndABriefStderrLine()
    {
        using var world = new TempDirectory();
        using var stderr = new StringWriter();
        using (var log = new RunLog(world.Path, stderr, new TestTime()))
        {
            log.Info("task released", ("task_id", "abc"), ("identifier", "APP-1"), ("reason", "task state Human Review is not active"), ("skipped", null));
        }

        var line = File.ReadAllLines(Path.Combine(world.Path, RunLog.FileName)).Single();
        line.ShouldStartWith("ts=2025-03-01T09:00:00.000Z level=info msg=\"task released\" task_id=abc identifier=APP-1 reason=\"task state Human Review is not active\"");
        line.ShouldNotContain("skipped");
        stderr.ToString().ShouldContain("baton run: task released task_id=abc identifier=APP-1");
    }

    [Fact]
    public void Write_PastTheSizeLimit_RotatesAndKeepsFiveGenerations()
    {
        using var world = new TempDirectory();
        using (var log = new RunLog(world.Path, null, new TestTime(), maxBytes: 200))
        {
            for (var i = 0; i < 60; i++)
            {
                log.Warn("a line long enough to fill the small limit quickly", ("n", i));
            }
        }

        var files = Directory.GetFiles(world.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        files.ShouldBe([RunLog.FileName, $"{RunLog.FileName}.1", $"{RunLog.FileName}.2", $"{RunLog.FileName}.3", $"{RunLog.FileName}.4", $"{RunLog.FileName}.5"]);
        File.ReadAllText(Path.Combine(world.Path, RunLog.FileName)).ShouldContain("n=59");
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "baton-tests", "runlog-" + Guid.NewGuid().ToString("N")[..12]);

        public void Dispose()
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }
}
