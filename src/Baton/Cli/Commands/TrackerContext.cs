using System.CommandLine;
using Baton.Configuration;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Storage;
using Baton.Tracking.Local;

namespace Baton.Cli.Commands;

/// <summary>
/// What every task command needs: the config (when one is in reach), the state store with the config's
/// projects recorded in it, and the rules that pick a project or find a task.
/// </summary>
internal sealed class TrackerContext : IDisposable
{
    private readonly CliContext _context;

    private TrackerContext(CliContext context, LoadedConfig? config, StateStore store)
    {
        _context = context;
        Config = config;
        Store = store;
    }

    public LoadedConfig? Config { get; }

    public StateStore Store { get; }

    private string? EnvironmentProject => _context.GetEnvironment(TaskCommands.ProjectEnvironmentVariable);

    public static TrackerContext Open(CliContext context, ParseResult parseResult)
    {
        var configPath = ConfigLocator.Find(context, parseResult.GetValue(GlobalOptions.Config));
        var config = configPath is null ? null : ConfigLoader.Load(context, configPath);
        var store = StateStore.Open(context.BatonHome);
        try
        {
            if (config is not null)
            {
                ProjectRows.Sync(store, config.Projects, context.Time.GetUtcNow());
            }

            return new TrackerContext(context, config, store);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public LocalTracker Tracker(Project project) => new(Store, project, _context.Time);

    /// <summary>The named project, else $BATON_PROJECT, else the config's only project.</summary>
    public Project ResolveProject(string? argument)
    {
        if (argument is not null)
        {
            return FindNamed(argument);
        }

        if (EnvironmentProject is { } instanceId)
        {
            return FindInstance(instanceId) ?? throw new BatonException(
                ErrorCodes.ProjectNotFound,
                $"{TaskCommands.ProjectEnvironmentVariable}={instanceId} is not a project this BATON_HOME knows ({Store.Home})",
                "Check BATON_HOME and BATON_PROJECT (the project's instance id, shown by 'baton info'), or name the project.");
        }

        if (Config is null)
        {
            throw new BatonException(
                ErrorCodes.ConfigNotFound,
                $"no {ConfigLocator.FileName} in {_context.WorkingDirectory} or above, and {TaskCommands.ProjectEnvironmentVariable} is not set",
                "Run the command inside a project that has baton.yaml ('baton init'), pass --config, or set BATON_PROJECT.");
        }

        return Config.Projects.Count switch
        {
            1 => Config.Projects[0],
            0 => throw new BatonException(ErrorCodes.ProjectNotFound, $"{Config.Config.FilePath} lists no projects", "Add one with 'baton project add <path>'."),
            _ => throw BatonException.Usage(
                ErrorCodes.ProjectAmbiguous,
                $"{Config.Config.FilePath} has {Config.Projects.Count} projects; which one?",
                $"Name the project: one of {string.Join(", ", Config.Projects.Select(p => p.Id))}."),
        };
    }

    /// <summary>For list and ready: the named project, else $BATON_PROJECT, else every project of the config.</summary>
    public IReadOnlyList<Project> ResolveProjects(string? argument) =>
        argument is null && EnvironmentProject is null && Config is { Projects.Count: > 0 }
            ? Config.Projects
            : [ResolveProject(argument)];

    /// <summary>Finds the project that holds a task: the config's projects first, then $BATON_PROJECT, then any.</summary>
    public (LocalTracker Tracker, TaskKey Key) ResolveTask(string text)
    {
        var key = TaskKey.Parse(text);
        var owners = Store.Read(db => TaskRows.Owners(db, key));
        if (owners.Count == 0)
        {
            throw TaskRows.NotFound(key.Text);
        }

        var owner = owners.Count == 1 ? owners[0].Project
            : owners.Select(o => o.Project).FirstOrDefault(p => Config?.Projects.Any(c => c.InstanceId == p) == true)
            ?? owners.Select(o => o.Project).FirstOrDefault(p => p == EnvironmentProject)
            ?? throw BatonException.Usage(
                ErrorCodes.ProjectAmbiguous,
                $"{key.Text} exists in several projects ({string.Join(", ", owners.Select(o => o.Project))})",
                "Run the command from the project's directory, set BATON_PROJECT, or use the task's 16-hex id.");
        var project = FindInstance(owner) ?? throw TaskRows.NotFound(key.Text);
        return (Tracker(project), key);
    }

    public void Dispose() => Store.Dispose();

    private Project? FindInstance(string instanceId) =>
        Config?.Projects.FirstOrDefault(p => p.InstanceId == instanceId)
        ?? Store.Read(db => ProjectRows.Find(db, instanceId, _context.BatonHome));

    private Project FindNamed(string name)
    {
        if (Config?.FindProject(name) is { } configured)
        {
            return configured;
        }

        var known = Store.Read(db => ProjectRows.FindByIdOrPrefix(db, name, _context.BatonHome));
        if (known.Count == 1)
        {
            return known[0];
        }

        if (known.Count > 1)
        {
            return known.FirstOrDefault(p => p.InstanceId == EnvironmentProject) ?? throw BatonException.Usage(
                ErrorCodes.ProjectAmbiguous,
                $"'{name}' names {known.Count} projects ({string.Join(", ", known.Select(p => p.InstanceId))})",
                "Use the instance id shown by 'baton info', or run the command from the project's directory.");
        }

        var choices = Config is null ? string.Empty : $" The projects of {Config.Config.FilePath}: {string.Join(", ", Config.Projects.Select(p => p.Id))}.";
        throw new BatonException(
            ErrorCodes.ProjectNotFound,
            $"no project '{name}'",
            $"Name a project by its id or session prefix ('baton project list').{choices}");
    }
}
