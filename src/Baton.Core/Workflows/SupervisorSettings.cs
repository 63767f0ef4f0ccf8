using System.Globalization;

namespace Baton.Core.Workflows;

/// <summary>
/// Baton extension <c>supervisor</c> (the seeds' Witness): on a stall, a nudge before Symphony's abort-and-retry; before
/// a run that ends normally is stopped, a check that its workspace is committed and clean, with one message asking the
/// agent to commit or explain; after repeated failures, an escalation to a person. Off unless the workflow has a
/// <c>supervisor</c> map, so a plain Symphony WORKFLOW.md behaves exactly as the specification says.
/// </summary>
public sealed record SupervisorSettings
{
    public const string DefaultNudgeMessage =
        "Supervisor: nothing has come from you for a while. If you are stuck, say what blocks you; if you are working, say what you are doing; if you are done, commit your work and end your turn.";

    public bool Enabled { get; init; }

    /// <summary>
    /// <c>supervisor.nudge_after_ms</c>: silence before the nudge; null means half of <c>codex.stall_timeout_ms</c>,
    /// 0 turns nudging off. The stall abort keeps the spec's timing.
    /// </summary>
    public int? NudgeAfterMs { get; init; }

    /// <summary><c>supervisor.nudge_message</c>: the steering message of a nudge.</summary>
    public string NudgeMessage { get; init; } = DefaultNudgeMessage;

    /// <summary><c>supervisor.check_workspace</c> (default true): check the workspace before a finished run is stopped.</summary>
    public bool CheckWorkspace { get; init; } = true;

    /// <summary><c>supervisor.escalate_after</c> (default 3): failed attempts of any kind before a person is told; 0 = never.</summary>
    public int EscalateAfter { get; init; } = 3;

    public static SupervisorSettings None { get; } = new() { CheckWorkspace = false, EscalateAfter = 0, NudgeAfterMs = 0 };

    /// <summary>The nudge delay in force for a stall timeout: 0 when off.</summary>
    public int EffectiveNudgeAfterMs(int stallTimeoutMs) =>
        !Enabled ? 0 : NudgeAfterMs ?? (stallTimeoutMs > 0 ? stallTimeoutMs / 2 : 0);

    internal static SupervisorSettings Read(SettingsReader reader, List<string> errors)
    {
        if (reader.Raw("supervisor") is null || reader.Map("supervisor") is null)
        {
            return None;
        }

        var enabled = reader.Bool("supervisor.enabled") ?? true;
        if (!enabled)
        {
            return None;
        }

        var nudgeAfter = reader.Int("supervisor.nudge_after_ms");
        if (nudgeAfter is < 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"supervisor.nudge_after_ms must be 0 (off) or a positive number of milliseconds, not {nudgeAfter}"));
            nudgeAfter = null;
        }

        var escalateAfter = reader.Int("supervisor.escalate_after");
        if (escalateAfter is < 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"supervisor.escalate_after must be 0 (never) or a positive number of attempts, not {escalateAfter}"));
            escalateAfter = null;
        }

        var message = reader.String("supervisor.nudge_message");
        return new SupervisorSettings
        {
            Enabled = true,
            NudgeAfterMs = nudgeAfter,
            NudgeMessage = string.IsNullOrWhiteSpace(message) ? DefaultNudgeMessage : message,
            CheckWorkspace = reader.Bool("supervisor.check_workspace") ?? true,
            EscalateAfter = escalateAfter ?? 3,
        };
    }

}
