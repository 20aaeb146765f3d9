using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Json;

/// <summary>Applies and serializes RFC 6902 patches.</summary>
public static class JsonPatch
{
    /// <summary>How patches are written; <see cref="PreparedJsonValue"/> serializes its value with the same.</summary>
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Applies <paramref name="ops"/> to a deep copy of <paramref name="document"/> and returns the copy.
    /// Supports add, replace, remove and test; the input is never modified. Errors name the failing path.
    /// </summary>
    public static JsonNode? Apply(JsonNode? document, IEnumerable<PatchOperation> ops)
    {
        var root = document?.DeepClone();
        foreach (var op in ops)
        {
            var tokens = JsonPointer.Parse(op.Path);
            if (tokens.Length == 0)
            {
                root = op.Op switch
                {
                    "add" or "replace" => op.Value?.DeepClone(),
                    _ => throw new InvalidOperationException($"{op.Op} of the whole document is not supported"),
                };
                continue;
            }

            var parent = Navigate(root, tokens, op.Path);
            var last = tokens[^1];
            switch (op.Op, parent)
            {
                case ("add", JsonObject o):
                    o[last] = op.Value?.DeepClone();
                    break;
                case ("replace", JsonObject o) when o.ContainsKey(last):
                    o[last] = op.Value?.DeepClone();
                    break;
                case ("remove", JsonObject o) when o.ContainsKey(last):
                    o.Remove(last);
                    break;
                case ("add", JsonArray a):
                    if (last == "-")
                    {
                        a.Add(op.Value?.DeepClone());
                    }
                    else
                    {
                        a.Insert(Index(a, last, op.Path, allowEnd: true), op.Value?.DeepClone());
                    }

                    break;
                case ("replace", JsonArray a):
                    a[Index(a, last, op.Path, allowEnd: false)] = op.Value?.DeepClone();
                    break;
                case ("remove", JsonArray a):
                    a.RemoveAt(Index(a, last, op.Path, allowEnd: false));
                    break;
                case ("test", _):
                    var current = parent is JsonObject to ? to[last] : parent is JsonArray ta ? ta[Index(ta, last, op.Path, false)] : null;
                    if (!JsonNode.DeepEquals(current, op.Value))
                    {
                        throw new InvalidOperationException($"test failed at {op.Path}");
                    }

                    break;
                default:
                    throw new InvalidOperationException($"cannot {op.Op} {op.Path}: the target does not exist");
            }
        }

        return root;
    }

    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes the patch as a JSON array (the body a mutating webhook base64-encodes).</summary>
    public static byte[] Serialize(IReadOnlyList<PatchOperation> ops) => SerializeToThreadBuffer(ops).ToArray();

    /// <summary>
    /// Writes the patch as a JSON array into a buffer reused per thread and returns the written part,
    /// without allocating. Caveat: the memory is valid only until the next call on the same thread, so
    /// use it synchronously, before any <c>await</c>.
    /// </summary>
    public static ReadOnlyMemory<byte> SerializeToThreadBuffer(IReadOnlyList<PatchOperation> ops)
    {
        var buffer = t_buffer;
        if (buffer is null || buffer.Capacity > 256 * 1024)
        {
            // Do not keep a huge buffer alive on the thread after an unusually large patch.
            t_buffer = buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
            t_writer = null;
        }

        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        Write(writer, ops);
        writer.Flush();
        return buffer.WrittenMemory;
    }

    /// <summary>Writes the patch as a JSON array into <paramref name="writer"/>.</summary>
    public static void Write(Utf8JsonWriter writer, IReadOnlyList<PatchOperation> ops)
    {
        writer.WriteStartArray();
        foreach (var op in ops)
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, op.Op);
            writer.WriteString("path"u8, op.Path);
            if (op.Op != "remove")
            {
                writer.WritePropertyName("value"u8);
                if (!op.ValueText.IsEmpty)
                {
                    writer.WriteRawValue(op.ValueText.Span, skipInputValidation: true);
                }
                else if (op.Value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    op.Value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>The patch as a JSON string.</summary>
    public static string ToJson(IReadOnlyList<PatchOperation> ops) => Encoding.UTF8.GetString(Serialize(ops));

    private static JsonNode? Navigate(JsonNode? root, string[] tokens, string path)
    {
        var node = root;
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(tokens[i], out var child) && child is not null => child,
                JsonArray a => a[Index(a, tokens[i], path, allowEnd: false)],
                _ => throw new InvalidOperationException($"cannot apply {path}: /{string.Join('/', tokens[..(i + 1)])} does not exist"),
            };
        }

        return node;
    }

    private static int Index(JsonArray a, string token, string path, bool allowEnd)
    {
        if (!int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) || i > a.Count || (!allowEnd && i == a.Count))
        {
            throw new InvalidOperationException($"cannot apply {path}: index {token} is out of range");
        }

        return i;
    }
}
