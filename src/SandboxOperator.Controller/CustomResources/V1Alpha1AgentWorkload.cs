using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Controller.CustomResources;

/// <summary>The AgentWorkload custom resource as KubernetesClient (de)serializes it; spec and status are the core's types.</summary>
public sealed class V1Alpha1AgentWorkload : IKubernetesObject<V1ObjectMeta>, ISpec<AgentWorkloadSpec>, IStatus<AgentWorkloadStatus?>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = WellKnown.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = WellKnown.Kind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public AgentWorkloadSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public AgentWorkloadStatus? Status { get; set; }

    /// <summary>The core's view of this object.</summary>
    public AgentWorkload ToPolicy() =>
        new(Metadata.NamespaceProperty ?? "", Metadata.Name ?? "", Spec, Metadata.Generation ?? 0);
}
