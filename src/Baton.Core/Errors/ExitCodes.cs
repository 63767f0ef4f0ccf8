namespace Baton.Core.Errors;

/// <summary>The process exit codes every command uses (documented in the README and in <c>baton --help</c>).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;
    public const int BlockedBySafetyCheck = 3;
}
