using Baton.Core.Agents;
using Baton.Processes;

namespace Baton.Doctor;

/// <summary>Installs agents from npm into <c>BATON_HOME/tools</c> (an npm prefix of Baton's own, never the global one).</summary>
public static class AgentInstaller
{
    /// <summary>The three agents together download several hundred megabytes.</summary>
    public static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(30);

    public static async Task<ProcessResult> InstallAsync(
        string npmPath,
        string batonHome,
        IReadOnlyDictionary<string, string?> environment,
        IReadOnlyList<AgentTool> tools,
        CancellationToken cancellationToken)
    {
        var directory = AgentCatalog.ToolsDirectory(batonHome);
        Directory.CreateDirectory(directory);
        var spec = new ProcessSpec(npmPath, AgentCatalog.NpmInstallArguments(batonHome, tools))
        {
            WorkingDirectory = directory,
            Environment = environment,
            Timeout = InstallTimeout,
            MaxOutputChars = 1024 * 1024,
        };
        return await ProcessRunner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
    }
}
