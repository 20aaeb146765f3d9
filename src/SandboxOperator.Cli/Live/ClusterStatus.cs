using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Cli.Live;

/// <summary>A sandbox pool: its label and taint, its labelled nodes, those usable (Ready, labelled and tainted) and what is wrong on them.</summary>
internal sealed record PoolLine(string Runtime, string Label, string Taint, int Nodes, int Usable, IReadOnlyList<string> Findings);

/// <summary>A RuntimeClass of the cluster: its handler, the runtime the policy counts it as, and whether it is the class a runtime needs.</summary>
internal sealed record RuntimeClassLine(string Name, string Handler, string CountsAs, string? ConfiguredFor);

/// <summary>A sandbox runtime's configured class and handlers, and whether the cluster's class of that name works.</summary>
internal sealed record HandlerLine(string Runtime, string RuntimeClass, string AcceptedHandlers, string State);

/// <summary>How many of something there are at a tier and runtime.</summary>
internal sealed record TierCount(string Tier, string Runtime, int Count);

/// <summary>A pod that breaks the policy, the rules it breaks and the first message.</summary>
internal sealed record NonCompliantPod(string Namespace, string Name, IReadOnlyList<string> Rules, string Message);

/// <summary>
/// The state of the sandboxes in a cluster (<c>kubectl sandbox status</c>): the pools, the RuntimeClasses and the
/// handlers the policy accepts, AgentWorkloads and running pods by tier, and the pods that break the policy (judged
/// as the operator's audit judges them, with the SandboxExceptions active at the given time). Pure.
/// </summary>
internal sealed record ClusterStatus(
    string Scope,
    IReadOnlyList<PoolLine> Pools,
    IReadOnlyList<HandlerLine> Handlers,
    IReadOnlyList<RuntimeClassLine> RuntimeClasses,
    IReadOnlyList<TierCount> Workloads,
    IReadOnlyList<TierCount> Pods,
    int NonCompliant,
    IReadOnlyList<NonCompliantPod> NonCompliantPods)
{
    /// <summary>Non-compliant pods listed at most; <see cref="NonCompliant"/> counts all.</summary>
    public const int Listed = 20;

    public static ClusterStatus Build(string? @namespace, PolicyConfig config, ClusterSnapshot state, IEnumerable<LivePod> pods, DateTimeOffset now)
    {
        var nodes = state.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        var pools = config.SandboxRuntimes.Select(rt =>
        {
            var pool = NodePoolAudit.Pool(rt, nodes, config);
            return new PoolLine(TierNames.LabelValue(rt.Runtime), rt.Pool.Label.ToString(), rt.Pool.Taint.ToString(), pool.LabelledNodes, pool.UsableNodes,
                [.. pool.Findings.Select(f => f.Message).Distinct(StringComparer.Ordinal)]);
        }).ToList();

        var handlers = config.SandboxRuntimes.Select(rt => new HandlerLine(TierNames.LabelValue(rt.Runtime), rt.RuntimeClassName, rt.AcceptedHandlers,
            state.RuntimeClass(rt.RuntimeClassName) is not { } rc ? "missing"
            : rt.Accepts(rc.Handler) ? "ok"
            : $"handler {rc.Handler} is not accepted")).ToList();

        var classes = state.RuntimeClasses.OrderBy(r => r.Name, StringComparer.Ordinal).Select(rc => new RuntimeClassLine(
            rc.Name,
            rc.Handler,
            config.SandboxRuntimes.FirstOrDefault(rt => rt.Accepts(rc.Handler)) is { } rt ? TierNames.LabelValue(rt.Runtime) : "runc",
            config.SandboxRuntimes.FirstOrDefault(rt => rt.RuntimeClassName == rc.Name) is { } owner ? TierNames.LabelValue(owner.Runtime) : null)).ToList();

        var workloads = state.Workloads
            .Where(w => @namespace is null || w.Namespace == @namespace)
            .Select(w => Tiering.Compute(w.Spec))
            .GroupBy(t => (t.Tier, t.Runtime))
            .OrderByDescending(g => g.Key.Tier)
            .Select(g => new TierCount(g.Key.Tier.ToString(), TierNames.LabelValue(g.Key.Runtime), g.Count()))
            .ToList();

        var podCounts = new Dictionary<(string Tier, string Runtime), int>();
        var bad = new List<NonCompliantPod>();
        foreach (var pod in pods.Where(p => !p.Terminated).OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            if (pod.View is not { } view)
            {
                Count(podCounts, ("unknown", "unknown"));
                bad.Add(new NonCompliantPod(pod.Namespace, pod.Name, ["unreadable"], $"the pod cannot be read: {pod.Error}"));
                continue;
            }

            var (classification, runtime, violations) = PodVerdict.Evaluate(view, pod.Namespace, config, state, now);
            Count(podCounts, (classification.Tier?.ToString() ?? "unmanaged", TierNames.LabelValue(runtime)));
            if (violations.Count > 0)
            {
                bad.Add(new NonCompliantPod(pod.Namespace, pod.Name, [.. violations.Select(v => v.Rule).Distinct(StringComparer.Ordinal)], violations[0].Message));
            }
        }

        var podLines = podCounts.OrderBy(kv => TierOrder(kv.Key.Tier)).ThenBy(kv => kv.Key.Runtime, StringComparer.Ordinal)
            .Select(kv => new TierCount(kv.Key.Tier, kv.Key.Runtime, kv.Value)).ToList();
        return new ClusterStatus(@namespace is null ? "all namespaces" : $"namespace {@namespace}", pools, handlers, classes, workloads, podLines, bad.Count, [.. bad.Take(Listed)]);
    }

    public void WriteTable(TextWriter w, string policyFrom)
    {
        w.WriteLine($"Policy: {policyFrom}; workloads and pods of {Scope}");
        w.WriteLine();
        w.WriteLine("POOL     NODES  USABLE  LABEL / TAINT");
        foreach (var p in Pools)
        {
            w.WriteLine($"{p.Runtime,-8} {p.Nodes,5}  {p.Usable,6}  {p.Label} / {p.Taint}");
            foreach (var f in p.Findings)
            {
                w.WriteLine($"  ! {f}");
            }
        }

        w.WriteLine();
        w.WriteLine("RUNTIME  RUNTIMECLASS  STATE  ACCEPTED HANDLERS");
        foreach (var h in Handlers)
        {
            w.WriteLine($"{h.Runtime,-8} {h.RuntimeClass,-12}  {h.State,-5}  {h.AcceptedHandlers}");
        }

        w.WriteLine();
        w.WriteLine("RUNTIMECLASS         HANDLER          COUNTS AS");
        foreach (var rc in RuntimeClasses)
        {
            w.WriteLine($"{rc.Name,-20} {rc.Handler,-16} {rc.CountsAs}{(rc.ConfiguredFor is { } r ? $" (the {r} class)" : "")}");
        }

        w.WriteLine();
        w.WriteLine($"AGENTWORKLOADS: {Workloads.Sum(t => t.Count)}");
        foreach (var t in Workloads)
        {
            w.WriteLine($"  {t.Tier,-9} {t.Runtime,-7} {t.Count}");
        }

        w.WriteLine($"PODS: {Pods.Sum(t => t.Count)} running");
        foreach (var t in Pods)
        {
            w.WriteLine($"  {t.Tier,-9} {t.Runtime,-7} {t.Count}");
        }

        w.WriteLine();
        w.WriteLine($"NON-COMPLIANT PODS: {NonCompliant}{(NonCompliant > NonCompliantPods.Count ? $" (first {NonCompliantPods.Count} listed)" : "")}");
        foreach (var p in NonCompliantPods)
        {
            w.WriteLine($"  {p.Namespace}/{p.Name}: {string.Join(", ", p.Rules)}: {p.Message}");
        }
    }

    private static void Count(Dictionary<(string, string), int> counts, (string, string) key) => counts[key] = counts.GetValueOrDefault(key) + 1;

    private static int TierOrder(string tier) => tier switch { "High" => 0, "Medium" => 1, "Low" => 2, "unmanaged" => 3, _ => 4 };
}
