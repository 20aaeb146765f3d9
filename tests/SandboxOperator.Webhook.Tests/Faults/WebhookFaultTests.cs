using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Webhook.Tests.Support;
using SandboxOperator.Webhook.Tls;
using SandboxOperator.Testing;

namespace SandboxOperator.Webhook.Tests.Faults;

/// <summary>What the API server sees while the webhook's certificate is rotated or its process is stopped under load.</summary>
public sealed class WebhookFaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> ResearchAgent = new() { ["app"] = "research-agent" };
    private static readonly Dictionary<string, string> Mcp = new() { ["agentsandbox.io/workload-type"] = "mcp-server" };

    [Fact]
    public async Task Replacing_the_certificate_files_five_times_under_concurrent_load_fails_no_request()
    {
        using var certs = new TestCertificates();
        var first = certs.WriteServing();
        await using var host = await RunningHost.StartAsync(
            RunningHost.DefaultOptions with { TlsCertFile = certs.CertFile, TlsKeyFile = certs.KeyFile, TlsCheckInterval = TimeSpan.FromSeconds(1) },
            trustedCa: certs.Trusted);
        var serving = host.App.Services.GetRequiredService<ServingCertificate>();
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents", ResearchAgent)).ToJsonString();

        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var successes = 0;
        var seenOnNewConnections = new HashSet<string>();

        // Eight workers: two open a new connection (new TLS handshake) for every request, two keep one HTTP/2
        // connection, four keep HTTP/1.1 connections.
        async Task WorkerAsync(int w)
        {
            var fresh = w < 2;
            var keepAlive = host.Client(w < 4 ? HttpVersion.Version20 : HttpVersion.Version11);
            while (!stop.IsCancellationRequested)
            {
                HttpClient? own = null;
                try
                {
                    own = fresh ? RunningHost.CreateClient(certs.Trusted, onServerCertificate: c => { lock (seenOnNewConnections) { seenOnNewConnections.Add(c.SerialNumber); } }) : null;
                    using var response = await (own ?? keepAlive).PostAsync(host.WebhookUri("/mutate"), RunningHost.Json(review));
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK || ReviewResponse.Parse(body).PatchType != "JSONPatch")
                    {
                        lock (failures)
                        {
                            failures.Add($"worker {w}: HTTP {(int)response.StatusCode} {body}");
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref successes);
                    }
                }
                catch (HttpRequestException e)
                {
                    lock (failures)
                    {
                        failures.Add($"worker {w}: {e.Message} {e.InnerException?.Message}");
                    }
                }
                finally
                {
                    own?.Dispose();
                }
            }
        }

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(() => WorkerAsync(w))).ToList();
        var served = new List<string> { first.SerialNumber };
        await Eventually.HoldsAsync(() => Volatile.Read(ref successes) >= 50, "50 reviews before the first rotation");
        for (var rotation = 0; rotation < 5; rotation++)
        {
            var changed = new TaskCompletionSource<X509Certificate2>(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnChanged(X509Certificate2 c) => changed.TrySetResult(c);
            serving.Changed += OnChanged;
            var next = certs.WriteServing(); // key first, then certificate: a reader can see a mismatched pair
            var now = await changed.Task.WaitAsync(TimeSpan.FromSeconds(15));
            serving.Changed -= OnChanged;
            Assert.Equal(next.SerialNumber, now.SerialNumber);
            served.Add(next.SerialNumber);
            await Eventually.HoldsAsync(() => { lock (seenOnNewConnections) { return seenOnNewConnections.Contains(next.SerialNumber); } }, $"a new connection served certificate {rotation + 2}");
            var before = Volatile.Read(ref successes);
            await Eventually.HoldsAsync(() => Volatile.Read(ref successes) >= before + 30, "30 reviews after the rotation");
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);

        output.WriteLine($"{successes} reviews answered, {failures.Count} failed, while {served.Count - 1} replacements were served");
        Assert.True(failures.Count == 0, $"{failures.Count} failed requests of {successes + failures.Count}:\n{string.Join('\n', failures.Take(10))}");
        Assert.Equal(6, served.Distinct().Count());
        Assert.True(successes >= 200, $"only {successes} reviews");
    }

    [Fact]
    public async Task Sigterm_lets_every_in_flight_review_complete_and_the_process_exits_0()
    {
        using var certs = new TestCertificates();
        certs.WriteServing();
        await using var op = await OperatorProcess.StartWithStateDirAsync(
            RunningHost.SamplesDir,
            // The bodies are held open across SIGTERM on purpose: a generous review deadline keeps a loaded machine's
            // slow start of 24 handlers from turning into 408s, which this test is not about.
            ["--tls-cert-file", certs.CertFile, "--tls-key-file", certs.KeyFile, "--shutdown-delay", "0", "--shutdown-timeout", "10s", "--review-timeout", "30s"]);
        using var h2 = ClientWaitingForContinue(certs.Trusted, HttpVersion.Version20);
        using var h1 = ClientWaitingForContinue(certs.Trusted, HttpVersion.Version11);

        // 24 reviews whose bodies arrive in two halves: the second half only after SIGTERM, once the
        // listener no longer accepts connections. Half mutate an agent pod, half validate an MCP pod on gVisor.
        // Each asks "Expect: 100-continue", so its first half is sent only once the server's handler has begun
        // reading the body: when every first half is out, every review is in flight in the server.
        const int InFlight = 24;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var halfSent = Enumerable.Range(0, InFlight).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
        var requests = Enumerable.Range(0, InFlight).Select(i => Task.Run(async () =>
        {
            var mutate = i % 2 == 0;
            var review = mutate
                ? Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject($"agent-{i}", "agents", ResearchAgent))
                : Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject($"mcp-{i}", "agents", Mcp, runtimeClassName: "gvisor"));
            using var content = new GatedContent(Encoding.UTF8.GetBytes(review.ToJsonString()), halfSent[i], gate.Task);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var client = i % 4 < 2 ? h2 : h1;
            using var request = new HttpRequestMessage(HttpMethod.Post, op.WebhookUri(mutate ? "/mutate" : "/validate"))
            {
                Content = content,
                Version = client.DefaultRequestVersion,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.ExpectContinue = true;
            using var response = await client.SendAsync(request);
            Assert.Equal(client.DefaultRequestVersion, response.Version);
            return (Review: review, Mutate: mutate, Status: response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })).ToList();

        await Task.WhenAll(halfSent.Select(t => t.Task)).WaitAsync(TimeSpan.FromSeconds(30));

        var sinceSigterm = Stopwatch.StartNew();
        op.Terminate();
        await Eventually.HoldsAsync(() => !Accepts(op.WebhookUrl.Port), "the webhook listener closes after SIGTERM");
        Assert.All(requests, r => Assert.False(r.IsCompleted, "a review finished before its body was complete"));

        gate.SetResult();
        var results = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(15));
        foreach (var (review, mutate, status, body) in results)
        {
            Assert.True(status == HttpStatusCode.OK, $"HTTP {(int)status}: {body}");
            var response = ReviewResponse.Parse(body);
            Assert.Equal((string)review["request"]!["uid"]!, response.Uid);
            if (mutate)
            {
                Assert.Equal("JSONPatch", response.PatchType);
            }
            else
            {
                Assert.False(response.Allowed);
                Assert.Equal(403, response.Code);
            }
        }

        var exitCode = await op.WaitForExitAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"{results.Length} in-flight reviews answered; exit code {exitCode} {sinceSigterm.Elapsed.TotalSeconds:0.00} s after SIGTERM");
        Assert.Equal(0, exitCode);
        Assert.Contains(op.Lines, l => l.Contains("shutting down", StringComparison.Ordinal));
    }

    /// <summary>
    /// A client that sends a body only after the server's "100 Continue", however long that takes (the default
    /// gives up waiting after a second and sends the body anyway).
    /// </summary>
    private static HttpClient ClientWaitingForContinue(X509Certificate2Collection trusted, Version version)
    {
        var handler = RunningHost.CreateHandler(trusted);
        handler.Expect100ContinueTimeout = TimeSpan.FromSeconds(30);
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(45), DefaultRequestVersion = version, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    private static bool Accepts(int port)
    {
        using var tcp = new TcpClient();
        try
        {
            tcp.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }


    /// <summary>A request body that sends its first half, signals, and sends the rest once the gate opens.</summary>
    private sealed class GatedContent(byte[] body, TaskCompletionSource halfSent, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var half = body.Length / 2;
            await stream.WriteAsync(body.AsMemory(0, half));
            await stream.FlushAsync();
            halfSent.TrySetResult();
            await gate;
            await stream.WriteAsync(body.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
