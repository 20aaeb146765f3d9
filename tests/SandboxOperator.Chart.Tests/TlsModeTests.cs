using System.Text;
using k8s.Models;

namespace SandboxOperator.Chart.Tests;

[Collection(ChartCollection.Name)]
public sealed class TlsModeTests(ChartRenderer chart)
{
    private const string CaPem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

    private static IEnumerable<Admissionregistrationv1WebhookClientConfig> ClientConfigs(Manifests m) =>
        m.One<V1MutatingWebhookConfiguration>().Webhooks.Select(w => w.ClientConfig)
            .Concat(m.One<V1ValidatingWebhookConfiguration>().Webhooks.Select(w => w.ClientConfig));

    [SkippableFact]
    public void Client_certificate_verification_is_off_by_default_and_mounts_the_named_ca_when_set()
    {
        var off = chart.Render();
        Assert.Null(off.Arg("--client-ca-file"));
        Assert.DoesNotContain(off.Operator.Spec.Template.Spec.Volumes, v => v.Name == "client-ca");

        var on = chart.Render("--set", "webhook.clientCA.configMapName=apiserver-client-ca");
        Assert.Equal("/etc/sandbox-operator/client-ca/ca.crt", on.Arg("--client-ca-file"));
        var volume = Assert.Single(on.Operator.Spec.Template.Spec.Volumes, v => v.Name == "client-ca");
        Assert.Equal("apiserver-client-ca", volume.ConfigMap.Name);
        Assert.Equal("ca.crt", Assert.Single(volume.ConfigMap.Items).Key);
        var mount = Assert.Single(on.Operator.Spec.Template.Spec.Containers[0].VolumeMounts, m => m.Name == "client-ca");
        Assert.Equal("/etc/sandbox-operator/client-ca", mount.MountPath);
        Assert.True(mount.ReadOnlyProperty);
    }

    [SkippableFact]
    public void Self_managed_mode_lets_the_operator_issue_and_inject_its_certificate()
    {
        var m = chart.Render();
        Assert.Equal(ChartRenderer.Fullname + "-tls", m.Arg("--tls-secret-name"));
        Assert.Equal(m.Named<V1Service>(ChartRenderer.Fullname).Metadata.Name, m.Arg("--service-name"));
        Assert.Equal(ChartRenderer.Fullname, m.Arg("--webhook-configuration-name"));
        Assert.Null(m.Arg("--tls-cert-file"));
        Assert.Null(m.Arg("--tls-key-file"));
        Assert.All(ClientConfigs(m), c => Assert.Null(c.CaBundle));
        Assert.DoesNotContain(m.Operator.Spec.Template.Spec.Volumes, v => v.Secret is not null);
        Assert.Empty(m.Loose);
        Assert.Null(m.One<V1MutatingWebhookConfiguration>().Metadata.Annotations);
    }

    [SkippableFact]
    public void Cert_manager_mode_issues_a_certificate_for_the_service_and_injects_its_ca()
    {
        var m = chart.Render("--set", "tls.mode=certManager");
        var issuer = Assert.Single(m.LooseOfKind("Issuer"));
        Assert.NotNull(issuer.Find("spec.selfSigned"));
        var cert = Assert.Single(m.LooseOfKind("Certificate"));
        Assert.Equal(ChartRenderer.ReleaseNamespace, cert.Get<string>("metadata.namespace"));
        Assert.Equal(issuer.Name, cert.Get<string>("spec.issuerRef.name"));
        Assert.Equal("Issuer", cert.Get<string>("spec.issuerRef.kind"));
        const string svc = ChartRenderer.Fullname;
        const string ns = ChartRenderer.ReleaseNamespace;
        Assert.Equal([svc, $"{svc}.{ns}", $"{svc}.{ns}.svc", $"{svc}.{ns}.svc.cluster.local"], cert.Strings("spec.dnsNames"));

        var secretName = cert.Get<string>("spec.secretName");
        var volume = Assert.Single(m.Operator.Spec.Template.Spec.Volumes, v => v.Secret is not null);
        Assert.Equal(secretName, volume.Secret.SecretName);
        var mount = Assert.Single(m.OperatorContainer.VolumeMounts, v => v.Name == volume.Name);
        Assert.Equal(mount.MountPath + "/tls.crt", m.Arg("--tls-cert-file"));
        Assert.Equal(mount.MountPath + "/tls.key", m.Arg("--tls-key-file"));
        Assert.Null(m.Arg("--tls-secret-name"));
        Assert.Null(m.Arg("--webhook-configuration-name"));

        foreach (var meta in new[] { m.One<V1MutatingWebhookConfiguration>().Metadata, m.One<V1ValidatingWebhookConfiguration>().Metadata })
        {
            Assert.Equal($"{ns}/{cert.Name}", meta.Annotations["cert-manager.io/inject-ca-from"]);
        }

        Assert.All(ClientConfigs(m), c => Assert.Null(c.CaBundle));
    }

    [SkippableFact]
    public void Cert_manager_mode_with_an_existing_issuer_creates_none()
    {
        var m = chart.Render("--set", "tls.mode=certManager", "--set", "tls.certManager.issuerRef.name=corp-ca", "--set", "tls.certManager.issuerRef.kind=ClusterIssuer");
        Assert.Empty(m.LooseOfKind("Issuer"));
        var cert = Assert.Single(m.LooseOfKind("Certificate"));
        Assert.Equal("corp-ca", cert.Get<string>("spec.issuerRef.name"));
        Assert.Equal("ClusterIssuer", cert.Get<string>("spec.issuerRef.kind"));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Secret_mode_mounts_the_users_secret_and_sets_its_ca_bundle(bool alreadyBase64)
    {
        var ca = alreadyBase64 ? Convert.ToBase64String(Encoding.UTF8.GetBytes(CaPem)) : CaPem;
        var values = chart.ValuesFile($"tls:\n  mode: secret\n  secret:\n    name: corp-webhook-tls\n    caBundle: |\n{string.Join('\n', ca.TrimEnd('\n').Split('\n').Select(l => "      " + l))}\n");
        var m = chart.Render("-f", values);
        Assert.All(ClientConfigs(m), c => Assert.Equal(CaPem, Encoding.UTF8.GetString(c.CaBundle)));
        Assert.Equal("corp-webhook-tls", Assert.Single(m.Operator.Spec.Template.Spec.Volumes, v => v.Secret is not null).Secret.SecretName);
        Assert.EndsWith("/tls.crt", m.Arg("--tls-cert-file"), StringComparison.Ordinal);
        Assert.Null(m.Arg("--tls-secret-name"));
        Assert.Empty(m.Loose);
    }

    [SkippableFact]
    public void Secret_mode_without_secret_or_ca_bundle_fails_to_render()
    {
        Assert.Contains("tls.secret.name is required", chart.RenderError("--set", "tls.mode=secret", "--set", "tls.secret.caBundle=Q0E="), StringComparison.Ordinal);
        Assert.Contains("tls.secret.caBundle is required", chart.RenderError("--set", "tls.mode=secret", "--set", "tls.secret.name=x"), StringComparison.Ordinal);
    }
}
