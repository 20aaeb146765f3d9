using k8s.Models;
using SandboxOperator.ControlPlaneTests.Support;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// The samples' RuntimeClasses carry <c>scheduling</c> (a nodeSelector and a toleration for their pool)
/// and Kata an overhead. The API server's RuntimeClass admission plugin merges those into the pod after
/// the webhook set runtimeClassName (the webhook's change makes the API server run its own mutating
/// plugins again, and then the webhook once more); the result must agree with the webhook's own
/// toleration and node affinity, so that second call changes nothing.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class RuntimeClassSchedulingTests(OperatorCluster cluster)
{
    [SkippableFact]
    public async Task The_runtime_class_scheduling_and_the_operators_placement_merge_into_one_consistent_pod()
    {
        cluster.SkipIfUnavailable();
        const string ns = "runtimeclass-merge";
        await cluster.CreateNamespaceAsync(ns, new Dictionary<string, string> { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue });

        var pod = await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain("agent-0"), ns);

        Assert.Equal("kata", pod.Spec.RuntimeClassName);
        // From the RuntimeClass: its nodeSelector and overhead.
        Assert.Equal("kata", pod.Spec.NodeSelector["agentsandbox.io/pool"]);
        Assert.Equal("160Mi", pod.Spec.Overhead["memory"].ToString());
        Assert.Equal("250m", pod.Spec.Overhead["cpu"].ToString());
        // From the webhook: a required node affinity on the same pool.
        var term = Assert.Single(pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms);
        Assert.Contains(term.MatchExpressions, e => e is { Key: "agentsandbox.io/pool", OperatorProperty: "In" } && e.Values.SequenceEqual(["kata"]));
        // Both add the pool toleration; it is there, and no toleration reaches another pool.
        Assert.Contains(pod.Spec.Tolerations, t => t is { Key: "agentsandbox.io/pool", Value: "kata", Effect: "NoSchedule" });
        Assert.DoesNotContain(pod.Spec.Tolerations, t => t.Key == "agentsandbox.io/pool" && t.Value != "kata");
        // The RuntimeClass plugin changed the pod after the webhook's patch, so the API server called the
        // webhook again (reinvocation); it found the merged pod complete and changed nothing.
        var create = Assert.Single(AuditLog.Read(cluster.ControlPlane.AuditLogFile!),
            e => e is { Verb: "create", Resource: "pods", Subresource: null, Namespace: ns } && e.Uri.EndsWith($"/namespaces/{ns}/pods", StringComparison.Ordinal));
        Assert.Contains("\"mutated\":true", create.Annotations["mutation.webhook.admission.k8s.io/round_0_index_0"], StringComparison.Ordinal);
        Assert.Contains("\"mutated\":false", create.Annotations["mutation.webhook.admission.k8s.io/round_1_index_0"], StringComparison.Ordinal);

        if (cluster.ControlPlane.RunsScheduler)
        {
            V1Pod bound = pod;
            await Eventually.HoldsAsync(async () => (bound = await cluster.Client.CoreV1.ReadNamespacedPodAsync("agent-0", ns)).Spec.NodeName is not null,
                "the scheduler binds the pod", OperatorCluster.Patience);
            Assert.StartsWith("kata-", bound.Spec.NodeName, StringComparison.Ordinal);
        }
    }
}
