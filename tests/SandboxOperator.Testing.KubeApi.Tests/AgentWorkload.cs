using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace SandboxOperator.Testing.KubeApi.Tests;

/// <summary>A stand-in for the operator's custom resource, enough to drive GenericClient.</summary>
public sealed class AgentWorkload : IKubernetesObject<V1ObjectMeta>, ISpec<AgentWorkloadSpec>, IStatus<AgentWorkloadStatus?>
{
    public const string Group = "agentsandbox.io";
    public const string Version = "v1alpha1";
    public const string Plural = "agentworkloads";

    public static ResourceType Resource { get; } = ResourceType.CustomResource(Group, Version, "AgentWorkload", Plural);

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Group}/{Version}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "AgentWorkload";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public AgentWorkloadSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public AgentWorkloadStatus? Status { get; set; }
}

public sealed class AgentWorkloadSpec
{
    [JsonPropertyName("image")]
    public string? Image { get; set; }

    [JsonPropertyName("tier")]
    public string? Tier { get; set; }
}

public sealed class AgentWorkloadStatus
{
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }
}

public sealed class AgentWorkloadList : IKubernetesObject<V1ListMeta>, IItems<AgentWorkload>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{AgentWorkload.Group}/{AgentWorkload.Version}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "AgentWorkloadList";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<AgentWorkload> Items { get; set; } = [];
}
