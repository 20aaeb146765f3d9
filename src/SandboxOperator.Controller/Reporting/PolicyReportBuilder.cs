using SandboxOperator.Controller.Caching;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Reporting;

/// <summary>
/// Builds the audit's PolicyReports from the cached pods and nodes: one PolicyReport per namespace with running pods
/// (one result per pod and applicable rule, <see cref="PodVerdict"/>) and one ClusterPolicyReport for the nodes of the
/// sandbox pools (<see cref="NodePoolAudit"/>). Pods are judged with the SandboxExceptions active at the time given.
/// Results are ordered so the same cluster always gives the same report. Pure.
/// </summary>
public static class PolicyReportBuilder
{
    /// <summary>The name of every namespace's report and of the cluster report.</summary>
    public const string ReportName = "agentsandbox";

    /// <summary>The policy of the pod results (the rule is the rule id of docs/policy.md).</summary>
    public const string PodPolicy = "agentsandbox-pods";

    /// <summary>The policy of the node results.</summary>
    public const string NodePolicy = "agentsandbox-node-pools";

    /// <summary>The rule of a pod the audit cannot read (result <c>error</c>).</summary>
    public const string UnreadableRule = RuleIds.Unreadable;

    /// <summary>A node carries the label of at most one pool.</summary>
    public const string NodeLabelsRule = "node-pool-labels";

    /// <summary>A node carrying a pool's label carries that pool's taint.</summary>
    public const string NodeTaintRule = "node-pool-taint";

    /// <summary>The namespaces' reports, in namespace order; a namespace without running pods, or one the policy excludes (no webhook judges it), gets none.</summary>
    public static IReadOnlyList<PolicyReportContent> ForPods(IEnumerable<PodFacts> pods, PolicyConfig config, IClusterState state, ReportLimits limits, DateTimeOffset now)
    {
        var reports = new List<PolicyReportContent>();
        foreach (var group in pods.Where(p => !p.Terminated && !config.ExcludedNamespaces.Contains(p.Namespace)).GroupBy(p => p.Namespace, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var results = new List<ReportResult>();
            foreach (var pod in group.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                results.AddRange(ResultsFor(pod, config, state, now));
            }

            reports.Add(Bound(group.Key, results, limits));
        }

        return reports;
    }

    /// <summary>The cluster report: two results (labels, taint) per node that carries any pool's label, in node order.</summary>
    public static PolicyReportContent ForNodes(IEnumerable<NodeInfo> nodes, PolicyConfig config, ReportLimits limits)
    {
        var results = new List<ReportResult>();
        foreach (var node in nodes.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            var pools = config.SandboxRuntimes
                .Where(rt => node.Labels.TryGetValue(rt.Pool.Label.Key, out var v) && v == rt.Pool.Label.Value)
                .Select(rt => TierNames.LabelValue(rt.Runtime))
                .ToList();
            if (pools.Count == 0)
            {
                continue;
            }

            var findings = NodePoolAudit.Audit(node, config);
            var resource = new ReportResource("v1", "Node", null, node.Name, null);
            IReadOnlyList<KeyValuePair<string, string>> properties = [new("pools", string.Join(",", pools))];
            var labels = findings.Where(f => f.Reason == "MultiplePoolLabels").Select(f => f.Message).ToList();
            var taints = findings.Where(f => f.Reason == "PoolTaintMissing").Select(f => f.Message).ToList();
            results.Add(NodeResult(NodeLabelsRule, labels, "the node carries the label of exactly one pool", resource, properties));
            results.Add(NodeResult(NodeTaintRule, taints, "the node carries its pool's taint", resource, properties));
        }

        return Bound(null, results, limits);
    }

    /// <summary>A pod's results: one per rule that applies to it, or a single error when it cannot be read.</summary>
    public static IEnumerable<ReportResult> ResultsFor(PodFacts pod, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        var resource = new ReportResource("v1", "Pod", pod.Namespace, pod.Name, pod.Uid);
        if (pod.View is not { } view)
        {
            return [new ReportResult(PodPolicy, UnreadableRule, ReportOutcome.Error, $"the pod cannot be read: {pod.ReadError}", resource, [])];
        }

        var verdict = PodVerdict.Judge(view, pod.Namespace, config, state, now);
        var properties = new List<KeyValuePair<string, string>>
        {
            new("tier", verdict.Classification.Tier is { } tier ? tier.ToString() : "unmanaged"),
            new("runtime", TierNames.LabelValue(verdict.Runtime)),
            new("mode", verdict.Mode == EnforcementMode.Audit ? "audit" : "enforce"),
        };
        if (verdict.Classification.Workload is { } workload)
        {
            properties.Add(new("workload", workload));
        }

        return verdict.Rules.Select(r => new ReportResult(PodPolicy, r.Rule.Id, r.Outcome switch
        {
            RuleOutcome.Pass => ReportOutcome.Pass,
            RuleOutcome.Warn => ReportOutcome.Warn,
            _ => ReportOutcome.Fail,
        }, r.Message, resource, properties));
    }

    /// <summary>
    /// Applies <paramref name="limits"/>: messages are cut to the limit (ending in "…"). When the results do not all
    /// fit (at most <see cref="ReportLimits.MaxResults"/>, and their JSON, UTF-8 as stored, within
    /// <see cref="ReportLimits.MaxResultBytes"/>), errors, failures and warnings are kept before passes, each in the
    /// order found, as many as fit; the rest are omitted. The summary always counts every result.
    /// </summary>
    public static PolicyReportContent Bound(string? @namespace, IReadOnlyList<ReportResult> results, ReportLimits limits)
    {
        var summary = new ReportSummary(
            results.Count(r => r.Result == ReportOutcome.Pass),
            results.Count(r => r.Result == ReportOutcome.Fail),
            results.Count(r => r.Result == ReportOutcome.Warn),
            results.Count(r => r.Result == ReportOutcome.Error));
        var all = results.Select(r => Cut(r, limits)).ToList();
        if (Fits(all, limits, out _))
        {
            // Everything fits: the order found (by pod, then rule).
            return new PolicyReportContent(@namespace, ReportName, all, summary, 0);
        }

        // A bounded report leads with what needs attention.
        Fits([.. all.Where(r => r.Result != ReportOutcome.Pass), .. all.Where(r => r.Result == ReportOutcome.Pass)], limits, out var kept);
        return new PolicyReportContent(@namespace, ReportName, kept, summary, results.Count - kept.Count);
    }

    /// <summary>Whether all of <paramref name="results"/> fit in <paramref name="limits"/>; <paramref name="kept"/> is the longest prefix that does.</summary>
    private static bool Fits(List<ReportResult> results, ReportLimits limits, out List<ReportResult> kept)
    {
        long bytes = 0;
        var count = 0;
        foreach (var r in results)
        {
            bytes += r.StoredSize();
            if (count == limits.MaxResults || bytes > limits.MaxResultBytes)
            {
                break;
            }

            count++;
        }

        kept = count == results.Count ? results : results[..count];
        return count == results.Count;
    }

    private static ReportResult Cut(ReportResult r, ReportLimits limits) =>
        r.Message.Length <= limits.MaxMessageLength ? r : r with { Message = r.Message[..(limits.MaxMessageLength - 1)] + "…" };

    private static ReportResult NodeResult(string rule, List<string> problems, string passed, ReportResource resource, IReadOnlyList<KeyValuePair<string, string>> properties) =>
        new(NodePolicy, rule, problems.Count == 0 ? ReportOutcome.Pass : ReportOutcome.Fail, problems.Count == 0 ? passed : string.Join("; ", problems), resource, properties);
}
