using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Chart.Tests.PodSecurity;

/// <summary>
/// The operator's own pod, as the chart renders it, under our policy (as the Internal-tier infrastructure
/// it is) and under Kubernetes' Pod Security "restricted" profile.
/// </summary>
[Collection(ChartCollection.Name)]
public sealed class OperatorPostureTests(ChartRenderer chart)
{
    [SkippableTheory]
    [InlineData("selfManaged")]
    [InlineData("certManager")]
    [InlineData("secret")]
    public void Operator_pod_passes_the_restricted_profile(string tlsMode)
    {
        var m = chart.Render("--set", $"tls.mode={tlsMode}", "--set", "tls.secret.name=webhook-tls", "--set", "tls.secret.caBundle=Q0E=");
        var template = JsonNode.Parse(KubernetesJson.Serialize(m.Operator.Spec.Template))!;
        using var spec = JsonDocument.Parse(template["spec"]!.ToJsonString());
        var annotations = template["metadata"]?["annotations"]?.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!) ?? [];

        var violations = RestrictedProfile.Check(spec.RootElement, annotations);

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [SkippableFact]
    public void Operator_deployment_and_pod_are_allowed_as_an_internal_workload_without_violations()
    {
        var m = chart.Render();
        var deployment = JsonNode.Parse(KubernetesJson.Serialize(m.Operator))!.AsObject();
        var state = StateWithInternalWorkload(m.Operator.Spec.Selector.MatchLabels);

        var onTemplate = AdmissionEvaluator.Evaluate(Request("apps", "Deployment", deployment), PolicyConfig.Default, state, TimeProvider.System.GetUtcNow());
        Assert.True(onTemplate.Allowed, onTemplate.Message);
        Assert.Empty(onTemplate.Violations);

        // The pod the ReplicaSet creates: /mutate first, then /validate on the mutated pod.
        var pod = PodFrom(deployment);
        var mutated = AdmissionEvaluator.Evaluate(Request("", "Pod", pod), PolicyConfig.Default, state, TimeProvider.System.GetUtcNow());
        Assert.True(mutated.Allowed, mutated.Message);
        Assert.Equal(RiskTier.Low, mutated.Tier);
        Assert.Equal(SandboxRuntime.Runc, mutated.Runtime);
        Assert.Equal("sandbox-operator-infra", mutated.Workload);
        Assert.Empty(mutated.Violations);
        Assert.DoesNotContain(mutated.Patch, op => op.Path.Contains("privileged", StringComparison.Ordinal) || op.Path.Contains("capabilities", StringComparison.Ordinal));

        var patched = JsonPatch.Apply(pod, mutated.Patch)!.AsObject();
        var validated = AdmissionEvaluator.Evaluate(Request("", "Pod", patched) with { MutationApplied = true }, PolicyConfig.Default, state, TimeProvider.System.GetUtcNow());
        Assert.True(validated.Allowed, validated.Message);
        Assert.Empty(validated.Violations);
        Assert.DoesNotContain(validated.Warnings, w => w.Contains("seccomp", StringComparison.OrdinalIgnoreCase) || w.Contains("privilege", StringComparison.OrdinalIgnoreCase));
    }

    [SkippableFact]
    public void The_same_pod_with_seccomp_unconfined_is_denied_so_the_check_above_can_fail()
    {
        // At tier Low the policy forbids seccomp Unconfined; privileged containers, host namespaces and
        // hostPath are forbidden only at High and Medium, so the restricted-profile check above is what
        // keeps the operator's own pod unprivileged.
        var m = chart.Render();
        var state = StateWithInternalWorkload(m.Operator.Spec.Selector.MatchLabels);
        var pod = PodFrom(JsonNode.Parse(KubernetesJson.Serialize(m.Operator))!.AsObject());
        pod["spec"]!["containers"]![0]!["securityContext"]!["seccompProfile"] = new JsonObject { ["type"] = "Unconfined" };

        var decision = AdmissionEvaluator.Evaluate(Request("", "Pod", pod), PolicyConfig.Default, state, TimeProvider.System.GetUtcNow());

        Assert.False(decision.Allowed);
        Assert.Equal(RiskTier.Low, decision.Tier);
        Assert.Contains(decision.Violations, v => v.Rule == "seccomp-unconfined");
    }

    private static ClusterSnapshot StateWithInternalWorkload(IDictionary<string, string> selector)
    {
        var labels = string.Join(", ", selector.Select(kv => $"\"{kv.Key}\": \"{kv.Value}\""));
        var yaml = $$"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: {{ChartRenderer.ReleaseNamespace}}
            ---
            apiVersion: node.k8s.io/v1
            kind: RuntimeClass
            metadata:
              name: kata
            handler: kata-qemu
            ---
            apiVersion: node.k8s.io/v1
            kind: RuntimeClass
            metadata:
              name: gvisor
            handler: runsc
            ---
            apiVersion: agentsandbox.io/v1alpha1
            kind: AgentWorkload
            metadata:
              name: sandbox-operator-infra
              namespace: {{ChartRenderer.ReleaseNamespace}}
            spec:
              type: Internal
              selector:
                matchLabels: { {{labels}} }
            """;
        var (docs, errors) = ManifestParser.Parse(yaml, "state.yaml");
        Assert.Empty(errors);
        return ManifestSet.From(docs).State;
    }

    private static JsonObject PodFrom(JsonObject deployment)
    {
        var template = deployment["spec"]!["template"]!;
        var metadata = template["metadata"]!.DeepClone().AsObject();
        metadata["generateName"] = "sandbox-operator-";
        metadata["namespace"] = ChartRenderer.ReleaseNamespace;
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = template["spec"]!.DeepClone() };
    }

    private static AdmissionRequest Request(string group, string kind, JsonObject obj) =>
        new(AdmissionOperation.Create, group, kind, ChartRenderer.ReleaseNamespace, (string?)obj["metadata"]?["name"], JsonSerializer.SerializeToElement(obj));
}
