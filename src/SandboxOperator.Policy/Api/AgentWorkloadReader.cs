using System.Text.Json;

namespace SandboxOperator.Policy.Api;

/// <summary>
/// Reads an AgentWorkload manifest (as JSON) and checks it against the same schema the CRD enforces,
/// reporting every problem with its field path and, for enums, the allowed values.
/// </summary>
/// <remarks>Unknown fields under <c>spec</c> are errors, as with kubectl's strict field validation.</remarks>
public static class AgentWorkloadReader
{
    /// <summary>The fields of <c>spec</c>; <see cref="Decisions.PolicyFields"/> declares the same ones for admission.</summary>
    public static IReadOnlyList<string> SpecFields { get; } = ["type", "riskTier", "traits", "selector", "localDevelopment"];
    private static readonly string[] LocalDevelopmentFields = ["workspace", "allowedHosts", "egressProxyPort", "allowedExecutables"];
    private static readonly string[] TraitFields = ["executesUntrustedCode", "processesUntrustedContent", "runsThirdPartySkills"];
    private static readonly string[] SelectorFields = ["matchLabels", "matchExpressions"];
    private static readonly string[] RequirementFields = ["key", "operator", "values"];
    private static readonly string[] SelectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"];

    /// <summary>Reads <paramref name="obj"/>; the namespace defaults to <paramref name="defaultNamespace"/>.</summary>
    /// <param name="rejectUnknownSpecFields">
    /// False to leave fields of <c>spec</c> other than <see cref="SpecFields"/> alone: at admission the API server has
    /// already pruned them by the CRD schema, and the webhook reads a copy pruned to the known ones.
    /// </param>
    public static (AgentWorkload? Workload, IReadOnlyList<FieldError> Errors) Read(JsonElement obj, string defaultNamespace = "default", bool rejectUnknownSpecFields = true)
    {
        var errors = new List<FieldError>();
        if (obj.ValueKind != JsonValueKind.Object)
        {
            return (null, [new FieldError("(root)", "must be an object")]);
        }

        string? name = null;
        var ns = defaultNamespace;
        long generation = 0;
        if (obj.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
        {
            name = OptionalString(meta, "name", "metadata.name", errors);
            ns = OptionalString(meta, "namespace", "metadata.namespace", errors) ?? defaultNamespace;
            if (meta.TryGetProperty("generation", out var g) && g.ValueKind == JsonValueKind.Number && g.TryGetInt64(out var gv))
            {
                generation = gv;
            }
        }

        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new FieldError("metadata.name", "Required value"));
        }

        var spec = new AgentWorkloadSpec();
        if (!obj.TryGetProperty("spec", out var specEl) || specEl.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError("spec", "Required value"));
        }
        else if (specEl.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("spec", $"must be an object, got {Describe(specEl)}"));
        }
        else
        {
            spec = ReadSpec(specEl, rejectUnknownSpecFields, errors);
        }

        return errors.Count == 0 ? (new AgentWorkload(ns, name!, spec, generation), errors) : (null, errors);
    }

    private static AgentWorkloadSpec ReadSpec(JsonElement specEl, bool rejectUnknown, List<FieldError> errors)
    {
        var type = default(WorkloadType);
        RiskTier? riskTier = null;
        WorkloadTraits? traits = null;
        LabelSelector? selector = null;
        LocalDevelopment? local = null;
        if (rejectUnknown)
        {
            RejectUnknown(specEl, "spec", SpecFields, errors);
        }

        if (!specEl.TryGetProperty("type", out var typeEl) || typeEl.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError("spec.type", $"Required value: one of {string.Join(", ", Enum.GetNames<WorkloadType>())}"));
        }
        else if (ParseEnum<WorkloadType>(typeEl, "spec.type", errors) is { } parsed)
        {
            type = parsed;
        }

        if (specEl.TryGetProperty("riskTier", out var tierEl) && tierEl.ValueKind != JsonValueKind.Null)
        {
            riskTier = ParseEnum<RiskTier>(tierEl, "spec.riskTier", errors);
        }

        if (specEl.TryGetProperty("traits", out var traitsEl) && traitsEl.ValueKind != JsonValueKind.Null)
        {
            if (traitsEl.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new FieldError("spec.traits", $"must be an object, got {Describe(traitsEl)}"));
            }
            else
            {
                RejectUnknown(traitsEl, "spec.traits", TraitFields, errors);
                traits = new WorkloadTraits
                {
                    ExecutesUntrustedCode = OptionalBool(traitsEl, "executesUntrustedCode", "spec.traits", errors),
                    ProcessesUntrustedContent = OptionalBool(traitsEl, "processesUntrustedContent", "spec.traits", errors),
                    RunsThirdPartySkills = OptionalBool(traitsEl, "runsThirdPartySkills", "spec.traits", errors),
                };
            }
        }

        if (specEl.TryGetProperty("selector", out var selEl) && selEl.ValueKind != JsonValueKind.Null)
        {
            selector = ReadSelector(selEl, "spec.selector", errors);
        }

        if (specEl.TryGetProperty("localDevelopment", out var localEl) && localEl.ValueKind != JsonValueKind.Null)
        {
            local = ReadLocalDevelopment(localEl, "spec.localDevelopment", errors);
        }

        return new AgentWorkloadSpec { Type = type, RiskTier = riskTier, Traits = traits, Selector = selector, LocalDevelopment = local };
    }

    private static LocalDevelopment? ReadLocalDevelopment(JsonElement el, string path, List<FieldError> errors)
    {
        if (el.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError(path, $"must be an object, got {Describe(el)}"));
            return null;
        }

        RejectUnknown(el, path, LocalDevelopmentFields, errors);
        int? proxyPort = null;
        if (el.TryGetProperty("egressProxyPort", out var portEl) && portEl.ValueKind != JsonValueKind.Null)
        {
            if (portEl.ValueKind == JsonValueKind.Number && portEl.TryGetInt32(out var port) && port is >= 1 and <= 65535)
            {
                proxyPort = port;
            }
            else
            {
                errors.Add(new FieldError(path + ".egressProxyPort", $"must be a port number from 1 to 65535, got {Describe(portEl)}"));
            }
        }

        return new LocalDevelopment
        {
            Workspace = OptionalString(el, "workspace", path + ".workspace", errors),
            AllowedHosts = OptionalStringList(el, "allowedHosts", path + ".allowedHosts", errors),
            EgressProxyPort = proxyPort,
            AllowedExecutables = OptionalStringList(el, "allowedExecutables", path + ".allowedExecutables", errors),
        };
    }

    private static List<string>? OptionalStringList(JsonElement obj, string prop, string path, List<FieldError> errors)
    {
        if (!obj.TryGetProperty(prop, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new FieldError(path, $"must be a list of strings, got {Describe(v)}"));
            return null;
        }

        var list = new List<string>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                list.Add(item.GetString()!);
            }
            else
            {
                errors.Add(new FieldError($"{path}[{i}]", $"must be a string, got {Describe(item)}"));
            }

            i++;
        }

        return list;
    }

    internal static LabelSelector? ReadSelector(JsonElement el, string path, List<FieldError> errors)
    {
        if (el.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError(path, $"must be an object, got {Describe(el)}"));
            return null;
        }

        RejectUnknown(el, path, SelectorFields, errors);
        Dictionary<string, string>? matchLabels = null;
        List<LabelSelectorRequirement>? matchExpressions = null;
        if (el.TryGetProperty("matchLabels", out var ml) && ml.ValueKind != JsonValueKind.Null)
        {
            if (ml.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new FieldError(path + ".matchLabels", $"must be an object of strings, got {Describe(ml)}"));
            }
            else
            {
                matchLabels = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var p in ml.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.String)
                    {
                        errors.Add(new FieldError($"{path}.matchLabels.{p.Name}", $"must be a string, got {Describe(p.Value)}"));
                        continue;
                    }

                    matchLabels[p.Name] = p.Value.GetString()!;
                }
            }
        }

        if (el.TryGetProperty("matchExpressions", out var me) && me.ValueKind != JsonValueKind.Null)
        {
            if (me.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new FieldError(path + ".matchExpressions", $"must be a list, got {Describe(me)}"));
            }
            else
            {
                matchExpressions = [];
                var i = 0;
                foreach (var item in me.EnumerateArray())
                {
                    var at = $"{path}.matchExpressions[{i++}]";
                    if (ReadRequirement(item, at, errors) is { } req)
                    {
                        matchExpressions.Add(req);
                    }
                }
            }
        }

        return new LabelSelector { MatchLabels = matchLabels, MatchExpressions = matchExpressions };
    }

    private static LabelSelectorRequirement? ReadRequirement(JsonElement item, string at, List<FieldError> errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError(at, $"must be an object, got {Describe(item)}"));
            return null;
        }

        RejectUnknown(item, at, RequirementFields, errors);
        var key = OptionalString(item, "key", at + ".key", errors);
        var op = OptionalString(item, "operator", at + ".operator", errors);
        if (string.IsNullOrEmpty(key))
        {
            errors.Add(new FieldError(at + ".key", "Required value"));
        }

        if (op is null)
        {
            errors.Add(new FieldError(at + ".operator", $"Required value: one of {string.Join(", ", SelectorOperators)}"));
        }
        else if (Array.IndexOf(SelectorOperators, op) < 0)
        {
            errors.Add(new FieldError(at + ".operator", $"Unsupported value \"{op}\": supported values: {string.Join(", ", SelectorOperators)}"));
        }

        List<string>? values = null;
        if (item.TryGetProperty("values", out var v) && v.ValueKind != JsonValueKind.Null)
        {
            if (v.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new FieldError(at + ".values", $"must be a list of strings, got {Describe(v)}"));
            }
            else
            {
                values = [];
                var j = 0;
                foreach (var s in v.EnumerateArray())
                {
                    if (s.ValueKind != JsonValueKind.String)
                    {
                        errors.Add(new FieldError($"{at}.values[{j}]", $"must be a string, got {Describe(s)}"));
                    }
                    else
                    {
                        values.Add(s.GetString()!);
                    }

                    j++;
                }
            }
        }

        if (op is "In" or "NotIn" && (values is null || values.Count == 0))
        {
            errors.Add(new FieldError(at + ".values", $"must be non-empty when operator is {op}"));
        }
        else if (op is "Exists" or "DoesNotExist" && values is { Count: > 0 })
        {
            errors.Add(new FieldError(at + ".values", $"must be empty when operator is {op}"));
        }

        return new LabelSelectorRequirement { Key = key ?? "", Operator = op ?? "", Values = values };
    }

    internal static TEnum? ParseEnum<TEnum>(JsonElement el, string path, List<FieldError> errors)
        where TEnum : struct, Enum
    {
        var allowed = string.Join(", ", Enum.GetNames<TEnum>());
        if (el.ValueKind != JsonValueKind.String)
        {
            errors.Add(new FieldError(path, $"must be a string, one of {allowed}; got {Describe(el)}"));
            return null;
        }

        var text = el.GetString()!;
        foreach (var name in Enum.GetNames<TEnum>())
        {
            if (string.Equals(name, text, StringComparison.Ordinal))
            {
                return Enum.Parse<TEnum>(name);
            }
        }

        errors.Add(new FieldError(path, $"Unsupported value \"{text}\": supported values: {allowed}"));
        return null;
    }

    internal static string? OptionalString(JsonElement obj, string prop, string path, List<FieldError> errors)
    {
        if (!obj.TryGetProperty(prop, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            errors.Add(new FieldError(path, $"must be a string, got {Describe(v)}"));
            return null;
        }

        return v.GetString();
    }

    private static bool OptionalBool(JsonElement obj, string prop, string parent, List<FieldError> errors)
    {
        if (!obj.TryGetProperty(prop, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetBoolean();
        }

        errors.Add(new FieldError($"{parent}.{prop}", $"must be a boolean (true or false), got {Describe(v)}"));
        return false;
    }

    internal static void RejectUnknown(JsonElement obj, string path, IReadOnlyList<string> known, List<FieldError> errors)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (!known.Contains(p.Name))
            {
                errors.Add(new FieldError($"{path}.{p.Name}", $"unknown field (known fields: {string.Join(", ", known)})"));
            }
        }
    }

    internal static string Describe(JsonElement el) => el.ValueKind switch
    {
        JsonValueKind.String => $"string \"{el.GetString()}\"",
        JsonValueKind.Number => $"number {el.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"boolean {el.GetRawText()}",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
