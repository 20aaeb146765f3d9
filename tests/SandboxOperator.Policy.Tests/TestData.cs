using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Tests;

/// <summary>Builders for pods, workloads and cluster state used across the policy tests.</summary>
internal static class TestData
{
    /// <summary>The time every decision in these tests is made at, unless a test moves it.</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static JsonObject Pod(string name = "p", string ns = "default", string? labels = null, string spec = """{"containers":[{"name":"app","image":"nginx"}]}""")
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null)
        {
            meta["labels"] = JsonNode.Parse(labels);
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = JsonNode.Parse(spec) };
    }

    public static AgentWorkload Workload(string name, WorkloadType type, string ns = "default", string? matchApp = null, RiskTier? riskTier = null, WorkloadTraits? traits = null) =>
        new(ns, name, new AgentWorkloadSpec
        {
            Type = type,
            RiskTier = riskTier,
            Traits = traits,
            Selector = matchApp is null ? null : new LabelSelector { MatchLabels = new() { ["app"] = matchApp } },
        });

    public static ClusterSnapshot Cluster(IEnumerable<AgentWorkload>? workloads = null, Dictionary<string, Dictionary<string, string>>? namespaces = null, IEnumerable<RuntimeClassInfo>? runtimeClasses = null, IEnumerable<NodeInfo>? nodes = null) =>
        new(namespaces?.Select(kv => new KeyValuePair<string, IReadOnlyDictionary<string, string>>(kv.Key, kv.Value)), workloads, runtimeClasses, nodes);

    public static AdmissionDecision Evaluate(JsonObject obj, IClusterState? state = null, PolicyConfig? config = null, AdmissionOperation op = AdmissionOperation.Create, JsonObject? old = null, bool mutationApplied = false, RequestUser? user = null, DateTimeOffset? now = null)
    {
        var apiVersion = (string)obj["apiVersion"]!;
        var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
        var ns = (string?)obj["metadata"]?["namespace"] ?? "default";
        var request = new AdmissionRequest(op, group, (string)obj["kind"]!, ns, (string?)obj["metadata"]?["name"],
            JsonSerializer.SerializeToElement(obj), old is null ? null : JsonSerializer.SerializeToElement(old), User: user, MutationApplied: mutationApplied);
        return AdmissionEvaluator.Evaluate(request, config ?? PolicyConfig.Default, state ?? ClusterSnapshot.Empty, now ?? Now);
    }

    /// <summary>The object after applying the decision's patch.</summary>
    public static JsonObject Mutated(JsonObject obj, AdmissionDecision decision) =>
        (JsonObject)Policy.Json.JsonPatch.Apply(obj, decision.Patch)!;

    public static string PatchJson(AdmissionDecision decision) => Policy.Json.JsonPatch.ToJson(decision.Patch);

    /// <summary>The repository root (the folder holding SandboxOperator.sln).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
