using System.Text.Json;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The single entry point of the policy: classify, mutate, validate and assemble an
/// <see cref="AdmissionDecision"/>. Pure: no I/O, no clock, no logging; the same inputs give the same
/// decision in the webhook, the controller and <c>sandboxctl</c>.
/// </summary>
/// <remarks>
/// Contracts: DELETE and CONNECT are allowed. Pods are mutated on CREATE only (their spec is immutable
/// afterwards). Pod controllers are validated on their template as their pods will be after mutation,
/// and never patched. An UPDATE is denied only for violations the old object did not already have;
/// pre-existing ones come back as warnings, so a finalizer removal or a scale of an old object is never
/// blocked. In Audit mode nothing is denied and every violation becomes a warning. Objects the policy
/// cannot read (wrong JSON types) are denied with code 400 in either mode: they are malformed, not
/// policy questions.
/// </remarks>
public static class AdmissionEvaluator
{
    public static AdmissionDecision Evaluate(AdmissionRequest request, PolicyConfig config, IClusterState state)
    {
        if (request.Group.Length == 0 && request.Kind == "Namespace")
        {
            return EvaluateNamespace(request, config);
        }

        var mode = PodClassifier.ModeOf(request.Namespace, config, state);
        var path = PodTemplates.PathTo(request.Group, request.Kind);
        if (path is null)
        {
            return AdmissionDecision.Uncovered(mode);
        }

        if (request.Operation is AdmissionOperation.Delete or AdmissionOperation.Connect
            || (request.SubResource is { Length: > 0 } sub && sub != "ephemeralcontainers"))
        {
            return new AdmissionDecision { Allowed = true, Mode = mode };
        }

        var isPod = path.Length == 0;
        var where = isPod ? "" : string.Join('.', path) + ": ";
        var (view, errors) = ReadPod(request.Object, path);
        if (view is null)
        {
            return new AdmissionDecision
            {
                Allowed = false,
                Mode = mode,
                StatusCode = 400,
                Message = $"cannot read the {(isPod ? "pod" : "pod template")}: {string.Join("; ", errors.Take(5))}",
            };
        }

        // Pod specs cannot change after CREATE, so only a CREATE that has not been mutated yet is mutated.
        var mutate = !isPod || (request.Operation == AdmissionOperation.Create && !request.MutationApplied);
        var prefix = isPod ? "" : "/" + string.Join('/', path);
        var current = Assess(view, request.Namespace, mutate, prefix, config, state);

        var warnings = new List<string>(current.Classification.Warnings);
        var introduced = current.Violations;
        if (request.Operation == AdmissionOperation.Update && request.OldObject is { } oldObject && ReadPod(oldObject, path).View is { } oldView)
        {
            var before = Assess(oldView, request.Namespace, mutate, prefix, config, state);
            var oldKeys = before.Violations.Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
            introduced = current.Violations.Where(v => !oldKeys.Contains(v.Key)).ToList();
            foreach (var v in current.Violations.Where(v => oldKeys.Contains(v.Key)))
            {
                warnings.Add($"pre-existing, not introduced by this update: {where}{v.Message}");
            }
        }

        if (!current.Classification.Managed)
        {
            if (current.Mutation.Mutated.PodSeccompType == "Unconfined" || current.Mutation.Mutated.Containers.Any(c => c.SeccompType == "Unconfined"))
            {
                warnings.Add($"{where}seccomp Unconfined: every container should run with a seccomp profile");
            }
        }

        var deny = introduced.Count > 0 && mode == EnforcementMode.Enforce;
        if (mode == EnforcementMode.Audit)
        {
            foreach (var v in introduced)
            {
                warnings.Add($"audit mode, would be denied: {where}{v.Message}");
            }
        }

        var managed = current.Classification.Managed;
        return new AdmissionDecision
        {
            Allowed = !deny,
            Mode = mode,
            Tier = current.Classification.Tier,
            Runtime = managed ? current.Mutation.Runtime : null,
            RuntimeClassName = current.Mutation.RuntimeClassName,
            Workload = current.Classification.Workload,
            Reasons = current.Classification.Reasons,
            Message = deny ? where + string.Join("; ", introduced.Select(v => v.Message)) : null,
            StatusCode = deny ? 403 : 200,
            Warnings = warnings,
            MutationWarnings = isPod && mutate ? current.Mutation.Warnings : [],
            Violations = current.Violations,
            Patch = isPod && mutate && !deny ? current.Mutation.Patch : [],
            MutationPatch = isPod && mutate ? current.Mutation.Patch : [],
        };
    }

    private sealed record Assessment(PodClassification Classification, MutationResult Mutation, List<Violation> Violations);

    private static Assessment Assess(PodSpecView view, string @namespace, bool mutate, string prefix, PolicyConfig config, IClusterState state)
    {
        var classification = PodClassifier.Classify(view, @namespace, config, state);
        MutationResult mutation;
        if (mutate)
        {
            mutation = PodMutator.Mutate(view, classification, config, state, prefix);
        }
        else
        {
            var runtime = view.RuntimeClassNameSet ? RuntimeResolver.Resolve(view.RuntimeClassName, config, state) : SandboxRuntime.Runc;
            mutation = new MutationResult([], view, runtime, view.RuntimeClassNameSet ? view.RuntimeClassName : null, []);
        }

        var violations = PodValidator.Validate(mutation.Mutated, classification, mutation.Runtime, @namespace, config, state);
        return new Assessment(classification, mutation, violations);
    }

    private static (PodSpecView? View, IReadOnlyList<FieldError> Errors) ReadPod(JsonElement obj, string[] path)
    {
        var el = obj;
        var at = "";
        foreach (var segment in path)
        {
            at = at.Length == 0 ? segment : at + "." + segment;
            if (el.ValueKind != JsonValueKind.Object || !el.TryGetProperty(segment, out el) || el.ValueKind != JsonValueKind.Object)
            {
                return (null, [new FieldError(at, "Required value: the pod template is missing or not an object")]);
            }
        }

        return PodSpecReader.Read(el, path.Length == 0 ? "" : string.Join('.', path) + ".");
    }

    private static AdmissionDecision EvaluateNamespace(AdmissionRequest request, PolicyConfig config)
    {
        if (request.Operation != AdmissionOperation.Update || request.OldObject is not { } oldObject)
        {
            return new AdmissionDecision { Allowed = true, Mode = EnforcementMode.Enforce };
        }

        var name = request.Name ?? "";
        var (oldLabels, oldError) = ReadLabels(oldObject);
        var (newLabels, newError) = ReadLabels(request.Object);
        if ((oldError ?? newError) is { } error)
        {
            return new AdmissionDecision { Allowed = false, Mode = EnforcementMode.Enforce, StatusCode = 400, Message = $"cannot read the namespace: {error}" };
        }

        var violation = NamespaceGuard.Check(name, oldLabels, newLabels, request.User ?? RequestUser.Anonymous, config);
        return violation is null
            ? new AdmissionDecision { Allowed = true, Mode = EnforcementMode.Enforce }
            : new AdmissionDecision { Allowed = false, Mode = EnforcementMode.Enforce, StatusCode = 403, Message = violation.Message, Violations = [violation] };
    }

    private static (IReadOnlyDictionary<string, string> Labels, FieldError? Error) ReadLabels(JsonElement obj)
    {
        var (view, errors) = PodSpecReader.Read(obj);
        return view is null ? (PodSpecView.Empty, errors.Count > 0 ? errors[0] : new FieldError("metadata", "unreadable")) : (view.Labels, null);
    }
}
