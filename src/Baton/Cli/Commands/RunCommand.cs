using System.CommandLine;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Core.Tracking;
using Baton.Core.Workflows;
using Baton.Orchestration;
using Baton.Runtimes;
using Baton.Sessions;
using Baton.Storage;
using Baton.Web;
using Baton.Workspaces;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton run [--port P] [--logs-root DIR] [--stop-sessions] [path/to/WORKFLOW.md]</c> (Symphony §17.7): the
/// long-running orchestrator. With a <c>baton.yaml</c> in reach and no path it runs every project's WORKFLOW.md.
/// </summary>
public sealed class RunCommand : BatonCommand
{
    public const string UnsupportedTrackerKind = "unsupported_tracker_kind";

    /// <summary>How long shutdown may take; <see cref="BatonApp"/> gives the process longer than this after a signal.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(20);

    private readonly Argument<string?> _workflow = new("workflow") { Description = "Path to WORKFLOW.md (default ./WORKFLOW.md, or every project's with a baton.yaml in reach)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<int?> _port = new("--port") { Description = "Serve the dashboard and JSON API on this port (0: any free port); overrides server.port" };
    private readonly Option<string?> _logsRoot = new("--logs-root") { Description = "Directory for baton-run.log (default BATON_HOME/logs)" };
    private readonly Option<bool> _stopSessions = new("--stop-sessions") { Description = "On shutdown, stop the running agents too (by default they keep running and the next 'baton run' adopts them)" };

    public RunCommand(CliContext context)
        : base("run", "Run the orchestrator: poll the tracker, dispatch agents, retry, reconcile, serve the dashboard. Every run ends with a proof bundle (see 'baton proof'); a WORKFLOW.md with a handoff map also has Baton check the work and hand review-ready tasks off, and merge.continuous: true runs the merge queue (see 'baton merge') whenever a task reaches Merging.\n\nExamples:\n  baton run\n  baton run --port 8080\n  baton run path/to/WORKFLOW.md --logs-root /var/log/baton", context, printsData: false)
    {
        Arguments.Add(_workflow);
        Options.Add(_port);
        Options.Add(_logsRoot);
        Options.Add(_stopSessions);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var tracker = TrackerContext.Open(Context, parseResult);
        var targets = ResolveTargets(tracker, parseResult.GetValue(_workflow));
        using var linear = targets.Select(t => t.Linear).OfType<BareLinearWorkflow>().FirstOrDefault()?.OpenTracker();
        if (linear is not null)
        {
            // Sessions of the derived project resolve like any other project's (baton list, BATON_PROJECT).
            Storage.ProjectRows.Sync(tracker.Store, [targets[0].Project], Context.Time.GetUtcNow());
        }

        var logsRoot = parseResult.GetValue(_logsRoot) is { } logs ? Context.ResolvePath(logs) : Path.Combine(Context.BatonHome, "logs");
        using var log = new RunLog(logsRoot, Context.Err, Context.Time);
        var tmux = TmuxClient.ForHome(Context.BatonHome, Context.GetEnvironment("BATON_TMUX_SOCKET"));
        var sessions = new SessionService(tracker.Store, Context.BatonHome, Context.Environment, tmux, Context.Time);

        // linear_graphql runs here, where the credential is; Codex sessions reach it through the broker's socket (§10.5).
        await using var tools = linear is null ? null : await HostToolBroker.StartForLinearAsync(linear, targets[0].Project, log).ConfigureAwait(false);
        var orchestrators = new List<Orchestrator>();
        ApiServer? server = null;
        OrchestratorApi? api = null;
        string? endpointFile = null;
        string? token = null;
        try
        {
            foreach (var (project, path, bare) in targets)
            {
                orchestrators.Add(await Orchestrator.StartAsync(
                    new OrchestratorOptions
                    {
                        Project = project,
                        WorkflowPath = path,
                        BatonHome = Context.BatonHome,
                        Environment = Context.Environment,
                        HomeDirectory = Context.HomeDirectory,
                        Store = tracker.Store,
                        Sessions = sessions,
                        Tracker = bare is null ? tracker.Tracker(project) : linear!,
                        Layout = bare?.Layout,
                        SecretEnvironmentNames = bare?.Settings.SecretEnvironmentNames ?? [],
                        HostTools = bare is null ? null : tools?.Access,
                        Log = log,
                        Time = Context.Time,
                    },
                    cancellationToken).ConfigureAwait(false));
            }

            api = new OrchestratorApi(orchestrators, tracker.Store, sessions, Context.Time);
            var settings = orchestrators[0].Workflow.Settings;
            var port = parseResult.GetValue(_port) ?? settings.ServerPort;
            if (port is { } listen)
            {
                var host = settings.ServerHost;
                var loopback = host is "127.0.0.1" or "localhost" or "::1" or "[::1]";
                token = loopback ? null : ApiServer.NewToken();
                server = await ApiServer.StartAsync(api, new ApiServerOptions { Host = host, Port = listen, Token = token, Time = Context.Time }, cancellationToken).ConfigureAwait(false);
                Context.Out.WriteLine($"baton run: dashboard and API at {server.BaseUrl}");
                if (server.LoginUrl is { } login)
                {
                    // One-time login link for a non-loopback bind (§13.7); the token never goes to the log file.
                    Context.Out.WriteLine($"baton run: open {login} to sign in");
                }

                log.Info("http server listening", ("url", server.BaseUrl), ("token_required", server.RequiresToken));
            }

            // Where 'baton status' finds this orchestrator (and its API) while it runs.
            endpointFile = ApiEndpoints.Write(Context.BatonHome, new ApiEndpoint
            {
                Pid = Environment.ProcessId,
                ProcessStartTime = Processes.ProcessTable.StartTime(Environment.ProcessId),
                StartedAt = Context.Time.GetUtcNow(),
                Url = server?.BaseUrl,
                Token = token,
                Workflows = [.. targets.Select(t => t.Workflow)],
            });
            Context.Out.WriteLine($"baton run: {orchestrators.Count} workflow(s) running; log at {log.Path}; Ctrl-C to stop");
            await Context.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or SIGTERM: a normal shutdown.
            }

            return ExitCodes.Ok;
        }
        finally
        {
            ApiEndpoints.Remove(endpointFile);
            api?.MarkStopping();
            var stopSessions = parseResult.GetValue(_stopSessions);
            await Task.WhenAll(orchestrators.Select(o => o.ShutdownAsync(stopSessions, ShutdownGrace / 2))).WaitAsync(ShutdownGrace, CancellationToken.None).ConfigureAwait(false);
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            log.Info("baton run stopped", ("stop_sessions", stopSessions));
        }
    }

    /// <summary>Which workflows run, each with the project whose tracker it uses.</summary>
    private List<(Project Project, string Workflow, BareLinearWorkflow? Linear)> ResolveTargets(TrackerContext tracker, string? argument)
    {
        if (argument is null && tracker.Config is { } config)
        {
            var targets = new List<(Project, string, BareLinearWorkflow?)>();
            foreach (var project in config.Projects)
            {
                var path = Path.Combine(project.Path, ProjectWorkspaces.WorkflowFileName);
                if (File.Exists(path))
                {
                    CheckTrackerKind(path, allowAbsent: true);
                    targets.Add((project, path, null));
                }
                else
                {
                    Warn($"project '{project.Id}' has no {ProjectWorkspaces.WorkflowFileName} ({path}); skipping it");
                }
            }

            return targets.Count > 0 ? targets : throw new BatonException(
                WorkflowErrorCodes.MissingFile,
                $"no project of {config.Config.FilePath} has a {ProjectWorkspaces.WorkflowFileName}",
                "Add WORKFLOW.md to a project's root (YAML front matter, then the prompt), or pass a path: baton run path/to/WORKFLOW.md.");
        }

        var workflow = Context.ResolvePath(argument ?? ProjectWorkspaces.WorkflowFileName);
        if (!File.Exists(workflow))
        {
            throw new BatonException(
                WorkflowErrorCodes.MissingFile,
                $"no workflow file at {workflow}",
                "Create WORKFLOW.md (YAML front matter between '---' lines, then the prompt), or pass its path: baton run path/to/WORKFLOW.md.");
        }

        var directory = Path.GetDirectoryName(workflow)!;
        if (tracker.Config?.Projects.FirstOrDefault(p => string.Equals(Path.GetFullPath(p.Path).TrimEnd('/'), directory.TrimEnd('/'), StringComparison.Ordinal)) is { } owner)
        {
            CheckTrackerKind(workflow, allowAbsent: true);
            return [(owner, workflow, null)];
        }

        // A bare WORKFLOW.md outside any baton.yaml names its tracker (§5.3.1).
        var kind = CheckTrackerKind(workflow, allowAbsent: false);
        if (kind == "local")
        {
            if (Context.GetEnvironment(TaskCommands.ProjectEnvironmentVariable) is null)
            {
                throw BatonException.Usage(
                    ErrorCodes.ProjectNotFound,
                    $"{workflow} uses the local tracker, but no project is named",
                    "Set BATON_PROJECT to the project's instance id ('baton info'), or run from a directory with baton.yaml.");
            }

            return [(tracker.ResolveProject(null), workflow, null)];
        }

        if (kind == LinearSettings.Kind)
        {
            // Validation errors (missing_linear_api_token, ...) end startup here; their messages never hold the key.
            var bare = BareLinearWorkflow.Resolve(workflow, Context.BatonHome, Context.GetEnvironment, Context.HomeDirectory);
            return [(bare.Project, workflow, bare)];
        }

        throw new BatonException(UnsupportedTrackerKind, $"tracker.kind '{kind}' is not supported", "Use tracker.kind: local with BATON_PROJECT set, or put the workflow in a project of baton.yaml.");
    }

    /// <summary>
    /// The workflow's tracker.kind; a bare workflow needs one. Linear runs only from a bare WORKFLOW.md: a baton.yaml
    /// project's workflow uses the project's own tracker.
    /// </summary>
    private string? CheckTrackerKind(string workflow, bool allowAbsent)
    {
        var document = WorkflowDocument.Parse(File.ReadAllText(workflow), workflow);
        var trackerMap = document.FrontMatter.GetValueOrDefault("tracker") as IReadOnlyDictionary<string, object?>;
        var kind = (trackerMap?.GetValueOrDefault("kind") as string)?.Trim().ToLowerInvariant();
        switch (kind)
        {
            case null or "" when allowAbsent:
                return null;
            case null or "":
                throw new BatonException(
                    WorkflowErrorCodes.Invalid,
                    $"{workflow} is outside any baton.yaml and names no tracker.kind",
                    "Add 'tracker: {kind: local}' and set BATON_PROJECT, or run it from a project of baton.yaml ('baton init').");
            case "local":
                return kind;
            case LinearSettings.Kind when !allowAbsent:
                return kind;
            case LinearSettings.Kind:
                throw new BatonException(
                    UnsupportedTrackerKind,
                    $"{workflow}: tracker.kind 'linear' belongs to a project of baton.yaml, whose tasks live in Baton's own tracker",
                    "Run the Linear workflow from outside any baton.yaml project (baton run path/to/WORKFLOW.md), or set tracker.kind: local.");
            default:
                throw new BatonException(
                    UnsupportedTrackerKind,
                    $"{workflow}: tracker.kind '{kind}' is not supported",
                    "Supported: local and linear.");
        }
    }
}
