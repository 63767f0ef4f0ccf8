using System.Text.Json;
using Baton.Core.Proofs;
using Baton.Git;
using Baton.Proofs;
using Baton.Tests.Proofs;
using Baton.Tests.TestSupport;
using Baton.Tests.Tracking;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Orchestration;

/// <summary>
/// Proof and hand-off through <c>baton run</c> for real: command agents in tmux, real worktrees and commits, validation
/// commands, the local tracker, a Linear-speaking server and a GitHub-speaking server. Every git fact of proof.json is
/// checked against git itself.
/// </summary>
public sealed class RunProofTests
{
    private const string GitHubToken = "ghp_fake_0123456789abcdef";

    [Fact]
    public async Task Run_HandoffWorkflow_FixesWhatTheCheckFoundThenHandsOffWithAProofThatMatchesGit()
    {
        await using var w = await SessionWorld.CreateAsync();
        await using var github = await FakeGitHubServer.StartAsync(GitHubToken);
        var repo = w.World.Repo;
        await CommitCheckScriptAsync(repo, "if grep -q fixed notes.txt; then echo notes are fixed; else echo 'notes.txt lacks the fix' >&2; exit 1; fi");
        var origin = Path.Combine(w.World.Root, "origin.git");
        await GitOkAsync(w.World.Root, "init", "-q", "--bare", origin);
        await GitOkAsync(repo, "remote", "add", "origin", origin);
        File.AppendAllText(w.World.ConfigPath, "    repo: octo/app\n");
        w.World.Environment["GITHUB_TOKEN"] = GitHubToken;
        w.World.Environment[GitHubPullRequests.ApiUrlVariable] = github.ApiUrl;
        Write(w, """
            if printf '%s' "$BATON_PROMPT" | grep -q 'not ready yet'; then
              rm -f scratch.txt
              echo fixed >> notes.txt
              git add notes.txt && git commit -qm "Fix what the check found"
            else
              echo work > notes.txt
              echo scratch > scratch.txt
              git add notes.txt && git commit -qm "Add notes for $BATON_TASK" -m "A longer body."
            fi
            """, extra: """
            handoff:
              pull_request: true
            proof:
              validate:
                - ./check.sh
                - command: echo "validated $BATON_TASK token=${GITHUB_TOKEN:-none}"
                  timeout_ms: 20000
            """);
        var task = await w.AddTaskAsync("Write notes");
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitForTaskStateAsync(w, task, "Human Review", 120);
        var session = (await SessionsAsync(w)).Single();
        var directory = w.SessionDirectory(session.GetProperty("name").GetString()!);
        var proof = await WaitForProofAsync(directory, p => p.Handoff.Status == HandoffStatuses.HandedOff);
        await daemon.WaitForStateAsync(s => !Rows(s, "running").Any() && !Rows(s, "retrying").Any(), "the task being released after the hand-off", 60);

        // Every git fact against git itself.
        var workspace = session.GetProperty("workspace").GetString()!;
        var branch = $"baton/{task}";
        proof.Git.ShouldNotBeNull();
        proof.Git.Branch.ShouldBe(branch);
        proof.Git.HeadCommit.ShouldBe(await GitOkAsync(repo, "rev-parse", branch));
        proof.Git.BaseCommit.ShouldBe(await GitOkAsync(repo, "merge-base", "main", branch));
        proof.Git.BaseCommit.ShouldBe(await GitOkAsync(repo, "rev-parse", "main"));
        proof.Git.BaseRef.ShouldBe("main");
        proof.Git.Commits.Select(c => $"{c.Id} {c.Subject} {c.Author} {c.Date.ToUnixTimeSeconds()}").ShouldBe(
            (await GitOkAsync(repo, "log", "--format=%H %s %an <%ae> %at", $"main..{branch}")).Split('\n'));
        proof.Git.Commits.Select(c => c.Subject).ShouldBe(["Fix what the check found", $"Add notes for {task}"]);
        proof.Git.Commits[1].Body.ShouldBe(await GitOkAsync(repo, "log", "-1", "--format=%b", $"{branch}~1"));
        proof.Git.Files.Select(f => $"{f.Added}\t{f.Deleted}\t{f.Path}").ShouldBe((await GitOkAsync(repo, "diff", "--numstat", "main", branch)).Split('\n'));
        proof.DiffStat.ShouldBe(new ProofDiffStat(1, 2, 0, 2));
        proof.Git.Clean.ShouldBeTrue();
        (await GitOkAsync(workspace, "status", "--porcelain")).ShouldBeEmpty();

        // Validation: the last check's results, logs in the bundle, no token in the command's environment.
        proof.Validation.Status.ShouldBe(ValidationStatuses.Passed);
        proof.Validation.Results.Select(r => (r.Command, r.ExitCode, r.Commit)).ShouldBe([("./check.sh", (int?)0, proof.Git.HeadCommit), ($"echo \"validated $BATON_TASK token=${{GITHUB_TOKEN:-none}}\"", 0, proof.Git.HeadCommit)]);
        proof.Validation.Results[1].TimeoutMs.ShouldBe(20_000);
        File.ReadAllText(Path.Combine(directory, "proof", "validation", "1.log")).ShouldBe("notes are fixed\n");
        File.ReadAllText(Path.Combine(directory, "proof", proof.Validation.Results[1].Log!)).ShouldBe($"validated {task} token=none\n");

        // The fix loop: one follow-up naming exactly what was wrong.
        var events = File.ReadAllLines(Path.Combine(directory, "events.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var followUp = events.Single(e => e.GetProperty("type").GetString() == "follow_up_received").GetProperty("text").GetString()!;
        followUp.ShouldContain("scratch.txt");
        followUp.ShouldContain("notes.txt lacks the fix");
        followUp.ShouldContain("`./check.sh` exit code 1");

        // Task, session, runs, tokens, timings.
        proof.Task.Identifier.ShouldBe(task);
        proof.Task.Title.ShouldBe("Write notes");
        proof.Task.State.ShouldBe("Human Review");
        proof.Session.Name.ShouldBe(session.GetProperty("name").GetString());
        proof.Session.Workspace.ShouldBe(workspace);
        proof.Outcome.ShouldBe("succeeded");
        proof.Agent.ShouldBe("command");
        var run = proof.Runs.ShouldHaveSingleItem();
        run.Turns.ShouldBe(2);
        run.Outcome.ShouldBe("succeeded");
        run.DurationMs.ShouldBe((long)(run.EndedAt!.Value - run.StartedAt!.Value).TotalMilliseconds);
        proof.Tokens.ShouldBe(ProofTokens.Zero); // the command agent reports no usage
        proof.Timings.RunsDurationMs.ShouldBe(run.DurationMs!.Value);
        proof.Timings.ValidationDurationMs.ShouldBe(proof.Validation.Results.Sum(r => r.DurationMs));
        proof.Transcript.ShouldBe(new ProofTranscript("transcript.html", TranscriptSources.Events));
        File.ReadAllText(Path.Combine(directory, "proof", "transcript.html")).ShouldContain("Write notes");

        // Hand-off: the pull request, the comment and the state.
        proof.Handoff.State.ShouldBe("Human Review");
        proof.Handoff.PullRequest.ShouldBe(new ProofPullRequest { Status = PullRequestStatuses.Created, Url = "https://github.com/octo/app/pull/7", Number = 7 });
        (await GitOkAsync(origin, "rev-parse", $"refs/heads/{branch}")).ShouldBe(proof.Git.HeadCommit);
        var post = github.Requests.Single();
        post.Body!["head"]!.GetValue<string>().ShouldBe(branch);
        post.Body["base"]!.GetValue<string>().ShouldBe("main");
        post.Body["title"]!.GetValue<string>().ShouldBe($"{task}: Write notes");
        var shown = await w.RunAsync("task", "show", task, "--json");
        var comment = shown.Data.GetProperty("comments").EnumerateArray().Single();
        comment.GetProperty("author").GetString().ShouldBe("baton");
        comment.GetProperty("id").GetString().ShouldBe(proof.Handoff.CommentId);
        var body = comment.GetProperty("body").GetString()!;
        body.ShouldStartWith($"## Proof of work: {task} — Write notes");
        body.ShouldContain("handed off to Human Review");
        body.ShouldContain("https://github.com/octo/app/pull/7");
        File.ReadAllText(Path.Combine(directory, "proof", "summary.md")).ShouldBe(body);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    [Fact]
    public async Task Run_SymphonyWorkflow_TheAgentMovesItsTaskAndTheProofIsWrittenWithoutAHandoff()
    {
        await using var w = await SessionWorld.CreateAsync();
        await CommitCheckScriptAsync(w.World.Repo, "test -f notes.txt && echo ok");
        Write(w, $"""
            echo work > notes.txt
            git add notes.txt && git commit -qm "$BATON_TASK: notes"
            {BatonCli} task update "$BATON_TASK" --state "Human Review"
            """, extra: "proof:\n  validate: [./check.sh]");
        const string Title = "<script>alert('pwned')</script><img src=x onerror=alert(1)>";
        var task = await w.AddTaskAsync(Title);
        await using var daemon = await RunDaemon.StartAsync(w);

        await WaitForTaskStateAsync(w, task, "Human Review", 120);
        var name = (await SessionsAsync(w)).Single().GetProperty("name").GetString()!;
        var directory = w.SessionDirectory(name);
        var proof = await WaitForProofAsync(directory, _ => true);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);

        proof.Handoff.Status.ShouldBe(HandoffStatuses.NotEnabled);
        proof.Validation.Status.ShouldBe(ValidationStatuses.Passed);
        proof.Validation.Results.Single().Excerpt.ShouldBe("ok\n");

        // The agent's task update wakes the orchestrator, which may stop the run before the turn ends.
        proof.Outcome.ShouldBeOneOf("succeeded", "stopped");
        if (proof.Outcome == "stopped")
        {
            proof.Reason.ShouldBe("stopped by the orchestrator: task state Human Review is not active");
        }

        proof.Task.Title.ShouldBe(Title);
        proof.Git!.Commits.ShouldHaveSingleItem().Subject.ShouldBe($"{task}: notes");
        var shown = await w.RunAsync("task", "show", task, "--json");
        shown.Data.TryGetProperty("comments", out var comments).ShouldBeTrue();
        comments.GetArrayLength().ShouldBe(0); // Baton wrote nothing to the tracker

        // The malicious title is text everywhere people read it.
        var html = File.ReadAllText(Path.Combine(directory, "proof", "transcript.html"));
        html.ShouldNotContain("<script");
        html.ShouldNotContain("<img");
        html.ShouldContain("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;");
        File.ReadAllText(Path.Combine(directory, "proof", "summary.md")).ShouldContain("\\<script\\>");

        // baton proof: by task and by session, as text and JSON.
        var printed = await w.RunAsync("proof", task);
        printed.ExitCode.ShouldBe(0, printed.ToString());
        printed.Stdout.ShouldContain($"## Proof of work: {task}");
        printed.Stdout.ShouldContain($"proof: {Path.Combine(directory, "proof")}");
        var json = await w.RunAsync("proof", name, "--json");
        json.ExitCode.ShouldBe(0, json.ToString());
        json.Data.GetProperty("session").GetString().ShouldBe(name);
        json.Data.GetProperty("proof").GetProperty("git").GetProperty("headCommit").GetString().ShouldBe(proof.Git.HeadCommit);

        // --open hands the transcript to xdg-open; without xdg-open it is a clear error.
        var bin = Path.Combine(w.World.Root, "bin");
        Directory.CreateDirectory(bin);
        var opened = Path.Combine(w.World.Root, "opened.txt");
        File.WriteAllText(Path.Combine(bin, "xdg-open"), $"#!/bin/sh\necho \"$1\" > {opened}\n");
        File.SetUnixFileMode(Path.Combine(bin, "xdg-open"), (UnixFileMode)0b111_101_101);
        var path = w.World.Environment["PATH"];
        w.World.Environment["PATH"] = $"{bin}:{path}";
        var open = await w.RunAsync("proof", task, "--open");
        open.ExitCode.ShouldBe(0, open.ToString());
        File.ReadAllText(opened).Trim().ShouldBe(Path.Combine(directory, "proof", "transcript.html"));
        w.World.Environment["PATH"] = "/nonexistent";
        var missing = await w.RunAsync("proof", task, "--open", "--json");
        missing.ExitCode.ShouldBe(1);
        missing.ErrorCode.ShouldBe("proof_open_failed");
        w.World.Environment["PATH"] = path;

        // The proof outlives the workspace: remove the session, read it from the archive.
        var removed = await w.RunAsync("remove", name);
        removed.ExitCode.ShouldBe(0, removed.ToString());
        Directory.Exists(proof.Session.Workspace).ShouldBeFalse();
        var archived = await w.RunAsync("proof", task, "--json");
        archived.ExitCode.ShouldBe(0, archived.ToString());
        archived.Data.GetProperty("directory").GetString()!.ShouldContain($"{Path.DirectorySeparatorChar}archive{Path.DirectorySeparatorChar}");
        archived.Data.GetProperty("proof").GetProperty("git").GetProperty("headCommit").GetString().ShouldBe(proof.Git.HeadCommit);
    }

    [Fact]
    public async Task Run_HandoffWorkflowWithHangingValidation_TellsTheAgentOnceThenFailsTheRunWithTheReason()
    {
        await using var w = await SessionWorld.CreateAsync();
        var marker = $"sleep 7{Random.Shared.Next(100_000, 999_999)}";
        Write(w, """
            if ! git log -1 --format=%s | grep -q notes; then
              echo work > notes.txt && git add notes.txt && git commit -qm "notes"
            fi
            """, extra: $"""
            handoff: {"{}"}
            proof:
              validate:
                - command: ({marker} &); {marker}
                  timeout_ms: 1500
            """);
        var task = await w.AddTaskAsync("Hang in validation");
        await using var daemon = await RunDaemon.StartAsync(w);

        var state = await daemon.WaitForStateAsync(s => Rows(s, "retrying").Any(), "the run failing into a retry", 120);
        var retry = Rows(state, "retrying").Single();
        retry.GetProperty("error").GetString().ShouldBe($"not review-ready after 2 turn(s): validation `({marker} &); {marker}` timed out after 1500 ms and was killed with its process group");
        var directory = w.SessionDirectory((await SessionsAsync(w)).First().GetProperty("name").GetString()!);
        var proof = await WaitForProofAsync(directory, _ => true);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);

        proof.Outcome.ShouldBe("failed");
        proof.Reason.ShouldBe(retry.GetProperty("error").GetString());
        proof.Handoff.Status.ShouldBe(HandoffStatuses.NotReady);
        proof.Validation.Status.ShouldBe(ValidationStatuses.Failed);
        proof.Validation.Results.Single().TimedOut.ShouldBeTrue();
        proof.Runs.Single().Turns.ShouldBe(2);
        (await RunWorkflows.TaskStateAsync(w, task)).ShouldBe("Todo");
        (await Poll.UntilAsync(() => SessionWorld.ProcessesWithCommandLine(marker).Count == 0, TimeSpan.FromSeconds(10))).ShouldBeTrue("a validation process outlived its timeout");
    }

    [Fact]
    public async Task Run_ReadOnlyProofDirectory_LogsAClearErrorAndTheTaskStillFinishes()
    {
        await using var w = await SessionWorld.CreateAsync();
        Write(w, $"""
            while [ ! -f go ]; do sleep 0.1; done
            {BatonCli} task update "$BATON_TASK" --state "Human Review"
            """);
        var task = await w.AddTaskAsync("Read-only proof");
        await using var daemon = await RunDaemon.StartAsync(w);
        await SessionWorld.WaitUntilAsync(() => Directory.GetDirectories(w.World.Home, "sessions", SearchOption.AllDirectories).Any(d => Directory.GetDirectories(d).Length > 0), "the session directory", 90);
        var session = (await SessionsAsync(w)).Single();
        var directory = w.SessionDirectory(session.GetProperty("name").GetString()!);
        var proof = Path.Combine(directory, "proof");
        Directory.CreateDirectory(proof);

        await using (await ReadOnly.MakeAsync(proof))
        {
            File.WriteAllText(Path.Combine(session.GetProperty("workspace").GetString()!, "go"), string.Empty);
            await WaitForTaskStateAsync(w, task, "Human Review", 90);
            var log = Path.Combine(w.World.Home, "logs", "baton-run.log");
            await SessionWorld.WaitUntilAsync(() => File.ReadAllText(log).Contains("proof not written", StringComparison.Ordinal), "the proof error in the log", 60);
            File.ReadAllText(log).ShouldContain("code=proof_not_writable");
            await daemon.WaitForStateAsync(s => !Rows(s, "running").Any() && !Rows(s, "retrying").Any(), "the task being released", 60);

            var shown = await w.RunAsync("proof", task, "--json");
            shown.ExitCode.ShouldBe(1);
            shown.ErrorCode.ShouldBe("proof_not_found");
        }

        daemon.Run.IsCompleted.ShouldBeFalse();
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    [Fact]
    public async Task Run_LinearHandoff_MovesTheIssueAndCommentsTheProofSummary()
    {
        const string Token = "lin_api_fake_proof_0123456789";
        await using var w = await SessionWorld.CreateAsync();
        await using var linear = await FakeLinearServer.StartAsync(Token);
        linear.AddIssue(FakeLinearServer.NewIssue(1));
        w.World.Environment["LINEAR_API_KEY"] = Token;
        var root = Path.Combine(w.World.Root, "workspaces");
        var flow = Path.Combine(w.World.Root, "linear-flow");
        Directory.CreateDirectory(flow);
        var workflow = Path.Combine(flow, "WORKFLOW.md");
        File.WriteAllText(workflow, $"""
            ---
            tracker:
              kind: linear
              provider:
                endpoint: {linear.Endpoint}
                api_key: $LINEAR_API_KEY
                project_slug: {FakeLinearServer.DefaultProjectSlug}
            polling:
              interval_ms: 500
            workspace:
              root: {root}
            hooks:
              after_create: |
                git init -q -b main && git commit -q --allow-empty -m base && git checkout -q -b work
            handoff:
              state: In Review
            agent:
              kind: command
              command: |-
                echo done > result.txt && git add result.txt && git commit -qm "Result for $BATON_TASK"
            ---
            Work on {"{{ issue.identifier }}"}
            """);
        await using var daemon = await RunDaemon.StartAsync(w, workflow);

        await SessionWorld.WaitUntilAsync(() => linear.Issue(FakeLinearServer.IssueId(1)).State == "In Review", "the issue moved to In Review", 120);
        var comment = (await Poll.UntilAsync(() => linear.Comments.Count > 0, TimeSpan.FromSeconds(30)) ? linear.Comments : []).ShouldHaveSingleItem();
        var directory = Directory.GetDirectories(w.World.Home, "sessions", SearchOption.AllDirectories).SelectMany(Directory.GetDirectories).Single();
        var proof = await WaitForProofAsync(directory, p => p.Handoff.Status == HandoffStatuses.HandedOff);
        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);

        comment.IssueId.ShouldBe(FakeLinearServer.IssueId(1));
        comment.Body.ShouldStartWith("## Proof of work: ENG-1 — Issue 1");
        comment.Body.ShouldContain("handed off to In Review");
        proof.Handoff.CommentId.ShouldBe(comment.Id);
        proof.Handoff.State.ShouldBe("In Review");
        var workspace = Path.Combine(root, "ENG-1");
        proof.Git!.Branch.ShouldBe("work");
        proof.Git.BaseRef.ShouldBe("main");
        proof.Git.BaseCommit.ShouldBe(await GitOkAsync(workspace, "rev-parse", "main"));
        proof.Git.HeadCommit.ShouldBe(await GitOkAsync(workspace, "rev-parse", "HEAD"));
        proof.Git.Commits.ShouldHaveSingleItem().Subject.ShouldBe("Result for ENG-1");
        proof.Git.Files.ShouldBe([new ProofFileChange("result.txt", 1, 0)]);
        proof.Validation.Status.ShouldBe(ValidationStatuses.NotConfigured);
    }

    private static async Task CommitCheckScriptAsync(string repo, string body)
    {
        var script = Path.Combine(repo, "check.sh");
        File.WriteAllText(script, $"#!/usr/bin/env bash\n{body}\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        await GitOkAsync(repo, "add", "check.sh");
        await GitOkAsync(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "Add check.sh");
    }

    private static async Task<string> GitOkAsync(string directory, params string[] args)
    {
        var result = await GitCli.RunAsync(directory, args).WaitAsync(TimeSpan.FromSeconds(60));
        result.Succeeded.ShouldBeTrue($"git {string.Join(' ', args)}: {result.StandardError}");
        return result.StandardOutput.TrimEnd('\n');
    }

    private static async Task<ProofDocument> WaitForProofAsync(string sessionDirectory, Func<ProofDocument, bool> condition)
    {
        ProofDocument? proof = null;
        await SessionWorld.WaitUntilAsync(() => (proof = ProofBundle.Read(sessionDirectory)) is { } p && condition(p), $"a proof in {sessionDirectory}", 60);
        return proof!;
    }
}
