using Baton.Core.Events;
using Baton.Core.Proofs;

namespace Baton.Core.Tests.Proofs;

/// <summary>Agent and task text in the summary and the transcript page stays text: no markup, no script.</summary>
public class ProofRendererTests
{
    private const string Evil = "<script>alert('x')</script><img src=x onerror=alert(1)> **bold** [link](javascript:alert(1)) | cell";

    private static readonly DateTimeOffset s_t0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static ProofDocument Proof() => ProofBuilder.Build(new ProofInput
    {
        Now = s_t0,
        Task = new ProofTask("id-1", "APP-1", Evil, "Todo", null),
        Session = new ProofSession("app-1", "/s/app-1", "/w", "baton/APP-1", s_t0),
        Events = [],
        Outcome = Outcomes.Succeeded,
        Git = new GitFacts
        {
            Branch = "baton/APP-1",
            BaseCommit = "base",
            HeadCommit = "head",
            Commits = [new ProofCommit("c1", "<b>Agent</b>", s_t0, Evil, string.Empty)],
            Files = [new ProofFileChange("a|b`c.txt", 1, 0)],
        },
        Validation = ProofValidation.Of([new ValidationResult { Command = "echo `x` | grep y", ExitCode = 1, StartedAt = s_t0, Excerpt = "```\nstill inside the fence" }]),
        Handoff = new ProofHandoff { Enabled = true, Status = HandoffStatuses.NotReady, Reason = Evil },
        Transcript = new ProofTranscript(ProofDocument.TranscriptFile, TranscriptSources.Events),
    });

    [Fact]
    public void Summary_MaliciousTitleAndSubjects_AreEscapedMarkdown()
    {
        var summary = ProofRenderer.Summary(Proof());

        System.Text.RegularExpressions.Regex.IsMatch(summary, @"(?<!\\)[<>]").ShouldBeFalse(summary); // every angle bracket escaped
        summary.ShouldContain("\\<script\\>alert('x')\\</script\\>");
        summary.ShouldContain("\\*\\*bold\\*\\*");
        summary.ShouldContain("\\[link\\](javascript:alert(1)) \\| cell");
        summary.ShouldContain("| ``a\\|b`c.txt`` |");
        summary.ShouldContain("``echo `x` \\| grep y``");
        summary.ShouldContain("````\n```\nstill inside the fence\n````"); // output inside a fence it cannot close
    }

    [Fact]
    public void TranscriptHtml_MaliciousTitleAndEvents_RenderAsText()
    {
        var events = new[]
        {
            new WorkerEvent { Ts = s_t0, Session = "app-1", Run = 1, Type = WorkerEventTypes.AgentMessage, Text = Evil },
            new WorkerEvent { Ts = s_t0, Session = "app-1", Run = 1, Type = WorkerEventTypes.ToolStarted, ToolName = "bash\"><script>", ToolInput = "</pre><script>x()</script>" },
            new WorkerEvent { Ts = s_t0, Session = "app-1", Run = 1, Type = WorkerEventTypes.Heartbeat },
        };

        var html = ProofRenderer.TranscriptHtml(Proof(), events);

        html.ShouldNotContain("<script");
        html.ShouldNotContain("<img");
        html.ShouldContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        html.ShouldContain("tool bash&quot;&gt;&lt;script&gt;");
        html.ShouldContain("default-src 'none'");
        html.ShouldNotContain("heartbeat");
        html.ShouldContain("<title>APP-1: &lt;script&gt;");
    }

    [Fact]
    public void Code_ContentStartingWithABacktick_IsPadded() => ProofRenderer.Code("`x").ShouldBe("`` `x ``");
}
