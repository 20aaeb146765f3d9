using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Cli;

/// <summary>What the policy decides for one object under one configuration, as the what-if compares it.</summary>
internal sealed record Outcome(bool Covered, bool Allowed, RiskTier? Tier, SandboxRuntime? Runtime, string? RuntimeClassName, string? Workload, string? Message)
{
    public static Outcome Of(AdmissionDecision d) => new(d.Covered, d.Allowed, d.Tier, d.Runtime, d.RuntimeClassName, d.Workload, d.Message);

    /// <summary>Whether two outcomes differ in anything but the wording of the denial.</summary>
    public bool DiffersFrom(Outcome other) => this with { Message = null } != other with { Message = null };

    public string Display => !Covered ? "not covered" : $"{(Allowed ? "allowed" : "denied")} {Tier?.ToString() ?? "unmanaged"}/{Runtime?.ToString() ?? "-"}";
}

/// <summary>One object (pod controller, pod, AgentWorkload) under the cluster's configuration and under the candidate.</summary>
/// <param name="DeniedOnItsNode">
/// For a pod the scheduler has placed: the candidate's denial of the pod on its current node (spec.nodeName) when the
/// cluster's configuration admits it there, as a pod created again with the same spec.nodeName would meet it.
/// </param>
internal sealed record WhatIfRow(string Kind, string Namespace, string Name, Outcome Current, Outcome Candidate, string? DeniedOnItsNode = null)
{
    public bool Changed => Current.DiffersFrom(Candidate) || DeniedOnItsNode is not null;

    /// <summary>The pods would run with another runtime or RuntimeClass once recreated.</summary>
    public bool RuntimeMoves => Current.Covered && Candidate.Covered && (Current.Runtime != Candidate.Runtime || Current.RuntimeClassName != Candidate.RuntimeClassName);

    /// <summary>Admitted today, denied under the candidate.</summary>
    public bool NewDenial => Current.Allowed && !Candidate.Allowed;

    /// <summary>The changes in words, most important first.</summary>
    public IReadOnlyList<string> Changes
    {
        get
        {
            var changes = new List<string>();
            if (NewDenial)
            {
                changes.Add($"newly denied: {Candidate.Message}");
            }
            else if (!Current.Allowed && Candidate.Allowed)
            {
                changes.Add("no longer denied");
            }

            if (DeniedOnItsNode is not null)
            {
                changes.Add($"denied if created again on its current node: {DeniedOnItsNode}");
            }

            if (Current.Covered != Candidate.Covered)
            {
                changes.Add(Candidate.Covered ? "newly covered by the policy" : "no longer covered by the policy");
            }

            if (RuntimeMoves)
            {
                changes.Add($"runtime {Describe(Current)} -> {Describe(Candidate)}");
            }

            if (Current.Covered && Candidate.Covered && Current.Tier != Candidate.Tier)
            {
                changes.Add($"tier {Current.Tier?.ToString() ?? "unmanaged"} -> {Candidate.Tier?.ToString() ?? "unmanaged"}");
            }

            if (Current.Covered && Candidate.Covered && Current.Workload != Candidate.Workload)
            {
                changes.Add($"claimed by {Current.Workload ?? "no AgentWorkload"} -> {Candidate.Workload ?? "no AgentWorkload"}");
            }

            return changes;
        }
    }

    private static string Describe(Outcome o) => o.RuntimeClassName is { } rc ? $"{o.Runtime} (RuntimeClass {rc})" : o.Runtime?.ToString() ?? "unmanaged";
}

/// <summary>The extra capacity a pool needs for the pods that move into it: its RuntimeClass's overhead.podFixed × pods.</summary>
/// <param name="PerPod">overhead.podFixed (resource → quantity); null when unknown.</param>
/// <param name="Extra">PerPod × Pods, per resource; null when unknown.</param>
/// <param name="Source">Where the overhead comes from, or why it is unknown.</param>
internal sealed record PoolCapacity(SandboxRuntime Runtime, string Pool, string RuntimeClassName, int Pods,
    IReadOnlyDictionary<string, string>? PerPod, IReadOnlyDictionary<string, string>? Extra, string Source);

/// <summary>
/// The what-if comparison: every object is evaluated as a CREATE under the configuration in the cluster and under the
/// candidate, against the same cluster state. Pure: the objects, both configurations and the state are parameters.
/// </summary>
internal static class WhatIf
{
    /// <summary>
    /// Compares one object. A pod that already has a node (<c>spec.nodeName</c>, set by the scheduler or by its
    /// creator) is judged as its controller creates it again, without one, so the scheduler places it anew; its current
    /// node is then judged separately (<see cref="WhatIfRow.DeniedOnItsNode"/>), so a pod pinned to its node is not
    /// reported as admitted without a word.
    /// </summary>
    /// <param name="now">The time both configurations are judged at (which SandboxExceptions in <paramref name="state"/> apply).</param>
    public static WhatIfRow Compare(ManifestDocument doc, PolicyConfig current, PolicyConfig candidate, IClusterState state, DateTimeOffset now)
    {
        var ns = doc.Namespace ?? ManifestSet.DefaultNamespace;
        var obj = doc.Object;
        string? deniedOnNode = null;
        if (doc.Kind == "Pod" && doc.Group.Length == 0 && obj["spec"] is JsonObject spec && spec["nodeName"] is not null)
        {
            var bound = Request(doc, ns, obj);
            if (AdmissionEvaluator.Evaluate(bound, current, state, now).Allowed && AdmissionEvaluator.Evaluate(bound, candidate, state, now) is { Allowed: false } denied)
            {
                deniedOnNode = denied.Message;
            }

            obj = (JsonObject)obj.DeepClone();
            ((JsonObject)obj["spec"]!).Remove("nodeName");
        }

        var request = Request(doc, ns, obj);
        return new WhatIfRow(doc.Kind, ns, doc.Name ?? "", Outcome.Of(AdmissionEvaluator.Evaluate(request, current, state, now)), Outcome.Of(AdmissionEvaluator.Evaluate(request, candidate, state, now)), deniedOnNode);
    }

    private static AdmissionRequest Request(ManifestDocument doc, string ns, JsonObject obj) =>
        new(AdmissionOperation.Create, doc.Group, doc.Kind, ns, doc.Name, JsonSerializer.SerializeToElement(obj));

    /// <summary>
    /// The capacity each sandbox pool needs for the pods moving into it (rows whose runtime moves to a runtime with a
    /// pool and that the candidate admits), from the overhead of the RuntimeClass the candidate gives them: the
    /// cluster's RuntimeClass when it exists (<paramref name="overheads"/>), otherwise the configured overhead when the
    /// operator manages RuntimeClasses (it will create the class with it), otherwise unknown.
    /// </summary>
    public static List<PoolCapacity> Capacity(IEnumerable<(WhatIfRow Row, int Pods)> rows, PolicyConfig candidate, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> overheads)
    {
        var moving = new Dictionary<(SandboxRuntime, string), int>();
        foreach (var (row, pods) in rows)
        {
            if (row.RuntimeMoves && row.Candidate.Allowed && row.Candidate.Runtime is { } rt && candidate.SettingsFor(rt) is not null
                && row.Candidate.RuntimeClassName is { } rc && (row.Current.Runtime != rt || row.Current.RuntimeClassName != rc) && pods > 0)
            {
                moving[(rt, rc)] = moving.GetValueOrDefault((rt, rc)) + pods;
            }
        }

        var result = new List<PoolCapacity>();
        foreach (var ((rt, rc), pods) in moving.OrderBy(m => m.Key.Item1).ThenBy(m => m.Key.Item2, StringComparer.Ordinal))
        {
            var settings = candidate.SettingsFor(rt)!;
            IReadOnlyDictionary<string, string>? perPod;
            string source;
            if (overheads.TryGetValue(rc, out var fromCluster))
            {
                perPod = fromCluster;
                source = fromCluster.Count == 0 ? $"RuntimeClass {rc} has no overhead" : $"RuntimeClass {rc} overhead.podFixed";
            }
            else if (candidate.ManageRuntimeClasses && rc == settings.RuntimeClassName)
            {
                perPod = settings.Overhead is { } o ? new Dictionary<string, string> { ["cpu"] = o.Cpu, ["memory"] = o.Memory } : new Dictionary<string, string>();
                source = $"RuntimeClass {rc} does not exist yet; the operator creates it with the configured overhead";
            }
            else
            {
                perPod = null;
                source = $"RuntimeClass {rc} does not exist: its overhead is unknown";
            }

            result.Add(new PoolCapacity(rt, settings.Pool.Label.ToString(), rc, pods, perPod, perPod is null ? null : Times(perPod, pods), source));
        }

        return result;
    }

    /// <summary>Each quantity × <paramref name="count"/>, in the quantity's own format (binary or decimal suffix).</summary>
    public static Dictionary<string, string> Times(IReadOnlyDictionary<string, string> quantities, int count)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (resource, text) in quantities.OrderBy(q => q.Key, StringComparer.Ordinal))
        {
            var q = new ResourceQuantity(text);
            result[resource] = new ResourceQuantity(q.ToDecimal() * count, 0, q.Format).CanonicalizeString();
        }

        return result;
    }
}
