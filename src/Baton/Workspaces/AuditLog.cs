using System.Text;
using System.Text.Json;

namespace Baton.Workspaces;

/// <summary>
/// <c>BATON_HOME/audit.log</c>: one JSON line per forced or destructive action, appended with a single write so
/// concurrent writers never interleave inside a line.
/// </summary>
public static class AuditLog
{
    public const string FileName = "audit.log";

    public static string PathIn(string batonHome) => Path.Combine(batonHome, FileName);

    public static void Append(string batonHome, Action<Utf8JsonWriter> writeFields)
    {
        ArgumentNullException.ThrowIfNull(writeFields);
        Directory.CreateDirectory(batonHome);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeFields(writer);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        using var stream = new FileStream(PathIn(batonHome), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.Write(buffer.GetBuffer(), 0, checked((int)buffer.Length));
        stream.Flush(flushToDisk: true);
    }

    public static IReadOnlyList<JsonDocument> Read(string batonHome)
    {
        var path = PathIn(batonHome);
        return File.Exists(path)
            ? File.ReadAllLines(path, Encoding.UTF8).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l)).ToList()
            : [];
    }
}
