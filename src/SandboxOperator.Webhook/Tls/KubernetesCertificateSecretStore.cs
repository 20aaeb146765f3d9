using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SandboxOperator.Webhook.Tls;

/// <summary>
/// Keeps the self-managed bundle in a <c>kubernetes.io/tls</c> Secret (keys <c>tls.crt</c>, <c>tls.key</c>,
/// <c>ca.crt</c>, <c>ca.key</c>) and writes the CA into every webhook of the Mutating- and
/// ValidatingWebhookConfiguration of the given name. Needs get/create/update on that Secret and
/// get/update on the two configurations, nothing else.
/// </summary>
public sealed class KubernetesCertificateSecretStore(IKubernetes client, string @namespace, string secretName, string webhookConfigurationName) : ICertificateSecretStore
{
    private const int ConflictRetries = 5;

    public async Task<StoredBundle?> ReadAsync(CancellationToken cancellationToken)
    {
        V1Secret secret;
        try
        {
            secret = await client.CoreV1.ReadNamespacedSecretAsync(secretName, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var data = secret.Data ?? new Dictionary<string, byte[]>();
        string? Get(string key) => data.TryGetValue(key, out var v) && v is { Length: > 0 } ? Encoding.UTF8.GetString(v) : null;
        var ca = Get("ca.crt");
        var caKey = Get("ca.key");
        var cert = Get("tls.crt");
        var key = Get("tls.key");
        var version = secret.Metadata?.ResourceVersion ?? "";
        return ca is null || caKey is null || cert is null || key is null
            ? new StoredBundle(new CertificateBundle(ca ?? "", caKey ?? "", cert ?? "", key ?? ""), version)
            : new StoredBundle(new CertificateBundle(ca, caKey, cert, key), version);
    }

    public async Task<StoredBundle> CreateAsync(CertificateBundle bundle, CancellationToken cancellationToken)
    {
        try
        {
            var created = await client.CoreV1.CreateNamespacedSecretAsync(ToSecret(bundle, null), @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new StoredBundle(bundle, created.Metadata?.ResourceVersion ?? "");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return await ReadAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Secret {@namespace}/{secretName} exists but cannot be read");
        }
    }

    public async Task<StoredBundle?> ReplaceAsync(CertificateBundle bundle, string version, CancellationToken cancellationToken)
    {
        try
        {
            var replaced = await client.CoreV1.ReplaceNamespacedSecretAsync(ToSecret(bundle, version), secretName, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new StoredBundle(bundle, replaced.Metadata?.ResourceVersion ?? "");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    public async Task<bool> PublishCaBundleAsync(string caPem, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(caPem);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var written = false;
                var m = await client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(webhookConfigurationName, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (SetCaBundle(m.Webhooks?.Select(w => w.ClientConfig), bytes))
                {
                    await client.AdmissionregistrationV1.ReplaceMutatingWebhookConfigurationAsync(m, webhookConfigurationName, cancellationToken: cancellationToken).ConfigureAwait(false);
                    written = true;
                }

                var v = await client.AdmissionregistrationV1.ReadValidatingWebhookConfigurationAsync(webhookConfigurationName, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (SetCaBundle(v.Webhooks?.Select(w => w.ClientConfig), bytes))
                {
                    await client.AdmissionregistrationV1.ReplaceValidatingWebhookConfigurationAsync(v, webhookConfigurationName, cancellationToken: cancellationToken).ConfigureAwait(false);
                    written = true;
                }

                return written;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < ConflictRetries)
            {
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new InvalidOperationException($"webhook configuration {webhookConfigurationName} not found (Mutating or Validating); the CA bundle is published once it exists", e);
            }
        }
    }

    private static bool SetCaBundle(IEnumerable<Admissionregistrationv1WebhookClientConfig>? configs, byte[] bytes)
    {
        var changed = false;
        foreach (var c in configs ?? [])
        {
            if (c.CaBundle is null || !c.CaBundle.AsSpan().SequenceEqual(bytes))
            {
                c.CaBundle = bytes;
                changed = true;
            }
        }

        return changed;
    }

    private V1Secret ToSecret(CertificateBundle bundle, string? version) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "kubernetes.io/tls",
        Metadata = new V1ObjectMeta
        {
            Name = secretName,
            NamespaceProperty = @namespace,
            ResourceVersion = version,
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "sandbox-operator" },
        },
        Data = new Dictionary<string, byte[]>
        {
            ["ca.crt"] = Encoding.UTF8.GetBytes(bundle.CaPem),
            ["ca.key"] = Encoding.UTF8.GetBytes(bundle.CaKeyPem),
            ["tls.crt"] = Encoding.UTF8.GetBytes(bundle.CertPem),
            ["tls.key"] = Encoding.UTF8.GetBytes(bundle.KeyPem),
        },
    };
}
