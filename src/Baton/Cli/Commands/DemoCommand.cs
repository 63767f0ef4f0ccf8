using System.CommandLine;
using System.Globalization;
using Baton.Core.Errors;
using Baton.Demo;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton demo</c>: Baton's main job on embedded defaults. It creates a sample repository (with a WORKFLOW.md),
/// registers it, adds three tasks, and runs the orchestrator (<c>baton run</c>, in-process) until every task has been
/// handed off: pi agents driven offline by one replay script per task edit, commit, and move their own task to Human
/// Review; each run ends with a proof bundle (validation with ./check.sh, git facts, pi's transcript). Each CLI step is
/// the real command, printed before it runs.
/// </summary>
public sealed class DemoCommand : BatonCommand
{
    /// <summary>How long the demo waits for every task to be handed off.</summary>
    public static readonly TimeSpan HandoffTimeout = TimeSpan.FromMinutes(4);

    private static readonly (string Task, string Script)[] s_scripts = [("CALC-1", "calc-mul.json"), ("CALC-2", "calc-validate.json"), ("CALC-3", "calc-docs.json")];

    public DemoCommand(CliContext context)
        : base("demo", "Run Baton's orchestrator on a sample project in a fresh directory: three tasks, real pi sessions driven offline by replay scripts, each making a real commit and moving its task to Human Review, and each leaving a proof bundle (validation, git facts, transcript). The commands it runs, the API address and where the proofs are are printed as it goes.\nUses BATON_HOME when set, otherwise a new temporary directory (printed), so your own projects are never touched.\n\nExamples:\n  baton demo\n  BATON_HOME=/tmp/try-baton baton demo", context, printsData: false)
    {
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var home = Context.GetEnvironment("BATON_HOME") is { } configured
            ? Context.ResolvePath(configured)
            : Directory.CreateTempSubdirectory("baton-demo-").FullName;
        var stamp = Context.Time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var project = Path.Combine(home, "demo", stamp, "calc");
        Context.Out.WriteLine($"BATON_HOME  {home}");
        Context.Out.WriteLine($"project     {project}");
        Context.Out.WriteLine();

        await SampleProject.CreateAsync(project, cancellationToken).ConfigureAwait(false);
        var environment = new Dictionary<string, string>(Context.Environment) { ["BATON_HOME"] = home };
        environment.Remove("BATON_CONFIG");
        var inner = new CliContext(Context.Out, Context.Err, TextReader.Null, environment, project, Context.Time);

        // One replay script per task, named after its identifier: WORKFLOW.md points at ../scripts/{identifier}.json.
        var scripts = Path.Combine(home, "demo", stamp, "scripts");
        Directory.CreateDirectory(scripts);
        foreach (var (task, script) in s_scripts)
        {
            await File.WriteAllTextAsync(Path.Combine(scripts, $"{task}.json"), DemoScripts.Read(script), cancellationToken).ConfigureAwait(false);
        }

        string[][] setup =
        [
            ["init", "--prefix", "calc"],
            ["task", "add", "calc", "Add a mul operation to calc.sh", "--priority", "2", "--label", "feature", "--description", "calc.sh should support 'mul A B'; extend check.sh."],
            ["task", "add", "calc", "Reject non-numeric arguments", "--priority", "1", "--label", "bug"],
            ["task", "add", "calc", "Document every operation in the README", "--priority", "3", "--label", "docs", "--blocked-by", "CALC-1"],
            ["task", "ready"],
        ];
        foreach (var step in setup)
        {
            await StepAsync(inner, step, cancellationToken).ConfigureAwait(false);
        }

        Context.Out.WriteLine("WORKFLOW.md (committed in the sample repository):");
        Context.Out.WriteLine(SampleProject.Workflow);
        await RunOrchestratorAsync(home, inner, cancellationToken).ConfigureAwait(false);

        string[][] report =
        [
            ["list"],
            ["peek", "calc-1", "-n", "30"],
            ["workspace", "list"],
            ["proof", "CALC-2"],
        ];
        foreach (var step in report)
        {
            await StepAsync(inner, step, cancellationToken).ConfigureAwait(false);
        }

        Context.Out.WriteLine("Proof bundles (proof.json, summary.md, transcript.html, validation logs):");
        foreach (var (task, _) in s_scripts)
        {
            var proof = await ProofAsync(inner, task, cancellationToken).ConfigureAwait(false);
            Context.Out.WriteLine($"  {task}  {proof?.Directory ?? "(none)"}");
        }

        Context.Out.WriteLine();

        Context.Out.WriteLine("The demo is done: the orchestrator ran three real pi agents, two at a time; each committed on its own branch, moved its task to Human Review and left a proof bundle. Try it yourself:");
        Context.Out.WriteLine($"  export BATON_HOME={home}");
        Context.Out.WriteLine($"  cd {project}");
        Context.Out.WriteLine("  baton attach calc-1        # the session's tmux pane, with its transcript (Ctrl-b d detaches)");
        Context.Out.WriteLine("  baton logs calc-2          # the whole transcript");
        Context.Out.WriteLine("  baton proof CALC-1 --open  # the proof: validation, commits, diff stat, tokens, cost; --open shows the transcript");
        Context.Out.WriteLine("  git log --oneline --all    # the agents' commits");
        Context.Out.WriteLine("  baton task list            # the tasks and their states");
        Context.Out.WriteLine("  baton run --port 8080      # the orchestrator again, with its dashboard at http://127.0.0.1:8080/");
        return ExitCodes.Ok;
    }

    private async Task StepAsync(CliContext inner, string[] step, CancellationToken cancellationToken)
    {
        Context.Out.WriteLine($"$ baton {string.Join(' ', step.Select(Quote))}");
        var code = await BatonApp.RunAsync(step, inner, cancellationToken).ConfigureAwait(false);
        Context.Out.WriteLine();
        if (code != ExitCodes.Ok)
        {
            throw new BatonException("demo_failed", $"the demo step 'baton {string.Join(' ', step)}' failed with exit code {code}", "The error above says why; 'baton doctor' checks the machine (./baton.sh demo installs the agents it needs).");
        }
    }

    /// <summary>
    /// Runs <c>baton run --port 0</c> in-process until every task has reached its hand-off state; accepts CALC-1 (closes
    /// it, as a person would after review) once it is handed off, which unblocks CALC-3.
    /// </summary>
    private async Task RunOrchestratorAsync(string home, CliContext inner, CancellationToken cancellationToken)
    {
        var daemonOut = new StringWriter();
        var daemonErr = new StringWriter();
        var syncOut = TextWriter.Synchronized(daemonOut);
        var syncErr = TextWriter.Synchronized(daemonErr);
        var daemonContext = new CliContext(syncOut, syncErr, TextReader.Null, inner.Environment, inner.WorkingDirectory, Context.Time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Context.Out.WriteLine("$ baton run --port 0     (in-process, until every task is handed off)");
        var run = Task.Run(() => BatonApp.RunAsync(["run", "--port", "0"], daemonContext, stop.Token), CancellationToken.None);
        var completed = false;
        try
        {
            var url = await WaitForUrlAsync(run, () => Read(syncOut, daemonOut), () => Read(syncErr, daemonErr), cancellationToken).ConfigureAwait(false);
            Context.Out.WriteLine($"dashboard and API at {url}  (JSON: {url}/api/v1/state)");
            using (var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) })
            {
                var state = await http.GetStringAsync(new Uri("/api/v1/state", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                Context.Out.WriteLine($"GET /api/v1/state → {state}");
            }

            Context.Out.WriteLine();
            await WaitForHandoffAsync(home, inner, run, () => Read(syncErr, daemonErr), cancellationToken).ConfigureAwait(false);
            completed = true;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            var code = await run.WaitAsync(RunCommand.ShutdownGrace + TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            Context.Out.WriteLine($"baton run stopped (exit {code}).");
            Context.Out.WriteLine();
            if (completed && code != ExitCodes.Ok)
            {
                Context.Err.WriteLine(Read(syncErr, daemonErr));
            }
        }
    }

    private static string Read(TextWriter sync, StringWriter writer)
    {
        lock (sync)
        {
            return writer.ToString();
        }
    }

    private async Task<string> WaitForUrlAsync(Task<int> run, Func<string> stdout, Func<string> stderr, CancellationToken cancellationToken)
    {
        var deadline = Context.Time.GetUtcNow().AddSeconds(60);
        while (true)
        {
            var match = System.Text.RegularExpressions.Regex.Match(stdout(), @"http://[^\s]+?:\d+");
            if (match.Success)
            {
                return match.Value;
            }

            if (run.IsCompleted || Context.Time.GetUtcNow() > deadline)
            {
                throw new BatonException("demo_failed", $"baton run did not start: {stdout()}\n{stderr()}", "The error above says why; 'baton doctor' checks the machine.");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitForHandoffAsync(string home, CliContext inner, Task<int> run, Func<string> stderr, CancellationToken cancellationToken)
    {
        var deadline = Context.Time.GetUtcNow().Add(HandoffTimeout);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var accepted = false;
        while (true)
        {
            var states = await TaskStatesAsync(inner, cancellationToken).ConfigureAwait(false);
            foreach (var (task, state) in states)
            {
                if (!seen.TryGetValue(task, out var before) || before != state)
                {
                    Context.Out.WriteLine($"  {Context.Time.GetUtcNow():HH:mm:ss}  {task} → {state}");
                    seen[task] = state;
                }
            }

            if (!accepted && states.GetValueOrDefault("CALC-1") is "Human Review")
            {
                // A person reviews CALC-1 and accepts it; CALC-3, blocked by it, becomes ready.
                Context.Out.WriteLine();
                await StepAsync(inner, ["task", "close", "CALC-1"], cancellationToken).ConfigureAwait(false);
                accepted = true;
                continue;
            }

            if (states.Count == s_scripts.Length && states.Values.All(s => s is "Human Review" or "Done"))
            {
                // A run's proof is written as it ends, just after the agent moved its task.
                var proofs = await Task.WhenAll(s_scripts.Select(s => ProofAsync(inner, s.Task, cancellationToken))).ConfigureAwait(false);
                if (proofs.All(p => p is not null))
                {
                    Context.Out.WriteLine();
                    return;
                }
            }

            if (run.IsCompleted)
            {
                throw new BatonException("demo_failed", $"baton run ended early (exit {await run.ConfigureAwait(false)}): {stderr()}", $"Look with 'BATON_HOME={home} baton list'.");
            }

            if (Context.Time.GetUtcNow() > deadline)
            {
                throw new BatonException("demo_failed", $"the demo tasks did not reach Human Review within {HandoffTimeout.TotalMinutes:0} minutes: {string.Join(", ", states.Select(p => $"{p.Key} {p.Value}"))}", $"Look at them with 'BATON_HOME={home} baton list' and 'baton logs <session>'.");
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Dictionary<string, string>> TaskStatesAsync(CliContext inner, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (task, _) in s_scripts)
        {
            using var output = new StringWriter();
            var probe = new CliContext(output, TextWriter.Null, TextReader.Null, inner.Environment, inner.WorkingDirectory, Context.Time);
            if (await BatonApp.RunAsync(["task", "show", task, "--json"], probe, cancellationToken).ConfigureAwait(false) == ExitCodes.Ok)
            {
                using var document = System.Text.Json.JsonDocument.Parse(output.ToString());
                result[task] = document.RootElement.GetProperty("data").GetProperty("state").GetString() ?? "unknown";
            }
        }

        return result;
    }

    /// <summary>The task's proof as <c>baton proof --json</c> gives it, or null while there is none.</summary>
    private async Task<ProofView?> ProofAsync(CliContext inner, string task, CancellationToken cancellationToken)
    {
        using var output = new StringWriter();
        var probe = new CliContext(output, TextWriter.Null, TextReader.Null, inner.Environment, inner.WorkingDirectory, Context.Time);
        if (await BatonApp.RunAsync(["proof", task, "--json"], probe, cancellationToken).ConfigureAwait(false) != ExitCodes.Ok)
        {
            return null;
        }

        using var document = System.Text.Json.JsonDocument.Parse(output.ToString());
        return System.Text.Json.JsonSerializer.Deserialize(document.RootElement.GetProperty("data"), ProofJsonViews.Default.ProofView);
    }

    private static string Quote(string argument) => argument.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"') ? $"\"{argument}\"" : argument;
}
