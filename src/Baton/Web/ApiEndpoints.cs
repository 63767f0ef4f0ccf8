using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Processes;

namespace Baton.Web;

/// <summary>
/// Where a running <c>baton run</c> can be reached: written by it to <c>BATON_HOME/orchestrators/</c> while it runs
/// (one file each, removed on shutdown), read by <c>baton status</c>. The process id and its start time tell a live
/// orchestrator from a file a crashed one left (such files are removed when found).
/// </summary>
public sealed record ApiEndpoint
{
    public required int Pid { get; init; }

    /// <summary>The process's start time (clock ticks since boot), so a reused pid is not taken for it.</summary>
    public long? ProcessStartTime { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The API's base URL, or null when the orchestrator serves no HTTP port.</summary>
    public string? Url { get; init; }

    /// <summary>
    /// The API token when it listens off loopback. The file is the owner's only (0600), as BATON_HOME's state is: a
    /// local <c>baton status</c> of the same user reads the live state without the person pasting the token.
    /// </summary>
    public string? Token { get; init; }

    public IReadOnlyList<string> Workflows { get; init; } = [];
}

public static class ApiEndpoints
{
    public const string DirectoryName = "orchestrators";

    public static string DirectoryOf(string batonHome) => Path.Combine(batonHome, DirectoryName);

    /// <summary>Writes this process's endpoint atomically, readable by its owner only; returns the file to remove at the end.</summary>
    public static string Write(string batonHome, ApiEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var directory = DirectoryOf(batonHome);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{endpoint.Pid}-{Guid.NewGuid().ToString("N")[..8]}.json");
        var temp = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(endpoint, ApiEndpointJson.Default.ApiEndpoint)));
            }

            File.Move(temp, path, overwrite: true);
            return path;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public static void Remove(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind, it is recognised as stale by its pid and removed by the next reader.
        }
    }

    /// <summary>The endpoints of orchestrators that are alive now, newest first; files of dead ones are removed.</summary>
    public static IReadOnlyList<ApiEndpoint> ReadLive(string batonHome)
    {
        var directory = DirectoryOf(batonHome);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var live = new List<ApiEndpoint>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.json"))
        {
            ApiEndpoint? endpoint;
            try
            {
                endpoint = JsonSerializer.Deserialize(File.ReadAllText(file), ApiEndpointJson.Default.ApiEndpoint);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                continue;
            }

            if (endpoint is not null && ProcessTable.IsAlive(endpoint.Pid, endpoint.ProcessStartTime))
            {
                live.Add(endpoint);
            }
            else
            {
                Remove(file);
            }
        }

        return [.. live.OrderByDescending(e => e.StartedAt)];
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ApiEndpoint))]
internal sealed partial class ApiEndpointJson : JsonSerializerContext;
