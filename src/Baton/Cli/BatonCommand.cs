using System.CommandLine;
using System.Text.Json.Serialization.Metadata;
using Baton.Core.Errors;
using Spectre.Console;

namespace Baton.Cli;

/// <summary>
/// Base of every command: runs <see cref="ExecuteAsync"/>, turns a <see cref="BatonException"/> into one line on
/// stderr (or the JSON error envelope with <c>--json</c>) and its exit code. Commands that print data get a
/// <c>--json</c> option.
/// </summary>
public abstract class BatonCommand : Command
{
    protected BatonCommand(string name, string description, CliContext context, bool printsData = true)
        : base(name, description)
    {
        Context = context;
        if (printsData)
        {
            JsonOption = new Option<bool>("--json") { Description = "Print {ok, data, error} JSON on stdout instead of text" };
            Options.Add(JsonOption);
        }

        SetAction(RunAsync);
    }

    protected CliContext Context { get; }

    protected Option<bool>? JsonOption { get; }

    protected abstract Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken);

    protected bool IsJson(ParseResult parseResult) => JsonOption is not null && parseResult.GetValue(JsonOption);

    /// <summary>Prints <paramref name="data"/> as the JSON envelope, or hands the console to <paramref name="human"/>.</summary>
    protected int WriteData<T>(ParseResult parseResult, T data, JsonTypeInfo<T> typeInfo, Action<IAnsiConsole> human)
    {
        ArgumentNullException.ThrowIfNull(human);
        if (IsJson(parseResult))
        {
            Context.Out.WriteLine(JsonOutput.Ok(data, typeInfo));
        }
        else
        {
            human(Context.Console);
        }

        return ExitCodes.Ok;
    }

    /// <summary>A warning for people: on stderr, never in the JSON on stdout.</summary>
    protected void Warn(string message) => Context.Err.WriteLine($"warning: {message}");

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            return await ExecuteAsync(parseResult, cancellationToken).ConfigureAwait(false);
        }
        catch (BatonException error)
        {
            ErrorReporter.Report(Context, error, IsJson(parseResult));
            return error.ExitCode;
        }
    }
}

/// <summary>Where expected failures are printed, in the one format users see.</summary>
public static class ErrorReporter
{
    public static void Report(CliContext context, BatonException error, bool json)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        if (json)
        {
            context.Out.WriteLine(JsonOutput.Error(error));
        }
        else
        {
            context.Err.WriteLine($"error[{error.Code}]: {error.Message}");
            if (error.Suggestion.Length > 0)
            {
                context.Err.WriteLine($"  → {error.Suggestion}");
            }
        }
    }
}
