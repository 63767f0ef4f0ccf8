using System.Globalization;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Workspaces;

/// <summary>
/// Builds a random repository state around one workspace from a seed: a main worktree on <c>main</c>
/// (pushed to a bare <c>origin</c>), the workspace on <see cref="Branch"/>, sometimes a second
/// workspace, then a random walk of everyday git actions. Actions that git refuses in the current
/// state simply do nothing; the log records what ran and whether it worked.
/// </summary>
internal sealed class RandomRepositoryState
{
    public const string Branch = "baton/T-1";

    private static readonly string[] s_pool = ["README.md", "c.txt", "f1.txt", "f2.txt", "dir/f3.txt"];

    private readonly GitSandbox _git;
    private readonly Random _random;
    private readonly List<string> _log = [];
    private string? _other;
    private int _counter;
    private string _last = s_pool[0];
    private bool _workspaceDeleted;

    private RandomRepositoryState(GitSandbox git, int seed)
    {
        _git = git;
        _random = new Random(seed);
        Workspace = git.PathOf("ws");
    }

    public string Workspace { get; }

    public IReadOnlyList<string> Log => _log;

    /// <summary>The starting point every state copies: <see cref="GitSandbox.CreateAsync"/> plus a shared file.</summary>
    public static async Task<GitSandbox> CreateTemplateAsync()
    {
        var git = await GitSandbox.CreateAsync();
        await git.CommitFileAsync(git.Repo, "c.txt", "base\n", "add c");
        await git.GitAsync(git.Repo, "push", "-q", "origin", "main");
        return git;
    }

    public static async Task<RandomRepositoryState> BuildAsync(GitSandbox git, int seed)
    {
        var state = new RandomRepositoryState(git, seed);
        await state.BuildAsync();
        return state;
    }

    private async Task BuildAsync()
    {
        await _git.GitAsync(_git.Repo, "worktree", "add", "-q", "-b", Branch, Workspace, "main");
        if (_random.Next(2) == 0)
        {
            _other = await _git.AddWorktreeAsync("other", "baton/T-2");
        }

        var steps = _random.Next(3, 14);
        for (var i = 0; i < steps; i++)
        {
            await StepAsync();
        }
    }

    private async Task StepAsync()
    {
        var ws = Workspace;
        var n = Next();
        var roll = _random.Next(100);
        if (_workspaceDeleted)
        {
            roll = 60 + _random.Next(40);
        }

        switch (roll)
        {
            case < 10:
                Write(ws, Pick(), n);
                await Run(ws, "add", "-A");
                await Run(ws, "commit", "-q", "-m", "commit " + n);
                break;
            case < 15:
                Write(ws, Pick(), n);
                await Run(ws, "add", "--", PickLast());
                await Run(ws, "commit", "-q", "-m", "commit " + n);
                break;
            case < 19:
                Write(ws, Pick(), n);
                await Run(ws, "add", "--", PickLast());
                break;
            case < 23:
                Write(ws, Pick(), n);
                break;
            case < 26:
                Delete(ws, Pick());
                break;
            case < 28:
                Write(ws, "staged-then-deleted-" + n + ".txt", n);
                await Run(ws, "add", "--", "staged-then-deleted-" + n + ".txt");
                Delete(ws, "staged-then-deleted-" + n + ".txt");
                break;
            case < 31:
                Write(ws, $"new{n}/deeper/u.txt", n);
                break;
            case < 34:
                Write(ws, _random.Next(2) == 0 ? $"x{n}.log" : $"build/b{n}.o", n);
                break;
            case < 37:
                await Run(ws, _random.Next(2) == 0 ? ["stash", "push", "-q"] : ["stash", "push", "-q", "--include-untracked"]);
                break;
            case < 39:
                await Run(ws, "stash", "pop", "-q");
                break;
            case < 41:
                await Run(ws, "branch", "keep" + n);
                break;
            case < 43:
                await Run(ws, "tag", "t" + n);
                break;
            case < 47:
                await Run(ws, _random.Next(2) == 0 ? ["checkout", "-q", "--detach"] : ["checkout", "-q", "--detach", "HEAD~1"]);
                break;
            case < 49:
                await Run(ws, "checkout", "-q", Branch);
                break;
            case < 50:
                await Run(ws, "checkout", "-q", "-b", "side" + n);
                break;
            case < 54:
                await Run(ws, "push", "-q", "-u", "origin", Branch);
                break;
            case < 56:
                Write(ws, Pick(), n);
                await Run(ws, "commit", "-q", "-a", "--amend", "-m", "amended " + n);
                break;
            case < 58:
                await Run(ws, "push", "-q", "origin", "--delete", Branch);
                break;
            case < 59:
                await Run(ws, "reset", "-q", "--hard", "HEAD~1");
                break;
            case < 60:
                await Run(ws, "update-index", "--assume-unchanged", "README.md");
                Write(ws, "README.md", n);
                break;
            case < 61:
                if (!_workspaceDeleted)
                {
                    _log.Add("rm -rf workspace");
                    Directory.Delete(ws, recursive: true);
                    _workspaceDeleted = true;
                }

                break;
            case < 63:
                await Run(ws, "merge", "-q", "--no-edit", "main");
                break;
            case < 64:
                await Run(ws, "rebase", "-q", "main");
                break;
            case < 65:
                await Run(ws, "cherry-pick", "main");
                break;
            case < 70:
                Write(_git.Repo, "c.txt", n);
                await Run(_git.Repo, "commit", "-q", "-m", "main " + n, "--", "c.txt");
                break;
            case < 73:
                await Run(_git.Repo, "push", "-q", "origin", "main");
                break;
            case < 76:
                if (!(await Run(_git.Repo, "merge", "-q", "--no-edit", Branch)))
                {
                    await Run(_git.Repo, "merge", "--abort");
                }

                break;
            case < 79:
                await Run(_git.Repo, "fetch", "-q", "--prune", "origin");
                break;
            case < 82:
                Write(_git.Repo, "README.md", n);
                await Run(_git.Repo, "stash", "push", "-q");
                break;
            case < 85:
                await Run(_git.Repo, "worktree", "lock", "--reason", "busy " + n, ws);
                break;
            case < 87:
                await Run(_git.Repo, "worktree", "unlock", ws);
                break;
            case < 89:
                await Run(_git.Repo, "branch", "-f", "keep" + n, Branch);
                break;
            case < 91:
                await Run(_git.Repo, "branch", "-D", "keep" + _random.Next(Math.Max(1, _counter)).ToString(CultureInfo.InvariantCulture));
                break;
            case < 92:
                await Run(_git.Repo, "tag", "-d", "t" + _random.Next(Math.Max(1, _counter)).ToString(CultureInfo.InvariantCulture));
                break;
            case < 93:
                // A per-worktree ref: it goes with the worktree, so what only it holds is lost with the directory.
                await Run(ws, "update-ref", "refs/worktree/k" + n, "HEAD");
                break;
            default:
                if (_other is not null)
                {
                    Write(_other, Pick(), n);
                    if (_random.Next(2) == 0)
                    {
                        await Run(_other, "stash", "push", "-q");
                    }
                    else
                    {
                        await Run(_other, "commit", "-q", "-a", "-m", "other " + n);
                    }
                }

                break;
        }
    }

    private string Next() => (++_counter).ToString(CultureInfo.InvariantCulture);

    private string Pick() => _last = s_pool[_random.Next(s_pool.Length)];

    private string PickLast() => _last;

    private void Write(string directory, string path, string content)
    {
        if (_workspaceDeleted && directory == Workspace)
        {
            return;
        }

        _log.Add($"write {Name(directory)}:{path}");
        _git.Write(directory, path, $"{content} {Guid.NewGuid():N}\n");
    }

    private void Delete(string directory, string path)
    {
        var full = Path.Combine(directory, path);
        if (File.Exists(full))
        {
            _log.Add($"rm {Name(directory)}:{path}");
            File.Delete(full);
        }
    }

    private Task<bool> Run(string directory, params string[] arguments) => Run(directory, (IReadOnlyList<string>)arguments);

    private async Task<bool> Run(string directory, IReadOnlyList<string> arguments)
    {
        if (!Directory.Exists(directory))
        {
            return false;
        }

        var result = await _git.RunGitAsync(directory, arguments);
        _log.Add($"{Name(directory)}$ git {string.Join(' ', arguments)}{(result.Succeeded ? string.Empty : $"  [failed {result.ExitCode}]")}");
        return result.Succeeded;
    }

    private string Name(string directory) => Path.GetFileName(directory);
}
