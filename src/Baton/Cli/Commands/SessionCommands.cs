using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Core.Sessions;
using Baton.Git;
using Baton.Runtimes;
using Baton.Sessions;
using Baton.Workers;
using Baton.Workspaces;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary>A session as the session commands print it.</summary>
public sealed record SessionView(
    string Name,
    string Project,
    string? Task,
    string Agent,
    string? Model,
    string Runtime,
    string RuntimeName,
    string Status,
    bool WorkerAlive,
    bool RuntimeAlive,
    string Workspace,
    string? Branch,
    bool? Dirty,
    int? Ahead,
    int? Unpushed,
    TokenUsage Usage,
    int Run,
    int Turns,
    string? LastEvent,
    DateTimeOffset CreatedAt,
    long AgeSeconds,
    string? Purpose,
    string? Outcome,
    string? Reason,
    string Directory,
    bool Archived,
    string? PreviousSession = null,
    string? NextSession = null);

public sealed record SentView(string Session, string Delivered, string Status);

public sealed record PurposeView(string Session, string? Purpose);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SessionView))]
[JsonSerializable(typeof(IReadOnlyList<SessionView>))]
[JsonSerializable(typeof(SentView))]
[JsonSerializable(typeof(PurposeView))]
internal sealed partial class SessionJsonViews : JsonSerializerContext;

/// <summary>What every session command needs: the tracker context, the session service, and a way to describe a session.</summary>
internal sealed class SessionContext : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _hasRemote = new(StringComparer.Ordinal);

    private SessionContext(CliContext context, TrackerContext tracker, SessionService service)
    {
        Cli = context;
        Tracker = tracker;
        Service = service;
    }

    public CliContext Cli { get; }

    public TrackerContext Tracker { get; }

    public SessionService Service { get; }

    public static SessionContext Open(CliContext context, ParseResult parseResult)
    {
        var tracker = TrackerContext.Open(context, parseResult);
        var tmux = TmuxClient.ForHome(context.BatonHome, context.GetEnvironment("BATON_TMUX_SOCKET"));
        return new SessionContext(context, tracker, new SessionService(tracker.Store, context.BatonHome, context.Environment, tmux, context.Time));
    }

    public SessionRecord Find(string nameOrTask)
    {
        var preferred = Tracker.Config?.Projects.Select(p => p.InstanceId).ToList() ?? [];
        return Service.Find(nameOrTask, preferred, Cli.GetEnvironment(TaskCommands.ProjectEnvironmentVariable));
    }

    /// <param name="livePanes">The tmux sessions whose pane still runs (null: ask tmux).</param>
    public async Task<SessionView> DescribeAsync(SessionRecord session, IReadOnlySet<string>? livePanes, bool gitFacts, CancellationToken cancellationToken)
    {
        var state = Service.Observe(session);
        var status = state.Reported;
        livePanes ??= await LivePanesAsync(cancellationToken).ConfigureAwait(false);
        var runtimeAlive = session.Runtime == SessionRuntimes.Tmux ? livePanes.Contains(session.RuntimeName) : state.WorkerAlive;
        bool? dirty = null;
        int? ahead = null, unpushed = null;
        if (gitFacts && Directory.Exists(session.Workspace))
        {
            (dirty, ahead, unpushed) = await GitFactsAsync(session.Workspace, cancellationToken).ConfigureAwait(false);
        }

        var now = Cli.Time.GetUtcNow();
        return new SessionView(
            session.Name,
            session.Project,
            session.TaskIdentifier,
            session.Agent,
            session.Model,
            session.Runtime,
            session.RuntimeName,
            state.Status,
            state.WorkerAlive,
            runtimeAlive,
            session.Workspace,
            session.Branch,
            dirty,
            ahead,
            unpushed,
            status?.TotalUsage ?? TokenUsage.Zero,
            status?.Run ?? 0,
            status?.Turns ?? 0,
            status?.LastEvent,
            session.CreatedAt,
            (long)(now - session.CreatedAt).TotalSeconds,
            session.Purpose,
            status?.Outcome,
            status?.Reason,
            session.Directory,
            session.ArchivedAt is not null);
    }

    public async Task<IReadOnlySet<string>> LivePanesAsync(CancellationToken cancellationToken) =>
        (await Service.Tmux.ListSessionsAsync(cancellationToken).ConfigureAwait(false)).Where(s => !s.PaneDead).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Dirty (uncommitted changes), ahead of its base (commits on no branch outside baton/* and on no remote), unpushed
    /// (on no remote): two git processes per workspace, a third when it has unpushed commits, one <c>git remote</c> per repository.
    /// </summary>
    private async Task<(bool?, int?, int?)> GitFactsAsync(string workspace, CancellationToken cancellationToken)
    {
        var statusTask = GitCli.RunAsync(workspace, ["status", "--porcelain", "--untracked-files=normal"], cancellationToken);
        var remotesTask = HasRemoteAsync(workspace, cancellationToken);
        static int? Count(string? text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        var unpushed = Count(await GitCli.TryReadAsync(workspace, ["rev-list", "--count", "HEAD", "--not", "--remotes"], cancellationToken).ConfigureAwait(false));

        // "Ahead" leaves out more than "unpushed" (other branches besides the remotes), so it counts a subset of the
        // same commits: when nothing is unpushed, nothing is ahead, and the second walk can be spared. The pattern is
        // "baton/*", not "refs/heads/baton/*": before --branches, git matches it without the refs/heads/ prefix
        // (git-rev-list(1), --exclude), so the longer form excluded nothing and HEAD's own branch hid every commit.
        var ahead = unpushed == 0
            ? 0
            : Count(await GitCli.TryReadAsync(workspace, ["rev-list", "--count", "HEAD", "--not", "--exclude=baton/*", "--branches", "--remotes"], cancellationToken).ConfigureAwait(false));
        var status = await statusTask.ConfigureAwait(false);

        // Without a remote, "unpushed" means nothing: every commit would count.
        var hasRemote = await remotesTask.ConfigureAwait(false);
        return (status.Succeeded ? status.StandardOutput.Length > 0 : null, ahead, hasRemote ? unpushed : null);
    }

    /// <summary>
    /// Whether the workspace's repository has a remote, asked of git once per repository: the worktrees of one
    /// repository share its config, where remotes live. A workspace whose repository cannot be told from its .git is
    /// asked on its own.
    /// </summary>
    private Task<bool> HasRemoteAsync(string workspace, CancellationToken cancellationToken) =>
        _hasRemote.GetOrAdd(CommonGitDirectory(workspace) ?? workspace, _ => new Lazy<Task<bool>>(async () =>
            !string.IsNullOrWhiteSpace(await GitCli.TryReadAsync(workspace, ["remote"], cancellationToken).ConfigureAwait(false)))).Value;

    /// <summary>
    /// The repository's common git directory, read the way git finds it (gitrepository-layout(5)): a .git directory, or
    /// a .git file "gitdir: &lt;dir&gt;" whose &lt;dir&gt;/commondir names it relative to &lt;dir&gt;. Null when it is neither.
    /// </summary>
    internal static string? CommonGitDirectory(string workspace)
    {
        try
        {
            var dotGit = Path.Combine(workspace, ".git");
            if (Directory.Exists(dotGit))
            {
                return Path.GetFullPath(dotGit);
            }

            const string Prefix = "gitdir:";
            var text = File.Exists(dotGit) ? File.ReadAllText(dotGit).Trim() : string.Empty;
            if (!text.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return null;
            }

            var gitDirectory = Path.GetFullPath(text[Prefix.Length..].Trim(), workspace);
            var commonFile = Path.Combine(gitDirectory, "commondir");
            return File.Exists(commonFile) ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(File.ReadAllText(commonFile).Trim(), gitDirectory)) : gitDirectory;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose() => Tracker.Dispose();
}

public sealed class SpawnCommand : BatonCommand
{
    private readonly Argument<string> _project = new("project") { Description = "The project (id or session prefix)" };
    private readonly Argument<string?> _task = new("task") { Description = "The task identifier, e.g. APP-3 (or use --prompt)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string?> _prompt = new("--prompt", "-p") { Description = "A prompt instead of a task: the session gets a workspace of its own" };
    private readonly Option<string> _agent = new("--agent", "-a") { Description = "pi, claude, codex or command", DefaultValueFactory = _ => "pi" };
    private readonly Option<string> _runtime = new("--runtime") { Description = "tmux (attachable) or process (headless)", DefaultValueFactory = _ => SessionRuntimes.Tmux };
    private readonly Option<string?> _model = new("--model", "-m") { Description = "provider/model (key from its environment variable), or replay:<script.json> for the offline replay model" };
    private readonly Option<string?> _command = new("--command") { Description = "The command agent's command line ({prompt} is replaced by the quoted prompt)" };
    private readonly Option<string?> _purpose = new("--purpose") { Description = "A note on what this session is for" };
    private readonly Option<int> _idle = new("--idle-timeout") { Description = "Seconds the agent waits idle for a message after a turn before the run ends", DefaultValueFactory = _ => 600 };
    private readonly Option<int> _silence = new("--silence-timeout") { Description = "Seconds without any event from the agent before its turn is aborted", DefaultValueFactory = _ => 3600 };
    private readonly Option<int?> _handoff = new("--handoff-threshold") { Description = $"When the agent's context is this full (percent; pi reports it), ask it to hand off with 'baton handoff' (default {Core.Coordination.ContextHandoff.DefaultThresholdPercent}; 0 = never)" };

    public SpawnCommand(CliContext context)
        : base("spawn", "Start a session: the task's workspace, its rendered prompt, and an agent in a tmux session you can attach to.\n\nExamples:\n  baton spawn app APP-3\n  baton spawn app APP-3 --agent claude --model anthropic/claude-sonnet-4-5\n  baton spawn app --prompt \"Update the README\" --model replay:demo.json\n  baton spawn app APP-4 --agent command --command \"./my-agent {prompt}\" --runtime process", context)
    {
        Arguments.Add(_project);
        Arguments.Add(_task);
        foreach (var option in new Option[] { _prompt, _agent, _runtime, _model, _command, _purpose, _idle, _silence, _handoff })
        {
            Options.Add(option);
        }
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var taskText = parseResult.GetValue(_task);
        var prompt = parseResult.GetValue(_prompt);
        if ((taskText is null) == (prompt is null))
        {
            throw BatonException.Usage("bad_usage", "spawn needs exactly one of a task identifier or --prompt", "e.g. 'baton spawn app APP-3' or 'baton spawn app --prompt \"…\"'.");
        }

        using var sessions = SessionContext.Open(Context, parseResult);
        var project = sessions.Tracker.ResolveProject(parseResult.GetValue(_project));
        Core.Tasks.TaskRecord? task = null;
        if (taskText is not null)
        {
            var (tracker, key) = sessions.Tracker.ResolveTask(taskText);
            task = tracker.Get(key.Text);
            if (tracker.Project.InstanceId != project.InstanceId)
            {
                throw BatonException.Usage("task_not_in_project", $"{task.Identifier} belongs to another project ({tracker.Project.Id})", $"Spawn it there: baton spawn {tracker.Project.Id} {task.Identifier}.");
            }
        }

        var (inspected, layout) = await ProjectWorkspaces.LayoutAsync(project, Context.BatonHome, Context.GetEnvironment, Context.HomeDirectory, cancellationToken).ConfigureAwait(false);
        var record = await sessions.Service.SpawnAsync(
            new SpawnRequest
            {
                Project = inspected,
                Layout = layout,
                Task = task,
                Prompt = prompt,
                Agent = parseResult.GetValue(_agent)!,
                Runtime = parseResult.GetValue(_runtime)!,
                Model = parseResult.GetValue(_model),
                Command = parseResult.GetValue(_command),
                Purpose = parseResult.GetValue(_purpose),
                IdleTimeoutSeconds = parseResult.GetValue(_idle),
                SilenceTimeoutSeconds = parseResult.GetValue(_silence),
                HandoffThresholdPercent = parseResult.GetValue(_handoff),
            },
            cancellationToken).ConfigureAwait(false);
        var view = await sessions.DescribeAsync(record, null, gitFacts: false, cancellationToken).ConfigureAwait(false);
        return WriteData(parseResult, view, SessionJsonViews.Default.SessionView, console =>
        {
            console.MarkupLine($"Spawned [bold]{Markup.Escape(view.Name)}[/]{(view.Task is null ? string.Empty : $" for {Markup.Escape(view.Task)}")} ({Markup.Escape(view.Agent)}, {Markup.Escape(view.Runtime)}) in {Markup.Escape(view.Workspace)}");
            console.MarkupLine(view.Runtime == SessionRuntimes.Tmux
                ? $"Watch it: baton attach {Markup.Escape(view.Name)}   ·   baton peek {Markup.Escape(view.Name)}"
                : $"Watch it: baton peek {Markup.Escape(view.Name)}   ·   baton logs {Markup.Escape(view.Name)} -f");
        });
    }
}

public sealed class ListCommand : BatonCommand
{
    private readonly Argument<string?> _project = new("project") { Description = "Only this project", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _all = new("--all") { Description = "Include removed (archived) sessions" };

    public ListCommand(CliContext context)
        : base("list", "List sessions: task, agent, status, whether the runtime is alive, the workspace's git state, tokens, cost, age.\n\nExamples:\n  baton list\n  baton list app --json\n  baton list --all", context)
    {
        Arguments.Add(_project);
        Options.Add(_all);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var projectArgument = parseResult.GetValue(_project);
        IReadOnlyCollection<string>? projects = projectArgument is null && Context.GetEnvironment(TaskCommands.ProjectEnvironmentVariable) is null && sessions.Tracker.Config is null
            ? null
            : sessions.Tracker.ResolveProjects(projectArgument).Select(p => p.InstanceId).ToList();
        var records = sessions.Tracker.Store.Read(db => SessionRows.List(db, projects, parseResult.GetValue(_all)));
        var tmux = await sessions.LivePanesAsync(cancellationToken).ConfigureAwait(false);
        using var gate = new SemaphoreSlim(Math.Max(4, Environment.ProcessorCount * 4));
        var views = await Task.WhenAll(records.Select(async r =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await sessions.DescribeAsync(r, tmux, gitFacts: r.ArchivedAt is null, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        IReadOnlyList<SessionView> list = views;
        return WriteData(parseResult, list, SessionJsonViews.Default.IReadOnlyListSessionView, console => WriteTable(console, list));
    }

    private static void WriteTable(IAnsiConsole console, IReadOnlyList<SessionView> sessions)
    {
        if (sessions.Count == 0)
        {
            console.MarkupLine("[grey]No sessions. Start one with[/] baton spawn <project> <TASK-ID>");
            return;
        }

        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in new[] { "SESSION", "TASK", "AGENT", "STATUS", "RUNTIME", "GIT", "TOKENS", "COST", "AGE", "PURPOSE / LAST EVENT" })
        {
            table.AddColumn(column);
        }

        foreach (var s in sessions)
        {
            var colour = s.Status switch
            {
                SessionStatus.Working or SessionStatus.Starting => "blue",
                SessionStatus.Idle => "green",
                SessionStatus.WaitingForInput => "yellow",
                SessionStatus.Finished => "green",
                SessionStatus.Failed or SessionStatus.Orphaned => "red",
                _ => "grey",
            };
            var git = s.Dirty is null ? "-" : string.Join(" ", new[]
            {
                s.Dirty == true ? "dirty" : "clean",
                s.Ahead is > 0 ? $"+{s.Ahead}" : null,
                s.Unpushed is > 0 ? $"{s.Unpushed} unpushed" : null,
            }.OfType<string>());
            table.AddRow(
                Markup.Escape(s.Name),
                Markup.Escape(s.Task ?? "-"),
                Markup.Escape(s.Agent),
                $"[{colour}]{Markup.Escape(s.Status.Replace('_', ' '))}[/]",
                $"{Markup.Escape(s.Runtime)} {(s.RuntimeAlive ? "[green]●[/]" : "[grey]○[/]")}",
                Markup.Escape(git),
                (s.Usage.Input + s.Usage.Output).ToString("N0", CultureInfo.InvariantCulture),
                s.Usage.CostUsd.ToString("$0.0000", CultureInfo.InvariantCulture),
                Age(s.AgeSeconds),
                Markup.Escape(TranscriptRenderer.OneLine(s.Purpose ?? s.LastEvent ?? string.Empty, 60)));
        }

        console.Write(table);
    }

    public static string Age(long seconds) => seconds switch
    {
        < 60 => $"{seconds}s",
        < 3600 => $"{seconds / 60}m",
        < 86400 => $"{seconds / 3600}h{seconds % 3600 / 60:00}m",
        _ => $"{seconds / 86400}d",
    };
}

public sealed class AttachCommand : BatonCommand
{
    private readonly Argument<string> _session = new("session") { Description = "The session, e.g. app-3" };

    public AttachCommand(CliContext context)
        : base("attach", "Attach your terminal to a session's tmux pane: watch the agent and type to steer it. Detach with Ctrl-b d.\n\nExamples:\n  baton attach app-3", context, printsData: false)
    {
        Arguments.Add(_session);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var session = sessions.Find(parseResult.GetValue(_session)!);
        if (session.Runtime != SessionRuntimes.Tmux || !await sessions.Service.Tmux.HasSessionAsync(session.RuntimeName, cancellationToken).ConfigureAwait(false))
        {
            throw new BatonException("session_not_attachable", $"{session.Name} has no tmux session to attach to ({session.Runtime})", $"Read it with 'baton peek {session.Name}' or 'baton logs {session.Name} -f'.");
        }

        var command = sessions.Service.Tmux.AttachCommand(session.RuntimeName);
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("TMUX");
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}

public sealed class SendCommand : BatonCommand
{
    private readonly Argument<string> _session = new("session") { Description = "The session, e.g. app-3" };
    private readonly Argument<string> _message = new("message") { Description = "The message (read from stdin when '-')" };
    private readonly Option<bool> _followUp = new("--follow-up") { Description = "Deliver when the agent's turn ends instead of steering the running turn" };

    public SendCommand(CliContext context)
        : base("send", "Send a message to a session's agent: steering while it works (read before its next model call), a new turn when it is idle. To a session whose run stopped on a question (the orchestrator shows it as blocked), the message is the answer: 'baton run' starts a new run of the task with the question and the answer.\n\nExamples:\n  baton send app-3 \"Use the existing helper in utils.py\"\n  echo \"Also update the docs\" | baton send app-3 - --follow-up\n  baton send app-4 \"Use eu-west-1\"      answer a blocked session's question", context)
    {
        Arguments.Add(_session);
        Arguments.Add(_message);
        Options.Add(_followUp);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var session = sessions.Find(parseResult.GetValue(_session)!);
        var message = parseResult.GetValue(_message)!;
        if (message == "-")
        {
            message = await Context.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        var state = sessions.Service.Observe(session);
        if (!state.WorkerAlive && session.Files.ReadBlocked() is { } question)
        {
            return Answer(parseResult, session, question, message);
        }

        if (!state.WorkerAlive || state.Reported?.Socket is not { } socket)
        {
            throw new BatonException(
                SessionService.Finished,
                $"{session.Name} is {state.Status.Replace('_', ' ')}: no agent is running to receive the message",
                $"Start a new run for its task with 'baton spawn {session.TaskIdentifier ?? "<project> --prompt …"}'.");
        }

        var command = parseResult.GetValue(_followUp) ? WorkerCommands.FollowUp : WorkerCommands.Send;
        var reply = await WorkerClient.SendAsync(socket, new WorkerRequest(command, message), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (!reply.Ok)
        {
            throw new BatonException(reply.ErrorCode ?? "send_failed", reply.Message ?? "the worker refused the message", $"Check the session with 'baton peek {session.Name}'.");
        }

        var view = new SentView(session.Name, reply.Message ?? WorkerCommands.FollowUp, reply.Status?.Status ?? state.Status);
        return WriteData(parseResult, view, SessionJsonViews.Default.SentView, console =>
            console.MarkupLine($"Delivered to [bold]{Markup.Escape(view.Session)}[/] as {(view.Delivered == "steer" ? "steering" : "a follow-up")}."));
    }

    /// <summary>
    /// The session's run ended waiting for a person (blocked.json, written by the orchestrator): the message is the
    /// answer. It is written beside the question and the project's orchestrator is woken to start a new run with it.
    /// </summary>
    private int Answer(ParseResult parseResult, SessionRecord session, BlockedNote question, string message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            throw new BatonException(ErrorCodes.BadUsage, "the answer is empty", $"Write the answer, e.g. 'baton send {session.Name} \"Use eu-west-1\"'.", ExitCodes.BadUsage);
        }

        session.Files.WriteAnswer(new AnswerNote { Text = message, AnsweredAt = Context.Time.GetUtcNow(), By = "cli" });
        if (Path.GetDirectoryName(Path.GetDirectoryName(session.Files.Directory)) is { } instance)
        {
            Tracking.Local.WakeOnExit.Touch(instance);
        }

        var view = new SentView(session.Name, "answer", SessionStatus.WaitingForInput);
        return WriteData(parseResult, view, SessionJsonViews.Default.SentView, console =>
        {
            console.MarkupLine($"Answered [bold]{Markup.Escape(view.Session)}[/]'s question{(question.Question is { } q ? $" ([italic]{Markup.Escape(q)}[/])" : string.Empty)}.");
            console.MarkupLine($"The orchestrator starts a new run of {Markup.Escape(question.TaskIdentifier ?? session.TaskIdentifier ?? "the task")} with it (it needs 'baton run' to be running).");
        });
    }
}

public sealed class PeekCommand : BatonCommand
{
    private readonly Argument<string> _session = new("session") { Description = "The session, e.g. app-3" };
    private readonly Option<int> _lines = new("-n", "--lines") { Description = "How many transcript lines", DefaultValueFactory = _ => 40 };

    public PeekCommand(CliContext context)
        : base("peek", "Show the end of a session's readable transcript without attaching.\n\nExamples:\n  baton peek app-3\n  baton peek app-3 -n 100", context, printsData: false)
    {
        Arguments.Add(_session);
        Options.Add(_lines);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var session = sessions.Find(parseResult.GetValue(_session)!);
        var lines = session.Files.ReadEvents().SelectMany(TranscriptRenderer.Render).ToList();
        var count = Math.Max(1, parseResult.GetValue(_lines));
        foreach (var line in lines.Skip(Math.Max(0, lines.Count - count)))
        {
            Context.Out.WriteLine(line);
        }

        var state = sessions.Service.Observe(session);
        Context.Out.WriteLine($"── {session.Name}: {state.Status.Replace('_', ' ')}{(state.Reported?.LastEvent is { } last ? $" · {last}" : string.Empty)}");
        return Task.FromResult(ExitCodes.Ok);
    }
}

public sealed class LogsCommand : BatonCommand
{
    private readonly Argument<string> _session = new("session") { Description = "The session, e.g. app-3" };
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing new lines until the run ends (or Ctrl-C)" };
    private readonly Option<bool> _raw = new("--raw") { Description = "The agent's own stream (agent.jsonl) instead of Baton's events" };
    private readonly Option<bool> _jsonLines = new("--jsonl") { Description = "Print events.jsonl lines as they are" };

    public LogsCommand(CliContext context)
        : base("logs", "Print a session's event log as a transcript (or raw with --raw, JSON lines with --jsonl).\n\nExamples:\n  baton logs app-3\n  baton logs app-3 -f\n  baton logs app-3 --raw | jq .", context, printsData: false)
    {
        Arguments.Add(_session);
        Options.Add(_follow);
        Options.Add(_raw);
        Options.Add(_jsonLines);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var session = sessions.Find(parseResult.GetValue(_session)!);
        var raw = parseResult.GetValue(_raw);
        var asJson = raw || parseResult.GetValue(_jsonLines);
        var path = raw ? session.Files.Raw : session.Files.Events;
        if (!File.Exists(path))
        {
            throw new BatonException("logs_missing", $"{session.Name} has no log yet ({path})", "The worker writes it as soon as the run starts.");
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var follow = parseResult.GetValue(_follow);
        while (!cancellationToken.IsCancellationRequested)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                if (!follow || !sessions.Service.Observe(session).WorkerAlive)
                {
                    break;
                }

                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (asJson)
            {
                Context.Out.WriteLine(line);
            }
            else if (System.Text.Json.JsonSerializer.Deserialize(line, SessionJsonContext.Default.WorkerEvent) is { } e)
            {
                foreach (var text in TranscriptRenderer.Render(e))
                {
                    Context.Out.WriteLine(text);
                }
            }
        }

        return ExitCodes.Ok;
    }
}

public sealed class KillCommand : BatonCommand
{
    private readonly Argument<string> _session = new("session") { Description = "The session, e.g. app-3" };

    public KillCommand(CliContext context)
        : base("kill", "Stop a session's agent (cleanly, then by force) and everything it started. The workspace and the session record stay.\n\nExamples:\n  baton kill app-3", context)
    {
        Arguments.Add(_session);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var session = sessions.Find(parseResult.GetValue(_session)!);
        await sessions.Service.StopAsync(session, TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
        var view = await sessions.DescribeAsync(session, null, gitFacts: false, cancellationToken).ConfigureAwait(false);
        return WriteData(parseResult, view, SessionJsonViews.Default.SessionView, console =>
            console.MarkupLine($"Stopped [bold]{Markup.Escape(view.Name)}[/] ({Markup.Escape(view.Status)}). Its workspace is kept: {Markup.Escape(view.Workspace)}"));
    }
}

public sealed class RemoveCommand : BatonCommand
{
    private readonly Argument<string> _session = new("session") { Description = "The session, e.g. app-3" };
    private readonly Option<bool> _force = new("--force") { Description = "Remove the workspace even though work would be lost (asks first; audited)" };
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "With --force: confirm without asking" };
    private readonly Option<bool> _keepWorkspace = new("--keep-workspace") { Description = "Archive the session but leave its workspace" };

    public RemoveCommand(CliContext context)
        : base("remove", "Stop a session, remove its workspace through the git safety rules (exit 3 when work would be lost), close its tmux session and archive its records.\n\nExamples:\n  baton remove app-3\n  baton remove app-3 --keep-workspace\n  baton remove app-3 --force --yes", context)
    {
        Arguments.Add(_session);
        Options.Add(_force);
        Options.Add(_yes);
        Options.Add(_keepWorkspace);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var session = sessions.Find(parseResult.GetValue(_session)!);
        if (session.ArchivedAt is not null)
        {
            throw new BatonException("session_archived", $"{session.Name} was already removed", "See 'baton list --all'.");
        }

        await sessions.Service.StopAsync(session, TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
        var others = sessions.Tracker.Store.Read(db => SessionRows.List(db, [session.Project], includeArchived: false))
            .Where(s => s.Workspace == session.Workspace && s.Number != session.Number).ToList();
        if (!parseResult.GetValue(_keepWorkspace) && others.Count == 0 && Directory.Exists(session.Workspace))
        {
            var project = sessions.Tracker.ResolveProject(session.Project);
            var (_, layout) = await ProjectWorkspaces.LayoutAsync(project, Context.BatonHome, Context.GetEnvironment, Context.HomeDirectory, cancellationToken).ConfigureAwait(false);
            var identifier = Path.GetFileName(session.Workspace);
            var workspaceTask = new WorkspaceTask(session.TaskId ?? session.Name, session.TaskIdentifier ?? identifier);
            try
            {
                await new WorkspaceRemover(new GitSafetyAnalyzer(), Context.Time).RemoveAsync(
                    new RemovalRequest
                    {
                        Layout = layout,
                        Task = workspaceTask,
                        Force = parseResult.GetValue(_force),
                        Confirm = _ => parseResult.GetValue(_yes) ? "--yes" : null,
                        BatonHome = Context.BatonHome,
                        User = Context.GetEnvironment("USER") ?? Environment.UserName,
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (SafetyCheckException blocked) when (!IsJson(parseResult))
            {
                WorkspaceCommands.WriteReport(Context.ErrorConsole, blocked.Report, deleteBranch: false);
                throw;
            }
        }

        await sessions.Service.Tmux.KillSessionAsync(session.RuntimeName, cancellationToken).ConfigureAwait(false);
        var archive = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(session.Directory)!)!, "archive", $"{session.Name}_{Context.Time.GetUtcNow():yyyyMMdd'T'HHmmss}");
        if (Directory.Exists(session.Directory))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
            Directory.Move(session.Directory, archive);
        }

        SessionRows.Archive(sessions.Tracker.Store, session, archive, Context.Time.GetUtcNow());
        var view = await sessions.DescribeAsync(session with { Directory = archive, ArchivedAt = Context.Time.GetUtcNow() }, null, gitFacts: false, cancellationToken).ConfigureAwait(false);
        return WriteData(parseResult, view, SessionJsonViews.Default.SessionView, console =>
            console.MarkupLine($"Removed [bold]{Markup.Escape(session.Name)}[/]; its records are archived in {Markup.Escape(archive)}."));
    }
}

public sealed class PurposeCommand : BatonCommand
{
    private readonly Argument<string> _session = new("session") { Description = "The session, e.g. app-3" };
    private readonly Argument<string?> _text = new("text") { Description = "The new purpose (omit to print it; \"\" clears it)", Arity = ArgumentArity.ZeroOrOne };

    public PurposeCommand(CliContext context)
        : base("purpose", "Show or set what a session is for; it shows in 'baton list'.\n\nExamples:\n  baton purpose app-3\n  baton purpose app-3 \"Spike: try the new parser\"", context)
    {
        Arguments.Add(_session);
        Arguments.Add(_text);
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        using var sessions = SessionContext.Open(Context, parseResult);
        var session = sessions.Find(parseResult.GetValue(_session)!);
        var purpose = session.Purpose;
        if (parseResult.GetResult(_text) is { Tokens.Count: > 0 })
        {
            purpose = string.IsNullOrWhiteSpace(parseResult.GetValue(_text)) ? null : parseResult.GetValue(_text)!.Trim();
            SessionRows.SetPurpose(sessions.Tracker.Store, session, purpose);
        }

        var view = new PurposeView(session.Name, purpose);
        return Task.FromResult(WriteData(parseResult, view, SessionJsonViews.Default.PurposeView, console =>
            console.WriteLine(view.Purpose ?? "(no purpose set)")));
    }
}
