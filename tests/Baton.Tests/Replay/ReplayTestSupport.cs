using System.Text;
using System.Text.Json;
using Baton.Processes;

namespace Baton.Tests.Replay;

/// <summary>A directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "baton-replay-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process that was just killed may still hold a file for a moment; the OS cleans temp.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>One parsed server-sent event.</summary>
internal sealed record ParsedEvent(string? Name, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
}

internal static class ReplayTestSupport
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Splits an SSE body into events (blank-line separated; <c>event:</c> and <c>data:</c> fields).</summary>
    public static List<ParsedEvent> ParseSse(string body)
    {
        var events = new List<ParsedEvent>();
        foreach (var block in body.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            var data = new StringBuilder();
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(line["data: ".Length..]);
                }
            }

            events.Add(new ParsedEvent(name, data.ToString()));
        }

        return events;
    }

    /// <summary>The folder holding <c>Baton.slnx</c>, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Baton.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Baton.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// An agent binary from <c>&lt;repo&gt;/.tools/node_modules/.bin</c>. Missing is a failure, not a skip: test.sh
    /// installs the agents (scripts/setup.sh, ensure_agents), so a missing one means the set-up is broken.
    /// </summary>
    public static string AgentBinary(string name)
    {
        var root = RepositoryRoot();
        var path = System.IO.Path.Combine(root, ".tools", "node_modules", ".bin", name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"the agent '{name}' is not installed at {path}. Run ./test.sh (it installs the agents through ensure_agents in scripts/setup.sh), " +
                $"or: npm install --prefix {System.IO.Path.Combine(root, ".tools")} @mariozechner/pi-coding-agent@0.73.1 @anthropic-ai/claude-code@2.1.197 @openai/codex@0.169.0 --no-audit --no-fund");
        }

        return path;
    }

    /// <summary>Git identity and an isolated HOME, so nothing reads or writes the real ~.</summary>
    public static Dictionary<string, string?> IsolatedEnvironment(string home) => new()
    {
        ["HOME"] = home,
        ["GIT_AUTHOR_NAME"] = "worker",
        ["GIT_AUTHOR_EMAIL"] = "worker@example.invalid",
        ["GIT_COMMITTER_NAME"] = "worker",
        ["GIT_COMMITTER_EMAIL"] = "worker@example.invalid",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
    };

    /// <summary>A git repository with one empty commit.</summary>
    public static async Task InitRepositoryAsync(string path, string home)
    {
        Directory.CreateDirectory(path);
        foreach (var args in new[] { new[] { "init", "-q", "-b", "main" }, ["commit", "-q", "--allow-empty", "-m", "init"] })
        {
            var result = await ProcessRunner.RunAsync(new ProcessSpec("git", args)
            {
                WorkingDirectory = path,
                Environment = IsolatedEnvironment(home),
                Timeout = TimeSpan.FromSeconds(30),
            }).WaitAsync(TestTimeout);
            result.ExitCode.ShouldBe(0, result.StandardError);
        }
    }

    public static async Task<string> GitAsync(string repository, string home, params string[] args)
    {
        var result = await ProcessRunner.RunAsync(new ProcessSpec("git", args)
        {
            WorkingDirectory = repository,
            Environment = IsolatedEnvironment(home),
            Timeout = TimeSpan.FromSeconds(30),
        }).WaitAsync(TestTimeout);
        result.ExitCode.ShouldBe(0, result.StandardError);
        return result.StandardOutput;
    }

    /// <summary>The JSON lines of a request log.</summary>
    public static List<JsonElement> ReadLog(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var records = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            records.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        return records;
    }
}
