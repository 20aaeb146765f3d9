using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Webhook.Tests.Tls;

/// <summary>
/// The Kubernetes store against a minimal in-process fake of the few API server paths it uses
/// (Secrets get/create/replace with resourceVersion conflicts, webhook configurations get/replace).
/// </summary>
public sealed class KubernetesCertificateSecretStoreTests : IAsyncLifetime
{
    private const string Ns = "sandbox-system";
    private const string SecretPath = "/api/v1/namespaces/sandbox-system/secrets/webhook-tls";
    private const string MutatingPath = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sandbox-operator";
    private const string ValidatingPath = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/sandbox-operator";

    private readonly ConcurrentDictionary<string, JsonObject> _objects = new();
    private WebApplication _api = null!;
    private int _version;

    private Kubernetes Client { get; set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _api = builder.Build();
        _api.Run(HandleAsync);
        await _api.StartAsync();
        var address = _api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new Kubernetes(new KubernetesClientConfiguration { Host = address });
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _api.StopAsync();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Creates_the_secret_once_shares_it_and_publishes_the_CA_to_every_webhook()
    {
        _objects[MutatingPath] = WebhookConfiguration("MutatingWebhookConfiguration", "mutate.agentsandbox.io", "mutate2.agentsandbox.io");
        _objects[ValidatingPath] = WebhookConfiguration("ValidatingWebhookConfiguration", "validate.agentsandbox.io");
        var store = new KubernetesCertificateSecretStore(Client, Ns, "webhook-tls", "sandbox-operator");
        var names = SelfManagedCertificateSettings.NamesFor("webhook", Ns, local: false);
        var settings = new SelfManagedCertificateSettings(names.Dns, names.Ips, TimeSpan.FromDays(300), TimeSpan.FromDays(30), TimeSpan.FromMinutes(1));
        var a = new ServingCertificate(new TestMeterFactory());
        var b = new ServingCertificate(new TestMeterFactory());

        await new SelfManagedCertificateSource(a, settings, store, NullLogger<SelfManagedCertificateSource>.Instance).SyncOnceAsync(CancellationToken.None);
        await new SelfManagedCertificateSource(b, settings, store, NullLogger<SelfManagedCertificateSource>.Instance).SyncOnceAsync(CancellationToken.None);

        Assert.Equal(a.Current!.Thumbprint, b.Current!.Thumbprint);
        var secret = _objects[SecretPath];
        Assert.Equal("kubernetes.io/tls", (string?)secret["type"]);
        var caPem = Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["ca.crt"]!));
        Assert.Contains("BEGIN CERTIFICATE", caPem, StringComparison.Ordinal);
        foreach (var path in new[] { MutatingPath, ValidatingPath })
        {
            foreach (var webhook in _objects[path]["webhooks"]!.AsArray())
            {
                Assert.Equal(caPem, Encoding.UTF8.GetString(Convert.FromBase64String((string)webhook!["clientConfig"]!["caBundle"]!)));
            }
        }
    }

    [Fact]
    public async Task Replace_with_a_stale_version_reports_the_conflict()
    {
        var store = new KubernetesCertificateSecretStore(Client, Ns, "webhook-tls", "sandbox-operator");
        var bundle = CertificateFactory.NewBundle(["webhook"], [], DateTimeOffset.UtcNow, TimeSpan.FromDays(10), TimeSpan.FromDays(1));
        var created = await store.CreateAsync(bundle, CancellationToken.None);
        var second = await store.CreateAsync(bundle with { CertPem = "other" }, CancellationToken.None);
        Assert.Equal(created.Version, second.Version);
        Assert.Equal(bundle, second.Bundle);

        var replaced = await store.ReplaceAsync(bundle, created.Version, CancellationToken.None);
        Assert.NotNull(replaced);
        Assert.Null(await store.ReplaceAsync(bundle, created.Version, CancellationToken.None));
    }

    [Fact]
    public async Task Publishing_writes_only_when_a_webhook_lacks_the_bundle()
    {
        _objects[MutatingPath] = WebhookConfiguration("MutatingWebhookConfiguration", "mutate.agentsandbox.io");
        _objects[ValidatingPath] = WebhookConfiguration("ValidatingWebhookConfiguration", "validate.agentsandbox.io");
        var store = new KubernetesCertificateSecretStore(Client, Ns, "webhook-tls", "sandbox-operator");

        Assert.True(await store.PublishCaBundleAsync("pem", CancellationToken.None));
        Assert.False(await store.PublishCaBundleAsync("pem", CancellationToken.None));

        _objects[ValidatingPath] = WebhookConfiguration("ValidatingWebhookConfiguration", "validate.agentsandbox.io");
        Assert.True(await store.PublishCaBundleAsync("pem", CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_webhook_configuration_is_a_clear_error()
    {
        var store = new KubernetesCertificateSecretStore(Client, Ns, "webhook-tls", "sandbox-operator");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => store.PublishCaBundleAsync("pem", CancellationToken.None));

        Assert.Contains("webhook configuration sandbox-operator not found", e.Message, StringComparison.Ordinal);
        Assert.Null(await store.ReadAsync(CancellationToken.None));
    }

    private static JsonObject WebhookConfiguration(string kind, params string[] webhooks)
    {
        var list = new JsonArray();
        foreach (var w in webhooks)
        {
            list.Add(new JsonObject
            {
                ["name"] = w,
                ["clientConfig"] = new JsonObject { ["service"] = new JsonObject { ["name"] = "webhook", ["namespace"] = Ns, ["path"] = "/x" } },
                ["admissionReviewVersions"] = new JsonArray("v1"),
                ["sideEffects"] = "None",
            });
        }

        return new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = kind,
            ["metadata"] = new JsonObject { ["name"] = "sandbox-operator", ["resourceVersion"] = "1" },
            ["webhooks"] = list,
        };
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value!;
        JsonObject? body = null;
        if (ctx.Request.ContentLength is > 0 || ctx.Request.Method is "POST" or "PUT")
        {
            body = (JsonObject?)await JsonNode.ParseAsync(ctx.Request.Body);
        }

        switch (ctx.Request.Method)
        {
            case "GET" when _objects.TryGetValue(path, out var found):
                await Write(ctx, 200, found);
                return;
            case "GET":
                await Status(ctx, 404, "NotFound");
                return;
            case "POST" when path == "/api/v1/namespaces/sandbox-system/secrets":
                var name = (string)body!["metadata"]!["name"]!;
                var key = $"{path}/{name}";
                body["metadata"]!["resourceVersion"] = Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!_objects.TryAdd(key, body))
                {
                    await Status(ctx, 409, "AlreadyExists");
                    return;
                }

                await Write(ctx, 201, body);
                return;
            case "PUT" when _objects.TryGetValue(path, out var current):
                if ((string?)body!["metadata"]!["resourceVersion"] != (string?)current["metadata"]!["resourceVersion"])
                {
                    await Status(ctx, 409, "Conflict");
                    return;
                }

                body["metadata"]!["resourceVersion"] = Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);
                _objects[path] = body;
                await Write(ctx, 200, body);
                return;
            default:
                await Status(ctx, 404, "NotFound");
                return;
        }
    }

    private static Task Write(HttpContext ctx, int code, JsonNode body)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static Task Status(HttpContext ctx, int code, string reason) =>
        Write(ctx, code, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["reason"] = reason, ["code"] = code, ["message"] = reason });
}
