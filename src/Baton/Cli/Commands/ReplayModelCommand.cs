using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Baton.Core.Errors;
using Baton.Files;
using Baton.Replay;

namespace Baton.Cli.Commands;

/// <summary><c>baton replay-model</c>: the scripted model server, for demos and end-to-end tests with real agents.</summary>
public sealed class ReplayModelCommand : BatonCommand
{
    private readonly Option<string> _script = new("--script") { Description = "The script: a JSON list of turns", Required = true };
    private readonly Option<int> _port = new("--port") { Description = "Port on 127.0.0.1 (0 = a free one)", DefaultValueFactory = _ => 0 };
    private readonly Option<string?> _portFile = new("--port-file") { Description = "Write the server's URL to this file (atomically) once it listens" };
    private readonly Option<int> _maxRequests = new("--max-requests") { Description = "Model requests answered from the script; later ones get a plain stop answer and the server then exits", DefaultValueFactory = _ => 50 };
    private readonly Option<double> _lifetime = new("--lifetime") { Description = "Seconds after which the server exits on its own", DefaultValueFactory = _ => 1800 };
    private readonly Option<string?> _log = new("--log") { Description = "Append one JSON line per request to this file (path, dialect, turn, tools)" };
    private readonly Option<bool> _logBodies = new("--log-bodies") { Description = "Also log request headers (credentials redacted) and full bodies" };
    private readonly Option<string> _model = new("--model") { Description = "Model id listed by /v1/models and reported when a request names none", DefaultValueFactory = _ => "fake-model" };

    public ReplayModelCommand(CliContext context)
        : base(
            "replay-model",
            "Run Baton's scripted model server on 127.0.0.1: it speaks OpenAI chat completions (/v1/chat/completions), " +
            "OpenAI responses (/v1/responses) and Anthropic messages (/v1/messages), streaming or not, and answers from a script, " +
            "so pi, Claude Code and Codex run for real with no network.\n\n" +
            "Turn N of the script answers a request whose history holds N assistant turns. Requests with no tools get \"OK\".\n" +
            "Prints 'LISTENING http://127.0.0.1:<port>' on stdout, then runs until SIGTERM or Ctrl-C, --lifetime, or --max-requests.\n\n" +
            "Script: [{\"text\": \"…\", \"tool_calls\": [{\"name\": \"write\", \"arguments\": {\"path\": \"a.txt\", \"content\": \"hi\"}}],\n" +
            "          \"usage\": {\"input\": 1200, \"output\": 40, \"cacheRead\": 0, \"cacheWrite\": 0}, \"delay\": 1.5,\n" +
            "          \"error\": {\"status\": 500, \"message\": \"boom\", \"times\": 1}}, {\"text\": \"Done.\"}]\n\n" +
            "Examples:\n" +
            "  baton replay-model --script write-commit.json\n" +
            "  baton replay-model --script s.json --port-file /tmp/replay/url --log /tmp/replay/requests.jsonl --log-bodies\n" +
            "  baton replay-model --script s.json --port 8765 --max-requests 20 --lifetime 300",
            context,
            printsData: false)
    {
        Options.Add(_script);
        Options.Add(_port);
        Options.Add(_portFile);
        Options.Add(_maxRequests);
        Options.Add(_lifetime);
        Options.Add(_log);
        Options.Add(_logBodies);
        Options.Add(_model);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var options = ReadOptions(parseResult);
        var script = ReplayScriptFile.Load(Context.ResolvePath(parseResult.GetValue(_script)!));
        var portFile = parseResult.GetValue(_portFile) is { } p ? Context.ResolvePath(p) : null;

        await using var server = await ReplayServer.StartAsync(script, options, cancellationToken).ConfigureAwait(false);

        // BatonApp's invocation configuration leaves ProcessTerminationTimeout unset, so System.CommandLine does not
        // turn SIGTERM/SIGINT into cancellation; without these the runtime would exit 143 with the log half-written.
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, StopOnSignal);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, StopOnSignal);
        void StopOnSignal(PosixSignalContext signal)
        {
            signal.Cancel = true;
            server.Stop();
        }

        if (portFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(portFile)!);
            AtomicFile.WriteAllText(portFile, server.BaseUrl + "\n");
        }

        await Context.Out.WriteLineAsync($"LISTENING {server.BaseUrl}").ConfigureAwait(false);
        await Context.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await server.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            server.Stop();
        }

        await server.Completion.ConfigureAwait(false);
        var why = server.StopReason switch
        {
            ReplayStopReason.Lifetime => "its lifetime ran out",
            ReplayStopReason.RequestLimit => "the request limit was passed",
            _ => "it was asked to",
        };
        await Context.Err.WriteLineAsync($"replay-model stopped after {server.RequestCount.ToString(CultureInfo.InvariantCulture)} requests: {why}.").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private ReplayOptions ReadOptions(ParseResult parseResult)
    {
        var port = parseResult.GetValue(_port);
        if (port is < 0 or > 65535)
        {
            throw BatonException.Usage(ErrorCodes.BadUsage, $"--port {port.ToString(CultureInfo.InvariantCulture)} is not a port", "Use 0 for a free port, or 1-65535.");
        }

        var maxRequests = parseResult.GetValue(_maxRequests);
        if (maxRequests < 1)
        {
            throw BatonException.Usage(ErrorCodes.BadUsage, "--max-requests must be 1 or more", "The default is 50.");
        }

        var lifetime = parseResult.GetValue(_lifetime);
        if (!(lifetime > 0) || lifetime > 86400 * 24)
        {
            throw BatonException.Usage(ErrorCodes.BadUsage, "--lifetime must be a positive number of seconds under 24 days", "The default is 1800.");
        }

        var model = parseResult.GetValue(_model);
        if (string.IsNullOrWhiteSpace(model))
        {
            throw BatonException.Usage(ErrorCodes.BadUsage, "--model must not be empty", "The default is fake-model.");
        }

        return new ReplayOptions
        {
            Port = port,
            MaxRequests = maxRequests,
            Lifetime = TimeSpan.FromSeconds(lifetime),
            LogPath = parseResult.GetValue(_log) is { } log ? Context.ResolvePath(log) : null,
            LogBodies = parseResult.GetValue(_logBodies),
            Model = model,
        };
    }
}
