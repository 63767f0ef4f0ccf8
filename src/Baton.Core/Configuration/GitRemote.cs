using System.Text.RegularExpressions;

namespace Baton.Core.Configuration;

/// <summary>Parses <c>owner/name</c> out of a git remote URL (https, ssh:// and scp-like forms).</summary>
public static partial class GitRemote
{
    public static string? ParseOwnerAndName(string? remoteUrl)
    {
        if (string.IsNullOrWhiteSpace(remoteUrl))
        {
            return null;
        }

        var url = remoteUrl.Trim();
        string? path = null;
        if (url.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || url.StartsWith('/') || url.StartsWith('.'))
        {
            return null;
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "git" or "git+ssh")
        {
            path = uri.AbsolutePath;
        }
        else
        {
            var scp = ScpLike().Match(url);
            if (scp.Success)
            {
                path = scp.Groups["path"].Value;
            }
        }

        if (path is null)
        {
            return null;
        }

        path = path.Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 ? string.Join('/', segments) : null;
    }

    // user@host:owner/name(.git) — the scp-like syntax git accepts for ssh.
    [GeneratedRegex(@"^(?:[^@/\s]+@)?[^:/\s]+:(?<path>[^\s]+)$")]
    private static partial Regex ScpLike();
}
