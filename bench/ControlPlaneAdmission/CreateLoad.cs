using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlaneAdmission;

/// <summary>What one round of creates measured.</summary>
public sealed record LoadResult(IReadOnlyList<double> LatenciesMs, int Errors, string? FirstError, TimeSpan Elapsed)
{
    public int Creates => LatenciesMs.Count;

    public double PerSecond => Creates / Elapsed.TotalSeconds;

    /// <summary>The <paramref name="q"/> quantile by the nearest-rank method.</summary>
    public double Percentile(double q)
    {
        var sorted = LatenciesMs.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>
/// <c>creators</c> concurrent loops that each create pods one after the other for a while, like a burst
/// of ReplicaSet scale-ups: one pod per request, the next as soon as the API server answered.
/// </summary>
public static class CreateLoad
{
    public static async Task<LoadResult> RunAsync(IKubernetes client, string ns, string prefix, int creators, TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var errors = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, creators).Select(c => Task.Run(async () =>
        {
            for (var i = 0; clock.Elapsed < duration; i++)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await client.CoreV1.CreateNamespacedPodAsync(Pod($"{prefix}-{c}-{i}", c), ns);
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (HttpOperationException e)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, e.Response.Content, null);
                }
            }
        })));
        return new LoadResult([.. latencies], errors, firstError, clock.Elapsed);
    }

    /// <summary>The label that names the creator loop of a pod, so the pods can be deleted in portions.</summary>
    public const string CreatorLabel = "bench-creator";

    /// <summary>A pod as a Deployment's ReplicaSet would create it: labels, one container with resources, ports, env and a probe.</summary>
    private static V1Pod Pod(string name, int creator) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string>
            {
                ["app"] = "research-agent",
                ["pod-template-hash"] = "7d9f8c6b5",
                [CreatorLabel] = creator.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "agent",
                    Image = "ghcr.io/example/research-agent:1.4.2",
                    Ports = [new V1ContainerPort { ContainerPort = 8080, Name = "http" }],
                    Env = [new V1EnvVar { Name = "MODEL_ENDPOINT", Value = "http://model-gateway:8080" }, new V1EnvVar { Name = "LOG_LEVEL", Value = "info" }],
                    Resources = new V1ResourceRequirements
                    {
                        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("128Mi") },
                        Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi") },
                    },
                    ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/ready", Port = "http" } },
                    SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false, RunAsNonRoot = true },
                },
            ],
        },
    };
}
