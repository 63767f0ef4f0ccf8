using System.Globalization;
using System.Text;
using Baton.Core.Events;

namespace Baton.Workers;

/// <summary>
/// Turns normalized events into the readable transcript people see: in the session's tmux pane, in
/// <c>baton peek</c> and in <c>baton logs</c>. One renderer, so all three read the same.
/// </summary>
public static class TranscriptRenderer
{
    public const int MaxToolOutputLines = 6;

    /// <summary>The lines for one event (none for events that only feed status, like heartbeats).</summary>
    public static IReadOnlyList<string> Render(WorkerEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var time = e.Ts.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        return e.Type switch
        {
            WorkerEventTypes.RunStarted => [$"━━ {e.Session} · run {e.Run} · {e.Agent} · {e.Model ?? "default model"} · {time}"],
            WorkerEventTypes.TurnStarted => [$"▸ {time} turn started"],
            WorkerEventTypes.AgentMessage => Prefix("  ◇ ", e.Text ?? string.Empty),
            WorkerEventTypes.ToolStarted => [$"  ⚙ {e.ToolName}{(string.IsNullOrWhiteSpace(e.ToolInput) ? string.Empty : ": " + OneLine(e.ToolInput, 160))}"],
            WorkerEventTypes.ToolFinished => ToolFinished(e),
            WorkerEventTypes.TurnFinished => [$"◆ {time} turn {e.Outcome}{(e.Reason is null ? string.Empty : $" ({OneLine(e.Reason, 200)})")}"],
            WorkerEventTypes.Usage when e.Usage is { } u => [$"  Σ {UsageLine(u)}"],
            WorkerEventTypes.SteerReceived => Prefix("  ⇢ steer: ", e.Text ?? string.Empty),
            WorkerEventTypes.FollowUpReceived => Prefix("  ⇢ message: ", e.Text ?? string.Empty),
            WorkerEventTypes.InputRequested => Prefix("  ? the agent asks: ", e.Text ?? string.Empty),
            WorkerEventTypes.Supervisor => Prefix($"  ⚑ supervisor ({e.Reason ?? "note"}): ", e.Text ?? string.Empty),
            WorkerEventTypes.HandoffRequested => [$"  ⇢ hand-off: note #{OneLine(e.Text ?? "?", 20)} is for the task's next run; this run ends after the current turn"],
            WorkerEventTypes.Error => Prefix("  ✗ ", e.Text ?? e.Reason ?? "error"),
            WorkerEventTypes.RunFinished => [$"━━ run {e.Run} {e.Outcome}{(e.Reason is null ? string.Empty : $": {OneLine(e.Reason, 200)}")} · {(e.Usage is { } total ? UsageLine(total) : string.Empty)}"],
            _ => [],
        };
    }

    public static string UsageLine(TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var cached = usage.CacheRead + usage.CacheWrite > 0 ? $" · {usage.CacheRead + usage.CacheWrite:N0} cached" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{usage.Input:N0} in · {usage.Output:N0} out{cached} · ${usage.CostUsd:0.0000}");
    }

    /// <summary>A one-line summary of what an event says, for status and lists ("last event in plain words").</summary>
    public static string Summary(WorkerEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Type switch
        {
            WorkerEventTypes.AgentMessage => $"said: {OneLine(e.Text ?? string.Empty, 80)}",
            WorkerEventTypes.ToolStarted => $"running {e.ToolName}{(string.IsNullOrWhiteSpace(e.ToolInput) ? string.Empty : ": " + OneLine(e.ToolInput, 60))}",
            WorkerEventTypes.ToolFinished => $"{e.ToolName} {(e.IsError == true ? "failed" : "done")}",
            WorkerEventTypes.TurnFinished => $"turn {e.Outcome}",
            WorkerEventTypes.TurnStarted => "thinking",
            WorkerEventTypes.InputRequested => $"asks: {OneLine(e.Text ?? string.Empty, 80)}",
            WorkerEventTypes.HandoffRequested => "handing off",
            WorkerEventTypes.Error => $"error: {OneLine(e.Text ?? string.Empty, 80)}",
            WorkerEventTypes.Supervisor => $"supervisor {e.Reason ?? "note"}: {OneLine(e.Text ?? string.Empty, 70)}",
            WorkerEventTypes.RunFinished => $"run {e.Outcome}",
            WorkerEventTypes.RunStarted => "started",
            WorkerEventTypes.SteerReceived or WorkerEventTypes.FollowUpReceived => $"got a message: {OneLine(e.Text ?? string.Empty, 80)}",
            WorkerEventTypes.Usage or WorkerEventTypes.Heartbeat => "working",
            _ => e.Type.Replace('_', ' '),
        };
    }

    /// <summary>
    /// The same plain words from what a view keeps of the last event: its type and its short message (the text, the
    /// tool and its input, or the reason). Usage reports and heartbeats say only that the agent is working.
    /// </summary>
    public static string Summary(string? type, string? message)
    {
        var said = string.IsNullOrWhiteSpace(message) ? null : OneLine(message, 80);
        return type switch
        {
            null => "waiting for the first event",
            WorkerEventTypes.RunStarted => "started",
            WorkerEventTypes.TurnStarted => "thinking",
            WorkerEventTypes.AgentMessage => said is null ? "said something" : $"said: {said}",
            WorkerEventTypes.ToolStarted => said is null ? "running a tool" : $"running {said}",
            WorkerEventTypes.ToolFinished => said is null ? "a tool finished" : $"{said} done",
            WorkerEventTypes.TurnFinished => said is null ? "finished a turn" : $"finished a turn: {said}",
            WorkerEventTypes.InputRequested => said is null ? "asks a person" : $"asks: {said}",
            WorkerEventTypes.HandoffRequested => "handing off",
            WorkerEventTypes.SteerReceived or WorkerEventTypes.FollowUpReceived => said is null ? "got a message" : $"got a message: {said}",
            WorkerEventTypes.Error => said is null ? "error" : $"error: {said}",
            WorkerEventTypes.RunFinished => said is null ? "run ended" : $"run ended: {said}",
            WorkerEventTypes.Usage or WorkerEventTypes.Heartbeat => "working",
            _ => type.Replace('_', ' '),
        };
    }

    public static string OneLine(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(Math.Min(text.Length, max + 1));
        foreach (var c in text)
        {
            if (builder.Length >= max)
            {
                builder.Append('…');
                break;
            }

            builder.Append(c is '\n' or '\r' or '\t' ? ' ' : char.IsControl(c) ? '·' : c);
        }

        return builder.ToString().Trim();
    }

    private static string[] ToolFinished(WorkerEvent e)
    {
        var mark = e.IsError == true ? "✗" : "✓";
        var output = (e.ToolOutput ?? string.Empty).Replace("\r", string.Empty, StringComparison.Ordinal).TrimEnd();
        var lines = output.Length == 0 ? [] : output.Split('\n');
        var head = $"  {mark} {e.ToolName}";
        if (lines.Length == 0)
        {
            return [head];
        }

        var shown = lines.Take(MaxToolOutputLines).Select(l => "    │ " + OneLine(l, 200)).ToList();
        if (lines.Length > MaxToolOutputLines)
        {
            shown.Add($"    │ … {lines.Length - MaxToolOutputLines} more lines");
        }

        return [head, .. shown];
    }

    private static string[] Prefix(string prefix, string text)
    {
        var lines = text.Replace("\r", string.Empty, StringComparison.Ordinal).Trim().Split('\n');
        var pad = new string(' ', prefix.Length);
        return lines.Select((l, i) => (i == 0 ? prefix : pad) + StripControl(l)).ToArray();
    }

    private static string StripControl(string line) => new(line.Select(c => c == '\t' ? ' ' : char.IsControl(c) ? '·' : c).ToArray());
}
