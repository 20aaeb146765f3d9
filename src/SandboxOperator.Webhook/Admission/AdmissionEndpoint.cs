using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// The HTTP shell of <c>POST /mutate</c> and <c>POST /validate</c>: reads the body into a pooled buffer
/// (capped), decodes the AdmissionReview, calls the handler under a deadline and writes the response.
/// </summary>
/// <remarks>
/// Guarantees: input it cannot decode gets HTTP 400 with <c>{"error": "..."}</c> (invalid JSON or UTF-8,
/// nesting over <see cref="MaxJsonDepth"/>; unpaired surrogate escapes or duplicate keys in the parts
/// of the review that are read, see <see cref="AdmissionReviewDecoder.ReadFields"/>; those parts over
/// <see cref="MaxKeptBytes"/>; 413 over the cap, 408
/// when the body does not arrive before the deadline), never a 5xx. A decoded review always gets an
/// AdmissionReview back: a handler that misses the deadline is answered <c>allowed:false</c> with status
/// code 504, an exception with code 500, so the outcome never depends on the failurePolicy.
/// Memory per review is bounded: the body (at most <see cref="MaxBodyBytes"/>), the kept part (at most
/// <see cref="MaxKeptBytes"/>) and its parse; the policy reads a bounded number of entries
/// (<see cref="Policy.Pods.PodSpecReader.MaxEntries"/>), so the work and the patch do not grow with the input.
/// Caveat: the deadline is cooperative; the policy evaluation itself is bounded by those limits rather than
/// interrupted.
/// </remarks>
public sealed class AdmissionEndpoint(IAdmissionHandler handler, AdmissionMetrics metrics, ILogger<AdmissionEndpoint> logger, TimeSpan reviewTimeout)
{
    /// <summary>
    /// The body cap: 7 MiB, as controller-runtime. etcd stores objects up to 1.5 MiB and a review carries
    /// the object and, on UPDATE, the old object, JSON-escaped and wrapped, so 3 MiB is the least that
    /// never rejects a legitimate review; 7 MiB leaves room and still bounds memory per request.
    /// </summary>
    public const int MaxBodyBytes = 7 * 1024 * 1024;

    /// <summary>JSON nesting limit; Kubernetes objects are far shallower.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>
    /// The most the fields the decoder and the policy read (<see cref="AdmissionReviewDecoder.ReadFields"/>) may
    /// take in one review: 2 MiB. It bounds what is parsed per review, whatever the body holds. A legitimate
    /// review keeps a few kilobytes; the largest keep all of both objects' annotations, which the API server
    /// limits to 256 KiB each.
    /// </summary>
    public const int MaxKeptBytes = 2 * 1024 * 1024;

    private static readonly JsonWriterOptions ErrorWriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public TimeSpan ReviewTimeout => reviewTimeout;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        WebhookKind webhook;
        var path = request.Path.Value;
        if (path == "/mutate")
        {
            webhook = WebhookKind.Mutate;
        }
        else if (path == "/validate")
        {
            webhook = WebhookKind.Validate;
        }
        else
        {
            await ErrorAsync(context, 404, $"no such endpoint {path}: use POST /mutate or POST /validate").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.Headers.Allow = "POST";
            await ErrorAsync(context, 405, $"method {request.Method} is not allowed: use POST").ConfigureAwait(false);
            return;
        }

        if (!IsJson(request.ContentType))
        {
            metrics.RecordUndecodable(webhook);
            var got = string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : $"Content-Type \"{request.ContentType}\"";
            await ErrorAsync(context, 400, $"{got}: the body must be application/json").ConfigureAwait(false);
            return;
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            metrics.RecordUndecodable(webhook);
            await ErrorAsync(context, 413, $"the body is {request.ContentLength} bytes, over the limit of {MaxBodyBytes} bytes").ConfigureAwait(false);
            return;
        }

        // The deadline's timer is armed only when something actually waits (a body still arriving, a
        // handler that goes async): the common review is read and decided synchronously.
        using var deadline = new CancellationTokenSource();
        var started = Stopwatch.GetTimestamp();
        byte[]? buffer = null;
        byte[]? pruned = null;
        try
        {
            int length;
            try
            {
                (buffer, length) = await ReadBodyAsync(request.BodyReader, request.ContentLength, deadline, reviewTimeout).ConfigureAwait(false);
            }
            catch (BodyTooLargeException)
            {
                metrics.RecordUndecodable(webhook);
                await ErrorAsync(context, 413, $"the body is over the limit of {MaxBodyBytes} bytes").ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
            {
                metrics.RecordUndecodable(webhook);
                await ErrorAsync(context, 408, $"the body did not arrive within {reviewTimeout.TotalSeconds:0.###} s").ConfigureAwait(false);
                return;
            }
            catch (BadHttpRequestException e)
            {
                metrics.RecordUndecodable(webhook);
                await ErrorAsync(context, e.StatusCode == 413 ? 413 : 400, $"cannot read the body: {e.Message}").ConfigureAwait(false);
                return;
            }

            if (JsonText.Utf8Error(buffer.AsSpan(0, length)) is { } utf8Error)
            {
                metrics.RecordUndecodable(webhook);
                await ErrorAsync(context, 400, utf8Error).ConfigureAwait(false);
                return;
            }

            // One pass checks the whole body and keeps only what the decoder and the policy read: the
            // document parsed is a fraction of the review (no managedFields, env, probes, status...), and its
            // size is bounded by the buffer, whatever the body holds.
            pruned = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(length, 1), MaxKeptBytes));
            var refused = JsonPruner.Parse(buffer.AsSpan(0, length), AdmissionReviewDecoder.ReadFields, pruned.AsMemory(0, Math.Min(pruned.Length, MaxKeptBytes)), MaxJsonDepth, out var parsed);
            if (refused is not null)
            {
                metrics.RecordUndecodable(webhook);
                var message = refused.Kind switch
                {
                    JsonPruneErrorKind.Syntax when length == 0 => "the body is empty: send an AdmissionReview",
                    JsonPruneErrorKind.Syntax => $"the body is not valid JSON: {refused.Message}",
                    JsonPruneErrorKind.DuplicateKey => $"the body is refused: {refused.Message}. Duplicate keys are ambiguous (the API server keeps the last value), so they are not accepted.",
                    JsonPruneErrorKind.TooLarge => $"the body is refused: {refused.Message}; no Kubernetes object needs that much in the fields the policy reads",
                    _ => $"the body is refused: {refused.Message}",
                };
                await ErrorAsync(context, 400, message).ConfigureAwait(false);
                return;
            }

            using (var document = parsed!)
            {
                if (!AdmissionReviewDecoder.TryDecode(document.RootElement, webhook, out var call, out var error))
                {
                    metrics.RecordUndecodable(webhook);
                    await ErrorAsync(context, 400, error!).ConfigureAwait(false);
                    return;
                }

                var outcome = await DecideAsync(call!, deadline, started).ConfigureAwait(false);
                var response = context.Response;
                response.StatusCode = 200;
                response.ContentType = "application/json";
                AdmissionReviewEncoder.Write(response.BodyWriter, call!.Uid, outcome);
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (pruned is not null)
            {
                ArrayPool<byte>.Shared.Return(pruned);
            }
        }
    }

    private async ValueTask<AdmissionOutcome> DecideAsync(AdmissionCall call, CancellationTokenSource deadline, long started)
    {
        try
        {
            var pending = handler.HandleAsync(call, deadline.Token);
            if (pending.IsCompletedSuccessfully)
            {
                return pending.Result;
            }

            var remaining = reviewTimeout - Stopwatch.GetElapsedTime(started);
            if (remaining > TimeSpan.Zero)
            {
                deadline.CancelAfter(remaining);
            }
            else
            {
                await deadline.CancelAsync().ConfigureAwait(false);
            }

            return await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            logger.LogError("admission review {Uid} for {Kind} {Namespace}/{Name} was not decided within {Timeout} s",
                LogText.Cap(call.Uid), LogText.Cap(call.Request.Kind), LogText.Cap(call.Request.Namespace), LogText.Cap(call.DisplayName), reviewTimeout.TotalSeconds);
            return AdmissionOutcome.Failure(504, $"the sandbox policy could not decide within {reviewTimeout.TotalSeconds:0.###} s (cluster state not synced yet?); retry shortly");
        }
        catch (Exception e)
        {
            // The exception's message and stack come from code, not from the review; the review's strings are capped.
            logger.LogError(e, "admission review {Uid} for {Kind} {Namespace}/{Name} failed",
                LogText.Cap(call.Uid), LogText.Cap(call.Request.Kind), LogText.Cap(call.Request.Namespace), LogText.Cap(call.DisplayName));
            return AdmissionOutcome.Failure(500, $"internal error in the sandbox policy webhook ({e.GetType().Name}); see the operator log for review {LogText.Cap(call.Uid)}");
        }
    }

    private static async ValueTask<(byte[] Buffer, int Length)> ReadBodyAsync(PipeReader reader, long? contentLength, CancellationTokenSource deadline, TimeSpan timeout)
    {
        var armed = false;
        var buffer = ArrayPool<byte>.Shared.Rent(contentLength is > 0 and var n ? (int)n : 16 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (!reader.TryRead(out var result))
                {
                    if (!armed)
                    {
                        deadline.CancelAfter(timeout);
                        armed = true;
                    }

                    result = await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
                }

                var data = result.Buffer;
                if (length + data.Length > MaxBodyBytes)
                {
                    reader.AdvanceTo(data.End);
                    throw new BodyTooLargeException();
                }

                if (length + data.Length > buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(MaxBodyBytes, Math.Max(buffer.Length * 2L, length + data.Length)));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                data.CopyTo(buffer.AsSpan(length));
                length += (int)data.Length;
                reader.AdvanceTo(data.End);
                if (result.IsCompleted)
                {
                    return (buffer, length);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    internal static bool IsJson(string? contentType)
    {
        const string json = "application/json";
        if (contentType is null || !contentType.StartsWith(json, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == json.Length || contentType[json.Length] is ';' or ' ';
    }

    /// <summary>Writes <c>{"error": message}</c> with <paramref name="status"/>.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        using (var w = new Utf8JsonWriter(response.BodyWriter, ErrorWriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("error"u8, message);
            w.WriteEndObject();
        }

        return Task.CompletedTask;
    }

    private sealed class BodyTooLargeException : Exception;
}
