using Baton.Core.Configuration;
using Baton.Core.Errors;
using Baton.Git;

namespace Baton.Configuration;

/// <summary>Reads what git knows about a project: is it a repository, its <c>owner/name</c>, its default branch.</summary>
public static class ProjectInspector
{
    public static async Task<Project> InspectAsync(Project project, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        var problem = await FindProblemAsync(project.Path, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return project with { Problem = problem.Message };
        }

        var derived = project.Derived.ToList();
        var remoteTask = project.Repo is null
            ? GitCli.TryReadAsync(project.Path, ["remote", "get-url", "origin"], cancellationToken)
            : Task.FromResult<string?>(null);
        var originHeadTask = project.DefaultBranch is null
            ? GitCli.TryReadAsync(project.Path, ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], cancellationToken)
            : Task.FromResult<string?>(null);
        var currentTask = project.DefaultBranch is null
            ? GitCli.TryReadAsync(project.Path, ["symbolic-ref", "--quiet", "--short", "HEAD"], cancellationToken)
            : Task.FromResult<string?>(null);
        await Task.WhenAll(remoteTask, originHeadTask, currentTask).ConfigureAwait(false);

        var repo = project.Repo;
        if (repo is null)
        {
            repo = GitRemote.ParseOwnerAndName(await remoteTask.ConfigureAwait(false));
            derived.Add("repo");
        }

        var branch = project.DefaultBranch;
        if (branch is null)
        {
            var originHead = await originHeadTask.ConfigureAwait(false);
            branch = originHead is { Length: > 0 } && originHead.StartsWith("origin/", StringComparison.Ordinal)
                ? originHead["origin/".Length..]
                : await currentTask.ConfigureAwait(false);
            derived.Add("defaultBranch");
        }

        return project with { Repo = repo, DefaultBranch = branch, Derived = derived.Distinct().ToList() };
    }

    /// <summary>Fails with a clear error unless <paramref name="path"/> is the top of a git working tree.</summary>
    public static async Task EnsureRepositoryAsync(string path, CancellationToken cancellationToken = default)
    {
        var problem = await FindProblemAsync(path, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            throw problem;
        }
    }

    private static async Task<BatonException?> FindProblemAsync(string path, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path))
        {
            return new BatonException(
                ErrorCodes.ProjectPathNotFound,
                File.Exists(path) ? $"{path} is a file, not a repository directory" : $"{path} does not exist",
                "Check the path; a project is the directory of a git repository (the one holding .git).");
        }

        var top = await GitCli.TryReadAsync(path, ["rev-parse", "--show-toplevel"], cancellationToken).ConfigureAwait(false);
        if (top is null)
        {
            return new BatonException(
                ErrorCodes.ProjectNotGitRepository,
                $"{path} is not a git repository",
                $"Run 'git init' in {path} (and make a first commit), or point at the repository's directory.");
        }

        var real = Path.GetFullPath(new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path).TrimEnd('/');
        if (!string.Equals(top.TrimEnd('/'), real, StringComparison.Ordinal) && !string.Equals(top.TrimEnd('/'), path.TrimEnd('/'), StringComparison.Ordinal))
        {
            return new BatonException(
                ErrorCodes.ProjectNotGitRepository,
                $"{path} is inside the repository {top}, not its top",
                $"Use the repository's top directory: {top}");
        }

        return null;
    }
}
