using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SandboxOperator.Policy.Api;

/// <summary>
/// Reads a SandboxException manifest (as JSON) and checks it against the schema the CRD enforces, plus what the CRD
/// cannot say: <c>pool</c> goes with <c>TolerateExtraPool</c> only. Every problem is reported with its field path.
/// </summary>
/// <remarks>
/// How far ahead <c>expiresAt</c> may be depends on the time of the request, so it is not checked here but by
/// <see cref="Decisions.ExceptionGuard"/> (at admission) and <see cref="Decisions.ExceptionGrants"/> (when applied).
/// </remarks>
public static partial class SandboxExceptionReader
{
    /// <summary>The fields of <c>spec</c>.</summary>
    public static IReadOnlyList<string> SpecFields { get; } = ["selector", "grant", "pool", "reason", "owner", "expiresAt"];

    /// <summary>Reads <paramref name="obj"/>; the namespace defaults to <paramref name="defaultNamespace"/>.</summary>
    /// <param name="rejectUnknownSpecFields">False at admission, where the API server has already pruned unknown fields.</param>
    public static (SandboxException? Exception, IReadOnlyList<FieldError> Errors) Read(JsonElement obj, string defaultNamespace = "default", bool rejectUnknownSpecFields = true)
    {
        var errors = new List<FieldError>();
        if (obj.ValueKind != JsonValueKind.Object)
        {
            return (null, [new FieldError("(root)", "must be an object")]);
        }

        string? name = null;
        var ns = defaultNamespace;
        if (obj.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
        {
            name = AgentWorkloadReader.OptionalString(meta, "name", "metadata.name", errors);
            ns = AgentWorkloadReader.OptionalString(meta, "namespace", "metadata.namespace", errors) ?? defaultNamespace;
        }

        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new FieldError("metadata.name", "Required value"));
        }

        SandboxExceptionSpec? spec = null;
        if (!obj.TryGetProperty("spec", out var specEl) || specEl.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError("spec", "Required value"));
        }
        else if (specEl.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("spec", $"must be an object, got {AgentWorkloadReader.Describe(specEl)}"));
        }
        else
        {
            spec = ReadSpec(specEl, rejectUnknownSpecFields, errors);
        }

        return errors.Count == 0 ? (new SandboxException(ns, name!, spec!), errors) : (null, errors);
    }

    private static SandboxExceptionSpec ReadSpec(JsonElement spec, bool rejectUnknown, List<FieldError> errors)
    {
        if (rejectUnknown)
        {
            AgentWorkloadReader.RejectUnknown(spec, "spec", SpecFields, errors);
        }

        LabelSelector? selector = null;
        if (!spec.TryGetProperty("selector", out var sel) || sel.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError("spec.selector", "Required value: the pods the exception covers"));
        }
        else
        {
            selector = AgentWorkloadReader.ReadSelector(sel, "spec.selector", errors);
        }

        ExceptionGrant? grant = null;
        if (!spec.TryGetProperty("grant", out var g) || g.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError("spec.grant", $"Required value: one of {string.Join(", ", Enum.GetNames<ExceptionGrant>())}"));
        }
        else
        {
            grant = AgentWorkloadReader.ParseEnum<ExceptionGrant>(g, "spec.grant", errors);
        }

        var pool = AgentWorkloadReader.OptionalString(spec, "pool", "spec.pool", errors);
        if (pool is not null && pool is not ("Kata" or "GVisor"))
        {
            errors.Add(new FieldError("spec.pool", $"Unsupported value \"{pool}\": supported values: Kata, GVisor"));
        }
        else if (grant == ExceptionGrant.TolerateExtraPool && pool is null)
        {
            errors.Add(new FieldError("spec.pool", "Required value with grant TolerateExtraPool: Kata or GVisor"));
        }
        else if (grant == ExceptionGrant.RunInGVisor && pool is not null)
        {
            errors.Add(new FieldError("spec.pool", "must be empty with grant RunInGVisor: an exception grants one weakening"));
        }

        var reason = RequiredText(spec, "reason", "why the weakening is needed", errors);
        var owner = RequiredText(spec, "owner", "who answers for the exception", errors);
        DateTimeOffset expiresAt = default;
        var expires = AgentWorkloadReader.OptionalString(spec, "expiresAt", "spec.expiresAt", errors);
        if (expires is null)
        {
            if (!spec.TryGetProperty("expiresAt", out var e) || e.ValueKind == JsonValueKind.Null)
            {
                errors.Add(new FieldError("spec.expiresAt", "Required value: an RFC 3339 time at most 90 days ahead, e.g. 2026-03-01T00:00:00Z"));
            }
        }
        else if (!TryParseTime(expires, out expiresAt))
        {
            errors.Add(new FieldError("spec.expiresAt", $"\"{expires}\" is not an RFC 3339 time with a zone, e.g. 2026-03-01T00:00:00Z"));
        }

        return new SandboxExceptionSpec
        {
            Selector = selector ?? new LabelSelector(),
            Grant = grant ?? default,
            Pool = pool,
            Reason = reason ?? "",
            Owner = owner ?? "",
            ExpiresAt = expiresAt,
        };
    }

    /// <summary>Parses an RFC 3339 date-time with seconds and a zone (<c>Z</c> or <c>±hh:mm</c>), as the CRD's <c>date-time</c> format has it.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time)
    {
        time = default;
        return Rfc3339().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    private static string? RequiredText(JsonElement spec, string field, string what, List<FieldError> errors)
    {
        var text = AgentWorkloadReader.OptionalString(spec, field, "spec." + field, errors);
        if (text is null && !(spec.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null))
        {
            errors.Add(new FieldError("spec." + field, $"Required value: {what}"));
        }
        else if (text is not null && string.IsNullOrWhiteSpace(text))
        {
            errors.Add(new FieldError("spec." + field, $"must not be empty: {what}"));
        }

        return text;
    }
}
