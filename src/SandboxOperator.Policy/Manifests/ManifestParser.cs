using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SandboxOperator.Policy.Manifests;

/// <summary>
/// Turns manifest text (multi-document YAML, or JSON) into JSON objects the policy reads, the way
/// kubectl does: YAML 1.1 scalars as sigs.k8s.io/yaml resolves them (so <c>yes</c> is a boolean and
/// <c>"yes"</c> a string), <c>kind: List</c> expanded into its items, empty documents skipped.
/// </summary>
/// <remarks>Errors are values with file and line; nothing here throws on bad input.</remarks>
public static class ManifestParser
{
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = ManifestLimits.MaxDepth, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false };

    public static (List<ManifestDocument> Documents, List<ManifestError> Errors) Parse(string text, string source)
    {
        var docs = new List<ManifestDocument>();
        var errors = new List<ManifestError>();
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '['))
        {
            ParseJson(text, source, docs, errors);
        }
        else
        {
            ParseYaml(text, source, docs, errors);
        }

        return (docs, errors);
    }

    private static void ParseJson(string text, string source, List<ManifestDocument> docs, List<ManifestError> errors)
    {
        try
        {
            var node = JsonNode.Parse(text, documentOptions: JsonOptions);
            switch (node)
            {
                case JsonObject obj:
                    Add(obj, source, 1, docs, errors);
                    break;
                case JsonArray arr:
                    foreach (var item in arr)
                    {
                        if (item is JsonObject o)
                        {
                            Add((JsonObject)o.DeepClone(), source, 1, docs, errors);
                        }
                        else
                        {
                            errors.Add(new ManifestError(source, 1, "each item of a JSON array must be an object"));
                        }
                    }

                    break;
                default:
                    errors.Add(new ManifestError(source, 1, "a manifest must be a JSON object"));
                    break;
            }
        }
        catch (JsonException ex)
        {
            errors.Add(new ManifestError(source, (int)(ex.LineNumber ?? 0) + 1, $"invalid JSON: {ex.Message.Split(" Path:")[0]}"));
        }
    }

    private static void ParseYaml(string text, string source, List<ManifestDocument> docs, List<ManifestError> errors)
    {
        var (stream, errorLine, error) = YamlText.Load(text);
        if (stream is null)
        {
            errors.Add(new ManifestError(source, errorLine, error!));
            return;
        }

        foreach (var doc in stream.Documents)
        {
            var line = (int)doc.RootNode.Start.Line;
            try
            {
                var json = ToJson(doc.RootNode, 0, new Budget(), source, errors);
                if (json is JsonObject obj)
                {
                    Add(obj, source, line, docs, errors);
                }
                else if (json is not null)
                {
                    errors.Add(new ManifestError(source, line, "a manifest document must be a mapping (an object with apiVersion and kind)"));
                }
            }
            catch (ManifestTooLargeException ex)
            {
                errors.Add(new ManifestError(source, ex.Line, ex.Message));
            }
        }
    }

    private static void Add(JsonObject obj, string source, int line, List<ManifestDocument> docs, List<ManifestError> errors)
    {
        if (obj["kind"] is JsonValue kindValue && kindValue.TryGetValue<string>(out var kindName) && kindName == "List" && obj["items"] is JsonArray items)
        {
            foreach (var item in items)
            {
                if (item is JsonObject o)
                {
                    docs.Add(new ManifestDocument(source, line, (JsonObject)o.DeepClone()));
                }
            }

            return;
        }

        if (obj["apiVersion"] is not JsonValue av || !av.TryGetValue<string>(out _) || obj["kind"] is not JsonValue k || !k.TryGetValue<string>(out _))
        {
            errors.Add(new ManifestError(source, line, "object has no apiVersion and kind (both are required strings)"));
            return;
        }

        docs.Add(new ManifestDocument(source, line, obj));
    }

    private sealed class Budget
    {
        public int Nodes;
    }

    private static JsonNode? ToJson(YamlNode node, int depth, Budget budget, string source, List<ManifestError> errors)
    {
        if (++budget.Nodes > ManifestLimits.MaxNodes)
        {
            throw new ManifestTooLargeException((int)node.Start.Line, $"document has more than {ManifestLimits.MaxNodes} nodes (after expanding aliases)");
        }

        if (depth > ManifestLimits.MaxDepth)
        {
            throw new ManifestTooLargeException((int)node.Start.Line, $"document is nested deeper than {ManifestLimits.MaxDepth} levels");
        }

        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                    {
                        errors.Add(new ManifestError(source, (int)k.Start.Line, "mapping keys must be plain strings"));
                        continue;
                    }

                    obj[key] = ToJson(v, depth + 1, budget, source, errors);
                }

                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children)
                {
                    arr.Add(ToJson(item, depth + 1, budget, source, errors));
                }

                return arr;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                return null;
        }
    }

    /// <summary>YAML 1.1 resolution of plain scalars, as sigs.k8s.io/yaml applies it; quoted scalars are strings.</summary>
    public static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            return JsonValue.Create(value);
        }

        if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value is "tag:yaml.org,2002:str" or "!!str")
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return JsonValue.Create(false);
        }

        if (LooksNumeric(value))
        {
            if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return JsonValue.Create(l);
            }

            if (value.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
            {
                return JsonValue.Create(hex);
            }

            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            {
                return JsonValue.Create(d);
            }
        }

        return JsonValue.Create(value);
    }

    private static bool LooksNumeric(string value)
    {
        var span = value.AsSpan();
        if (span.Length > 0 && (span[0] == '-' || span[0] == '+'))
        {
            span = span[1..];
        }

        if (span.Length == 0 || !(char.IsAsciiDigit(span[0]) || (span[0] == '.' && span.Length > 1 && char.IsAsciiDigit(span[1]))))
        {
            return false;
        }

        foreach (var c in span)
        {
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-' or 'x' or 'X' || char.IsAsciiHexDigit(c)))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class ManifestTooLargeException(int line, string message) : Exception(message)
    {
        public int Line { get; } = line;
    }
}
