namespace SandboxOperator.Policy.Api;

/// <summary>Names of the API group, labels and annotations that form the public contract.</summary>
public static class WellKnown
{
    public const string Group = "agentsandbox.io";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;
    public const string Kind = "AgentWorkload";
    public const string Plural = "agentworkloads";
    public const string Singular = "agentworkload";
    public const string ShortName = "aw";
    public const string Category = "agentsandbox";
    public const string ExceptionKind = "SandboxException";
    public const string ExceptionPlural = "sandboxexceptions";
    public const string ExceptionSingular = "sandboxexception";
    public const string ExceptionShortName = "sbx";

    /// <summary>Pod label naming the AgentWorkload that claims the pod.</summary>
    public const string WorkloadLabel = "agentsandbox.io/workload";
    /// <summary>Pod label marking the pod's kind of workload; <c>mcp-server</c> requires Kata anywhere.</summary>
    public const string WorkloadTypeLabel = "agentsandbox.io/workload-type";
    public const string McpServerLabelValue = "mcp-server";
    /// <summary>Namespace label; value <c>kata</c> makes every unclaimed pod in it High.</summary>
    public const string EnforceLabel = "agentsandbox.io/enforce";
    public const string EnforceKataValue = "kata";
    /// <summary>Namespace label overriding the global mode: <c>audit</c> or <c>enforce</c>.</summary>
    public const string ModeLabel = "agentsandbox.io/mode";
    /// <summary>Pod label written by mutation: high, medium or low.</summary>
    public const string TierLabel = "agentsandbox.io/tier";
    /// <summary>Pod label written by mutation: kata, gvisor or runc.</summary>
    public const string RuntimeLabel = "agentsandbox.io/runtime";
    /// <summary>Pod annotation written by mutation: the reasons for the tier, joined by "; ".</summary>
    public const string ReasonsAnnotation = "agentsandbox.io/reasons";
}
