using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi.Admission;

/// <summary>
/// Calls a real webhook server the way the API server does: POSTs the AdmissionReview as JSON to
/// <paramref name="url"/> and reads the AdmissionReview answer. Pass <see cref="ReviewAsync"/> as the
/// <see cref="AdmissionReviewHandler"/>.
/// </summary>
/// <remarks>
/// The caller supplies the <see cref="HttpMessageHandler"/> and with it the TLS trust (e.g. a
/// <c>SocketsHttpHandler</c> whose <c>SslOptions.RemoteCertificateValidationCallback</c> checks the test CA) and
/// any client certificate; the handler is not disposed by this class. Non-2xx answers count as failed calls.
/// </remarks>
public sealed class HttpsAdmissionWebhookClient(Uri url, HttpMessageHandler handler) : IDisposable
{
    private readonly HttpClient _http = new(handler, disposeHandler: false);

    /// <summary>Sends one review and returns the webhook's AdmissionReview.</summary>
    public async Task<JsonObject> ReviewAsync(JsonObject review, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(url, review, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken)
            ?? throw new InvalidOperationException("the webhook answered an empty body");
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
