using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace SandboxOperator.Policy.Api;

/// <summary>A SandboxException as the policy core sees it: where it lives and its spec.</summary>
public sealed record SandboxException(string Namespace, string Name, SandboxExceptionSpec Spec);

/// <summary>The one weakening a SandboxException grants.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExceptionGrant>))]
public enum ExceptionGrant
{
    /// <summary>Pods that would need Kata (High) may run in gVisor instead.</summary>
    RunInGVisor,
    /// <summary>Pods may be placed on one more node pool (<see cref="SandboxExceptionSpec.Pool"/>) than their runtime allows.</summary>
    TolerateExtraPool,
}

/// <summary>
/// The desired state of a SandboxException: which pods of its namespace it covers, the single weakening it grants,
/// why, who answers for it and until when. The CRD schema is generated from this type (see <see cref="CrdGenerator"/>).
/// </summary>
public sealed class SandboxExceptionSpec
{
    /// <summary>The longest an exception may run, counted from the moment it is created or extended.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(90);

    [Required]
    [JsonPropertyName("selector")]
    [Description("Pods in the same namespace matching this selector get the weakening. An empty selector matches no pod.")]
    public LabelSelector Selector { get; init; } = new();

    [Required]
    [JsonPropertyName("grant")]
    [Description("The one weakening granted: RunInGVisor lets pods that need Kata (High) run in gVisor (MCP servers only when the policy's exceptions.allowMcpServers is true); TolerateExtraPool lets pods be placed on the node pool named by pool as well.")]
    public ExceptionGrant Grant { get; init; }

    [JsonPropertyName("pool")]
    [Description("The extra node pool (Kata or GVisor) with grant TolerateExtraPool; must be empty with RunInGVisor.")]
    [AllowedValues("Kata", "GVisor")]
    public string? Pool { get; init; }

    [Required]
    [MinLength(1)]
    [JsonPropertyName("reason")]
    [Description("Why the weakening is needed; shown in the pods' reasons and in every Event about the exception.")]
    public string Reason { get; init; } = "";

    [Required]
    [MinLength(1)]
    [JsonPropertyName("owner")]
    [Description("Who answers for the exception (a person or team); shown by kubectl get.")]
    public string Owner { get; init; } = "";

    [Required]
    [JsonPropertyName("expiresAt")]
    [Description("When the exception stops applying (RFC 3339). At most 90 days after the exception is created or extended; from then on its pods are non-compliant.")]
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The pool of a TolerateExtraPool grant; null for RunInGVisor.</summary>
    [JsonIgnore]
    public SandboxRuntime? ExtraPool => Grant == ExceptionGrant.TolerateExtraPool && Enum.TryParse<SandboxRuntime>(Pool, out var p) ? p : null;

    /// <summary>The grant in a few words, for reasons, warnings and Events.</summary>
    [JsonIgnore]
    public string Describe => Grant == ExceptionGrant.RunInGVisor ? "run in gVisor instead of Kata" : $"tolerate the {Pool} pool";
}
