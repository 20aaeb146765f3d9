using k8s.Models;

namespace SandboxOperator.Chart.Tests;

/// <summary>webhook.url: the webhooks call a URL instead of the Service, for the operator run outside the cluster.</summary>
[Collection(ChartCollection.Name)]
public sealed class WebhookUrlTests(ChartRenderer chart)
{
    [SkippableFact]
    public void With_a_url_every_webhook_calls_it_on_its_path_instead_of_the_service()
    {
        var m = chart.Render("--set", "replicaCount=0", "--set", "webhook.url=https://host.docker.internal:9443/");

        var mutating = m.One<V1MutatingWebhookConfiguration>().Webhooks.Select(w => w.ClientConfig).ToList();
        var validating = m.One<V1ValidatingWebhookConfiguration>().Webhooks.Select(w => w.ClientConfig).ToList();
        Assert.NotEmpty(mutating);
        Assert.NotEmpty(validating);
        Assert.All(mutating, c => Assert.Equal("https://host.docker.internal:9443/mutate", c.Url));
        Assert.All(validating, c => Assert.Equal("https://host.docker.internal:9443/validate", c.Url));
        // Self-managed TLS: the operator injects the CA wherever it runs, so the chart sets none.
        Assert.All(mutating.Concat(validating), c => Assert.True(c is { Service: null, CaBundle: null }));
        Assert.Equal(0, m.Operator.Spec.Replicas);
        Assert.Empty(m.All<V1PodDisruptionBudget>());
    }

    [SkippableFact]
    public void Without_a_url_every_webhook_calls_the_service()
    {
        var m = chart.Render();

        var configs = m.One<V1MutatingWebhookConfiguration>().Webhooks.Select(w => w.ClientConfig)
            .Concat(m.One<V1ValidatingWebhookConfiguration>().Webhooks.Select(w => w.ClientConfig));
        Assert.All(configs, c =>
        {
            Assert.Null(c.Url);
            Assert.Equal(ChartRenderer.Fullname, c.Service.Name);
        });
    }

    [SkippableFact]
    public void A_url_keeps_the_ca_bundle_of_the_secret_mode()
    {
        var m = chart.Render("--set", "tls.mode=secret", "--set", "tls.secret.name=webhook-tls", "--set", "tls.secret.caBundle=Q0E=",
            "--set", "webhook.url=https://10.0.0.5:9443");

        Assert.All(m.One<V1ValidatingWebhookConfiguration>().Webhooks.Select(w => w.ClientConfig), c =>
        {
            Assert.Equal("https://10.0.0.5:9443/validate", c.Url);
            Assert.Equal("CA"u8.ToArray(), c.CaBundle);
        });
    }

    [SkippableTheory]
    [InlineData("http://127.0.0.1:9443")]
    [InlineData("https://127.0.0.1:9443/?debug=1")]
    [InlineData("https://user@127.0.0.1:9443")]
    [InlineData("127.0.0.1:9443")]
    public void The_schema_refuses_what_the_api_server_would_refuse(string url)
    {
        var error = chart.RenderError("--set", $"webhook.url={url}");

        Assert.Contains("webhook.url", error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void No_replicas_and_no_url_would_leave_the_webhooks_without_a_server()
    {
        var error = chart.RenderError("--set", "replicaCount=0");

        Assert.Contains("replicaCount 0 leaves the webhooks without a server: set webhook.url", error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_notes_show_how_to_run_the_operator_for_the_url()
    {
        var notes = chart.RenderNotes("--set", "replicaCount=0", "--set", "webhook.url=https://host.docker.internal:9443");

        Assert.Contains("The webhooks call https://host.docker.internal:9443 (not the Service)", notes, StringComparison.Ordinal);
        Assert.Contains("--tls-hosts host.docker.internal", notes, StringComparison.Ordinal);
        Assert.Contains("--tls-secret-name sandbox-operator-tls --webhook-configuration-name sandbox-operator", notes, StringComparison.Ordinal);
        Assert.DoesNotContain("rollout status", notes, StringComparison.Ordinal);
    }
}
