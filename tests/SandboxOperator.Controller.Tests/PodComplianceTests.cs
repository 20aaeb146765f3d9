using System.Text.Json;
using k8s;
using k8s.Models;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Reconciling;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Tests;

/// <summary>The controller's verdict on a running pod must equal the validating webhook's on the same pod.</summary>
public sealed class PodComplianceTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ClusterSnapshot State = new(
        namespaces: [new("locked", new Dictionary<string, string> { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue })],
        workloads: [new AgentWorkload("ns", "agent", new AgentWorkloadSpec { Type = WorkloadType.Agent }), new AgentWorkload("ns", "tool", new AgentWorkloadSpec { Type = WorkloadType.Tool })],
        runtimeClasses: [new RuntimeClassInfo("kata", "kata-qemu", new Dictionary<string, string> { ["agentsandbox.io/pool"] = "kata" }, [new("agentsandbox.io/pool", "Equal", "kata", "NoSchedule")])],
        nodes: [new NodeInfo("kata-1", new Dictionary<string, string> { ["agentsandbox.io/pool"] = "kata" }, [new NodeTaint("agentsandbox.io/pool", "kata", "NoSchedule")])]);

    public static TheoryData<string> Pods() =>
    [
        "compliant-kata", "no-runtime-class", "gvisor-for-agent", "tool-in-kata", "unmanaged-plain", "unmanaged-tolerates-kata",
        "privileged-agent", "host-network-tool", "locked-namespace", "mcp-label", "node-name-on-kata", "unconfined",
        "no-seccomp", "forged-tier-label", "unmanaged-with-operator-labels",
    ];

    [Theory]
    [MemberData(nameof(Pods))]
    public void Controller_and_webhook_agree(string scenario)
    {
        var pod = Build(scenario);
        var json = KubernetesJson.Serialize(pod);
        using var doc = JsonDocument.Parse(json);
        var decision = AdmissionEvaluator.Evaluate(
            new AdmissionRequest(AdmissionOperation.Create, "", "Pod", pod.Metadata.NamespaceProperty, pod.Metadata.Name, doc.RootElement, MutationApplied: true),
            PolicyConfig.Default, State, Now);

        var facts = PodProjection.Project(pod);
        var violations = PodCompliance.Check(facts, PolicyConfig.Default, State, Now);

        Assert.Equal(decision.Violations.Select(v => v.Key), violations.Select(v => v.Key));
        Assert.Equal(decision.Violations.Count == 0, scenario is "compliant-kata" or "unmanaged-plain" or "tool-in-kata");
    }

    [Fact]
    public void The_audit_applies_classification_presets_through_the_pod_projection_as_the_webhook_does()
    {
        // A pod as kubernetes-sigs/agent-sandbox's Sandbox controller creates it, started before the preset was enabled.
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = "research-sandbox",
                NamespaceProperty = "ns",
                Labels = new Dictionary<string, string> { ["agents.x-k8s.io/sandbox-name-hash"] = "d1462e16" },
                OwnerReferences = [new V1OwnerReference { ApiVersion = "agents.x-k8s.io/v1beta1", Kind = "Sandbox", Name = "research-sandbox", Uid = "5b0c1c52-8d0e-4a51-9d1e-0d6f6a1f2a10", BlockOwnerDeletion = true, Controller = true }],
            },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "runner", Image = "python:3.12-slim" }],
                SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
            },
        };
        var config = PolicyConfig.Default with { Classification = [ClassificationPresets.Rule(ClassificationPresets.AgentSandbox)!] };
        using var doc = JsonDocument.Parse(KubernetesJson.Serialize(pod));
        var decision = AdmissionEvaluator.Evaluate(
            new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "ns", pod.Metadata.Name, doc.RootElement, MutationApplied: true), config, State, Now);

        var violations = PodCompliance.Check(PodProjection.Project(pod), config, State, Now);

        Assert.Contains(violations, v => v.Message.StartsWith("tier High and needs runtimeClassName \"kata\"", StringComparison.Ordinal));
        Assert.Equal(decision.Violations.Select(v => v.Key), violations.Select(v => v.Key));
        Assert.Empty(PodCompliance.Check(PodProjection.Project(pod), PolicyConfig.Default, State, Now));
    }

    private static V1Pod Build(string scenario)
    {
        var ns = scenario == "locked-namespace" ? "locked" : "ns";
        var labels = new Dictionary<string, string>();
        var spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "x" }] };
        void Kata()
        {
            spec.RuntimeClassName = "kata";
        }

        switch (scenario)
        {
            case "compliant-kata": labels[WellKnown.WorkloadLabel] = "agent"; Kata(); break;
            case "no-runtime-class": labels[WellKnown.WorkloadLabel] = "agent"; break;
            case "gvisor-for-agent": labels[WellKnown.WorkloadLabel] = "agent"; spec.RuntimeClassName = "gvisor"; spec.NodeSelector = new Dictionary<string, string> { ["agentsandbox.io/pool"] = "gvisor" }; break;
            case "tool-in-kata": labels[WellKnown.WorkloadLabel] = "tool"; Kata(); break;
            case "unmanaged-plain": break;
            case "unmanaged-tolerates-kata": spec.Tolerations = [new V1Toleration { OperatorProperty = "Exists" }]; break;
            case "privileged-agent": labels[WellKnown.WorkloadLabel] = "agent"; Kata(); spec.Containers[0].SecurityContext = new V1SecurityContext { Privileged = true }; break;
            case "host-network-tool": labels[WellKnown.WorkloadLabel] = "tool"; Kata(); spec.HostNetwork = true; break;
            case "locked-namespace": break;
            case "mcp-label": labels[WellKnown.WorkloadTypeLabel] = WellKnown.McpServerLabelValue; spec.RuntimeClassName = "gvisor"; break;
            case "node-name-on-kata": spec.NodeName = "kata-1"; break;
            case "unconfined": labels[WellKnown.WorkloadLabel] = "agent"; Kata(); spec.SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "Unconfined" } }; break;
            case "no-seccomp": labels[WellKnown.WorkloadLabel] = "agent"; Kata(); spec.SecurityContext = new V1PodSecurityContext(); break;
            case "forged-tier-label": labels[WellKnown.WorkloadLabel] = "agent"; Kata(); labels[WellKnown.TierLabel] = "low"; labels[WellKnown.RuntimeLabel] = "kata"; break;
            case "unmanaged-with-operator-labels": labels[WellKnown.TierLabel] = "high"; labels[WellKnown.RuntimeLabel] = "kata"; break;
            default: throw new ArgumentOutOfRangeException(nameof(scenario));
        }

        // Pods meant to comply are as the webhook admits them: a seccomp profile and the operator's statement.
        spec.SecurityContext ??= new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } };
        var pod = new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new V1ObjectMeta { Name = scenario, NamespaceProperty = ns, Labels = labels, Annotations = new Dictionary<string, string> { ["note"] = "read by the reader, not used by any rule" } }, Spec = spec };
        if (scenario == "compliant-kata")
        {
            AdmittedStatement.Apply(pod, "kata");
        }
        else if (scenario == "tool-in-kata")
        {
            pod.Metadata.Labels[WellKnown.TierLabel] = "medium";
            pod.Metadata.Labels[WellKnown.RuntimeLabel] = "kata";
            pod.Metadata.Annotations[WellKnown.ReasonsAnnotation] = "AgentWorkload tool";
        }

        return pod;
    }
}
