using System.Security.Cryptography;
using System.Text;

namespace Baton.Core.Naming;

/// <summary>
/// Hash namespacing of runtime data (agent-orchestrator seed): every project managed by one config file
/// lives under <c>BATON_HOME/{hash}-{projectId}</c>, where hash is the first 12 hex characters of the
/// sha256 of the config file's directory.
/// </summary>
public static class InstanceNaming
{
    public static string ConfigHash(string configDirectory)
    {
        ArgumentNullException.ThrowIfNull(configDirectory);
        var normalized = configDirectory.Length > 1 ? configDirectory.TrimEnd('/') : configDirectory;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(normalized));
        return Convert.ToHexStringLower(digest)[..12];
    }

    public static string InstanceId(string configHash, string projectId) => $"{configHash}-{projectId}";
}
