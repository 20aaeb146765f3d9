using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Benchmarks;

/// <summary>
/// One admission decision for a typical three-container pod, from the pod's JSON bytes to the
/// serialized patch: parse, classify, mutate, validate, serialize. Target: median ≤ 20 µs, ≤ 8 KB allocated.
/// </summary>
[MemoryDiagnoser]
public class PolicyDecisionBenchmark
{
    private byte[] _pod = [];
    private ClusterSnapshot _state = ClusterSnapshot.Empty;
    private PolicyConfig _withPresets = PolicyConfig.Default;

    [GlobalSetup]
    public void Setup()
    {
        _pod = Encoding.UTF8.GetBytes(TypicalPod);
        _state = new ClusterSnapshot(
            [new("tools", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "tools" })],
            [
                new AgentWorkload("tools", "code-runner", new AgentWorkloadSpec { Type = WorkloadType.ExecTool, Traits = new WorkloadTraits { ExecutesUntrustedCode = true }, Selector = new LabelSelector { MatchLabels = new() { ["app"] = "code-runner" } } }),
                new AgentWorkload("tools", "unit-converter", new AgentWorkloadSpec { Type = WorkloadType.Tool, Selector = new LabelSelector { MatchLabels = new() { ["app"] = "unit-converter" } } }),
            ],
            [new RuntimeClassInfo("kata", "kata-qemu", new Dictionary<string, string>(), []), new RuntimeClassInfo("gvisor", "runsc", new Dictionary<string, string>(), [])]);
        _withPresets = PolicyConfig.Default with { Classification = [.. ClassificationPresets.Names.Select(n => ClassificationPresets.Rule(n)!)] };
    }

    [Benchmark]
    public int DecidePod()
    {
        using var doc = JsonDocument.Parse(_pod);
        var request = new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "tools", "code-runner-5d8f-abcde", doc.RootElement);
        var decision = AdmissionEvaluator.Evaluate(request, PolicyConfig.Default, _state, DateTimeOffset.UnixEpoch);
        return JsonPatch.Serialize(decision.Patch).Length;
    }

    /// <summary>The same decision with the three classification presets enabled (none matches this pod).</summary>
    [Benchmark]
    public int DecidePodWithPresets()
    {
        using var doc = JsonDocument.Parse(_pod);
        var request = new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "tools", "code-runner-5d8f-abcde", doc.RootElement);
        var decision = AdmissionEvaluator.Evaluate(request, _withPresets, _state, DateTimeOffset.UnixEpoch);
        return JsonPatch.Serialize(decision.Patch).Length;
    }

    internal const string TypicalPod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"code-runner-5d8f-abcde","generateName":"code-runner-5d8f-","namespace":"tools",
        "labels":{"app":"code-runner","pod-template-hash":"5d8f","app.kubernetes.io/part-of":"agents"},
        "annotations":{"kubectl.kubernetes.io/default-container":"runner"},
        "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"code-runner-5d8f","uid":"6f1c7f3e-6a7e-4c1e-9a57-3c0f9d1f2b11","controller":true,"blockOwnerDeletion":true}]},
        "spec":{"serviceAccountName":"code-runner","automountServiceAccountToken":false,
        "initContainers":[{"name":"fetch-runtime","image":"ghcr.io/example/python-runtime:3.12","command":["/bin/cp","-r","/runtime","/work"],"volumeMounts":[{"name":"work","mountPath":"/work"}]}],
        "containers":[
          {"name":"runner","image":"ghcr.io/example/code-runner:2.0.1","ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"limits":{"cpu":"1","memory":"512Mi"},"requests":{"cpu":"250m","memory":"256Mi"}},"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true,"capabilities":{"drop":["ALL"]}},"volumeMounts":[{"name":"work","mountPath":"/work"}]},
          {"name":"log-forwarder","image":"ghcr.io/example/log-forwarder:0.9.0","resources":{"limits":{"memory":"64Mi"}}},
          {"name":"metrics","image":"ghcr.io/example/metrics-sidecar:1.1.0","ports":[{"containerPort":9090}]}],
        "volumes":[{"name":"work","emptyDir":{}}],
        "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],
        "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst"}}
        """;
}
