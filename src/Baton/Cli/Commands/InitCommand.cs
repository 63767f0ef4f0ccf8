using System.CommandLine;
using Baton.Configuration;
using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Files;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton init [path]</c>: writes a new baton.yaml that registers one repository.</summary>
public sealed class InitCommand : BatonCommand
{
    private readonly Argument<string> _path = new("path") { Description = "The repository to register (default: the current directory)", DefaultValueFactory = _ => "." };
    private readonly Option<string?> _prefix = new("--prefix") { Description = "Session prefix (default: derived from the folder name)" };
    private readonly Option<string?> _branch = new("--branch") { Description = "Default branch (default: origin/HEAD, else the current branch)" };
    private readonly Option<string?> _name = new("--name") { Description = "Display name (default: the project id)" };

    public InitCommand(CliContext context)
        : base("init", "Create baton.yaml in the current directory (or at --config) with the repository at <path>. Never overwrites.\n\nExamples:\n  cd ~/repos/app && baton init\n  baton init ~/repos/app --prefix app", context)
    {
        Arguments.Add(_path);
        Options.Add(_prefix);
        Options.Add(_branch);
        Options.Add(_name);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var explicitConfig = parseResult.GetValue(GlobalOptions.Config);
        var configPath = explicitConfig is null
            ? Path.Combine(Context.WorkingDirectory, ConfigLocator.FileName)
            : Context.ResolvePath(explicitConfig);
        if (Directory.Exists(configPath))
        {
            configPath = Path.Combine(configPath, ConfigLocator.FileName);
        }

        if (File.Exists(configPath))
        {
            throw new BatonException(
                ErrorCodes.ConfigExists,
                $"{configPath} already exists",
                "Add the repository to it with 'baton project add <path>' instead; init never overwrites a config.");
        }

        var repository = Context.ResolvePath(parseResult.GetValue(_path)!);
        var branch = parseResult.GetValue(_branch);
        await ProjectCommands.ValidateRepositoryAsync(repository, branch, cancellationToken).ConfigureAwait(false);

        var configDirectory = Path.GetDirectoryName(configPath)!;
        var text = ConfigEditor.NewFile(ProjectCommands.EntryFields(configDirectory, repository, null, parseResult.GetValue(_name), parseResult.GetValue(_prefix), branch));
        var config = ConfigParser.Parse(text, configPath);
        var project = ProjectResolver.Resolve(config, Context.BatonHome, p => Context.ResolvePath(p, configDirectory))[0];
        project = await ProjectInspector.InspectAsync(project, cancellationToken).ConfigureAwait(false);

        Directory.CreateDirectory(configDirectory);
        try
        {
            // CreateNew: if another process created the file meanwhile, it wins and nothing is overwritten.
            using var stream = new FileStream(configPath, FileMode.CreateNew, FileAccess.Write);
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
            await writer.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (File.Exists(configPath))
        {
            throw new BatonException(ErrorCodes.ConfigExists, $"{configPath} already exists", "Use 'baton project add <path>' to extend it.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatonException(ErrorCodes.ConfigWriteFailed, $"cannot write {configPath}: {ex.Message}", "Check that the directory is writable, or pass --config with another location.");
        }

        var view = ProjectView.From(project);
        return WriteData(parseResult, view, ProjectJsonContext.Default.ProjectView, console =>
        {
            console.MarkupLine($"Created {Markup.Escape(configPath)} with project [bold]{Markup.Escape(view.Id)}[/] (prefix [bold]{Markup.Escape(view.SessionPrefix)}[/], tasks {Markup.Escape(project.IdentifierPrefix)}-1, {Markup.Escape(project.IdentifierPrefix)}-2, …).");
            console.MarkupLine($"Next: baton task add {Markup.Escape(view.Id)} \"First task\"");
        });
    }
}
