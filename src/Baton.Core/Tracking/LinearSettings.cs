using System.Text;
using System.Text.RegularExpressions;
using Baton.Core.Errors;
using Baton.Core.Workflows;

namespace Baton.Core.Tracking;

/// <summary>
/// The resolved configuration of the Linear tracker adapter (Symphony's "Linear adapter profile": checklist §1.3,
/// §1.4). Keys live under <c>tracker.provider</c>; the legacy flat keys <c>tracker.endpoint|api_key|project_slug|assignee</c>
/// of the Linear-only spec are still read, and <c>tracker.provider</c> wins when both are given.
/// <list type="bullet">
/// <item><c>endpoint</c>: default <see cref="DefaultEndpoint"/>; an absolute http(s) URL. Never <c>$VAR</c>-expanded (§6.1: URIs are not rewritten).</item>
/// <item><c>api_key</c>: default env <c>LINEAR_API_KEY</c>; a whole-value <c>$VAR</c> is read from the environment.
/// Empty counts as missing (§5.3.1). Unlike Elixir, an explicit <c>$VAR</c> that is unset does not fall back to
/// <c>LINEAR_API_KEY</c>: a key the workflow names on purpose is never swapped for another account's key.</item>
/// <item><c>project_slug</c>: required (Linear's project <c>slugId</c>).</item>
/// <item><c>assignee</c>: a Linear user id or <c>me</c>; default env <c>LINEAR_ASSIGNEE</c>; <c>$VAR</c> accepted. Blank = no
/// routing. An explicit <c>$VAR</c> that does not resolve is an error rather than silently routing every issue.</item>
/// <item>active states default <c>["Todo","In Progress"]</c>; terminal states <c>["Closed","Cancelled","Canceled","Duplicate","Done"]</c>.</item>
/// </list>
/// <see cref="ApiKey"/> is a secret: <see cref="ToString"/> redacts it and no error message ever contains it (§15.3).
/// </summary>
public sealed partial record LinearSettings
{
    public const string Kind = "linear";
    public const string DefaultEndpoint = "https://api.linear.app/graphql";
    public const string ApiKeyEnvironmentVariable = "LINEAR_API_KEY";
    public const string AssigneeEnvironmentVariable = "LINEAR_ASSIGNEE";

    /// <summary>The configured assignee value that means "the user the API key belongs to".</summary>
    public const string Me = "me";

    public static IReadOnlyList<string> DefaultActiveStates { get; } = ["Todo", "In Progress"];

    public static IReadOnlyList<string> DefaultTerminalStates { get; } = ["Closed", "Cancelled", "Canceled", "Duplicate", "Done"];

    public required Uri Endpoint { get; init; }

    /// <summary>The raw token, sent as <c>Authorization: &lt;token&gt;</c> without <c>Bearer</c>. Secret.</summary>
    public required string ApiKey { get; init; }

    public required string ProjectSlug { get; init; }

    /// <summary>A Linear user id, <c>me</c>, or null for no assignee routing.</summary>
    public string? Assignee { get; init; }

    public IReadOnlyList<string> ActiveStates { get; init; } = DefaultActiveStates;

    public IReadOnlyList<string> TerminalStates { get; init; } = DefaultTerminalStates;

    public IReadOnlyList<string> RequiredLabels { get; init; } = [];

    /// <summary>
    /// Baton's extension <c>timeout_ms</c>: how long one Linear request may take (default 30 000, Symphony's Linear
    /// client timeout). A hung Linear then fails a poll tick within this time instead of holding it.
    /// </summary>
    public int RequestTimeoutMs { get; init; } = DefaultRequestTimeoutMs;

    public const int DefaultRequestTimeoutMs = 30_000;

    /// <summary>
    /// Environment variables that hold the credential, for the launcher to remove from agent environments (§1.18:
    /// adapters declare their secret env names). Always <c>LINEAR_API_KEY</c>, plus the <c>$VAR</c> named by <c>api_key</c>.
    /// </summary>
    public IReadOnlyList<string> SecretEnvironmentNames { get; init; } = [ApiKeyEnvironmentVariable];

    public bool RoutesToViewer => string.Equals(Assignee, Me, StringComparison.OrdinalIgnoreCase);

    /// <summary>Resolves and validates the Linear adapter settings; the first problem found is thrown.</summary>
    /// <exception cref="BatonException">
    /// <c>unsupported_tracker_kind</c>, <c>invalid_linear_endpoint</c>, <c>missing_linear_api_token</c>,
    /// <c>missing_linear_project_slug</c> or <c>invalid_linear_assignee</c>.
    /// </exception>
    public static LinearSettings From(TrackerSettings tracker, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(environment);

        var kind = tracker.Kind?.Trim();
        if (!string.Equals(kind, Kind, StringComparison.OrdinalIgnoreCase))
        {
            throw new BatonException(
                TrackerErrorCodes.UnsupportedTrackerKind,
                kind is null or "" ? "tracker.kind is not set" : $"tracker.kind '{kind}' is not the Linear adapter",
                "Set tracker.kind: linear in WORKFLOW.md to use Linear.");
        }

        var endpoint = ResolveEndpoint(Setting(tracker, "endpoint"));
        var (apiKey, secretNames) = ResolveApiKey(Setting(tracker, "api_key"), environment);
        var projectSlug = ResolveProjectSlug(Setting(tracker, "project_slug"));
        var assignee = ResolveAssignee(Setting(tracker, "assignee"), environment);
        var timeout = Setting(tracker, "timeout_ms");
        var timeoutMs = DefaultRequestTimeoutMs;
        if (timeout.Found && !(timeout.Value is string text && int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out timeoutMs) && timeoutMs > 0))
        {
            throw new BatonException(
                WorkflowErrorCodes.Invalid,
                "tracker.provider.timeout_ms must be a positive number of milliseconds",
                "Set timeout_ms under tracker.provider to e.g. 30000, or leave it out for the default.");
        }

        return new LinearSettings
        {
            Endpoint = endpoint,
            ApiKey = apiKey,
            ProjectSlug = projectSlug,
            Assignee = assignee,
            ActiveStates = tracker.ActiveStates ?? DefaultActiveStates,
            TerminalStates = tracker.TerminalStates ?? DefaultTerminalStates,
            RequiredLabels = tracker.RequiredLabels,
            SecretEnvironmentNames = secretNames,
            RequestTimeoutMs = timeoutMs,
        };
    }

    /// <summary>The <c>tracker.provider</c> value, else the legacy flat <c>tracker.&lt;key&gt;</c> value; (found, value).</summary>
    private static (bool Found, object? Value) Setting(TrackerSettings tracker, string key)
    {
        if (tracker.Provider.TryGetValue(key, out var value) && value is not null)
        {
            return (true, value);
        }

        return tracker.Raw.TryGetValue(key, out var legacy) && legacy is not null ? (true, legacy) : (false, null);
    }

    private static Uri ResolveEndpoint((bool Found, object? Value) setting)
    {
        if (!setting.Found)
        {
            return new Uri(DefaultEndpoint);
        }

        if (setting.Value is string text
            && Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.Host.Length > 0)
        {
            return uri;
        }

        var shown = setting.Value is string s ? $"'{s.Trim()}'" : "a non-text value";
        throw new BatonException(
            LinearErrorCodes.InvalidEndpoint,
            $"tracker.provider.endpoint is {shown}, not an absolute http(s) URL",
            $"Leave tracker.provider.endpoint out to use {DefaultEndpoint}, or give a full URL such as https://api.linear.app/graphql.");
    }

    private static (string Key, IReadOnlyList<string> SecretNames) ResolveApiKey((bool Found, object? Value) setting, Func<string, string?> environment)
    {
        const string Suggestion = "Set tracker.provider.api_key to $LINEAR_API_KEY (or another $VAR) and export that variable with a Linear personal API key.";
        if (!setting.Found)
        {
            var fromEnv = environment(ApiKeyEnvironmentVariable);
            if (string.IsNullOrWhiteSpace(fromEnv))
            {
                throw new BatonException(
                    LinearErrorCodes.MissingApiToken,
                    $"no Linear API key: tracker.provider.api_key is not set and {ApiKeyEnvironmentVariable} is empty",
                    Suggestion);
            }

            return (fromEnv.Trim(), [ApiKeyEnvironmentVariable]);
        }

        if (setting.Value is not string text)
        {
            throw new BatonException(LinearErrorCodes.MissingApiToken, "tracker.provider.api_key must be a single text value", Suggestion);
        }

        var reference = VariableName(text);
        if (reference is not null)
        {
            var resolved = environment(reference);
            if (string.IsNullOrWhiteSpace(resolved))
            {
                // Name the variable, never a value: the message may reach logs and the dashboard.
                throw new BatonException(
                    LinearErrorCodes.MissingApiToken,
                    $"tracker.provider.api_key refers to ${reference}, which is {(resolved is null ? "not set" : "empty")}",
                    $"Export {reference} with a Linear personal API key before starting Baton.");
            }

            return (resolved.Trim(), reference == ApiKeyEnvironmentVariable ? [ApiKeyEnvironmentVariable] : [ApiKeyEnvironmentVariable, reference]);
        }

        if (text.Trim().Length == 0)
        {
            throw new BatonException(LinearErrorCodes.MissingApiToken, "tracker.provider.api_key is empty", Suggestion);
        }

        return (text.Trim(), [ApiKeyEnvironmentVariable]);
    }

    private static string ResolveProjectSlug((bool Found, object? Value) setting)
    {
        if (setting.Value is string text && text.Trim().Length > 0)
        {
            return text.Trim();
        }

        throw new BatonException(
            LinearErrorCodes.MissingProjectSlug,
            setting.Found && setting.Value is not string ? "tracker.provider.project_slug must be a single text value" : "tracker.provider.project_slug is not set",
            "Set tracker.provider.project_slug to the project's slug: the last part of its Linear URL (…/project/<name>-<slug>).");
    }

    private static string? ResolveAssignee((bool Found, object? Value) setting, Func<string, string?> environment)
    {
        const string Suggestion = "Set tracker.provider.assignee to a Linear user id, to 'me' (the API key's user), or leave it out to dispatch every assignee's issues.";
        string? value;
        if (!setting.Found)
        {
            value = environment(AssigneeEnvironmentVariable);
        }
        else if (setting.Value is string text)
        {
            var reference = VariableName(text);
            if (reference is null)
            {
                value = text;
            }
            else
            {
                value = environment(reference);
                if (string.IsNullOrWhiteSpace(value))
                {
                    throw new BatonException(
                        LinearErrorCodes.InvalidAssignee,
                        $"tracker.provider.assignee refers to ${reference}, which is {(value is null ? "not set" : "empty")}",
                        $"Export {reference}, or remove tracker.provider.assignee to dispatch every assignee's issues.");
                }
            }
        }
        else
        {
            throw new BatonException(LinearErrorCodes.InvalidAssignee, "tracker.provider.assignee must be a single text value", Suggestion);
        }

        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        if (trimmed.Any(char.IsWhiteSpace) || trimmed.Any(char.IsControl))
        {
            // Routing compares user ids; a display name ("Ada Lovelace") would silently match no issue at all.
            throw new BatonException(LinearErrorCodes.InvalidAssignee, $"tracker.provider.assignee '{trimmed}' is not a Linear user id or 'me'", Suggestion);
        }

        return string.Equals(trimmed, Me, StringComparison.OrdinalIgnoreCase) ? Me : trimmed;
    }

    /// <summary>The variable name of a whole-value <c>$VAR</c> reference, or null for a literal (§5.3.1, §6.1).</summary>
    public static string? VariableName(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var match = VariableReference().Match(value.Trim());
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"^\$([A-Za-z_][A-Za-z0-9_]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableReference();

    private bool PrintMembers(StringBuilder builder)
    {
        // Records print every property; the credential must not reach a log line through ToString (§15.3).
        builder.Append("Endpoint = ").Append(Endpoint)
            .Append(", ApiKey = [redacted], ProjectSlug = ").Append(ProjectSlug)
            .Append(", Assignee = ").Append(Assignee ?? "null")
            .Append(", ActiveStates = [").AppendJoin(", ", ActiveStates)
            .Append("], TerminalStates = [").AppendJoin(", ", TerminalStates)
            .Append("], RequiredLabels = [").AppendJoin(", ", RequiredLabels).Append(']');
        return true;
    }
}

/// <summary>Linear configuration error codes, spelled as Symphony's Elixir adapter spells them (checklist §1.4).</summary>
public static class LinearErrorCodes
{
    public const string InvalidEndpoint = "invalid_linear_endpoint";
    public const string MissingApiToken = "missing_linear_api_token";
    public const string MissingProjectSlug = "missing_linear_project_slug";
    public const string InvalidAssignee = "invalid_linear_assignee";
}
