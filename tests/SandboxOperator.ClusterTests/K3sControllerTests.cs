using System.Text;
using k8s;
using k8s.Models;
using SandboxOperator.Controller.CustomResources;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using Testcontainers.K3s;
using DotNet.Testcontainers.Configurations;

namespace SandboxOperator.ClusterTests;

/// <summary>The main controller scenario on a real API server: K3s in Docker, the generated CRD, the controller in-process.</summary>
public sealed class K3sControllerTests
{
    private const string Ns = "agents";

    [SkippableFact]
    public async Task AgentWorkload_status_converges_on_K3s_and_managed_RuntimeClasses_are_recreated()
    {
        Skip.If(TestcontainersSettings.OS.DockerEndpointAuthConfig == null, "Docker is not available here: skipping the K3s cluster test");

        await using var k3s = new K3sBuilder("rancher/k3s:v1.31.5-k3s1").Build();
        await k3s.StartAsync();
        var kubeconfig = await k3s.GetKubeconfigAsync();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));

        await ClusterSteps.InstallCrdAsync(client);

        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "agentsandbox-system" } });
        var node = (await client.CoreV1.ListNodeAsync()).Items.Single();
        node.Metadata.Labels["agentsandbox.io/pool"] = "kata";
        node.Spec.Taints = [.. node.Spec.Taints ?? [], new V1Taint { Key = "agentsandbox.io/pool", Value = "kata", Effect = "NoSchedule" }];
        await client.CoreV1.ReplaceNodeAsync(node, node.Metadata.Name);

        await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new V1Alpha1AgentWorkload { Metadata = new V1ObjectMeta { Name = "coder", NamespaceProperty = Ns }, Spec = new AgentWorkloadSpec { Type = WorkloadType.Agent } },
            WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural);

        using var controller = new SandboxController(client, new SandboxControllerOptions
        {
            Policy = PolicyConfig.Default with { ManageRuntimeClasses = true },
            LeaderElection = new LeaderElectionOptions { LeaseDuration = TimeSpan.FromSeconds(5), RenewDeadline = TimeSpan.FromSeconds(4), RetryPeriod = TimeSpan.FromSeconds(1) },
            Identity = "k3s-test",
        });
        using var stop = new CancellationTokenSource();
        var run = controller.RunAsync(stop.Token);
        try
        {
            await ClusterSteps.WaitAsync(async () => await ConditionAsync(client, "Ready") == "True", "coder becomes Ready (RuntimeClass created, pool present, no pods)");
            var status = (await client.CustomObjects.GetNamespacedCustomObjectAsync<V1Alpha1AgentWorkload>(WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural, "coder")).Status!;
            Assert.Equal(RiskTier.High, status.RiskTier);
            Assert.Equal("kata", status.RuntimeClassName);
            Assert.Equal(1, status.ObservedGeneration);
            var kata = await client.NodeV1.ReadRuntimeClassAsync("kata");
            Assert.Equal("kata-qemu", kata.Handler);
            Assert.Equal("160Mi", kata.Overhead.PodFixed["memory"].ToString());

            await client.NodeV1.DeleteRuntimeClassAsync("kata");
            await ClusterSteps.WaitAsync(async () => (await client.NodeV1.ListRuntimeClassAsync()).Items.Any(r => r.Metadata.Name == "kata" && r.Metadata.Uid != kata.Metadata.Uid),
                "the deleted RuntimeClass is recreated");

            await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = "coder-bad", Labels = new Dictionary<string, string> { [WellKnown.WorkloadLabel] = "coder" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "registry.example/none:1" }] },
            }, Ns);
            await ClusterSteps.WaitAsync(async () => await ConditionAsync(client, "PodsCompliant") == "False", "the pod without the Kata RuntimeClass is reported");
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    private static async Task<string?> ConditionAsync(Kubernetes client, string type)
    {
        var w = await client.CustomObjects.GetNamespacedCustomObjectAsync<V1Alpha1AgentWorkload>(WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural, "coder");
        return w.Status?.Conditions?.FirstOrDefault(c => c.Type == type)?.Status;
    }
}
