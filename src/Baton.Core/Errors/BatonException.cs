namespace Baton.Core.Errors;

/// <summary>
/// An expected failure: it reaches the user as one line (or a JSON error object) with a
/// lower_snake_case code and a suggestion, never as a stack trace.
/// </summary>
public class BatonException : Exception
{
    public BatonException(string code, string message, string suggestion, int exitCode = ExitCodes.Failed, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Suggestion = suggestion;
        ExitCode = exitCode;
    }

    public string Code { get; }

    public string Suggestion { get; }

    public int ExitCode { get; }

    public static BatonException Usage(string code, string message, string suggestion) =>
        new(code, message, suggestion, ExitCodes.BadUsage);
}
