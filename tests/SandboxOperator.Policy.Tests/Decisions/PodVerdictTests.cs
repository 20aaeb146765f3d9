using System.Text.RegularExpressions;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>A running pod judged rule by rule: the catalogue, which rules apply, and the outcome per rule.</summary>
public sealed partial class PodVerdictTests
{
    [Fact]
    public void The_catalogue_is_the_pod_rules_table_of_policy_md_with_its_applies_to_column()
    {
        var doc = File.ReadAllText(Path.Combine(TestData.RepoRoot(), "docs", "policy.md"));
        var table = doc[doc.IndexOf("## Pod rules", StringComparison.Ordinal)..doc.IndexOf("## The operator's own labels", StringComparison.Ordinal)];
        var documented = new List<(string Id, string AppliesTo)>();
        foreach (Match row in TableRow().Matches(table))
        {
            foreach (Match id in RuleId().Matches(row.Groups["ids"].Value))
            {
                documented.Add((id.Groups[1].Value, row.Groups["applies"].Value.Trim()));
            }
        }

        // Its own table has no "applies to" column: it says "on a created pod", i.e. every pod.
        documented.Add(("operator-labels", "every pod"));
        Assert.Equal(documented.Select(d => d.Id), PodRules.All.Select(r => r.Id));
        foreach (var (id, appliesTo) in documented)
        {
            var expected = appliesTo switch
            {
                "every pod" => PodRuleScope.Every,
                "every pod, except in `infrastructureNamespaces`" => PodRuleScope.OutsideInfrastructure,
                "managed pods" => PodRuleScope.Managed,
                "tiers High and Medium" => PodRuleScope.HighOrMedium,
                "every pod with a known RuntimeClass" => PodRuleScope.KnownRuntimeClass,
                _ => throw new InvalidOperationException($"{id}: unknown applies-to \"{appliesTo}\""),
            };
            Assert.Equal(expected, PodRules.Find(id)!.Scope);
        }
    }

    [Fact]
    public void An_unmanaged_pod_is_judged_by_the_rules_for_every_pod_and_an_infrastructure_pod_without_the_pool_rules()
    {
        var state = TestData.Cluster();
        var pod = View(TestData.Pod(ns: "ns"));

        Assert.Equal(["kata-required", "pool-separation", "pool-unreachable", "operator-labels"],
            PodVerdict.Judge(pod, "ns", PolicyConfig.Default, state).Rules.Select(r => r.Rule.Id));
        var infra = PolicyConfig.Default with { InfrastructureNamespaces = new HashSet<string> { "kube-system" } };
        Assert.Equal(["kata-required", "operator-labels"], PodVerdict.Judge(View(TestData.Pod(ns: "kube-system")), "kube-system", infra, state).Rules.Select(r => r.Rule.Id));
    }

    [Fact]
    public void Every_violation_becomes_its_rules_result_failed_in_enforce_and_warned_in_audit()
    {
        var pod = View(TestData.Pod(ns: "ns", labels: """{"agentsandbox.io/workload":"agent"}""",
            spec: """{"hostNetwork":true,"containers":[{"name":"app","image":"nginx","securityContext":{"privileged":true}}]}"""));
        var workload = TestData.Workload("agent", WorkloadType.Agent, ns: "ns");

        foreach (var (mode, outcome) in new[] { ("enforce", RuleOutcome.Fail), ("audit", RuleOutcome.Warn) })
        {
            var state = TestData.Cluster([workload], new() { ["ns"] = new() { [WellKnown.ModeLabel] = mode } });
            var verdict = PodVerdict.Judge(pod, "ns", PolicyConfig.Default, state);

            Assert.Equal(RiskTier.High, verdict.Classification.Tier);
            // No RuntimeClass, so no handler to prove; every other rule applies at High.
            Assert.Equal(PodRules.All.Select(r => r.Id).Where(r => r != RuleIds.RuntimeHandlerMissing), verdict.Rules.Select(r => r.Rule.Id));
            Assert.Equal(verdict.Violations.Select(v => v.Rule).Distinct().Order(StringComparer.Ordinal),
                verdict.Rules.Where(r => r.Outcome != RuleOutcome.Pass).Select(r => r.Rule.Id).Order(StringComparer.Ordinal));
            Assert.All(verdict.Rules.Where(r => r.Outcome != RuleOutcome.Pass), r => Assert.Equal(outcome, r.Outcome));
            var privileged = verdict.Rules.Single(r => r.Rule.Id == "privileged");
            Assert.Equal("privileged container \"app\" is not allowed at tier High: it bypasses the sandbox", privileged.Message);
            Assert.Equal("no hostPath volume", verdict.Rules.Single(r => r.Rule.Id == "host-path").Message);
            Assert.Contains(verdict.Rules, r => r.Rule.Id == "host-network" && r.Outcome == outcome);
        }
    }

    private static PodSpecView View(System.Text.Json.Nodes.JsonObject pod)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(pod.ToJsonString());
        return PodSpecReader.Read(doc.RootElement).View!;
    }

    [GeneratedRegex(@"^\| (?<ids>`[a-z-]+`(?:, `[a-z-]+`)*) \| [^|]+ \| (?<applies>[^|]+) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex("`([a-z-]+)`")]
    private static partial Regex RuleId();
}
