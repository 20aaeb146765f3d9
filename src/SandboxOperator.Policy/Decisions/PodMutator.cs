using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Fills in what a pod is missing for its tier and never overrides an explicit choice:
/// runtimeClassName, a pod-level seccomp profile, the runtime pool's toleration and a required node
/// affinity term on the pool label (ANDed into every existing term), and the tier/runtime labels and
/// reasons annotation. Placement follows the runtime: any pod whose runtimeClassName names a sandbox
/// class gets that pool's placement, managed or not.
/// </summary>
/// <remarks>
/// Guarantees: idempotent (mutating a mutated pod yields an empty patch); only <c>add</c> operations on
/// paths that are absent, or appends to arrays, plus replacing the operator's own labels and annotation;
/// nothing is added that conflicts with what the RuntimeClass admission plugin merges later (affinity is
/// used, not nodeSelector).
/// </remarks>
public static class PodMutator
{
    /// <param name="pathPrefix">JSON pointer of the pod within the object: empty for a Pod, <c>/spec/template</c> for a Deployment.</param>
    public static MutationResult Mutate(PodSpecView pod, PodClassification classification, PolicyConfig config, IClusterState state, string pathPrefix = "")
    {
        var ops = new List<PatchOperation>(8);
        var warnings = new List<string>(0);
        var mutated = pod;
        var explicitRuntime = pod.RuntimeClassNameSet ? RuntimeResolver.Resolve(pod.RuntimeClassName, config, state) : (SandboxRuntime?)null;
        var runtime = explicitRuntime ?? SandboxRuntime.Runc;
        var runtimeClassName = pod.RuntimeClassName;

        if (classification.Tier is { } tier)
        {
            var tierRuntime = TierNames.RuntimeFor(tier);
            if (!pod.RuntimeClassNameSet && config.SettingsFor(tierRuntime) is { } wanted)
            {
                ops.Add(PatchOperation.Add(pathPrefix + "/spec/runtimeClassName", JsonValue.Create(wanted.RuntimeClassName)));
                runtimeClassName = wanted.RuntimeClassName;
                mutated = mutated with { RuntimeClassNameSet = true, RuntimeClassName = wanted.RuntimeClassName };
            }

            runtime = explicitRuntime ?? tierRuntime;
            mutated = AddSeccomp(mutated, tier, config, pathPrefix, ops);
        }

        if (config.SettingsFor(runtime) is { } pool)
        {
            mutated = AddToleration(mutated, pool.Pool.Taint, pathPrefix, ops);
            mutated = AddAffinity(mutated, pool.Pool.Label, pathPrefix, ops);
        }

        if (classification.Tier is { } t)
        {
            mutated = SetLabels(mutated, t, runtime, classification, pathPrefix, ops, warnings);
        }

        return new MutationResult(ops, mutated, runtime, runtimeClassName, warnings);
    }

    private static PodSpecView AddSeccomp(PodSpecView pod, RiskTier tier, PolicyConfig config, string prefix, List<PatchOperation> ops)
    {
        if (pod.PodSeccompType is not null || (pod.Containers.Count > 0 && pod.Containers.All(c => c.SeccompType is not null)))
        {
            return pod;
        }

        var setting = tier == RiskTier.Low ? config.LowTierSeccomp : SeccompSetting.RuntimeDefault;
        var profile = new JsonObject { ["type"] = setting.Type };
        if (setting.LocalhostProfile is { } path)
        {
            profile["localhostProfile"] = path;
        }

        ops.Add(pod.HasPodSecurityContextObject
            ? PatchOperation.Add(prefix + "/spec/securityContext/seccompProfile", profile)
            : PatchOperation.Add(prefix + "/spec/securityContext", new JsonObject { ["seccompProfile"] = profile }));
        return pod with { HasPodSecurityContextObject = true, PodSeccompType = setting.Type };
    }

    private static PodSpecView AddToleration(PodSpecView pod, TaintRef taint, string prefix, List<PatchOperation> ops)
    {
        if (taint.Effect == "PreferNoSchedule" || pod.Tolerations.Any(t => Tolerations.Tolerates(t, taint)))
        {
            return pod;
        }

        var toleration = new JsonObject { ["key"] = taint.Key, ["operator"] = "Equal", ["value"] = taint.Value, ["effect"] = taint.Effect };
        ops.Add(pod.HasTolerationsArray
            ? PatchOperation.Add(prefix + "/spec/tolerations/-", toleration)
            : PatchOperation.Add(prefix + "/spec/tolerations", new JsonArray(toleration)));
        return pod with
        {
            HasTolerationsArray = true,
            Tolerations = [.. pod.Tolerations, new Toleration(taint.Key, "Equal", taint.Value, taint.Effect)],
        };
    }

    private static PodSpecView AddAffinity(PodSpecView pod, LabelRef label, string prefix, List<PatchOperation> ops)
    {
        if (pod.NodeSelector.TryGetValue(label.Key, out var selected) && selected == label.Value)
        {
            return pod;
        }

        var requirement = new NodeSelectorRequirement(label.Key, "In", [label.Value]);
        JsonObject Expression() => new() { ["key"] = label.Key, ["operator"] = "In", ["values"] = new JsonArray(label.Value) };
        JsonObject Terms() => new() { ["nodeSelectorTerms"] = new JsonArray(new JsonObject { ["matchExpressions"] = new JsonArray(Expression()) }) };

        if (pod.RequiredNodeTerms is not { Count: > 0 } terms)
        {
            var affinityPath = prefix + "/spec/affinity";
            ops.Add(!pod.HasAffinityObject
                ? PatchOperation.Add(affinityPath, new JsonObject { ["nodeAffinity"] = new JsonObject { ["requiredDuringSchedulingIgnoredDuringExecution"] = Terms() } })
                : !pod.HasNodeAffinityObject
                    ? PatchOperation.Add(affinityPath + "/nodeAffinity", new JsonObject { ["requiredDuringSchedulingIgnoredDuringExecution"] = Terms() })
                    : !pod.HasRequiredNodeAffinityObject
                        ? PatchOperation.Add(affinityPath + "/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution", Terms())
                        : PatchOperation.Add(affinityPath + "/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms", Terms()["nodeSelectorTerms"]!.DeepClone()));
            return pod with
            {
                HasAffinityObject = true,
                HasNodeAffinityObject = true,
                HasRequiredNodeAffinityObject = true,
                RequiredNodeTerms = [new NodeSelectorTerm([requirement], [])],
            };
        }

        var newTerms = new List<NodeSelectorTerm>(terms.Count);
        for (var i = 0; i < terms.Count; i++)
        {
            var term = terms[i];
            if (RequiresOnly(term, label))
            {
                newTerms.Add(term);
                continue;
            }

            var termPath = $"{prefix}/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/{i}/matchExpressions";
            ops.Add(term.HasMatchExpressionsArray
                ? PatchOperation.Add(termPath + "/-", Expression())
                : PatchOperation.Add(termPath, new JsonArray(Expression())));
            newTerms.Add(term with { MatchExpressions = [.. term.MatchExpressions, requirement], HasMatchExpressionsArray = true });
        }

        return pod with { RequiredNodeTerms = newTerms };
    }

    /// <summary>True when the term already restricts the pool label to exactly this pool.</summary>
    private static bool RequiresOnly(NodeSelectorTerm term, LabelRef label) =>
        term.MatchExpressions.Any(e => e.Key == label.Key && e.Operator == "In" && e.Values.Count > 0 && e.Values.All(v => v == label.Value));

    private static PodSpecView SetLabels(PodSpecView pod, RiskTier tier, SandboxRuntime runtime, PodClassification classification, string prefix, List<PatchOperation> ops, List<string> warnings)
    {
        var wantedLabels = new[] { (WellKnown.TierLabel, TierNames.LabelValue(tier)), (WellKnown.RuntimeLabel, TierNames.LabelValue(runtime)) };
        var reasons = string.Join("; ", classification.Reasons);
        var labels = pod.Labels;
        if (!pod.HasLabelsObject)
        {
            var obj = new JsonObject();
            foreach (var (k, v) in wantedLabels)
            {
                obj[k] = v;
            }

            ops.Add(PatchOperation.Add(prefix + "/metadata/labels", obj));
            labels = wantedLabels.ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        }
        else
        {
            Dictionary<string, string>? copy = null;
            foreach (var (k, v) in wantedLabels)
            {
                if (pod.Labels.TryGetValue(k, out var existing))
                {
                    if (existing == v)
                    {
                        continue;
                    }

                    warnings.Add($"label {k}={existing} does not match the decision and was set to {v}");
                    ops.Add(PatchOperation.Replace($"{prefix}/metadata/labels/{JsonPointer.Escape(k)}", JsonValue.Create(v)));
                }
                else
                {
                    ops.Add(PatchOperation.Add($"{prefix}/metadata/labels/{JsonPointer.Escape(k)}", JsonValue.Create(v)));
                }

                (copy ??= new Dictionary<string, string>(pod.Labels, StringComparer.Ordinal))[k] = v;
            }

            labels = (IReadOnlyDictionary<string, string>?)copy ?? labels;
        }

        var annotations = pod.Annotations;
        if (reasons.Length > 0 && (!pod.Annotations.TryGetValue(WellKnown.ReasonsAnnotation, out var current) || current != reasons))
        {
            if (!pod.HasAnnotationsObject)
            {
                ops.Add(PatchOperation.Add(prefix + "/metadata/annotations", new JsonObject { [WellKnown.ReasonsAnnotation] = reasons }));
            }
            else
            {
                var op = pod.Annotations.ContainsKey(WellKnown.ReasonsAnnotation) ? "replace" : "add";
                ops.Add(new PatchOperation(op, $"{prefix}/metadata/annotations/{JsonPointer.Escape(WellKnown.ReasonsAnnotation)}", JsonValue.Create(reasons)));
            }

            annotations = new Dictionary<string, string>(pod.Annotations, StringComparer.Ordinal) { [WellKnown.ReasonsAnnotation] = reasons };
        }

        return pod with { Labels = labels, HasLabelsObject = true, Annotations = annotations, HasAnnotationsObject = pod.HasAnnotationsObject || reasons.Length > 0 };
    }
}
