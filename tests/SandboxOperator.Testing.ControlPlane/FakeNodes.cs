using k8s;
using k8s.Models;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>
/// A node to create: its name, labels and taints (kubernetes.io/hostname and kubernetes.io/os are added), and
/// how many pods it takes (pods are never started, so nothing else limits it).
/// </summary>
public sealed record FakeNode(string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<V1Taint> Taints, int PodCapacity = 5000)
{
    /// <summary>A node of a sandbox pool: labelled and tainted <c>key=value:NoSchedule</c>, as the README tells users to do.</summary>
    public static FakeNode Pool(string name, string key, string value, int podCapacity = 5000) =>
        new(name, new Dictionary<string, string> { [key] = value }, [new V1Taint { Key = key, Value = value, Effect = "NoSchedule" }], podCapacity);

    /// <summary>A node for general use: no pool label, no taint.</summary>
    public static FakeNode General(string name, int podCapacity = 5000) => new(name, new Dictionary<string, string>(), [], podCapacity);
}

/// <summary>
/// Node objects that look Ready to the scheduler, with no kubelet behind them: the status (Ready
/// condition, capacity, allocatable) is set on create, which the API server allows, and the
/// <c>node.kubernetes.io/not-ready</c> taint that the TaintNodesByCondition admission plugin adds to every
/// new node is removed again. The controller manager must run without its node lifecycle controller.
/// </summary>
public static class FakeNodes
{
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";

    public static async Task CreateAsync(IKubernetes client, FakeNode node, CancellationToken cancellationToken = default)
    {
        var now = DateTime.UtcNow;
        var resources = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new("64"),
            ["memory"] = new("256Gi"),
            ["pods"] = new(node.PodCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        var labels = new Dictionary<string, string>(node.Labels)
        {
            ["kubernetes.io/hostname"] = node.Name,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = "amd64",
        };
        await client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = node.Name, Labels = labels },
            Spec = new V1NodeSpec { Taints = [.. node.Taints] },
            Status = new V1NodeStatus
            {
                Capacity = resources,
                Allocatable = resources,
                Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "fake node, no kubelet", LastHeartbeatTime = now, LastTransitionTime = now }],
            },
        }, cancellationToken: cancellationToken);

        for (var attempt = 0; ; attempt++)
        {
            var stored = await client.CoreV1.ReadNodeAsync(node.Name, cancellationToken: cancellationToken);
            if (stored.Spec.Taints?.Any(t => t.Key == NotReadyTaint) != true)
            {
                return;
            }

            stored.Spec.Taints = [.. stored.Spec.Taints.Where(t => t.Key != NotReadyTaint)];
            try
            {
                await client.CoreV1.ReplaceNodeAsync(stored, node.Name, cancellationToken: cancellationToken);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict && attempt < 10)
            {
                // Another writer (the controller manager's node controllers) updated it meanwhile: read again.
            }
        }
    }
}
