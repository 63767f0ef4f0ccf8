using System.CommandLine;
using System.Globalization;
using Baton.Core.Errors;
using Baton.Demo;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton demo</c>: Baton's main job on embedded defaults. It creates a sample repository, registers it, keeps a
/// task list for it and shows what is ready — each step is the real command, printed before it runs.
/// </summary>
public sealed class DemoCommand : BatonCommand
{
    public DemoCommand(CliContext context)
        : base("demo", "Run Baton on a sample project in a fresh directory: three tasks, three real pi sessions driven offline by replay scripts, each making a real commit. The commands it runs are printed as it goes.\nUses BATON_HOME when set, otherwise a new temporary directory (printed), so your own projects are never touched.\n\nExamples:\n  baton demo\n  BATON_HOME=/tmp/try-baton baton demo", context, printsData: false)
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

        // Three real pi sessions, each driven offline by a replay script that makes real edits and commits.
        var scripts = Path.Combine(home, "demo", stamp, "scripts");
        Directory.CreateDirectory(scripts);
        var plan = new[] { ("CALC-1", "calc-mul.json"), ("CALC-2", "calc-validate.json"), ("CALC-3", "calc-docs.json") };
        foreach (var (task, script) in plan)
        {
            var path = Path.Combine(scripts, script);
            await File.WriteAllTextAsync(path, DemoScripts.Read(script), cancellationToken).ConfigureAwait(false);
            await StepAsync(inner, ["spawn", "calc", task, "--agent", "pi", "--model", $"replay:{path}", "--idle-timeout", "3"], cancellationToken).ConfigureAwait(false);
        }

        Context.Out.WriteLine("Waiting for the three sessions to finish (each ends 3 s after its last turn)…");
        await WaitForSessionsAsync(home, ["calc-1", "calc-2", "calc-3"], inner, cancellationToken).ConfigureAwait(false);
        Context.Out.WriteLine();

        string[][] report =
        [
            ["list"],
            ["peek", "calc-1", "-n", "30"],
            ["workspace", "list"],
        ];
        foreach (var step in report)
        {
            await StepAsync(inner, step, cancellationToken).ConfigureAwait(false);
        }

        Context.Out.WriteLine("The demo is done: three branches, each with a commit made by a real pi agent. Try it yourself:");
        Context.Out.WriteLine($"  export BATON_HOME={home}");
        Context.Out.WriteLine($"  cd {project}");
        Context.Out.WriteLine("  baton attach calc-1        # the session's tmux pane, with its transcript (Ctrl-b d detaches)");
        Context.Out.WriteLine("  baton logs calc-2          # the whole transcript");
        Context.Out.WriteLine("  git log --oneline --all    # the agents' commits");
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

    private async Task WaitForSessionsAsync(string home, IReadOnlyList<string> names, CliContext inner, CancellationToken cancellationToken)
    {
        var deadline = Context.Time.GetUtcNow().AddMinutes(3);
        while (true)
        {
            var statuses = new List<string>();
            foreach (var name in names)
            {
                using var output = new StringWriter();
                var probe = new CliContext(output, TextWriter.Null, TextReader.Null, inner.Environment, inner.WorkingDirectory, Context.Time);
                await BatonApp.RunAsync(["info", name, "--json"], probe, cancellationToken).ConfigureAwait(false);
                using var document = System.Text.Json.JsonDocument.Parse(output.ToString());
                statuses.Add(document.RootElement.GetProperty("data").GetProperty("status").GetString() ?? "unknown");
            }

            if (statuses.All(s => Core.Sessions.SessionStatus.IsEnded(s)))
            {
                if (statuses.Any(s => s != Core.Sessions.SessionStatus.Finished))
                {
                    throw new BatonException("demo_failed", $"a demo session did not finish cleanly: {string.Join(", ", names.Zip(statuses, (n, s) => $"{n} {s}"))}", $"See 'BATON_HOME={home} baton logs <session>'.");
                }

                return;
            }

            if (Context.Time.GetUtcNow() > deadline)
            {
                throw new BatonException("demo_failed", $"the demo sessions did not finish within 3 minutes: {string.Join(", ", names.Zip(statuses, (n, s) => $"{n} {s}"))}", $"Look at them with 'BATON_HOME={home} baton list'.");
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Quote(string argument) => argument.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"') ? $"\"{argument}\"" : argument;
}
