using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Webhook.Tests.Robustness;

/// <summary>
/// Deterministic mutations of AdmissionReview bodies, after the text fuzzer of the policy tests: byte-level
/// (truncation, bit flips, random and invalid-UTF-8 bytes, deleted and repeated ranges, injected JSON
/// syntax) and JSON-structure-aware (a random node replaced by a value of another type, removed, nulled,
/// duplicated under the same key, nested deeper, grown into a huge array, or swapped with another node).
/// The same seed gives the same variants, so a failure is reproducible from its index.
/// </summary>
internal static class ReviewFuzzer
{
    private static readonly string[] Injections =
    [
        "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u", "\\ud800", "\\udfff", "null", "true", "-0", "1e999", "0x1F", "NaN", "\u0000",
        "9223372036854775808", "[[[[[[[[[[[[", "{\"a\":", "\"\":\"\"", "/*", "\t\r\n", "\u2028", "\uFFFD",
    ];

    private static readonly byte[][] BadBytes = [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE2, 0x82], [0x00]];

    private static readonly string[] Values =
    [
        "42", "-1", "1.5e308", "\"x\"", "\"\"", "true", "false", "null", "[]", "{}", "[1,{\"a\":\"b\"}]", "{\"a\":{\"b\":{}}}",
        "\"Unconfined\"", "\"Localhost\"", "\"kata\"", "\"runc\"", "\"CREATE\"", "\"ALL\"", "[\"x\",null,3]",
    ];

    public static IEnumerable<(int Index, byte[] Body)> Variants(byte[] seedBody, int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            yield return (i, Mutate(seedBody, random));
        }
    }

    private static byte[] Mutate(byte[] body, Random random)
    {
        var rounds = 1 + random.Next(3);
        for (var r = 0; r < rounds; r++)
        {
            body = random.Next(10) < 4 ? MutateBytes(body, random) : MutateStructure(body, random) ?? MutateBytes(body, random);
        }

        return body;
    }

    private static byte[] MutateBytes(byte[] body, Random random)
    {
        if (body.Length == 0)
        {
            return Encoding.UTF8.GetBytes(Injections[random.Next(Injections.Length)]);
        }

        var pos = random.Next(body.Length);
        var list = new List<byte>(body);
        switch (random.Next(7))
        {
            case 0:
                return body[..pos];
            case 1:
                list[pos] ^= (byte)(1 << random.Next(8));
                break;
            case 2:
                list.InsertRange(pos, BadBytes[random.Next(BadBytes.Length)]);
                break;
            case 3:
                list.InsertRange(pos, Encoding.UTF8.GetBytes(Injections[random.Next(Injections.Length)]));
                break;
            case 4:
                list.RemoveRange(pos, Math.Min(body.Length - pos, random.Next(1, 64)));
                break;
            case 5:
                var len = Math.Min(body.Length - pos, random.Next(1, 256));
                list.InsertRange(pos, body.AsSpan(pos, len).ToArray());
                break;
            default:
                list[pos] = (byte)random.Next(0x20, 0x7F);
                break;
        }

        return [.. list];
    }

    /// <summary>A structural mutation, or null when the body is not JSON that JsonNode can edit (then a byte mutation is used).</summary>
    private static byte[]? MutateStructure(byte[] body, Random random)
    {
        try
        {
            return EditStructure(body, random);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Duplicate keys, invalid UTF-8 or unpaired surrogates from an earlier round.
            return null;
        }
    }

    private static byte[]? EditStructure(byte[] body, Random random)
    {
        var root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 512, AllowDuplicateProperties = false });

        if (root is null)
        {
            return null;
        }

        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        if (nodes.Count < 2)
        {
            return null;
        }

        var target = nodes[1 + random.Next(nodes.Count - 1)];
        var parent = target.Parent!;
        switch (random.Next(8))
        {
            case 0:
                Replace(target, JsonNode.Parse(Values[random.Next(Values.Length)]));
                break;
            case 1:
                if (parent is JsonObject po)
                {
                    po.Remove(target.GetPropertyName());
                }
                else
                {
                    ((JsonArray)parent).Remove(target);
                }

                break;
            case 2:
                Replace(target, null);
                break;
            case 3:
                return DuplicateKey(root, parent, target, random);
            case 4:
                JsonNode deep = target.DeepClone();
                for (var d = random.Next(1, 80); d > 0; d--)
                {
                    deep = random.Next(2) == 0 ? new JsonArray(deep) : new JsonObject { ["k"] = deep };
                }

                Replace(target, deep);
                break;
            case 5:
                var huge = new JsonArray();
                var element = random.Next(2) == 0 ? target.DeepClone() : JsonNode.Parse(Values[random.Next(Values.Length)]);
                for (var n = random.Next(100, 5_000); n > 0; n--)
                {
                    huge.Add(element?.DeepClone());
                }

                Replace(target, huge);
                break;
            case 6:
                var other = nodes[1 + random.Next(nodes.Count - 1)];
                if (!IsAncestor(other, target) && !IsAncestor(target, other))
                {
                    var a = target.DeepClone();
                    Replace(target, other.DeepClone());
                    Replace(other, a);
                }

                break;
            default:
                if (target is JsonObject obj)
                {
                    obj[$"unknown{random.Next(100)}"] = JsonNode.Parse(Values[random.Next(Values.Length)]);
                }
                else
                {
                    Replace(target, JsonValue.Create(target.ToJsonString()));
                }

                break;
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>Writes the object holding <paramref name="target"/> with a second copy of its key, carrying another value.</summary>
    private static byte[]? DuplicateKey(JsonNode root, JsonNode parent, JsonNode target, Random random)
    {
        if (parent is not JsonObject obj)
        {
            return null;
        }

        const string sentinel = "__duplicate_of_the_next_key__";
        var name = target.GetPropertyName();
        var value = JsonNode.Parse(Values[random.Next(Values.Length)]);
        var copy = new JsonObject();
        foreach (var (k, v) in obj.ToList())
        {
            obj.Remove(k);
            if (k == name)
            {
                var first = random.Next(2) == 0;
                copy[sentinel] = first ? value : v?.DeepClone();
                copy[k] = first ? v : value;
            }
            else
            {
                copy[k] = v;
            }
        }

        foreach (var (k, v) in copy.ToList())
        {
            copy.Remove(k);
            obj[k] = v;
        }

        var text = root.ToJsonString();
        return Encoding.UTF8.GetBytes(text.Replace(JsonSerializer.Serialize(sentinel), JsonSerializer.Serialize(name), StringComparison.Ordinal));
    }

    private static void Replace(JsonNode target, JsonNode? value)
    {
        switch (target.Parent)
        {
            case JsonObject o:
                o[target.GetPropertyName()] = value;
                break;
            case JsonArray a:
                a[target.GetElementIndex()] = value;
                break;
        }
    }

    private static bool IsAncestor(JsonNode ancestor, JsonNode node)
    {
        for (var n = node; n is not null; n = n.Parent)
        {
            if (ReferenceEquals(n, ancestor))
            {
                return true;
            }
        }

        return false;
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, v) in o)
                {
                    if (v is not null)
                    {
                        Collect(v, nodes);
                    }
                }

                break;
            case JsonArray a:
                foreach (var v in a)
                {
                    if (v is not null)
                    {
                        Collect(v, nodes);
                    }
                }

                break;
        }
    }
}
