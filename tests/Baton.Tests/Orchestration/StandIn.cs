using System.Text.Json;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Orchestration;

/// <summary>
/// The scripted codex app-server stand-in (tests/Baton.AgentStandIn, built beside this assembly) for one test: its
/// script, the file it records into, and the <c>codex.command</c> that runs it.
/// </summary>
public sealed class StandIn
{
    public StandIn(string directory, string script)
    {
        Directory.CreateDirectory(directory);
        ScriptPath = Path.Combine(directory, "standin-script.json");
        RecordPath = Path.Combine(directory, "standin-record.jsonl");
        using (JsonDocument.Parse(script))
        {
            // A typo in a test's script fails here, not as a silent agent.
        }

        File.WriteAllText(ScriptPath, script);
    }

    public static string Binary
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "baton-agent-standin");
            File.Exists(path).ShouldBeTrue($"{path} is missing: build the solution first");
            return path;
        }
    }

    public string ScriptPath { get; }

    public string RecordPath { get; }

    /// <summary>Symphony's <c>codex.command</c>: run by <c>bash -lc</c> in the workspace.</summary>
    public string Command => $"'{Binary}' --script '{ScriptPath}' --record '{RecordPath}'";

    /// <summary>Every line recorded so far, by every stand-in process of the test.</summary>
    public IReadOnlyList<JsonElement> Records()
    {
        if (!File.Exists(RecordPath))
        {
            return [];
        }

        using var stream = new FileStream(RecordPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var records = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line.EndsWith('}'))
            {
                using var document = JsonDocument.Parse(line);
                records.Add(document.RootElement.Clone());
            }
        }

        return records;
    }

    public IReadOnlyList<JsonElement> Events(string name) => [.. Records().Where(r => r.GetProperty("event").GetString() == name)];

    /// <summary>The ids of the stand-in processes started so far, in order.</summary>
    public IReadOnlyList<int> Pids => [.. Events("started").Select(r => r.GetProperty("pid").GetInt32())];

    /// <summary>The text of every turn/start received, with the pid that received it.</summary>
    public IReadOnlyList<(int Pid, string Text)> Turns => [.. Events("turn").Select(r => (r.GetProperty("pid").GetInt32(), r.GetProperty("text").GetString()!))];

    /// <summary>The <c>params</c> of every request or notification of <paramref name="method"/> the stand-in received.</summary>
    public IReadOnlyList<JsonElement> Received(string method) =>
        [.. Events("received").Where(r => r.GetProperty("method").GetString() == method).Select(r => r.GetProperty("params"))];

    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(Func<StandIn, bool> condition, string what, int seconds = 60)
    {
        (await Poll.UntilAsync(() => condition(this), TimeSpan.FromSeconds(seconds))).ShouldBeTrue($"{what} did not happen within {seconds} s; the stand-in recorded:\n{string.Join("\n", Records().Select(r => Shorten(r.GetRawText())))}");
        return Records();
    }

    /// <summary>Whether process <paramref name="pid"/> is still alive (and not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        var status = $"/proc/{pid}/status";
        try
        {
            return File.Exists(status) && !File.ReadAllLines(status).Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The environment of a live process, as the kernel holds it (<c>/proc/&lt;pid&gt;/environ</c>).</summary>
    public static Dictionary<string, string> EnvironmentOf(int pid)
    {
        var raw = File.ReadAllText($"/proc/{pid}/environ");
        return raw.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .GroupBy(parts => parts[0])
            .ToDictionary(g => g.Key, g => g.Last().Length > 1 ? g.Last()[1] : "");
    }

    /// <summary>The parent of a process (from <c>/proc/&lt;pid&gt;/stat</c>).</summary>
    public static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "…";
}

/// <summary>WORKFLOW.md files for conformance runs: Symphony's default agent (codex app-server) played by the stand-in.</summary>
public static class ConformanceWorkflows
{
    /// <summary>The local-tracker workflow of a <see cref="SessionWorld"/> project; <paramref name="extra"/> is more front matter, at top level.</summary>
    public static void WriteLocal(SessionWorld w, StandIn agent, string codex = "", string agentKeys = "", string extra = "", int pollMs = 500) =>
        File.WriteAllText(Path.Combine(w.World.Repo, "WORKFLOW.md"), Render(agent, codex, agentKeys, extra, pollMs, tracker: ""));

    /// <summary>A bare workflow for Linear (<see cref="Tracking.FakeLinearServer"/>) in its own directory; returns its path.</summary>
    public static string WriteLinear(SessionWorld w, Tracking.FakeLinearServer linear, StandIn agent, string apiKey = "$LINEAR_API_KEY", string codex = "", string agentKeys = "", string extra = "", string provider = "")
    {
        var directory = Path.Combine(w.World.Root, "linear-flow");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "WORKFLOW.md");
        var tracker = $"""
            tracker:
              kind: linear
              provider:
                endpoint: {linear.Endpoint}
                api_key: {apiKey}
                project_slug: {Tracking.FakeLinearServer.DefaultProjectSlug}
            {Indent(provider, 4)}
            workspace:
              root: {Path.Combine(w.World.Root, "workspaces")}
            """;
        File.WriteAllText(path, Render(agent, codex, agentKeys, extra, 500, tracker));
        return path;
    }

    private static string Render(StandIn agent, string codex, string agentKeys, string extra, int pollMs, string tracker) => $"""
        ---
        {tracker}
        polling:
          interval_ms: {pollMs}
        agent:
          max_concurrent_agents: 4
        {Indent(agentKeys, 2)}
        codex:
          command: |-
            {agent.Command}
        {Indent(codex, 2)}
        {extra}
        ---
        Work on {"{{ issue.identifier }}"}: {"{{ issue.title }}"}
        """;

    private static string Indent(string text, int spaces) =>
        string.Join("\n", text.Split('\n').Select(l => l.Length == 0 ? l : new string(' ', spaces) + l));
}
