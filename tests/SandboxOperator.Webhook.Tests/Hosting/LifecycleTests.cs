using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Settings;
using SandboxOperator.Webhook.Serving;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Hosting;

public sealed class LifecycleTests
{
    private static readonly Dictionary<string, string> ResearchAgent = new() { ["app"] = "research-agent" };

    [Fact]
    public async Task Not_ready_until_the_state_source_has_synced_and_reviews_wait_for_it()
    {
        var source = new ManualStateSource(RunningHost.Samples.Current);
        await using var host = await RunningHost.StartAsync(source: source);
        using var http = new HttpClient();

        using (var before = await http.GetAsync(host.HealthUri("/readyz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
            Assert.Contains("not synced", await before.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(host.HealthUri("/healthz"))).StatusCode);

        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents", ResearchAgent));
        var pending = host.ReviewAsync("/mutate", review);
        Assert.False(pending.IsCompleted);

        source.MarkSynced();
        var response = await pending;
        Assert.Equal("JSONPatch", response.PatchType);
        using var after = await http.GetAsync(host.HealthUri("/readyz"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_review_that_cannot_be_decided_in_time_is_denied_with_504()
    {
        var source = new ManualStateSource(RunningHost.Samples.Current);
        await using var host = await RunningHost.StartAsync(RunningHost.DefaultOptions with { ReviewTimeout = TimeSpan.FromMilliseconds(300) }, source);

        var started = DateTime.UtcNow;
        var response = await host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents")));

        Assert.False(response.Allowed);
        Assert.Equal(504, response.Code);
        Assert.Contains("could not decide within 0.3 s", response.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Shutdown_reports_not_ready_first_and_still_answers_reviews_while_draining()
    {
        var host = await RunningHost.StartAsync(RunningHost.DefaultOptions with { ShutdownDelay = TimeSpan.FromSeconds(1) });
        var readiness = host.App.Services.GetRequiredService<Readiness>();
        using var http = new HttpClient();
        var client = host.Client();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(host.HealthUri("/readyz"))).StatusCode);

        var stopping = host.App.StopAsync();
        await readiness.WhenStopping.WaitAsync(TimeSpan.FromSeconds(5));

        using (var ready = await http.GetAsync(host.HealthUri("/readyz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("shutting down", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var response = await host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("late", "agents", ResearchAgent)), client);
        Assert.Equal("JSONPatch", response.PatchType);
        Assert.False(stopping.IsCompleted);

        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await host.App.DisposeAsync();
    }

    [Fact]
    public async Task An_in_flight_review_finishes_during_shutdown()
    {
        var source = new ManualStateSource(RunningHost.Samples.Current);
        var host = await RunningHost.StartAsync(RunningHost.DefaultOptions with { ShutdownDelay = TimeSpan.Zero }, source);
        var readiness = host.App.Services.GetRequiredService<Readiness>();

        var inFlight = host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents", ResearchAgent, runtimeClassName: "kata")));
        await source.ReviewWaiting.WaitAsync(TimeSpan.FromSeconds(10));
        var stopping = host.App.StopAsync();
        await readiness.WhenStopping.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(inFlight.IsCompleted);

        source.MarkSynced();
        var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(response.Allowed, response.Message);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await host.App.DisposeAsync();
    }
}

public sealed class SlowBodyTests
{
    [Fact]
    public async Task A_body_that_does_not_arrive_before_the_deadline_gets_408()
    {
        await using var host = await RunningHost.StartAsync(RunningHost.DefaultOptions with { ReviewTimeout = TimeSpan.FromMilliseconds(300) });
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, host.Endpoints.WebhookPort);
        using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost", ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http11] });

        var head = "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\":";
        await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        await tls.FlushAsync();

        using var reader = new StreamReader(tls);
        var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("HTTP/1.1 408 Request Timeout", status);
        string? line;
        while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
        {
        }

        var body = new char[200];
        var n = await reader.ReadAsync(body);
        Assert.Contains("the body did not arrive within 0.3 s", new string(body, 0, n), StringComparison.Ordinal);
    }
}
