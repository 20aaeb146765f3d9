using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Json;

/// <summary>
/// A JSON value serialized once, for a patch that adds the same value to many objects: writing a patch
/// copies <see cref="Text"/> instead of walking <see cref="Node"/> for every review.
/// </summary>
/// <remarks>
/// Neither may be changed after construction; <see cref="JsonPatch.Apply"/> copies values before use,
/// so applying a patch never changes a shared one.
/// </remarks>
public sealed class PreparedJsonValue
{
    public PreparedJsonValue(JsonNode node)
    {
        Node = node;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonPatch.WriterOptions))
        {
            node.WriteTo(writer);
        }

        Text = buffer.WrittenMemory.ToArray();
    }

    public JsonNode Node { get; }

    /// <summary>The compact JSON text of <see cref="Node"/>, as <see cref="JsonPatch.Write"/> would write it.</summary>
    public ReadOnlyMemory<byte> Text { get; }
}
