using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Writes the admission.k8s.io/v1 AdmissionReview response with a <see cref="Utf8JsonWriter"/>: the
/// request uid, allowed, the base64 JSON patch only when it is non-empty, status for a denial, warnings
/// and the audit annotations <c>tier</c>, <c>runtime</c> and <c>reason</c> when known. The API server
/// records each as <c>&lt;webhook name&gt;/&lt;key&gt;</c> (e.g. <c>validate.agentsandbox.io/tier</c>), so the
/// keys carry no prefix of their own: a key with a second '/' would be dropped from the audit log.
/// </summary>
public static class AdmissionReviewEncoder
{
    public const string TierAnnotation = "tier";
    public const string RuntimeAnnotation = "runtime";
    public const string ReasonAnnotation = "reason";

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    [ThreadStatic]
    private static Utf8JsonWriter? _cached;

    public static void Write(IBufferWriter<byte> output, string uid, AdmissionOutcome outcome)
    {
        // The writer is reused per thread; Write is synchronous, so no other call can interleave.
        var w = _cached ??= new Utf8JsonWriter(Stream.Null, Options);
        w.Reset(output);
        try
        {
            WriteReview(w, uid, outcome);
            w.Flush();
        }
        finally
        {
            w.Reset(Stream.Null);
        }
    }

    private static void WriteReview(Utf8JsonWriter w, string uid, AdmissionOutcome outcome)
    {
        w.WriteStartObject();
        w.WriteString("apiVersion"u8, AdmissionReviewDecoder.ApiVersion);
        w.WriteString("kind"u8, AdmissionReviewDecoder.Kind);
        w.WriteStartObject("response"u8);
        w.WriteString("uid"u8, uid);
        w.WriteBoolean("allowed"u8, outcome.Allowed);
        if (outcome.Patch is { } patch)
        {
            w.WriteString("patchType"u8, "JSONPatch"u8);
            w.WriteBase64String("patch"u8, JsonPatch.SerializeToThreadBuffer(patch).Span);
        }

        if (!outcome.Allowed)
        {
            w.WriteStartObject("status"u8);
            w.WriteString("status"u8, "Failure"u8);
            w.WriteNumber("code"u8, outcome.Code);
            w.WriteString("reason"u8, ReasonFor(outcome.Code));
            w.WriteString("message"u8, outcome.Message ?? "denied");
            w.WriteEndObject();
        }

        if (outcome.Warnings.Count > 0)
        {
            w.WriteStartArray("warnings"u8);
            for (var i = 0; i < outcome.Warnings.Count; i++)
            {
                w.WriteStringValue(outcome.Warnings[i]);
            }

            w.WriteEndArray();
        }

        if (outcome.Decision is { } d && (d.Tier is not null || d.Runtime is not null || d.DecidingReason is not null))
        {
            w.WriteStartObject("auditAnnotations"u8);
            if (d.Tier is { } tier)
            {
                w.WriteString(TierAnnotation, TierNames.LabelValue(tier));
            }

            if (d.Runtime is { } runtime)
            {
                w.WriteString(RuntimeAnnotation, TierNames.LabelValue(runtime));
            }

            if (d.DecidingReason is { } reason)
            {
                w.WriteString(ReasonAnnotation, reason);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        403 => "Forbidden",
        504 => "Timeout",
        _ => "InternalError",
    };
}
