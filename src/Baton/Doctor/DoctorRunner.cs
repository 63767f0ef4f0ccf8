using Baton.Core.Agents;
using Baton.Core.Doctor;
using Baton.Processes;

namespace Baton.Doctor;

/// <summary>
/// Runs the checks of <c>baton doctor</c>: finds each program from the given environment's PATH (agents in
/// <c>BATON_HOME/tools/node_modules/.bin</c> first), asks its version, and hands the observations to
/// <see cref="DoctorRules"/>.
/// </summary>
public static class DoctorRunner
{
    /// <summary>Long enough for a cold node start of an agent's CLI; short enough that a hung program does not hang doctor.</summary>
    public static readonly TimeSpan VersionTimeout = TimeSpan.FromSeconds(15);

    public static async Task<IReadOnlyList<CheckOutcome>> RunAsync(
        string batonHome,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyList<AgentTool> agents,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var checks = DoctorRules.Checks(agents);
        var childEnvironment = ChildEnvironment(environment);
        var path = ExecutableLocator.SplitPath(environment.GetValueOrDefault("PATH"));
        var tools = AgentCatalog.BinDirectory(batonHome);

        // The probes are independent and mostly waiting on process start-up: run them together.
        var probes = await Task.WhenAll(checks.Select(c => ProbeAsync(c, tools, path, childEnvironment, cancellationToken))).ConfigureAwait(false);
        var outcomes = new List<CheckOutcome> { RuntimeOutcome() };
        outcomes.AddRange(checks.Zip(probes, DoctorRules.Evaluate));
        return outcomes;
    }

    /// <summary>
    /// What child processes see: the command's environment (so a test's PATH also decides which <c>node</c> a
    /// <c>#!/usr/bin/env node</c> script runs), plus switches that keep agents from going online for <c>--version</c>.
    /// </summary>
    public static Dictionary<string, string?> ChildEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var result = environment.ToDictionary(e => e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        result.TryAdd("PI_OFFLINE", "1");
        result.TryAdd("PI_SKIP_VERSION_CHECK", "1");
        result.TryAdd("DISABLE_AUTOUPDATER", "1");
        result.TryAdd("npm_config_update_notifier", "false");
        return result;
    }

    private static CheckOutcome RuntimeOutcome()
    {
        // The runtime is the one running this code, so it is found by definition; the check still states its version.
        var check = new ToolCheck("dotnet runtime", "runtime", "dotnet", [], Required: true, DoctorRules.DotnetMinimum,
            "install the .NET 10 runtime", "install the .NET 10 runtime");
        var directory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var probe = new ToolProbe(string.IsNullOrEmpty(directory) ? "(in-process)" : directory, ToolSource.Runtime, 0, Environment.Version.ToString());
        return DoctorRules.Evaluate(check, probe);
    }

    private static async Task<ToolProbe> ProbeAsync(
        ToolCheck check,
        string toolsBin,
        IReadOnlyList<string> path,
        IReadOnlyDictionary<string, string?> environment,
        CancellationToken cancellationToken)
    {
        ToolSource source;
        string? found = null;
        if (check.SearchTools && ExecutableLocator.Find(check.Binary, [toolsBin]) is { } inTools)
        {
            (found, source) = (inTools, ToolSource.Tools);
        }
        else
        {
            (found, source) = (ExecutableLocator.Find(check.Binary, path), ToolSource.Path);
        }

        if (found is null)
        {
            return ToolProbe.NotFound;
        }

        var spec = new ProcessSpec(found, check.VersionArguments)
        {
            Environment = environment,
            Timeout = VersionTimeout,
            MaxOutputChars = 64 * 1024,
        };
        ProcessResult result;
        try
        {
            result = await ProcessRunner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessStartException ex)
        {
            return new ToolProbe(found, source, Failure: $"could not be started: {ex.InnerException?.Message ?? ex.Message}");
        }

        if (result.TimedOut)
        {
            return new ToolProbe(found, source, Failure: $"did not answer within {VersionTimeout.TotalSeconds:0} s");
        }

        // Most programs print their version on stdout and problems on stderr; take whichever has something to say.
        var (first, second) = result.ExitCode == 0
            ? (result.StandardOutput, result.StandardError)
            : (result.StandardError, result.StandardOutput);
        var output = string.IsNullOrWhiteSpace(first) ? second : first;
        return new ToolProbe(found, source, result.ExitCode, output);
    }
}
