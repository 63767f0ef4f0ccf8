using Baton.Git;

namespace Baton.Demo;

/// <summary>The demo's sample repository: a tiny calculator library with a README and a test script.</summary>
public static class SampleProject
{
    /// <summary>
    /// The sample's WORKFLOW.md for <c>baton run</c>: the local tracker, pi agents driven by one replay script per task
    /// (<c>../scripts/CALC-1.json</c>, … beside the repository), two at a time.
    /// </summary>
    public const string Workflow = """
        ---
        tracker:
          kind: local
        polling:
          interval_ms: 1000
        agent:
          kind: pi
          # Baton extensions: {identifier} becomes the task's identifier, and a relative replay script
          # resolves against this file's directory.
          model: replay:../scripts/{identifier}.json
          max_concurrent_agents: 2
        proof:
          # Baton extension: run in the workspace when a run ends; the results go into the session's proof.
          validate:
            - ./check.sh
        supervisor:
          # Baton extension: nudge a silent agent, check the workspace before a finished run stops,
          # escalate a task to a person after three failed attempts.
          check_workspace: true
        ---
        You are working on {{ issue.identifier }}: {{ issue.title }}.
        {% if issue.description %}
        {{ issue.description }}
        {% endif %}
        Make the change in this worktree, run ./check.sh, and commit it. Then hand the task over for review:
        baton task update "$BATON_TASK" --state "Human Review"

        """;

    private static readonly (string Path, string Content)[] s_files =
    [
        ("README.md", "# calc\n\nA tiny calculator used by Baton's demo.\n\nRun the checks with `./check.sh`.\n"),
        ("calc.sh", "#!/usr/bin/env bash\n# usage: calc.sh add|sub A B\ncase \"$1\" in\n  add) echo $(( $2 + $3 ));;\n  sub) echo $(( $2 - $3 ));;\n  *) echo \"unknown operation: $1\" >&2; exit 2;;\nesac\n"),
        ("check.sh", "#!/usr/bin/env bash\nset -e\n[ \"$(./calc.sh add 2 3)\" = 5 ]\n[ \"$(./calc.sh sub 5 3)\" = 2 ]\necho all checks passed\n"),
        (".gitignore", "*.log\n"),
        ("WORKFLOW.md", Workflow),
    ];

    /// <summary>Creates the repository at <paramref name="path"/> with one commit on <c>main</c>.</summary>
    public static async Task CreateAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(path);
        foreach (var (file, content) in s_files)
        {
            var target = System.IO.Path.Combine(path, file);
            await File.WriteAllTextAsync(target, content, cancellationToken).ConfigureAwait(false);
            if (file.EndsWith(".sh", StringComparison.Ordinal))
            {
                File.SetUnixFileMode(target, File.GetUnixFileMode(target) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        foreach (var arguments in new[]
        {
            new[] { "init", "-q", "-b", "main" },
            ["config", "user.name", "Baton Demo"],
            ["config", "user.email", "demo@baton.invalid"],
            ["add", "-A"],
            ["commit", "-q", "-m", "Initial commit: calc with add and sub"],
        })
        {
            var result = await GitCli.RunAsync(path, arguments, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {result.StandardError}");
            }
        }
    }
}

/// <summary>The replay scripts the demo's agents follow (embedded in the executable).</summary>
public static class DemoScripts
{
    public static string Read(string name)
    {
        using var stream = typeof(DemoScripts).Assembly.GetManifestResourceStream($"Baton.Demo.Scripts.{name}")
            ?? throw new InvalidOperationException($"the demo script {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
