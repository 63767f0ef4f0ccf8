using System.Text;
using Baton.Web;

namespace Baton.Tests.Web;

public sealed class TranscriptReaderTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "baton-tests", "transcript-" + Guid.NewGuid().ToString("N")[..12]);

    public TranscriptReaderTests() => Directory.CreateDirectory(_directory);

    private string Events => Path.Combine(_directory, "events.jsonl");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Read_MoreThanMax_PagesThroughEverythingOnce()
    {
        for (var i = 1; i <= 5; i++)
        {
            Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var seen = new List<string?>();
        long from = 0;
        var pages = 0;
        while (true)
        {
            var page = TranscriptReader.Read("s", Events, from, 2);
            seen.AddRange(page.Events.Select(e => e.Text));
            pages++;
            from = page.Next;
            if (!page.More)
            {
                break;
            }

            page.Events.Count.ShouldBe(2);
        }

        seen.ShouldBe(["1", "2", "3", "4", "5"]);
        pages.ShouldBe(3);
        from.ShouldBe(new FileInfo(Events).Length);
    }

    [Fact]
    public void Read_BrokenLine_IsSkippedAndTheRestRead()
    {
        Message("before");
        File.AppendAllText(Events, "{\"ts\":\"2026-01-01T00:00:00Z\",\"sess\n");
        Message("after");

        TranscriptReader.Read("s", Events, 0, 100).Events.Select(e => e.Text).ShouldBe(["before", "after"]);
    }

    [Fact]
    public void Read_OneLineLongerThanAPage_IsSteppedOverInBoundedCalls()
    {
        File.AppendAllText(Events, "{\"text\":\"" + new string('x', TranscriptReader.MaxBytes + 100) + "\"}\n");
        Message("after the long line");

        long from = 0;
        var texts = new List<string?>();
        for (var call = 0; call < 4; call++)
        {
            var page = TranscriptReader.Read("s", Events, from, 100);
            texts.AddRange(page.Events.Select(e => e.Text));
            from = page.Next;
            if (!page.More && from == new FileInfo(Events).Length)
            {
                break;
            }
        }

        texts.ShouldBe(["after the long line"]);
        from.ShouldBe(new FileInfo(Events).Length);
    }

    [Fact]
    public void Read_HugeText_IsCutForThePage()
    {
        Message(new string('y', TranscriptReader.MaxFieldChars + 500));

        var text = TranscriptReader.Read("s", Events, 0, 10).Events.Single().Text!;

        text.Length.ShouldBe(TranscriptReader.MaxFieldChars + 1);
        text.ShouldEndWith("…");
    }

    [Fact]
    public void Read_NoFile_IsAnEmptyPageAndAResetForAClientThatHadLines()
    {
        var fresh = TranscriptReader.Read("s", Events, 0, 10);
        var known = TranscriptReader.Read("s", Events, 300, 10);

        fresh.Events.ShouldBeEmpty();
        fresh.Reset.ShouldBeFalse();
        known.Reset.ShouldBeTrue();
        known.Next.ShouldBe(0);
    }

    private void Message(string text) =>
        File.AppendAllText(Events, $"{{\"ts\":\"2026-01-01T00:00:00Z\",\"session\":\"s\",\"run\":1,\"type\":\"agent_message\",\"text\":\"{text}\"}}\n", Encoding.UTF8);
}
