using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Configuration;

/// <summary>
/// Classification rules for the pods of agent and MCP platforms, enabled by name (<c>classification.presets</c>).
/// Each rule matches what the platform's own controller puts on the pods it creates, as read in its source.
/// </summary>
public static class ClassificationPresets
{
    /// <summary>
    /// kubernetes-sigs/agent-sandbox: the Sandbox controller creates each sandbox's pod itself, named after the
    /// Sandbox, with a controller ownerReference to the Sandbox (group agents.x-k8s.io, kind Sandbox) and the label
    /// agents.x-k8s.io/sandbox-name-hash. The ownerReference is what the controller treats as authoritative (the
    /// label is only its cache index), so the rule matches the owner. Warm-pool pods are created the same way, by
    /// the Sandbox controller for a Sandbox the SandboxWarmPool owns.
    /// Source: controllers/sandbox_controller.go (reconcilePod, SetControllerReference), api/v1beta1/groupversion_info.go,
    /// extensions/controllers/sandboxwarmpool_controller.go.
    /// </summary>
    public const string AgentSandbox = "agent-sandbox";

    /// <summary>
    /// stacklok/toolhive operator: for an MCPServer the operator runs a proxy Deployment (labels app=mcpserver,
    /// toolhive=true, toolhive-name), and the proxy runner creates the MCP server itself as a StatefulSet whose pod
    /// template carries app=&lt;name&gt;, toolhive=true and the labels of labels.AddStandardLabels (toolhive-name,
    /// toolhive-transport, ...). The MCP server's pods are therefore owned by a StatefulSet (group apps) and labelled
    /// toolhive=true; the proxy's pods are owned by a ReplicaSet and not matched.
    /// Source: pkg/container/kubernetes/client.go (DeployWorkload, ensurePodTemplateConfig, applyStatefulSet),
    /// pkg/labels/labels.go, cmd/thv-operator/controllers/mcpserver_controller.go (labelsForMCPServer).
    /// </summary>
    public const string ToolHive = "toolhive";

    /// <summary>
    /// kubernetes-sigs/mcp-lifecycle-operator: an MCPServer becomes a Deployment whose pod template carries the labels
    /// app=mcp-server and mcp-server=&lt;MCPServer name&gt; (managedWorkloadLabels); its pods are owned by the
    /// Deployment's ReplicaSet, so the rule matches the labels.
    /// Source: internal/controller/mcpserver_controller_deployment.go (createDeployment, managedWorkloadLabels),
    /// internal/controller/constants.go (LabelKeyApp, LabelKeyMCPServer, ManagedWorkloadName).
    /// </summary>
    public const string McpLifecycleOperator = "mcp-lifecycle-operator";

    /// <summary>The preset names, as the configuration accepts them.</summary>
    public static IReadOnlyList<string> Names { get; } = [AgentSandbox, ToolHive, McpLifecycleOperator];

    /// <summary>The rule of preset <paramref name="name"/>, or null when there is no such preset.</summary>
    public static ClassificationRule? Rule(string name) => name switch
    {
        AgentSandbox => new ClassificationRule(
            AgentSandbox,
            new RuleMatch(null, [new OwnerKind("Sandbox", "agents.x-k8s.io")], null),
            new AgentWorkloadSpec { Type = WorkloadType.Agent, Traits = new WorkloadTraits { ExecutesUntrustedCode = true } },
            AgentSandbox),
        ToolHive => new ClassificationRule(
            ToolHive,
            new RuleMatch(new LabelSelector { MatchLabels = new() { ["toolhive"] = "true" } }, [new OwnerKind("StatefulSet", "apps")], null),
            new AgentWorkloadSpec { Type = WorkloadType.MCPServer },
            ToolHive),
        McpLifecycleOperator => new ClassificationRule(
            McpLifecycleOperator,
            new RuleMatch(
                new LabelSelector
                {
                    MatchLabels = new() { ["app"] = "mcp-server" },
                    MatchExpressions = [new LabelSelectorRequirement { Key = "mcp-server", Operator = "Exists" }],
                },
                null,
                null),
            new AgentWorkloadSpec { Type = WorkloadType.MCPServer },
            McpLifecycleOperator),
        _ => null,
    };
}
