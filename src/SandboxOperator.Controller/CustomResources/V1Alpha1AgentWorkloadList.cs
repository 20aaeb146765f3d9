using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Controller.CustomResources;

/// <summary>A list of <see cref="V1Alpha1AgentWorkload"/> as returned by a list request.</summary>
public sealed class V1Alpha1AgentWorkloadList : IKubernetesObject<V1ListMeta>, IItems<V1Alpha1AgentWorkload>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = WellKnown.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = WellKnown.Kind + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<V1Alpha1AgentWorkload> Items { get; set; } = [];
}
