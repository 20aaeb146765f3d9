using System.ComponentModel;
using System.Text.Json.Serialization;

namespace SandboxOperator.Policy.Api;

/// <summary>What an AgentWorkload is; the type alone sets a floor on its risk tier.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkloadType>))]
public enum WorkloadType
{
    /// <summary>An MCP tool server. Always High (Kata).</summary>
    [Description("An MCP tool server; always High (Kata).")]
    MCPServer,
    /// <summary>A long-running agent session. Always High (Kata).</summary>
    [Description("A long-running agent session; always High (Kata).")]
    Agent,
    /// <summary>A tool that executes code. Always High (Kata).</summary>
    [Description("A tool that executes code; always High (Kata).")]
    ExecTool,
    /// <summary>A short-lived, trusted, high-frequency tool. Medium (gVisor).</summary>
    [Description("A short-lived, trusted, high-frequency tool; Medium (gVisor).")]
    Tool,
    /// <summary>A stateless internal service. Low (runc + seccomp).</summary>
    [Description("A stateless internal service; Low (runc + seccomp).")]
    Internal,
}

/// <summary>How strong the sandbox must be. Ordered: a larger value is a stronger requirement.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RiskTier>))]
public enum RiskTier
{
    /// <summary>runc with a seccomp profile.</summary>
    Low = 0,
    /// <summary>gVisor (runsc).</summary>
    Medium = 1,
    /// <summary>Kata Containers (a VM per pod).</summary>
    High = 2,
}

/// <summary>The container runtime a tier maps to. Ordered by isolation strength.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SandboxRuntime>))]
public enum SandboxRuntime
{
    /// <summary>Plain runc (the node's default handler) with seccomp.</summary>
    Runc = 0,
    /// <summary>gVisor's runsc.</summary>
    GVisor = 1,
    /// <summary>Kata Containers.</summary>
    Kata = 2,
}

/// <summary>Whether violations deny (Enforce) or only warn (Audit).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EnforcementMode>))]
public enum EnforcementMode
{
    /// <summary>Violations are denied.</summary>
    Enforce,
    /// <summary>Violations are allowed and returned as warnings.</summary>
    Audit,
}

/// <summary>Conversions between tiers, runtimes and their lower-case label values.</summary>
public static class TierNames
{
    /// <summary>The runtime a tier requires.</summary>
    public static SandboxRuntime RuntimeFor(RiskTier tier) => tier switch
    {
        RiskTier.High => SandboxRuntime.Kata,
        RiskTier.Medium => SandboxRuntime.GVisor,
        _ => SandboxRuntime.Runc,
    };

    /// <summary>The value of the <c>agentsandbox.io/tier</c> label.</summary>
    public static string LabelValue(RiskTier tier) => tier switch
    {
        RiskTier.High => "high",
        RiskTier.Medium => "medium",
        _ => "low",
    };

    /// <summary>The value of the <c>agentsandbox.io/runtime</c> label.</summary>
    public static string LabelValue(SandboxRuntime runtime) => runtime switch
    {
        SandboxRuntime.Kata => "kata",
        SandboxRuntime.GVisor => "gvisor",
        _ => "runc",
    };
}
