using System.Text.Json;
using Baton.Cli;

namespace Baton.Tests.Doctor;

/// <summary>
/// A temp directory with its own HOME, BATON_HOME and a bin directory for fake programs, and a way to run
/// <c>baton</c> in-process against it with a chosen PATH.
/// </summary>
internal sealed class DoctorTestBed : IDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    public DoctorTestBed()
    {
        Root = Directory.CreateTempSubdirectory("baton-doctor-").FullName;
        Home = Directory.CreateDirectory(Path.Combine(Root, "home")).FullName;
        BatonHome = Path.Combine(Home, ".baton");
        Bin = Directory.CreateDirectory(Path.Combine(Root, "bin")).FullName;
    }

    public string Root { get; }

    public string Home { get; }

    public string BatonHome { get; }

    /// <summary>A directory for fake programs; put it on PATH to use them.</summary>
    public string Bin { get; }

    public string ToolsBin => Path.Combine(BatonHome, "tools", "node_modules", ".bin");

    /// <summary>Writes an executable shell script that prints <paramref name="output"/> and exits with <paramref name="exitCode"/>.</summary>
    public string WriteProgram(string directory, string name, string output, int exitCode = 0)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        var quoted = output.Replace("'", "'\\''", StringComparison.Ordinal);
        File.WriteAllText(path, $"#!/bin/sh\nprintf '%s\\n' '{quoted}'\nexit {exitCode}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return path;
    }

    public async Task<(int ExitCode, string Out, string Err)> RunAsync(string path, IReadOnlyDictionary<string, string>? extra, params string[] args)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = Home,
            ["BATON_HOME"] = BatonHome,
            ["PATH"] = path,
            ["NO_COLOR"] = "1",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(output, error, TextReader.Null, environment, Root);
        var exitCode = await BatonApp.RunAsync(args, context).WaitAsync(CommandTimeout);
        return (exitCode, output.ToString(), error.ToString());
    }

    public static JsonElement Check(string json, string name)
    {
        using var document = JsonDocument.Parse(json);
        var checks = document.RootElement.GetProperty("data").GetProperty("checks");
        return checks.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name).Clone();
    }

    public static JsonElement Data(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("data").Clone();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; a failing Dispose would hide the test's real result.
        }
    }
}
