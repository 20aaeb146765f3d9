using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SandboxOperator;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Policy.Api;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Settings;
using SandboxOperator.Webhook.StateSources;

// Usage: dotnet run -c Release --project bench/LiveReadCost -- [reviews (default 3000)] [workloads in the namespace (default 3)]
// Sends the same /mutate pod review, one at a time over one HTTP/2 connection, to the host composed as in a cluster
// against the in-process API server (loopback HTTP), first without the live reads (decided from the caches only), then
// with them (one consistent LIST of the namespace's AgentWorkloads per review). Prints latency percentiles of both and
// the LISTs the API server served.
var reviews = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3000;
var workloads = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;

var type = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.Kind, WellKnown.Plural);
await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { AdditionalResources = [type, ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.ExceptionKind, WellKnown.ExceptionPlural)] });
using var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tools" } });
for (var i = 0; i < workloads; i++)
{
    await client.CustomObjects.CreateNamespacedCustomObjectAsync(
        new JsonObject
        {
            ["apiVersion"] = WellKnown.ApiVersion,
            ["kind"] = WellKnown.Kind,
            ["metadata"] = new JsonObject { ["name"] = $"w{i}", ["namespace"] = "tools" },
            ["spec"] = new JsonObject { ["type"] = "ExecTool", ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = $"w{i}" } } },
        },
        WellKnown.Group, WellKnown.Version, "tools", WellKnown.Plural);
}

var review = """
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},
"operation":"CREATE","namespace":"tools","name":"p","userInfo":{"username":"alice"},
"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"tools","labels":{"app":"w0"}},
"spec":{"runtimeClassName":"kata","containers":[{"name":"c","image":"example/c:1"}]}}}}
""";

foreach (var live in new[] { false, true })
{
    var options = new OperatorOptions { BindAddress = IPAddress.Loopback, WebhookPort = 0, HealthPort = 0, MetricsPort = 0, ShutdownDelay = TimeSpan.Zero, LogLevel = Serilog.Events.LogEventLevel.Warning };
    var builder = OperatorHost.CreateBuilder(options);
    builder.Services.AddSingleton<IKubernetes>(client);
    builder.Services.AddClusterState(options, new SandboxControllerOptions { LeaderElection = null, CompactAfterInitialSync = false });
    if (!live)
    {
        builder.Services.RemoveAll<ILiveClusterReader>();
    }

    await using var app = OperatorHost.Build(builder);
    await app.StartAsync();
    await app.Services.GetRequiredService<IClusterStateSource>().WhenSynced;
    var port = app.Services.GetRequiredService<OperatorEndpoints>().WebhookPort;
    using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } })
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
    var url = new Uri($"https://127.0.0.1:{port}/mutate");
    for (var i = 0; i < 300; i++)
    {
        await PostAsync(http, url, review);
    }

    server.Requests.Reset();
    var times = new double[reviews];
    for (var i = 0; i < reviews; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await PostAsync(http, url, review);
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    Array.Sort(times);
    Console.WriteLine($"{(live ? "with the consistent read" : "caches only            ")}: {reviews} reviews, p50 {times[reviews / 2]:F3} ms, p90 {times[reviews * 9 / 10]:F3} ms, p99 {times[reviews * 99 / 100]:F3} ms, mean {times.Average():F3} ms; agentworkloads LISTs served: {server.Requests.Count(ApiVerb.List, "agentworkloads")}");
    await app.StopAsync();
}

return 0;

static async Task PostAsync(HttpClient http, Uri url, string body)
{
    using var content = new StringContent(body, Encoding.UTF8, "application/json");
    using var response = await http.PostAsync(url, content);
    var text = await response.Content.ReadAsStringAsync();
    if (response.StatusCode != HttpStatusCode.OK || !text.Contains("\"allowed\":true", StringComparison.Ordinal))
    {
        throw new InvalidOperationException($"unexpected answer {(int)response.StatusCode}: {text}");
    }
}
