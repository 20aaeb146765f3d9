using SandboxOperator.Controller.Caching;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Edge;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// Computes the status an AgentWorkload should have from the caches: the tier (by the core's
/// <see cref="Tiering"/>), the conditions <c>Ready</c>, <c>RuntimeClassAvailable</c>, <c>NodePoolAvailable</c>,
/// <c>PodsCompliant</c>, the pod counts and the edge-isolate advice (<see cref="EdgeIsolateAdvisor"/>, over the pods that
/// belong to the workload). Pure: the clock is a parameter.
/// </summary>
/// <remarks>
/// A condition keeps its previous <c>lastTransitionTime</c> unless its status changes, so an unchanged cluster yields
/// a status equal to the one already written. Pods that have Succeeded or Failed are not counted. The warnings about the
/// spec (a <c>riskTier</c> that is ignored) follow the reasons in <c>status.reasons</c>, the same text the validating
/// webhook returns as a kubectl warning. A RuntimeClass is available when its handler is one the runtime accepts. A
/// pool is available when it has a usable node and none of its nodes lacks the RuntimeClass's handler
/// (<see cref="RuntimeHandlerProof"/>); when its nodes report no handlers the condition stays True with reason
/// <c>HandlerUnverified</c>, never <c>PoolReady</c>.
/// </remarks>
public static class WorkloadStatusBuilder
{
    private const int MessagePods = 3;

    public static WorkloadAssessment Build(
        WorkloadEntry entry,
        IEnumerable<PodFacts> podsInNamespace,
        IEnumerable<NodeInfo> nodes,
        PolicyConfig config,
        IClusterState state,
        DateTimeOffset now)
    {
        var workload = entry.Workload ?? throw new ArgumentException("the workload's spec is invalid; use BuildInvalid", nameof(entry));
        var tier = Tiering.Compute(workload.Spec);
        var settings = config.SettingsFor(tier.Runtime);
        var previous = entry.Status?.Conditions;
        var generation = entry.Generation;

        var rcCondition = RuntimeClassCondition(tier, settings, config, state);
        var poolCondition = PoolCondition(tier, settings, nodes, config, state);

        var total = 0;
        var issues = new List<PodIssue>();
        var edgeFacts = new List<(string, EdgePodFacts)>();
        foreach (var pod in podsInNamespace)
        {
            if (pod.Terminated || !PodCompliance.BelongsTo(pod, workload))
            {
                continue;
            }

            total++;
            edgeFacts.Add(($"pod {pod.Name}", pod.Edge ?? new EdgePodFacts([pod.ReadError ?? "the pod could not be read"], null, null)));
            var violations = PodCompliance.Check(pod, config, state, now);
            if (violations.Count > 0)
            {
                issues.Add(new PodIssue(pod.Name, pod.Uid, violations[0].Message + (violations.Count > 1 ? $" (and {violations.Count - 1} more)" : "")));
            }
        }

        issues.Sort((a, b) => string.CompareOrdinal(a.Pod, b.Pod));
        var podsCondition = PodsCondition(tier, total, issues);

        var parts = new[] { rcCondition, poolCondition, podsCondition };
        var failing = parts.FirstOrDefault(c => c.Status != "True");
        var ready = failing is null
            ? ("True", "Ready", $"tier {tier.Tier}: pods run with {Describe(tier.Runtime, settings)}")
            : ("False", failing.Reason!, $"{failing.Type} is False: {failing.Message}");

        var status = new AgentWorkloadStatus
        {
            RiskTier = tier.Tier,
            Runtime = tier.Runtime,
            RuntimeClassName = settings?.RuntimeClassName,
            NodePool = settings?.Pool.Label.Value,
            Reasons = [.. tier.Reasons, .. tier.Warnings],
            ObservedGeneration = generation,
            Pods = new PodCounts { Total = total, Compliant = total - issues.Count },
            EdgeIsolate = EdgeStatus(EdgeIsolateAdvisor.Assess(workload.Spec, edgeFacts)),
            Conditions =
            [
                Condition(ConditionTypes.Ready, ready.Item1, ready.Item2, ready.Item3, generation, previous, now),
                Stamp(rcCondition, generation, previous, now),
                Stamp(poolCondition, generation, previous, now),
                Stamp(podsCondition, generation, previous, now),
            ],
        };
        return new WorkloadAssessment(status, tier, issues);
    }

    /// <summary>The status of a workload whose spec the schema rejects: Ready=False/InvalidSpec, the rest Unknown.</summary>
    public static WorkloadAssessment BuildInvalid(WorkloadEntry entry, DateTimeOffset now)
    {
        var previous = entry.Status?.Conditions;
        var g = entry.Generation;
        var message = "the spec is invalid: " + string.Join("; ", entry.SpecErrors.Take(5)) + ". Fix the spec; the operator retries when the object changes.";
        var status = new AgentWorkloadStatus
        {
            ObservedGeneration = g,
            Conditions =
            [
                Condition(ConditionTypes.Ready, "False", "InvalidSpec", message, g, previous, now),
                Condition(ConditionTypes.RuntimeClassAvailable, "Unknown", "InvalidSpec", "the tier cannot be computed from an invalid spec", g, previous, now),
                Condition(ConditionTypes.NodePoolAvailable, "Unknown", "InvalidSpec", "the tier cannot be computed from an invalid spec", g, previous, now),
                Condition(ConditionTypes.PodsCompliant, "Unknown", "InvalidSpec", "the tier cannot be computed from an invalid spec", g, previous, now),
            ],
        };
        return new WorkloadAssessment(status, null, []);
    }

    private static EdgeIsolateStatus EdgeStatus(EdgeAdvice advice) => new() { Candidate = advice.Candidate, Reasons = [.. advice.Reasons] };

    private static WorkloadCondition RuntimeClassCondition(WorkloadTier tier, RuntimeSettings? settings, PolicyConfig config, IClusterState state)
    {
        if (settings is null)
        {
            return Draft(ConditionTypes.RuntimeClassAvailable, "True", "NotRequired", $"tier {tier.Tier} runs with the node's default runtime (runc with seccomp); no RuntimeClass is needed");
        }

        var name = settings.RuntimeClassName;
        if (state.RuntimeClass(name) is not { } rc)
        {
            var fix = config.ManageRuntimeClasses
                ? "the operator creates it; check the operator's logs and its permission to create runtimeclasses"
                : $"create it with handler \"{settings.Handler}\", or set manageRuntimeClasses: true in the policy configuration";
            return Draft(ConditionTypes.RuntimeClassAvailable, "False", "RuntimeClassMissing", $"RuntimeClass \"{name}\" does not exist, so pods of tier {tier.Tier} cannot start; {fix}");
        }

        if (!settings.Accepts(rc.Handler))
        {
            return Draft(ConditionTypes.RuntimeClassAvailable, "False", "HandlerMismatch",
                $"RuntimeClass \"{name}\" has handler \"{rc.Handler}\", which is not a {settings.Runtime} handler (the policy accepts {settings.AcceptedHandlers}); the handler cannot be changed in place: delete the RuntimeClass and recreate it with handler \"{settings.Handler}\"");
        }

        return Draft(ConditionTypes.RuntimeClassAvailable, "True", "Available", $"RuntimeClass \"{name}\" exists with handler \"{rc.Handler}\"");
    }

    private static WorkloadCondition PoolCondition(WorkloadTier tier, RuntimeSettings? settings, IEnumerable<NodeInfo> nodes, PolicyConfig config, IClusterState state)
    {
        if (settings is null)
        {
            return Draft(ConditionTypes.NodePoolAvailable, "True", "NotRequired", $"tier {tier.Tier} runs on general nodes; no node pool is needed");
        }

        var nodeList = nodes as IReadOnlyCollection<NodeInfo> ?? nodes.ToList();
        var pool = NodePoolAudit.Pool(settings, nodeList, config);
        var poolName = PlacementAnalyzer.PoolName(settings.Runtime, config);
        var findings = pool.Findings.Count == 0
            ? ""
            : $"; misconfigured nodes: {string.Join("; ", pool.Findings.Take(MessagePods).Select(f => f.Message))}{(pool.Findings.Count > MessagePods ? $" (and {pool.Findings.Count - MessagePods} more)" : "")}";
        if (pool.UsableNodes == 0)
        {
            return Draft(ConditionTypes.NodePoolAvailable, "False", "NoUsableNodes",
                $"no Ready node carries label {settings.Pool.Label} and taint {settings.Pool.Taint}, so pods of tier {tier.Tier} cannot be scheduled; label and taint the pool's nodes (kubectl label nodes NODE {settings.Pool.Label}; kubectl taint nodes NODE {settings.Pool.Taint}){findings}");
        }

        // The handler the pods will ask for: the RuntimeClass's when it exists (RuntimeClassAvailable reports the rest).
        var className = settings.RuntimeClassName;
        var handler = state.RuntimeClass(className)?.Handler ?? settings.Handler;
        var proof = RuntimeHandlerProof.ForPool(settings, handler, nodeList);
        var ready = $"{pool.UsableNodes} Ready node(s) in the {poolName} carry label {settings.Pool.Label} and taint {settings.Pool.Taint}";
        return proof.State switch
        {
            HandlerProofState.Missing => Draft(ConditionTypes.NodePoolAvailable, "False", "RuntimeHandlerMissing",
                $"node(s) {Names(proof.MissingOn)} in the {poolName} do not have handler \"{handler}\" of RuntimeClass \"{className}\", so pods of tier {tier.Tier} sent there cannot start; install the runtime on them or remove label {settings.Pool.Label} from them{findings}"),
            HandlerProofState.Unverified => Draft(ConditionTypes.NodePoolAvailable, "True", "HandlerUnverified",
                $"{ready}; handler \"{handler}\" of RuntimeClass \"{className}\" is unverified: node(s) {Names(proof.UnreportedOn)} report no runtime handlers (Kubernetes before 1.30, or a container runtime that does not report them){findings}"),
            _ => Draft(ConditionTypes.NodePoolAvailable, "True", "PoolReady",
                $"{ready}; all {proof.VerifiedNodes} node(s) of the pool have handler \"{handler}\"{findings}"),
        };
    }

    private static string Names(IReadOnlyList<string> nodes) =>
        string.Join(", ", nodes.Take(MessagePods)) + (nodes.Count > MessagePods ? $" (and {nodes.Count - MessagePods} more)" : "");

    private static WorkloadCondition PodsCondition(WorkloadTier tier, int total, List<PodIssue> issues)
    {
        if (total == 0)
        {
            return Draft(ConditionTypes.PodsCompliant, "True", "NoPods", "no running pod belongs to this workload");
        }

        if (issues.Count == 0)
        {
            return Draft(ConditionTypes.PodsCompliant, "True", "AllCompliant", $"all {total} pod(s) run with the runtime and placement their tier needs (tier {tier.Tier} or higher when a classification rule or the namespace raises it)");
        }

        var listed = string.Join("; ", issues.Take(MessagePods).Select(i => $"pod {i.Pod}: {i.Message}"));
        var more = issues.Count > MessagePods ? $" (and {issues.Count - MessagePods} more pods)" : "";
        return Draft(ConditionTypes.PodsCompliant, "False", "NonCompliantPods",
            $"{issues.Count} of {total} pod(s) do not run as their tier needs (tier {tier.Tier}, or higher when a classification rule or the namespace raises it): {listed}{more}. A running pod keeps its runtime: delete it so that its controller recreates it through the admission webhook");
    }

    private static string Describe(SandboxRuntime runtime, RuntimeSettings? settings) =>
        settings is null ? "runc and seccomp on general nodes" : $"RuntimeClass \"{settings.RuntimeClassName}\" ({runtime}) in pool {settings.Pool.Label}";

    private static WorkloadCondition Draft(string type, string status, string reason, string message) =>
        new() { Type = type, Status = status, Reason = reason, Message = message };

    private static WorkloadCondition Stamp(WorkloadCondition draft, long generation, List<WorkloadCondition>? previous, DateTimeOffset now) =>
        Condition(draft.Type, draft.Status, draft.Reason!, draft.Message!, generation, previous, now);

    private static WorkloadCondition Condition(string type, string status, string reason, string message, long generation, List<WorkloadCondition>? previous, DateTimeOffset now)
    {
        var before = previous?.FirstOrDefault(c => c.Type == type);
        return new WorkloadCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            ObservedGeneration = generation,
            LastTransitionTime = before is not null && before.Status == status && before.LastTransitionTime is { } kept ? kept : now,
        };
    }
}
