using System.Collections;
using Spectre.Console;

namespace Baton.Cli;

/// <summary>
/// Everything a command takes from the outside world: streams, environment, working directory, clock.
/// Commands never read <see cref="Environment"/> or <see cref="Console"/> directly, so tests run them in-process
/// with their own home and never touch the real <c>~</c>.
/// </summary>
public sealed class CliContext
{
    private readonly Dictionary<string, string> _environment;
    private IAnsiConsole? _console;
    private IAnsiConsole? _errorConsole;

    public CliContext(
        TextWriter output,
        TextWriter error,
        TextReader input,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        TimeProvider? time = null,
        bool interactive = false)
    {
        Out = output;
        Err = error;
        In = input;
        _environment = new Dictionary<string, string>(environment, StringComparer.Ordinal);
        WorkingDirectory = workingDirectory;
        Time = time ?? TimeProvider.System;
        IsInteractive = interactive;
    }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    public TextReader In { get; }

    public string WorkingDirectory { get; }

    public TimeProvider Time { get; }

    /// <summary>True when a person is at a terminal (stdin and stdout not redirected).</summary>
    public bool IsInteractive { get; }

    public IReadOnlyDictionary<string, string> Environment => _environment;

    public string HomeDirectory => GetEnvironment("HOME") ?? "/";

    /// <summary><c>BATON_HOME</c>, default <c>~/.baton</c>, always absolute.</summary>
    public string BatonHome
    {
        get
        {
            var configured = GetEnvironment("BATON_HOME");
            var path = string.IsNullOrWhiteSpace(configured) ? Path.Combine(HomeDirectory, ".baton") : ExpandPath(configured);
            return Path.GetFullPath(path, WorkingDirectory);
        }
    }

    /// <summary>Human output (tables, colours) on stdout.</summary>
    public IAnsiConsole Console => _console ??= CreateConsole(Out);

    /// <summary>Human messages on stderr: warnings, progress, errors.</summary>
    public IAnsiConsole ErrorConsole => _errorConsole ??= CreateConsole(Err);

    public string? GetEnvironment(string name) =>
        _environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>Expands a leading <c>~</c> and resolves relative paths against <paramref name="baseDirectory"/>.</summary>
    public string ResolvePath(string path, string? baseDirectory = null) =>
        Path.GetFullPath(ExpandPath(path), baseDirectory ?? WorkingDirectory);

    public string ExpandPath(string path)
    {
        if (path == "~")
        {
            return HomeDirectory;
        }

        return path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(HomeDirectory, path[2..]) : path;
    }

    public static CliContext FromProcess()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = entry.Value as string ?? string.Empty;
        }

        var interactive = !System.Console.IsInputRedirected && !System.Console.IsOutputRedirected;
        return new CliContext(System.Console.Out, System.Console.Error, System.Console.In, environment, System.Environment.CurrentDirectory, TimeProvider.System, interactive);
    }

    private IAnsiConsole CreateConsole(TextWriter writer)
    {
        var isTerminal = IsInteractive && (ReferenceEquals(writer, System.Console.Out) || ReferenceEquals(writer, System.Console.Error));
        var noColor = GetEnvironment("NO_COLOR") is not null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal && !noColor ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal && !noColor ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!isTerminal)
        {
            // Redirected output is read by scripts and people in logs: do not wrap tables at 80 columns.
            console.Profile.Width = int.TryParse(GetEnvironment("COLUMNS"), out var columns) && columns > 0 ? columns : 200;
        }

        return console;
    }
}
