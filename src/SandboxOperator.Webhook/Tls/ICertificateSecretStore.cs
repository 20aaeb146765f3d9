namespace SandboxOperator.Webhook.Tls;

/// <summary>A bundle as stored, with the version to replace it conditionally (a Secret's resourceVersion).</summary>
public sealed record StoredBundle(CertificateBundle Bundle, string Version);

/// <summary>
/// Where self-managed certificates are shared between replicas and published to the API server: in a
/// cluster, the Secret <c>--tls-secret-name</c> and the caBundle of the webhook configurations.
/// </summary>
public interface ICertificateSecretStore
{
    /// <summary>The stored bundle, or null when there is none yet (or it is unreadable).</summary>
    Task<StoredBundle?> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="bundle"/> when none exists; when another replica stored one first, returns that one instead.</summary>
    Task<StoredBundle> CreateAsync(CertificateBundle bundle, CancellationToken cancellationToken);

    /// <summary>Replaces the bundle if it is still at <paramref name="version"/>; returns null when it changed meanwhile.</summary>
    Task<StoredBundle?> ReplaceAsync(CertificateBundle bundle, string version, CancellationToken cancellationToken);

    /// <summary>Sets the caBundle of every webhook in the mutating and validating webhook configurations; true when one had to be written.</summary>
    Task<bool> PublishCaBundleAsync(string caPem, CancellationToken cancellationToken);
}
