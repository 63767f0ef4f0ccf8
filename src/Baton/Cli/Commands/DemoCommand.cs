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
        : base("demo", "Run Baton on a sample project in a fresh directory: the commands it runs are printed as it goes.\nUses BATON_HOME when set, otherwise a new temporary directory (printed), so your own projects are never touched.\n\nExamples:\n  baton demo\n  BATON_HOME=/tmp/try-baton baton demo", context, printsData: false)
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

        string[][] steps =
        [
            ["init", "--prefix", "calc"],
            ["info"],
            ["task", "add", "calc", "Add a mul operation to calc.sh", "--priority", "2", "--label", "feature", "--description", "calc.sh should support 'mul A B'; extend check.sh."],
            ["task", "add", "calc", "Reject non-numeric arguments", "--priority", "1", "--label", "bug"],
            ["task", "add", "calc", "Document every operation in the README", "--priority", "3", "--label", "docs", "--blocked-by", "CALC-1"],
            ["task", "list"],
            ["task", "ready"],
            ["task", "close", "CALC-1"],
            ["task", "ready"],
        ];

        foreach (var step in steps)
        {
            Context.Out.WriteLine($"$ baton {string.Join(' ', step.Select(Quote))}");
            var code = await BatonApp.RunAsync(step, inner, cancellationToken).ConfigureAwait(false);
            Context.Out.WriteLine();
            if (code != ExitCodes.Ok)
            {
                throw new BatonException("demo_failed", $"the demo step 'baton {string.Join(' ', step)}' failed with exit code {code}", "The error above says why; 'baton doctor' checks the machine.");
            }
        }

        Context.Out.WriteLine("The demo is done. Try it yourself:");
        Context.Out.WriteLine($"  export BATON_HOME={home}");
        Context.Out.WriteLine($"  cd {project} && baton task list --all");
        return ExitCodes.Ok;
    }

    private static string Quote(string argument) => argument.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"') ? $"\"{argument}\"" : argument;
}
