using System.Runtime.InteropServices;

namespace Baton.Processes;

/// <summary>The few POSIX calls .NET does not expose: signals to a process group.</summary>
public static partial class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigInt = 2;
    public const int SigStop = 19;
    public const int SigCont = 18;

    /// <summary>Sends <paramref name="signal"/> to every process of the group led by <paramref name="groupId"/>.</summary>
    public static bool SignalGroup(int groupId, int signal) => groupId > 1 && Kill(-groupId, signal) == 0;

    public static bool Signal(int pid, int signal) => pid > 1 && Kill(pid, signal) == 0;

    public static bool IsAlive(int pid) => pid > 1 && Kill(pid, 0) == 0;

    public static uint EffectiveUserId => GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
