using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Baton.Core.Events;

namespace Baton.Core.Proofs;

/// <summary>
/// Renders a proof for people: <c>summary.md</c> (also the hand-off comment) and, when the agent exports no transcript
/// of its own, <c>transcript.html</c> from the session's events. Every piece of agent or task text is escaped: Markdown
/// text is backslash-escaped and commands sit in code spans and fences that their content cannot close; HTML text is
/// entity-encoded and the page allows no script at all (Content-Security-Policy), so a malicious title stays text.
/// </summary>
public static class ProofRenderer
{
    /// <summary>Lines of a failing validation command's output shown in the summary (the log has the rest).</summary>
    public const int SummaryExcerptChars = 1200;

    public static string Json(ProofDocument proof) => JsonSerializer.Serialize(proof, ProofJsonContext.Default.ProofDocument);

    public static ProofDocument? ParseJson(string json) => JsonSerializer.Deserialize(json, ProofJsonContext.Default.ProofDocument);

    public static string Summary(ProofDocument proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        var md = new StringBuilder();
        var title = proof.Task.Identifier is null ? $"session {proof.Session.Name}" : proof.Task.Identifier;
        md.Append("## Proof of work: ").Append(Text(title));
        if (!string.IsNullOrWhiteSpace(proof.Task.Title))
        {
            md.Append(" — ").Append(Text(proof.Task.Title));
        }

        md.Append("\n\n");
        md.Append("- **Outcome:** ").Append(Text(proof.Outcome)).Append(proof.Reason is null ? string.Empty : $" ({Text(proof.Reason)})").Append('\n');
        md.Append("- **Hand-off:** ").Append(Text(HandoffLine(proof.Handoff))).Append('\n');
        md.Append("- **Session:** ").Append(Text(proof.Session.Name)).Append(" · **agent:** ").Append(Text(proof.Agent ?? "?"))
            .Append(proof.Model is null ? string.Empty : $" ({Text(proof.Model)})").Append('\n');
        if (proof.Git is { } git)
        {
            md.Append("- **Branch:** ").Append(Code(git.Branch ?? "(detached HEAD)"))
                .Append(" · base ").Append(Code(Short(git.BaseCommit))).Append(git.BaseRef is null ? string.Empty : $" ({Text(git.BaseRef)})")
                .Append(" → head ").Append(Code(Short(git.HeadCommit))).Append('\n');
            var stat = proof.DiffStat!;
            md.Append(CultureInfo.InvariantCulture, $"- **Changes:** {stat.Commits} commit(s), {stat.Files} file(s), +{stat.Insertions} −{stat.Deletions}")
                .Append(git.Clean ? ", workspace clean" : ", **uncommitted work left in the workspace**").Append('\n');
        }
        else
        {
            md.Append("- **Git:** ").Append(Text(proof.GitProblem ?? "no git facts")).Append('\n');
        }

        md.Append(CultureInfo.InvariantCulture, $"- **Tokens:** {proof.Tokens.Total:N0} ({proof.Tokens.Input:N0} in, {proof.Tokens.Output:N0} out) · **cost:** ${proof.CostUsd:0.0000}\n");
        md.Append("- **Validation:** ").Append(Text(ValidationLine(proof.Validation))).Append('\n');

        if (proof.Git is { Commits.Count: > 0 } withCommits)
        {
            md.Append("\n### Commits\n\n");
            foreach (var commit in withCommits.Commits)
            {
                md.Append("- ").Append(Code(Short(commit.Id))).Append(' ').Append(Text(commit.Subject)).Append(" — ").Append(Text(commit.Author)).Append('\n');
            }
        }

        if (proof.Git is { Files.Count: > 0 } withFiles)
        {
            md.Append("\n### Files\n\n| file | added | deleted |\n|---|---:|---:|\n");
            foreach (var file in withFiles.Files)
            {
                md.Append("| ").Append(Code(file.Path)).Append(" | ")
                    .Append(file.Binary ? "binary" : file.Added!.Value.ToString(CultureInfo.InvariantCulture)).Append(" | ")
                    .Append(file.Binary ? "binary" : file.Deleted!.Value.ToString(CultureInfo.InvariantCulture)).Append(" |\n");
            }
        }

        if (proof.Git is { Clean: false } dirty)
        {
            md.Append("\n### Not committed\n\n");
            foreach (var item in dirty.Uncommitted)
            {
                md.Append("- ").Append(Text(item.Message)).Append(": ").Append(string.Join(", ", item.Items.Select(Code))).Append('\n');
            }
        }

        if (proof.Validation.Results.Count > 0)
        {
            md.Append("\n### Validation\n\n");
            foreach (var result in proof.Validation.Results)
            {
                md.Append(result.Passed ? "- passed: " : "- **failed:** ").Append(Code(result.Command)).Append(" — ").Append(Text(result.Describe()))
                    .Append(CultureInfo.InvariantCulture, $" in {result.DurationMs / 1000.0:0.0} s")
                    .Append(result.Log is null ? string.Empty : $" (log: {Code(result.Log)}{(result.LogTruncated ? ", truncated" : string.Empty)})").Append('\n');
                if (!result.Passed && result.Excerpt.Trim().Length > 0)
                {
                    md.Append('\n').Append(HandoffRules.Fence(HandoffRules.Tail(result.Excerpt.TrimEnd(), SummaryExcerptChars))).Append("\n\n");
                }
            }
        }

        if (proof.Runs.Count > 0)
        {
            md.Append("\n### Runs\n\n| run | outcome | turns | duration | tokens | cost |\n|---:|---|---:|---:|---:|---:|\n");
            foreach (var run in proof.Runs)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {run.Run} | {Text(run.Outcome ?? "?")} | {run.Turns} | {Duration(run.DurationMs)} | {run.Tokens.Total:N0} | ${run.CostUsd:0.0000} |\n");
            }
        }

        if (proof.Handoff.PullRequest is { } pr)
        {
            md.Append("\n### Pull request\n\n");
            md.Append(pr.Url is not null ? $"{Text(pr.Status)}: {pr.Url}" : Text(pr.Error ?? pr.Status)).Append('\n');
            if (pr.Manual is not null)
            {
                md.Append("\nTo open it by hand:\n\n").Append(HandoffRules.Fence(pr.Manual)).Append('\n');
            }
        }

        md.Append("\nThe whole proof (proof.json, the transcript, validation logs) is in ").Append(Code(Path.Combine(proof.Session.Directory, "proof"))).Append(".\n");
        return md.ToString();
    }

    public static string HandoffLine(ProofHandoff handoff)
    {
        ArgumentNullException.ThrowIfNull(handoff);
        return handoff.Status switch
        {
            HandoffStatuses.HandedOff => $"handed off to {handoff.State}",
            HandoffStatuses.NotEnabled => "not enabled in the workflow (the agent moves its own task)",
            HandoffStatuses.NotNeeded => handoff.Reason ?? "the task was no longer active",
            _ => handoff.Reason is null ? handoff.Status.Replace('_', ' ') : $"{handoff.Status.Replace('_', ' ')}: {handoff.Reason}",
        };
    }

    public static string ValidationLine(ProofValidation validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        return validation.Status switch
        {
            ValidationStatuses.Passed => string.Create(CultureInfo.InvariantCulture, $"passed ({validation.Results.Count} command(s))"),
            ValidationStatuses.Failed => $"failed: {validation.Reason}",
            _ => validation.Reason ?? validation.Status.Replace('_', ' '),
        };
    }

    /// <summary>A self-contained page of the session's events: no script, no external resource, every text encoded.</summary>
    public static string TranscriptHtml(ProofDocument proof, IEnumerable<WorkerEvent> events)
    {
        ArgumentNullException.ThrowIfNull(proof);
        ArgumentNullException.ThrowIfNull(events);
        var title = proof.Task.Identifier is null ? proof.Session.Name : $"{proof.Task.Identifier}: {proof.Task.Title}";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(H(title)).Append(" — transcript</title>\n<style>\n")
            .Append(":root{color-scheme:light dark;--muted:#6b7280;--line:#d1d5db;--tool:#f3f4f6;--bad:#b91c1c;--good:#15803d}\n")
            .Append("@media (prefers-color-scheme:dark){:root{--muted:#9ca3af;--line:#374151;--tool:#1f2937;--bad:#f87171;--good:#4ade80}}\n")
            .Append("body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\n")
            .Append("h1{font-size:1.4rem}.meta{color:var(--muted)}.ev{border-left:3px solid var(--line);padding:.3rem .8rem;margin:.4rem 0}\n")
            .Append(".time{color:var(--muted);font-size:.8rem;margin-right:.5rem}.tool{background:var(--tool)}.error,.failed{border-color:var(--bad)}\n")
            .Append(".succeeded{border-color:var(--good)}pre{white-space:pre-wrap;word-break:break-word;margin:.3rem 0;font-size:.85rem}\n")
            .Append("</style>\n</head>\n<body>\n<h1>").Append(H(title)).Append("</h1>\n<p class=\"meta\">session ")
            .Append(H(proof.Session.Name)).Append(" · ").Append(H(proof.Agent ?? "?")).Append(proof.Model is null ? string.Empty : $" · {H(proof.Model)}")
            .Append(" · outcome ").Append(H(proof.Outcome)).Append(CultureInfo.InvariantCulture, $" · {proof.Tokens.Total:N0} tokens · ${proof.CostUsd:0.0000}</p>\n");
        foreach (var e in events)
        {
            AppendEvent(html, e);
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendEvent(StringBuilder html, WorkerEvent e)
    {
        string? css;
        string? head;
        string? body = null;
        switch (e.Type)
        {
            case WorkerEventTypes.RunStarted:
                css = "run";
                head = $"run {e.Run} started · {e.Agent} · {e.Model ?? "default model"}";
                break;
            case WorkerEventTypes.AgentMessage:
                css = "message";
                head = "agent";
                body = e.Text;
                break;
            case WorkerEventTypes.ToolStarted:
                css = "tool";
                head = $"tool {e.ToolName}";
                body = e.ToolInput;
                break;
            case WorkerEventTypes.ToolFinished:
                css = e.IsError == true ? "tool error" : "tool";
                head = $"{e.ToolName} {(e.IsError == true ? "failed" : "done")}";
                body = e.ToolOutput;
                break;
            case WorkerEventTypes.SteerReceived:
                css = "person";
                head = "steer";
                body = e.Text;
                break;
            case WorkerEventTypes.FollowUpReceived:
                css = "person";
                head = "message";
                body = e.Text;
                break;
            case WorkerEventTypes.InputRequested:
                css = "person";
                head = "the agent asks";
                body = e.Text;
                break;
            case WorkerEventTypes.TurnFinished:
                css = e.Outcome;
                head = $"turn {e.Outcome}{(e.Reason is null ? string.Empty : $": {e.Reason}")}";
                break;
            case WorkerEventTypes.Error:
                css = "error";
                head = "error";
                body = e.Text ?? e.Reason;
                break;
            case WorkerEventTypes.RunFinished:
                css = e.Outcome;
                head = $"run {e.Run} {e.Outcome}{(e.Reason is null ? string.Empty : $": {e.Reason}")}";
                break;
            default:
                return; // heartbeats, usage and turn starts only feed status
        }

        html.Append("<div class=\"ev ").Append(H(css ?? string.Empty)).Append("\"><span class=\"time\">")
            .Append(H(e.Ts.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))).Append("</span>").Append(H(head));
        if (!string.IsNullOrEmpty(body))
        {
            html.Append("<pre>").Append(H(body)).Append("</pre>");
        }

        html.Append("</div>\n");
    }

    /// <summary>HTML-encodes text for element content and attribute values.</summary>
    public static string H(string text) => WebUtility.HtmlEncode(text ?? string.Empty);

    /// <summary>Escapes text for Markdown: no character of it can start markup, a link, an HTML tag or a table cell.</summary>
    public static string Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '#' or '!' or '&' or '~':
                    builder.Append('\\').Append(c);
                    break;
                case '\r' or '\n' or '\t':
                    builder.Append(' ');
                    break;
                default:
                    builder.Append(char.IsControl(c) ? ' ' : c);
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>A Markdown code span that its content cannot close, on one line; pipes escaped for tables.</summary>
    public static string Code(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var oneLine = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Replace("|", "\\|", StringComparison.Ordinal);
        var longest = 0;
        var run = 0;
        foreach (var c in oneLine)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var ticks = new string('`', longest + 1);
        var pad = oneLine.StartsWith('`') || oneLine.EndsWith('`') ? " " : string.Empty;
        return $"{ticks}{pad}{oneLine}{pad}{ticks}";
    }

    private static string Short(string? commit) => commit is null ? "none" : commit.Length > 12 ? commit[..12] : commit;

    private static string Duration(long? ms) => ms is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value / 1000.0:0.0} s") : "-";
}
