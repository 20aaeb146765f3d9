using k8s.Models;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests.Support;

/// <summary>Pods the tests create through the API, and what the stored ones say about their placement.</summary>
public static class Pods
{
    public const string Image = "registry.example/none:1";

    public static V1Pod Plain(string name, IDictionary<string, string>? labels = null, string? runtimeClassName = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PodSpec { RuntimeClassName = runtimeClassName, Containers = [new V1Container { Name = "main", Image = Image }] },
    };

    /// <summary>A pod marked as an MCP server, which needs Kata wherever it runs.</summary>
    public static V1Pod Mcp(string name, string? runtimeClassName = null) =>
        Plain(name, new Dictionary<string, string> { [WellKnown.WorkloadTypeLabel] = WellKnown.McpServerLabelValue }, runtimeClassName);

    /// <summary>The runtime the mutation recorded (kata, gvisor, runc), or null for a pod it left alone.</summary>
    public static string? Runtime(V1Pod pod) => pod.Metadata.Labels?.TryGetValue(WellKnown.RuntimeLabel, out var r) == true ? r : null;

    public static string Describe(V1Pod pod) =>
        $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}: runtimeClassName={pod.Spec.RuntimeClassName ?? "-"} runtime={Runtime(pod) ?? "-"} node={pod.Spec.NodeName ?? "-"}";
}
