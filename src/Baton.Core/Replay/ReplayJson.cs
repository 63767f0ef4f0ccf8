using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Baton.Core.Replay;

/// <summary>Compact JSON text written by hand with <see cref="Utf8JsonWriter"/>: no reflection, one line per value.</summary>
public static class ReplayJson
{
    /// <summary>
    /// Keeps quotes, apostrophes and non-ASCII text readable in logs and arguments. The output is never embedded in
    /// HTML, which is the only thing the default encoder's extra escaping protects.
    /// </summary>
    public static JavaScriptEncoder Encoder { get; } = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static string Write(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Encoder }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
