using System.Buffers;
using System.Text.Json;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;
using SandboxOperator.Webhook.State;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Decides reviews with the policy core against the current cluster state. <c>/mutate</c> answers only
/// the patch and the mutation warnings and never denies a policy violation (only an object the policy
/// cannot read, with 400); <c>/validate</c> answers the decision. Before the state source has synced it
/// waits for it, up to the review deadline.
/// </summary>
public sealed class PolicyAdmissionHandler(PolicyConfig config, IClusterStateSource source) : IAdmissionHandler
{
    private static readonly JsonWriterOptions PatchWriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _patchBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _patchWriter;
    public ValueTask<AdmissionOutcome> HandleAsync(AdmissionCall call, CancellationToken cancellationToken) =>
        source.Synced ? new ValueTask<AdmissionOutcome>(Decide(call)) : WaitThenDecideAsync(call, cancellationToken);

    private async ValueTask<AdmissionOutcome> WaitThenDecideAsync(AdmissionCall call, CancellationToken cancellationToken)
    {
        await source.WhenSynced.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Decide(call);
    }

    private AdmissionOutcome Decide(AdmissionCall call)
    {
        var decision = AdmissionEvaluator.Evaluate(call.Request, config, source.Current);
        if (call.Webhook == WebhookKind.Validate)
        {
            return new AdmissionOutcome(decision.Allowed, decision.Allowed ? 200 : decision.StatusCode, decision.Message, null, decision.Warnings, decision);
        }

        if (!decision.Allowed && decision.StatusCode == 400)
        {
            return new AdmissionOutcome(false, 400, decision.Message, null, [], decision);
        }

        var patch = decision.Patch.Count > 0 ? SerializePatch(decision.Patch) : null;
        return new AdmissionOutcome(true, 200, null, patch, decision.MutationWarnings, decision);
    }

    /// <summary>
    /// The same bytes as <see cref="JsonPatch.Serialize"/>, written through a per-thread buffer and writer
    /// so only the final array is allocated (the call is synchronous, so nothing interleaves).
    /// </summary>
    internal static byte[] SerializePatch(IReadOnlyList<PatchOperation> ops)
    {
        var buffer = _patchBuffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = _patchWriter ??= new Utf8JsonWriter(buffer, PatchWriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        JsonPatch.Write(writer, ops);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
