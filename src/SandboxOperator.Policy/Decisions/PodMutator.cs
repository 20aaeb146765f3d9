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
/// paths that are absent, or appends to arrays, plus setting the operator's own labels and annotation
/// (<see cref="OperatorLabels"/>: replaced on managed pods, removed from unmanaged ones); at most one
/// operation per node selector term beyond a constant few, and terms are bounded by
/// <see cref="PodSpecReader.MaxEntries"/>;
/// nothing is added that conflicts with what the RuntimeClass admission plugin merges later (affinity is
/// used, not nodeSelector).
/// </remarks>
public static class PodMutator
{
    /// <param name="pathPrefix">JSON pointer of the pod within the object: empty for a Pod, <c>/spec/template</c> for a Deployment.</param>
    /// <param name="buildPatch">
    /// False to compute only the pod as it will be (what validating a template needs): no patch operation or
    /// value is built, and <see cref="MutationResult.Patch"/> is empty.
    /// </param>
    public static MutationResult Mutate(PodSpecView pod, PodClassification classification, PolicyConfig config, IClusterState state, string pathPrefix = "", bool buildPatch = true)
    {
        var ops = buildPatch ? new List<PatchOperation>(8) : null;
        var warnings = new List<string>(0);
        var mutated = pod;
        var values = PatchValues.For(config);
        var explicitRuntime = pod.RuntimeClassNameSet ? RuntimeResolver.Resolve(pod.RuntimeClassName, config, state) : (SandboxRuntime?)null;
        var runtime = explicitRuntime ?? SandboxRuntime.Runc;
        var runtimeClassName = pod.RuntimeClassName;

        if (classification.Tier is { } tier)
        {
            var tierRuntime = TierNames.RuntimeFor(tier);
            if (!pod.RuntimeClassNameSet && config.SettingsFor(tierRuntime) is { } wanted)
            {
                ops?.Add(PatchOperation.Add(pathPrefix + "/spec/runtimeClassName", values.Pool(tierRuntime)!.RuntimeClassName));
                runtimeClassName = wanted.RuntimeClassName;
                mutated = mutated with { RuntimeClassNameSet = true, RuntimeClassName = wanted.RuntimeClassName };
            }

            // Resolve what was filled in too: a RuntimeClass named "kata" with another handler is not Kata.
            runtime = explicitRuntime ?? (runtimeClassName is null ? SandboxRuntime.Runc : RuntimeResolver.Resolve(runtimeClassName, config, state));
            mutated = AddSeccomp(mutated, tier, config, values, pathPrefix, ops);
        }

        if (config.SettingsFor(runtime) is { } pool)
        {
            var poolValues = values.Pool(runtime)!;
            mutated = AddToleration(mutated, pool.Pool.Taint, poolValues, pathPrefix, ops);
            mutated = AddAffinity(mutated, pool.Pool.Label, poolValues, pathPrefix, ops);
        }

        mutated = SetStatement(mutated, OperatorLabels.For(classification, runtime), pathPrefix, ops, warnings);
        return new MutationResult((IReadOnlyList<PatchOperation>?)ops ?? [], mutated, runtime, runtimeClassName, warnings);
    }

    private static PodSpecView AddSeccomp(PodSpecView pod, RiskTier tier, PolicyConfig config, PatchValues values, string prefix, List<PatchOperation>? ops)
    {
        if (pod.PodSeccompType is not null || AllContainersSetSeccomp(pod))
        {
            return pod;
        }

        var (setting, value) = tier == RiskTier.Low ? (config.LowTierSeccomp, values.LowTierSeccomp) : (SeccompSetting.RuntimeDefault, values.RuntimeDefaultSeccomp);
        ops?.Add(pod.HasPodSecurityContextObject
            ? PatchOperation.Add(prefix + "/spec/securityContext/seccompProfile", value.Profile)
            : PatchOperation.Add(prefix + "/spec/securityContext", value.SecurityContext));
        return pod with { HasPodSecurityContextObject = true, PodSeccompType = setting.Type };
    }

    private static PodSpecView AddToleration(PodSpecView pod, TaintRef taint, PatchValues.PoolValues values, string prefix, List<PatchOperation>? ops)
    {
        if (taint.Effect == "PreferNoSchedule" || Tolerations.IndexOfTolerating(pod.Tolerations, taint) >= 0)
        {
            return pod;
        }

        ops?.Add(pod.HasTolerationsArray
            ? PatchOperation.Add(prefix + "/spec/tolerations/-", values.TolerationItem)
            : PatchOperation.Add(prefix + "/spec/tolerations", values.TolerationArray));
        return pod with
        {
            HasTolerationsArray = true,
            Tolerations = [.. pod.Tolerations, new Toleration(taint.Key, "Equal", taint.Value, taint.Effect)],
        };
    }

    private static PodSpecView AddAffinity(PodSpecView pod, LabelRef label, PatchValues.PoolValues values, string prefix, List<PatchOperation>? ops)
    {
        if (pod.NodeSelector.TryGetValue(label.Key, out var selected) && selected == label.Value)
        {
            return pod;
        }

        var requirement = new NodeSelectorRequirement(label.Key, "In", [label.Value]);
        if (pod.RequiredNodeTerms is not { Count: > 0 } terms)
        {
            var affinityPath = prefix + "/spec/affinity";
            ops?.Add(!pod.HasAffinityObject
                ? PatchOperation.Add(affinityPath, values.AffinityObject)
                : !pod.HasNodeAffinityObject
                    ? PatchOperation.Add(affinityPath + "/nodeAffinity", values.NodeAffinityObject)
                    : !pod.HasRequiredNodeAffinityObject
                        ? PatchOperation.Add(affinityPath + "/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution", values.RequiredObject)
                        : PatchOperation.Add(affinityPath + "/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms", values.TermsArray));
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

            ops?.Add(term.HasMatchExpressionsArray
                ? PatchOperation.Add(TermPath(prefix, i) + "/-", values.ExpressionItem)
                : PatchOperation.Add(TermPath(prefix, i), values.ExpressionArray));
            newTerms.Add(term with { MatchExpressions = [.. term.MatchExpressions, requirement], HasMatchExpressionsArray = true });
        }

        return pod with { RequiredNodeTerms = newTerms };
    }

    private static string TermPath(string prefix, int index) =>
        $"{prefix}/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/{index}/matchExpressions";

    /// <summary>True when the term already restricts the pool label to exactly this pool.</summary>
    private static bool RequiresOnly(NodeSelectorTerm term, LabelRef label)
    {
        // Loops rather than LINQ here and below: this runs for every pod, and lambdas capturing a
        // parameter allocate a closure on every call.
        for (var i = 0; i < term.MatchExpressions.Count; i++)
        {
            var e = term.MatchExpressions[i];
            if (e.Key == label.Key && e.Operator == "In" && e.Values.Count > 0 && AllEqual(e.Values, label.Value))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AllEqual(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] != value)
            {
                return false;
            }
        }

        return true;
    }

    private static bool AllContainersSetSeccomp(PodSpecView pod)
    {
        for (var i = 0; i < pod.Containers.Count; i++)
        {
            if (pod.Containers[i].SeccompType is null)
            {
                return false;
            }
        }

        return pod.Containers.Count > 0;
    }

    /// <summary>Sets the operator's labels and annotation to <paramref name="statement"/>: adds, replaces, or removes what is absent there.</summary>
    private static PodSpecView SetStatement(PodSpecView pod, OperatorLabels.Statement statement, string prefix, List<PatchOperation>? ops, List<string> warnings)
    {
        var labels = pod.Labels;
        if (statement.Tier is { } tier && statement.Runtime is { } runtime && !pod.HasLabelsObject)
        {
            ops?.Add(PatchOperation.Add(prefix + "/metadata/labels", new JsonObject { [WellKnown.TierLabel] = tier, [WellKnown.RuntimeLabel] = runtime }));
            labels = new Dictionary<string, string>(StringComparer.Ordinal) { [WellKnown.TierLabel] = tier, [WellKnown.RuntimeLabel] = runtime };
        }
        else
        {
            labels = SetLabel(labels, WellKnown.TierLabel, EscapedTierLabel, statement.Tier, prefix, ops, warnings);
            labels = SetLabel(labels, WellKnown.RuntimeLabel, EscapedRuntimeLabel, statement.Runtime, prefix, ops, warnings);
        }

        var reasons = statement.Reasons;
        if (pod.ReasonsAnnotation != reasons)
        {
            var path = prefix + "/metadata/annotations/" + EscapedReasonsAnnotation;
            if (reasons is null)
            {
                warnings.Add($"annotation {WellKnown.ReasonsAnnotation} is written only by the sandbox operator and was removed: the pod is not managed");
                ops?.Add(new PatchOperation("remove", path, null));
            }
            else if (!pod.HasAnnotationsObject)
            {
                ops?.Add(PatchOperation.Add(prefix + "/metadata/annotations", new JsonObject { [WellKnown.ReasonsAnnotation] = reasons }));
            }
            else
            {
                ops?.Add(new PatchOperation(pod.ReasonsAnnotation is null ? "add" : "replace", path, JsonValue.Create(reasons)));
            }
        }

        return pod with
        {
            Labels = labels,
            HasLabelsObject = pod.HasLabelsObject || labels.Count > 0,
            ReasonsAnnotation = reasons,
            HasAnnotationsObject = pod.HasAnnotationsObject || reasons is not null,
        };
    }

    /// <summary>Makes label <paramref name="key"/> hold <paramref name="value"/> (absent when null); returns the labels after.</summary>
    private static IReadOnlyDictionary<string, string> SetLabel(IReadOnlyDictionary<string, string> labels, string key, string escapedKey, string? value, string prefix, List<PatchOperation>? ops, List<string> warnings)
    {
        labels.TryGetValue(key, out var existing);
        if (existing == value)
        {
            return labels;
        }

        var path = prefix + "/metadata/labels/" + escapedKey;
        if (value is null)
        {
            warnings.Add($"label {key}={existing} is written only by the sandbox operator and was removed: the pod is not managed");
            ops?.Add(new PatchOperation("remove", path, null));
        }
        else if (existing is null)
        {
            ops?.Add(PatchOperation.Add(path, JsonValue.Create(value)));
        }
        else
        {
            warnings.Add($"label {key}={existing} does not match the decision and was set to {value}");
            ops?.Add(PatchOperation.Replace(path, JsonValue.Create(value)));
        }

        var changed = new Dictionary<string, string>(labels, StringComparer.Ordinal);
        if (value is null)
        {
            changed.Remove(key);
        }
        else
        {
            changed[key] = value;
        }

        return changed;
    }

    private static readonly string EscapedTierLabel = JsonPointer.Escape(WellKnown.TierLabel);
    private static readonly string EscapedRuntimeLabel = JsonPointer.Escape(WellKnown.RuntimeLabel);
    private static readonly string EscapedReasonsAnnotation = JsonPointer.Escape(WellKnown.ReasonsAnnotation);
}
