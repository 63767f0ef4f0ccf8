using System.Text.Json;

namespace Baton.Tests.TestSupport;

/// <summary>What one baton invocation printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The <c>data</c> of the JSON envelope on stdout (for a run with --json that succeeded).</summary>
    public JsonElement Data
    {
        get
        {
            var envelope = Envelope;
            envelope.GetProperty("ok").GetBoolean().ShouldBeTrue($"expected ok, got: {Stdout} {Stderr}");
            return envelope.GetProperty("data");
        }
    }

    /// <summary>The <c>error.code</c> of the JSON envelope on stdout (for a run with --json that failed).</summary>
    public string ErrorCode => Envelope.GetProperty("error").GetProperty("code").GetString()!;

    public string ErrorMessage => Envelope.GetProperty("error").GetProperty("message").GetString()!;

    public string ErrorSuggestion => Envelope.GetProperty("error").GetProperty("suggestion").GetString()!;

    public JsonElement Envelope
    {
        get
        {
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }
    }

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}
