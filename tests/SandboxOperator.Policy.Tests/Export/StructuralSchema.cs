using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Tests.Export;

/// <summary>
/// Validates JSON against an OpenAPI v3 schema as Kubernetes reads structural schemas, strictly: a field the schema
/// does not list is an error (as <c>kubectl apply --validate=strict</c> reports it) unless the schema preserves
/// unknown fields or gives <c>additionalProperties</c>. Supports <c>type</c>, <c>properties</c>, <c>required</c>,
/// <c>enum</c>, <c>items</c>, <c>additionalProperties</c>, <c>allOf</c>, <c>anyOf</c>, <c>oneOf</c>, <c>not</c>,
/// <c>$ref</c> (to <c>#/components/schemas/…</c>), <c>x-kubernetes-preserve-unknown-fields</c> and
/// <c>x-kubernetes-int-or-string</c>; anything else (formats, patterns, CEL rules) is not checked.
/// </summary>
internal sealed class StructuralSchema(JsonObject root, JsonObject? document = null)
{
    public static StructuralSchema Load(string file, string? component = null, [CallerFilePath] string here = "")
    {
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "schemas", file)))!.AsObject();
        return component is null ? new StructuralSchema(doc) : new StructuralSchema(Resolve(doc, "#/components/schemas/" + component), doc);
    }

    public IReadOnlyList<string> Validate(JsonNode? value)
    {
        var errors = new List<string>();
        Check(root, value, "", errors);
        return errors;
    }

    private static JsonObject Resolve(JsonObject doc, string reference)
    {
        JsonNode? node = doc;
        foreach (var part in reference.TrimStart('#', '/').Split('/'))
        {
            node = node?[part];
        }

        return node as JsonObject ?? throw new InvalidOperationException($"unresolved $ref {reference}");
    }

    private void Check(JsonObject schema, JsonNode? value, string path, List<string> errors)
    {
        if ((string?)schema["$ref"] is { } reference)
        {
            Check(Resolve(document ?? root, reference), value, path, errors);
            return;
        }

        foreach (var sub in (schema["allOf"] as JsonArray) ?? [])
        {
            Check(sub!.AsObject(), value, path, errors);
        }

        if (schema["anyOf"] is JsonArray anyOf && !anyOf.Any(s => Passes(s!.AsObject(), value, path)))
        {
            errors.Add($"{path}: matches none of anyOf");
        }

        if (schema["oneOf"] is JsonArray oneOf && oneOf.Count(s => Passes(s!.AsObject(), value, path)) != 1)
        {
            errors.Add($"{path}: must match exactly one of oneOf");
        }

        if (schema["not"] is JsonObject not && Passes(not, value, path))
        {
            errors.Add($"{path}: matches a schema it must not ({not.ToJsonString()})");
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            errors.Add($"{path}: {value?.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }

        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            if (value is not JsonValue v || v.GetValueKind() is not (JsonValueKind.Number or JsonValueKind.String))
            {
                errors.Add($"{path}: must be an integer or a string");
            }

            return;
        }

        var type = (string?)schema["type"];
        switch (type)
        {
            case "object":
                if (value is not JsonObject obj)
                {
                    errors.Add($"{path}: must be an object, got {Describe(value)}");
                    return;
                }

                CheckObject(schema, obj, path, errors);
                break;
            case "array":
                if (value is not JsonArray arr)
                {
                    errors.Add($"{path}: must be an array, got {Describe(value)}");
                    return;
                }

                if (schema["items"] is JsonObject items)
                {
                    for (var i = 0; i < arr.Count; i++)
                    {
                        Check(items, arr[i], $"{path}[{i}]", errors);
                    }
                }

                break;
            case "string" or "integer" or "number" or "boolean":
                var kind = (value as JsonValue)?.GetValueKind();
                var ok = type switch
                {
                    "string" => kind == JsonValueKind.String,
                    "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
                    "integer" => kind == JsonValueKind.Number && value!.GetValue<JsonElement>().TryGetInt64(out _),
                    _ => kind == JsonValueKind.Number,
                };
                if (!ok)
                {
                    errors.Add($"{path}: must be {type}, got {Describe(value)}");
                }

                break;
            default:
                // No type: only what the schema says applies (e.g. a `not: {required: [a, b]}`), unknown fields allowed.
                if (value is JsonObject untyped)
                {
                    foreach (var name in ((schema["required"] as JsonArray) ?? []).Select(r => (string)r!).Where(n => !untyped.ContainsKey(n)))
                    {
                        errors.Add($"{path}.{name}: Required value");
                    }

                    foreach (var (key, child) in untyped)
                    {
                        if (schema["properties"]?[key] is JsonObject prop)
                        {
                            Check(prop, child, $"{path}.{key}", errors);
                        }
                    }
                }

                break;
        }
    }

    private void CheckObject(JsonObject schema, JsonObject obj, string path, List<string> errors)
    {
        var properties = schema["properties"] as JsonObject;
        foreach (var name in ((schema["required"] as JsonArray) ?? []).Select(r => (string)r!))
        {
            if (!obj.ContainsKey(name))
            {
                errors.Add($"{path}.{name}: Required value");
            }
        }

        // A CRD schema says only `metadata: {type: object}`; the API server checks a custom resource's metadata as
        // ObjectMeta instead, which is not what these tests are about.
        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true || (path == ".metadata" && properties is null);
        foreach (var (key, child) in obj)
        {
            if (properties?[key] is JsonObject prop)
            {
                Check(prop, child, $"{path}.{key}", errors);
            }
            else if (schema["additionalProperties"] is JsonObject additional)
            {
                Check(additional, child, $"{path}.{key}", errors);
            }
            else if (!preserve && schema["additionalProperties"]?.GetValueKind() != JsonValueKind.True)
            {
                errors.Add($"{path}.{key}: unknown field");
            }
        }
    }

    private bool Passes(JsonObject schema, JsonNode? value, string path)
    {
        var errors = new List<string>();
        Check(schema, value, path, errors);
        return errors.Count == 0;
    }

    private static string Describe(JsonNode? value) => value is null ? "null" : value.GetValueKind().ToString().ToLowerInvariant();
}
