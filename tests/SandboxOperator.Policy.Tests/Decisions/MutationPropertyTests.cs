using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.State;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>
/// Properties over generated pods: mutating twice equals mutating once, and a mutated managed pod that
/// was allowed passes the validating stage as it arrives there.
/// </summary>
public class MutationPropertyTests
{
    private static readonly string[] Labels = ["""{"app":"a"}""", """{"app":"t"}""", """{"app":"i"}""", """{"agentsandbox.io/workload-type":"mcp-server"}""", """{"agentsandbox.io/workload":"a"}""", """{"app":"none"}""", "null"];
    private static readonly string?[] Classes = [null, "kata", "gvisor", "nvidia"];
    private static readonly string?[] Tolerations = [null, "[]", """[{"key":"gpu","operator":"Exists"}]""", """[{"key":"agentsandbox.io/pool","operator":"Equal","value":"kata","effect":"NoSchedule"}]"""];
    private static readonly string?[] Affinities = [null, "{}", """{"nodeAffinity":{}}""", """{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]},{"matchFields":[{"key":"metadata.name","operator":"NotIn","values":["x"]}]}]}}}""", """{"podAntiAffinity":{}}"""];
    private static readonly string?[] SecurityContexts = [null, "{}", """{"runAsNonRoot":true}""", """{"seccompProfile":{"type":"Localhost","localhostProfile":"x.json"}}"""];
    private static readonly string[] Containers = ["""[{"name":"a","image":"x"}]""", """[{"name":"a","image":"x"},{"name":"b","image":"y","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}},{"name":"c","image":"z"}]""", """[{"name":"a","image":"x","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]"""];

    private static readonly ClusterSnapshot State = Cluster(
        [Workload("a", WorkloadType.Agent, matchApp: "a"), Workload("t", WorkloadType.Tool, matchApp: "t"), Workload("i", WorkloadType.Internal, matchApp: "i")],
        namespaces: new() { ["enforced"] = new() { [WellKnown.EnforceLabel] = "kata" } });

    public static IEnumerable<object[]> Pods()
    {
        var random = new Random(20261123);
        for (var n = 0; n < 400; n++)
        {
            var spec = new JsonObject { ["containers"] = JsonNode.Parse(Pick(random, Containers)) };
            Set(spec, "runtimeClassName", Pick(random, Classes) is { } c ? JsonValue.Create(c) : null);
            Set(spec, "tolerations", Pick(random, Tolerations) is { } t ? JsonNode.Parse(t) : null);
            Set(spec, "affinity", Pick(random, Affinities) is { } a ? JsonNode.Parse(a) : null);
            Set(spec, "securityContext", Pick(random, SecurityContexts) is { } s ? JsonNode.Parse(s) : null);
            var labels = Pick(random, Labels);
            var ns = random.Next(4) == 0 ? "enforced" : "default";
            yield return [n, Pod($"p{n}", ns, labels == "null" ? null : labels, spec.ToJsonString())];
        }
    }

    [Theory]
    [MemberData(nameof(Pods))]
    public void Mutating_twice_equals_mutating_once_and_the_result_validates(int seed, JsonObject pod)
    {
        var first = Evaluate(pod, State);
        if (!first.Allowed)
        {
            return; // Denied pods are not mutated; the rules for them are covered by the validation table.
        }

        var once = Mutated(pod, first);
        var second = Evaluate(once, State);
        Assert.True(second.Allowed, $"#{seed}: {second.Message}");
        Assert.True(second.Patch.Count == 0, $"#{seed}: second mutation patched {PatchJson(second)}");

        var atValidate = Evaluate(once, State, mutationApplied: true);
        Assert.True(atValidate.Allowed, $"#{seed}: mutated pod failed validation: {atValidate.Message}\n{once.ToJsonString()}");
        Assert.Equal(first.Tier, atValidate.Tier);
        Assert.Equal(first.Runtime, atValidate.Runtime);
    }

    [Fact]
    public void Most_generated_pods_are_allowed_so_the_property_is_exercised()
    {
        var pods = Pods().Select(p => (JsonObject)p[1]).ToList();
        var allowed = pods.Count(p => Evaluate(p, State).Allowed);
        var patched = pods.Count(p => Evaluate(p, State) is { Allowed: true, Patch.Count: > 0 });
        Assert.True(allowed >= pods.Count / 2, $"only {allowed} of {pods.Count} allowed");
        Assert.True(patched >= pods.Count / 3, $"only {patched} of {pods.Count} mutated");
    }

    private static T Pick<T>(Random r, T[] items) => items[r.Next(items.Length)];

    private static void Set(JsonObject obj, string key, JsonNode? value)
    {
        if (value is not null)
        {
            obj[key] = value;
        }
    }
}
