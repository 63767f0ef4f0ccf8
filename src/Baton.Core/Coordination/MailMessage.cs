namespace Baton.Core.Coordination;

/// <summary>What a message is for.</summary>
public static class MessageKinds
{
    /// <summary>Mail between sessions and people.</summary>
    public const string Message = "message";

    /// <summary>A session's note to its task's next run (<c>baton handoff</c>): never delivered live, always in the next prompt.</summary>
    public const string Handoff = "handoff";
}

/// <summary>How a message reached its recipient.</summary>
public static class Deliveries
{
    /// <summary>Into the running turn of a live agent, before its next model call (<c>--urgent</c>).</summary>
    public const string Steer = "steer";

    /// <summary>Into a live agent when its current work is done (or at once when it is idle).</summary>
    public const string FollowUp = "follow_up";

    /// <summary>In the prompt of the task's next session, because the recipient's run had ended.</summary>
    public const string Prompt = "prompt";

    /// <summary>Logged by a running orchestrator.</summary>
    public const string Log = "log";
}

/// <summary>One message as the state store keeps it.</summary>
public sealed record MailMessage
{
    public long Id { get; init; }

    /// <summary>A value of <see cref="MessageKinds"/>.</summary>
    public string Kind { get; init; } = MessageKinds.Message;

    /// <summary>A session name, <c>human</c> or <c>orchestrator</c>.</summary>
    public required string Sender { get; init; }

    /// <summary>The sending session's project (instance id), when the sender is a session.</summary>
    public string? SenderProject { get; init; }

    /// <summary>A session name, <c>human</c> or <c>orchestrator</c> (a <c>project:</c> address becomes one message per session).</summary>
    public required string Recipient { get; init; }

    /// <summary>The recipient session's project (instance id); for <c>orchestrator</c>, the project whose orchestrator should log it.</summary>
    public string? RecipientProject { get; init; }

    /// <summary>The recipient session's task: when its run has ended, the task's next session gets the message.</summary>
    public string? TaskId { get; init; }

    /// <summary>The address as written when it named several recipients (<c>project:app</c>).</summary>
    public string? Via { get; init; }

    public required string Subject { get; init; }

    public required string Body { get; init; }

    public bool Urgent { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>The session that received it: the recipient, or a later session of its task.</summary>
    public string? DeliveredTo { get; init; }

    /// <summary>A value of <see cref="Deliveries"/>.</summary>
    public string? Delivery { get; init; }

    /// <summary>When the recipient saw it: <c>baton mail read</c>, or its delivery into an agent.</summary>
    public DateTimeOffset? ReadAt { get; init; }

    public bool IsHandoff => Kind == MessageKinds.Handoff;
}
