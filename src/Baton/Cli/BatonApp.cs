using System.CommandLine;
using Baton.Cli.Commands;
using Baton.Core.Errors;

namespace Baton.Cli;

/// <summary>Builds the command tree and runs one invocation. Used by <c>Program</c> and by in-process tests.</summary>
public static class BatonApp
{
    public const string Description =
        "Baton runs a crew of AI coding agents on your repositories: a git worktree, an agent and a tmux session per task.\n\n" +
        "Exit codes: 0 ok, 1 failed, 2 bad usage, 3 blocked by a safety check.\n" +
        "Every command that prints data takes --json and then prints {\"ok\",\"data\",\"error\"} on stdout.\n\n" +
        "Start with:\n" +
        "  baton init                 register the repository in the current directory\n" +
        "  baton task add app \"Fix the login bug\" --priority 2\n" +
        "  baton task ready\n" +
        "  baton spawn app APP-1      an agent on APP-1 in its own worktree and tmux session\n" +
        "  baton run --port 8080      the orchestrator: dispatch every ready task, with its dashboard\n" +
        "  baton status --watch       the overview in the terminal\n" +
        "  baton doctor";

    public static RootCommand CreateRootCommand(CliContext context)
    {
        var root = new RootCommand(Description);
        root.Options.Add(GlobalOptions.Config);
        foreach (var version in root.Options.OfType<VersionOption>())
        {
            version.Action = new VersionAction(context);
        }

        root.Subcommands.Add(new InitCommand(context));
        root.Subcommands.Add(ProjectCommands.Create(context));
        root.Subcommands.Add(new InfoCommand(context));
        root.Subcommands.Add(new DemoCommand(context));
        root.Subcommands.Add(new DoctorCommand(context));
        root.Subcommands.Add(TaskCommands.Create(context));
        root.Subcommands.Add(WorkspaceCommands.Create(context));
        root.Subcommands.Add(new ReplayModelCommand(context));
        root.Subcommands.Add(new WorkerCommand(context));
        root.Subcommands.Add(new SpawnCommand(context));
        root.Subcommands.Add(new ListCommand(context));
        root.Subcommands.Add(new AttachCommand(context));
        root.Subcommands.Add(new SendCommand(context));
        root.Subcommands.Add(new PeekCommand(context));
        root.Subcommands.Add(new LogsCommand(context));
        root.Subcommands.Add(new KillCommand(context));
        root.Subcommands.Add(new RemoveCommand(context));
        root.Subcommands.Add(new PurposeCommand(context));
        root.Subcommands.Add(MailCommands.Create(context));
        root.Subcommands.Add(new HandoffCommand(context));
        root.Subcommands.Add(new RunCommand(context));
        root.Subcommands.Add(new ProofCommand(context));
        root.Subcommands.Add(new StatusCommand(context));
        root.Subcommands.Add(new MergeCommand(context));

        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        var root = CreateRootCommand(context);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            var message = string.Join("; ", parseResult.Errors.Select(e => e.Message));
            var commandPath = string.Join(' ', parseResult.CommandResult.Command.Name == root.Name
                ? ["baton"]
                : new[] { "baton" }.Concat(CommandPath(parseResult.CommandResult.Command)));
            var error = BatonException.Usage(ErrorCodes.BadUsage, message, $"See '{commandPath} --help'.");
            ErrorReporter.Report(context, error, args.Contains("--json"));
            return ExitCodes.BadUsage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Err,
            EnableDefaultExceptionHandler = false,

            // SIGTERM and Ctrl-C cancel the command's token; a command then has this long to stop its children
            // before the process exits anyway (the default would leave them orphaned).
            ProcessTerminationTimeout = parseResult.CommandResult.Command is RunCommand
                ? RunCommand.ShutdownGrace + TimeSpan.FromSeconds(10)
                : TimeSpan.FromSeconds(15),
        };
        return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command c && symbol is not RootCommand; symbol = c.Parents.FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }

        return names;
    }

    /// <summary>Prints Baton's own version (the default prints the entry assembly's, which is the test host in tests).</summary>
    private sealed class VersionAction(CliContext context) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var assembly = typeof(BatonApp).Assembly;
            var version = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString() ?? "unknown";
            context.Out.WriteLine(version);
            return ExitCodes.Ok;
        }
    }
}
