using Baton.Core.Errors;

namespace Baton.Core.Tracking;

/// <summary>The tracker error categories Symphony recommends (§11.4), shared by every tracker adapter.</summary>
public static class TrackerErrorCodes
{
    public const string UnsupportedTrackerKind = "unsupported_tracker_kind";

    /// <summary>Transport failure: no HTTP answer (connection refused, reset, timed out).</summary>
    public const string Request = "tracker_request";

    /// <summary>The provider answered with a non-success HTTP status.</summary>
    public const string Status = "tracker_status";

    /// <summary>The provider answered, but with errors or a payload the adapter does not understand.</summary>
    public const string Response = "tracker_response";

    /// <summary>A page said there is more but gave no way to ask for it (or went round in a circle).</summary>
    public const string Pagination = "tracker_pagination";

    public const string RateLimited = "tracker_rate_limited";
}

/// <summary>
/// A failed tracker read or write. <see cref="BatonException.Code"/> is the §11.4 category the orchestrator acts on;
/// <see cref="Reason"/> is the provider-specific detail (for Linear the Symphony/Elixir reason, e.g.
/// <c>linear_missing_end_cursor</c>). Messages never carry a credential: they are built from status codes, GraphQL
/// error messages and Baton's own words only, and are scrubbed once more before they are raised.
/// </summary>
public sealed class TrackerException : BatonException
{
    public TrackerException(
        string code,
        string reason,
        string message,
        string suggestion,
        int? status = null,
        DateTimeOffset? rateLimitResetAt = null,
        Exception? inner = null)
        : base(code, message, suggestion, ExitCodes.Failed, inner)
    {
        Reason = reason;
        Status = status;
        RateLimitResetAt = rateLimitResetAt;
    }

    public string Reason { get; }

    /// <summary>The HTTP status when there was one.</summary>
    public int? Status { get; }

    /// <summary>When the provider said the rate-limit window resets, if it said.</summary>
    public DateTimeOffset? RateLimitResetAt { get; }
}
