using System.ComponentModel;
using System.Text.Json.Serialization;

namespace SandboxOperator.Policy.Api;

/// <summary>What the operator observed and decided for an AgentWorkload.</summary>
public sealed class AgentWorkloadStatus
{
    [JsonPropertyName("riskTier")]
    [Description("The effective tier: the higher of the rules and spec.riskTier.")]
    public RiskTier? RiskTier { get; set; }

    [JsonPropertyName("runtime")]
    [Description("The runtime the tier requires: Kata, GVisor or Runc.")]
    public SandboxRuntime? Runtime { get; set; }

    [JsonPropertyName("runtimeClassName")]
    [Description("The RuntimeClass pods of this workload get; empty for Low (the node's default runtime).")]
    public string? RuntimeClassName { get; set; }

    [JsonPropertyName("nodePool")]
    [Description("The node pool (value of the pool label) pods of this workload are placed in; empty for Low (general nodes).")]
    public string? NodePool { get; set; }

    [JsonPropertyName("reasons")]
    [Description("Why the workload has this tier, one reason per entry.")]
    public List<string>? Reasons { get; set; }

    [JsonPropertyName("observedGeneration")]
    [Description("The metadata.generation this status was computed from.")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("pods")]
    [Description("How many pods belong to the workload and how many of them run with the runtime and placement the tier needs.")]
    public PodCounts? Pods { get; set; }

    [JsonPropertyName("edgeIsolate")]
    [Description("Advice only: whether the workload could run as an edge isolate (a V8-isolate function) instead of a pod. Nothing enforces it.")]
    public EdgeIsolateStatus? EdgeIsolate { get; set; }

    [JsonPropertyName("conditions")]
    [Description("Ready, RuntimeClassAvailable, NodePoolAvailable and PodsCompliant.")]
    public List<WorkloadCondition>? Conditions { get; set; }
}

/// <summary>The edge-isolate advice in the status (see <see cref="Edge.EdgeIsolateAdvisor"/>).</summary>
public sealed class EdgeIsolateStatus
{
    [JsonPropertyName("candidate")]
    [Description("True when the workload is a stateless Tool that needs no cluster access: type Tool at tier Medium, only emptyDir volumes, no service-account token, no host features or privileges, and memory limits within 128Mi, in every pod that belongs to it. False otherwise, and while no pod belongs to it.")]
    public bool Candidate { get; set; }

    [JsonPropertyName("reasons")]
    [Description("Why it is or is not a candidate, one reason per entry.")]
    public List<string>? Reasons { get; set; }
}

/// <summary>Pod counts in the status.</summary>
public sealed class PodCounts
{
    [JsonPropertyName("total")]
    [Description("Pods that belong to the workload.")]
    public int Total { get; set; }

    [JsonPropertyName("compliant")]
    [Description("Pods that run with the runtime and placement their tier needs.")]
    public int Compliant { get; set; }
}

/// <summary>A standard Kubernetes condition (metav1.Condition).</summary>
public sealed class WorkloadCondition
{
    [System.ComponentModel.DataAnnotations.Required]
    [JsonPropertyName("type")]
    [Description("The condition type, e.g. Ready.")]
    public string Type { get; set; } = "";

    [System.ComponentModel.DataAnnotations.Required]
    [JsonPropertyName("status")]
    [Description("True, False or Unknown.")]
    [System.ComponentModel.DataAnnotations.AllowedValues("True", "False", "Unknown")]
    public string Status { get; set; } = "Unknown";

    [JsonPropertyName("reason")]
    [Description("A CamelCase word saying why the condition has this status.")]
    public string? Reason { get; set; }

    [JsonPropertyName("message")]
    [Description("What is wrong and what to do about it.")]
    public string? Message { get; set; }

    [JsonPropertyName("observedGeneration")]
    [Description("The metadata.generation the condition was computed from.")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("lastTransitionTime")]
    [Description("When the status last changed.")]
    public DateTimeOffset? LastTransitionTime { get; set; }
}
