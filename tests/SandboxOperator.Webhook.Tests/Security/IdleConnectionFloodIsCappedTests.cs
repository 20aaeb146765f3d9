using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Settings;
using SandboxOperator.Webhook.Serving;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// Any pod can reach :9443. A caller opens idle TLS connections until the listener is full: past the per-client cap
/// its further connections are closed before the handshake, a legitimate caller from another address still opens a
/// new connection and is answered, and past the total cap the connection the API server already holds keeps being
/// answered. The held connections never exceed the caps, which bounds the memory they take.
/// </summary>
public sealed class IdleConnectionFloodIsCappedTests
{
    [Fact]
    public async Task Idle_tls_connections_beyond_the_caps_are_closed_and_legitimate_reviews_are_still_answered()
    {
        await using var host = await RunningHost.StartAsync(RunningHost.DefaultOptions with { MaxConnections = 40, MaxConnectionsPerClient = 10 });
        var limiter = host.App.Services.GetRequiredService<ConnectionLimiter>();
        var apiServer = host.Client(HttpVersion.Version20);
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("legit", "agents"));
        await host.ReviewAsync("/mutate", review, apiServer); // the API server's long-lived connection, opened first

        var held = new List<SslStream>();
        try
        {
            // One address: 10 of 30 connections are held, the rest closed before the handshake.
            var fromOne = await FloodAsync(host, IPAddress.Parse("127.0.0.2"), 30, held);
            Assert.Equal(10, fromOne);

            // A new connection from another address is served.
            using (var fresh = RunningHost.CreateClient(host.Trusted))
            {
                Assert.True((await host.ReviewAsync("/validate", review, fresh)).Allowed);
            }

            // Five more addresses fill the listener: 40 in all (the API server's connection is one of them).
            var fromMany = 0;
            for (var i = 3; i <= 7; i++)
            {
                fromMany += await FloodAsync(host, IPAddress.Parse($"127.0.0.{i}"), 10, held);
            }

            Assert.Equal(40 - 1 - 10, fromMany);
            Assert.Equal(40, limiter.Open);

            // The connection the API server holds is still answered.
            for (var i = 0; i < 5; i++)
            {
                Assert.True((await host.ReviewAsync("/mutate", review, apiServer)).Allowed);
            }
        }
        finally
        {
            foreach (var s in held)
            {
                await s.DisposeAsync();
            }
        }

        using var metrics = new HttpClient();
        var text = await metrics.GetStringAsync(host.MetricsUri("/metrics"));
        Assert.Matches("""agentsandbox_webhook_connections_refused_total\{[^}]*limit="client"[^}]*\} 20""", text);
        Assert.Matches("""agentsandbox_webhook_connections_refused_total\{[^}]*limit="total"[^}]*\} 21""", text);
        Assert.InRange(host.Logs.Where("webhook connection refused").Count, 1, 20); // throttled, not one line per refusal
    }

    /// <summary>Opens <paramref name="count"/> TLS connections from <paramref name="source"/> and leaves them idle; returns how many completed the handshake.</summary>
    private static async Task<int> FloodAsync(RunningHost host, IPAddress source, int count, List<SslStream> held)
    {
        var accepted = 0;
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(IPAddress.Loopback, host.Endpoints.WebhookPort);
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                }).WaitAsync(TimeSpan.FromSeconds(15));
                held.Add(tls);
                accepted++;
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
            {
                await tls.DisposeAsync();
            }
        }

        return accepted;
    }
}
