using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using SandboxOperator.Controller.CustomResources;
using SandboxOperator.Policy.Api;
using SandboxOperator.Webhook.Tests.Hosting;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// The race of <c>kubectl apply -f config/samples/20-code-execution-tool.yaml</c>: the AgentWorkload is created and
/// its pod follows at once, before any informer has seen the AgentWorkload. Here the AgentWorkload watch is held back
/// for the whole test, so the cache provably lacks every one of them when the pod's review arrives; the pod must still
/// end up in Kata, every time.
/// </summary>
public sealed class WorkloadAppliedWithItsPodIsHonouredTests
{
    [Fact]
    public async Task A_hundred_workloads_applied_with_their_pods_give_a_hundred_kata_pods_while_the_cache_has_seen_none()
    {
        await using var cluster = await ClusterHost.StartAsync(async (server, client) =>
        {
            await ClusterHost.CreateNamespaceAsync(client, "tools");
            ClusterHost.HoldBackWatches(server, "agentworkloads");
        });
        var (sampleWorkload, samplePod) = LoadSample();

        for (var i = 0; i < 100; i++)
        {
            var name = $"code-runner-{i}";
            var workload = KubernetesJson.Deserialize<V1Alpha1AgentWorkload>(KubernetesJson.Serialize(sampleWorkload));
            var pod = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(samplePod));
            workload.Metadata.Name = name;
            pod.Metadata.Name = name;
            if (i % 2 == 0)
            {
                // As in the sample: the pod names its workload in a label.
                pod.Metadata.Labels[WellKnown.WorkloadLabel] = name;
            }
            else
            {
                // Claimed by the workload's selector only: nothing in the pod says a claim is missing.
                pod.Metadata.Labels.Remove(WellKnown.WorkloadLabel);
                pod.Metadata.Labels["app"] = name;
                workload.Spec = new Policy.Api.AgentWorkloadSpec
                {
                    Type = workload.Spec.Type,
                    RiskTier = workload.Spec.RiskTier,
                    Traits = workload.Spec.Traits,
                    Selector = new Policy.Api.LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
                };
            }

            await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(JsonNode.Parse(KubernetesJson.Serialize(workload))!, WellKnown.Group, WellKnown.Version, "tools", WellKnown.Plural);
            var created = await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "tools");

            Assert.Null(cluster.Cache.Workloads.Get("tools", name));
            Assert.True(created.Spec.RuntimeClassName == "kata", $"pod {i} ({(i % 2 == 0 ? "label" : "selector")}) runs with runtimeClassName \"{created.Spec.RuntimeClassName}\", not kata");
            Assert.Equal("high", created.Metadata.Labels["agentsandbox.io/tier"]);
        }

        Assert.Equal(0, cluster.Cache.Workloads.Count);
    }

    private static (V1Alpha1AgentWorkload Workload, V1Pod Pod) LoadSample()
    {
        var path = Path.Combine(OperatorOptionsReaderTests.RepoRoot(), "config", "samples", "20-code-execution-tool.yaml");
        var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(path), new Dictionary<string, Type>
        {
            [$"{WellKnown.ApiVersion}/{WellKnown.Kind}"] = typeof(V1Alpha1AgentWorkload),
            ["v1/Pod"] = typeof(V1Pod),
        });
        return (objects.OfType<V1Alpha1AgentWorkload>().Single(), objects.OfType<V1Pod>().Single());
    }
}
