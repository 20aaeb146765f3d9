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
/// policy questions. A binding or an ephemeral-container update of a pod the state does not know is
/// denied with code 503 in Enforce mode: the policy cannot know, so it does not guess. Objects in
/// <see cref="PolicyConfig.ExcludedNamespaces"/> (and those namespaces themselves) are not covered: no webhook sees
/// them. An AgentWorkload is allowed with its tier and the warnings about its spec (a <c>riskTier</c> that would
/// lower the tier is ignored), and denied with 400 when it cannot be read.
/// </remarks>
public static class AdmissionEvaluator
{
    /// <summary>
    /// Whether the policy judges this kind: a kind with a pod inside (<see cref="PodTemplates.PathTo"/>), the core
    /// group's Namespace (its enforcement labels), Binding and EphemeralContainers (a pod's placement and
    /// containers), and AgentWorkload (its tier and the warnings about its spec). Group and kind must both match:
    /// <c>evil.example/Pod</c> is not covered.
    /// </summary>
    public static bool Covers(string group, string kind) =>
        ReadsPods(group, kind) || (group.Length == 0 && kind == "Namespace") || (group == WellKnown.Group && kind is WellKnown.Kind or WellKnown.ExceptionKind);

    /// <summary>
    /// Whether deciding <paramref name="request"/> reads the cluster state that says how a pod must run
    /// (AgentWorkloads, namespace labels, pods, nodes, RuntimeClasses): a CREATE or UPDATE of a kind with a pod
    /// inside, a Binding or an EphemeralContainers object. The rest is decided from the request alone, so a state
    /// that cannot be trusted right now never blocks it.
    /// </summary>
    public static bool ReadsClusterState(AdmissionRequest request) =>
        request.Operation is AdmissionOperation.Create or AdmissionOperation.Update && ReadsPods(request.Group, request.Kind);

    private static bool ReadsPods(string group, string kind) =>
        PodTemplates.PathTo(group, kind) is not null || (group.Length == 0 && kind is "Binding" or "EphemeralContainers");

    /// <summary>
    /// The pod whose subresource the request changes (a Binding or an EphemeralContainers object), which the
    /// decision looks up in the state; null for every other request.
    /// </summary>
    public static string? SubjectPod(AdmissionRequest request) =>
        request.Group.Length == 0 && request.Kind is "Binding" or "EphemeralContainers" ? request.Name : null;

    /// <summary>Decides <paramref name="request"/>.</summary>
    /// <param name="now">The time of the decision: which SandboxExceptions apply, and how far ahead a new one may expire.</param>
    public static AdmissionDecision Evaluate(AdmissionRequest request, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        var scope = request is { Group: "", Kind: "Namespace" } ? request.Name ?? "" : request.Namespace;
        if (config.ExcludedNamespaces.Contains(scope))
        {
            return AdmissionDecision.Uncovered(config.Mode) with
            {
                Reasons = [$"namespace {scope} is excluded (excludedNamespaces): no webhook sees it"],
            };
        }

        if (request.Group == WellKnown.Group && request.Kind == WellKnown.Kind)
        {
            return EvaluateAgentWorkload(request, config, state);
        }

        if (request.Group == WellKnown.Group && request.Kind == WellKnown.ExceptionKind)
        {
            return EvaluateException(request, config, state, now);
        }

        if (request.Group.Length == 0)
        {
            switch (request.Kind)
            {
                case "Namespace":
                    return EvaluateNamespace(request, config);
                case "Binding":
                    return EvaluateBinding(request, config, state, now);
                case "EphemeralContainers":
                    return EvaluateEphemeralContainers(request, config, state, now);
            }
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
            return Unreadable(mode, isPod ? "pod" : "pod template", errors);
        }

        // A template has no owner references of its own: its pods will be owned as PodTemplates.OwnerOfPods says.
        var owners = isPod ? null : PodTemplates.OwnerOfPods(request.Group, request.Kind);
        if (owners is not null)
        {
            view = view with { Owners = owners };
        }

        // Pod specs cannot change after CREATE, so only a CREATE that has not been mutated yet is mutated.
        // Templates are mutated only to validate them as their pods will be: no patch is built for them.
        var mutate = !isPod || (request.Operation == AdmissionOperation.Create && !request.MutationApplied);
        var prefix = isPod ? "" : "/" + string.Join('/', path);
        var current = Assess(view, request.Namespace, mutate, isPod, prefix, config, state, now);
        var violations = current.Violations;
        List<Violation>? before = null;
        if (request.Operation == AdmissionOperation.Update && request.OldObject is { } oldObject && ReadPod(oldObject, path).View is { } oldRead)
        {
            var oldView = owners is null ? oldRead : oldRead with { Owners = owners };
            before = Assess(oldView, request.Namespace, mutate, buildPatch: false, prefix, config, state, now).Violations;
            if (isPod)
            {
                violations = [.. violations, .. OperatorLabels.Changes(oldView, view)];
            }
        }
        else if (isPod && request.Operation == AdmissionOperation.Create)
        {
            violations = [.. violations, .. OperatorLabels.Mismatches(current.Mutation.Mutated, OperatorLabels.For(current.Classification, current.Mutation.Runtime))];
        }

        var warnings = new List<string>(current.Classification.Warnings);
        if (PodValidator.UnknownNode(current.Mutation.Mutated, state) is { } unknownNode)
        {
            warnings.Add(where + unknownNode);
        }

        if (!current.Classification.Managed
            && (current.Mutation.Mutated.PodSeccompType == "Unconfined" || current.Mutation.Mutated.Containers.Any(c => c.SeccompType == "Unconfined")))
        {
            warnings.Add($"{where}seccomp Unconfined: every container should run with a seccomp profile");
        }

        // A pod's spec is fixed at CREATE: advice on it is given then, and on every change of a template.
        if (!isPod || request.Operation == AdmissionOperation.Create)
        {
            CompatibilityAdvice.AddTo(warnings, where, current.Mutation.Mutated, current.Mutation.Runtime);
        }

        var (deny, message, deniedBy) = Judge(mode, where, violations, before, warnings);
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
            Message = message,
            StatusCode = deny ? 403 : 200,
            DeniedBy = deniedBy,
            Warnings = warnings,
            MutationWarnings = isPod && mutate ? current.Mutation.Warnings : [],
            Violations = violations,
            Patch = isPod && mutate && !deny ? current.Mutation.Patch : [],
            MutationPatch = isPod && mutate ? current.Mutation.Patch : [],
        };
    }

    private sealed record Assessment(PodClassification Classification, MutationResult Mutation, List<Violation> Violations);

    private static Assessment Assess(PodSpecView view, string @namespace, bool mutate, bool buildPatch, string prefix, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        var classification = ClassifyAt(view, @namespace, config, state, now);
        MutationResult mutation;
        if (mutate)
        {
            mutation = PodMutator.Mutate(view, classification, config, state, prefix, buildPatch);
        }
        else
        {
            var runtime = view.RuntimeClassNameSet ? RuntimeResolver.Resolve(view.RuntimeClassName, config, state) : SandboxRuntime.Runc;
            mutation = new MutationResult([], view, runtime, view.RuntimeClassNameSet ? view.RuntimeClassName : null, []);
        }

        var violations = PodValidator.Validate(mutation.Mutated, classification, mutation.Runtime, @namespace, config, state);
        return new Assessment(classification, mutation, violations);
    }

    /// <summary>
    /// Whether to deny, and the message: in Enforce mode, for the violations that <paramref name="before"/> (the old
    /// object's, on UPDATE) did not already have. Pre-existing and audit-mode violations become warnings.
    /// </summary>
    private static (bool Deny, string? Message, IReadOnlyList<string> DeniedBy) Judge(EnforcementMode mode, string where, List<Violation> violations, List<Violation>? before, List<string> warnings)
    {
        var introduced = violations;
        if (before is not null)
        {
            var oldKeys = before.Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
            introduced = violations.Where(v => !oldKeys.Contains(v.Key)).ToList();
            foreach (var v in violations.Where(v => oldKeys.Contains(v.Key)))
            {
                warnings.Add($"pre-existing, not introduced by this update: {where}{v.Message}");
            }
        }

        if (mode == EnforcementMode.Audit)
        {
            foreach (var v in introduced)
            {
                warnings.Add($"audit mode, would be denied: {where}{v.Message}");
            }

            return (false, null, []);
        }

        return introduced.Count > 0
            ? (true, where + string.Join("; ", introduced.Select(v => v.Message)), introduced.Select(v => v.Rule).Distinct(StringComparer.Ordinal).ToList())
            : (false, null, []);
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

        return PodSpecReader.Read(el, path.Length == 0 ? "" : string.Join('.', path) + ".", PolicyFields.PodAt(path));
    }

    /// <summary>
    /// A Binding (<c>pods/binding</c> or <c>bindings</c>) puts a pod on a node without the scheduler: the node must
    /// not be in another runtime's pool, exactly as <c>spec.nodeName</c> at CREATE.
    /// </summary>
    private static AdmissionDecision EvaluateBinding(AdmissionRequest request, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        var mode = PodClassifier.ModeOf(request.Namespace, config, state);
        if (request.Operation != AdmissionOperation.Create)
        {
            return new AdmissionDecision { Allowed = true, Mode = mode };
        }

        var (node, errors) = SubresourceReader.BindingTarget(request.Object);
        if (node is null)
        {
            return Unreadable(mode, "binding", errors);
        }

        if (request.Name is not { } podName)
        {
            return Unreadable(mode, "binding", [new FieldError("metadata.name", "Required value: the pod to bind")]);
        }

        var where = $"binding pod {podName} to node {node}: ";
        if (state.Pod(request.Namespace, podName) is not { } pod)
        {
            return Unknown(mode, where, $"the sandbox policy does not know pod {request.Namespace}/{podName} yet");
        }

        var runtime = pod.RuntimeClassNameSet ? RuntimeResolver.Resolve(pod.RuntimeClassName, config, state) : SandboxRuntime.Runc;
        var placed = pod with { NodeName = node };
        var tolerated = ClassifyAt(pod, request.Namespace, config, state, now).ToleratedPools;
        var violations = PodValidator.ValidatePlacement(placed, runtime, request.Namespace, tolerated, config, state);
        var warnings = PodValidator.UnknownNode(placed, state) is { } unknownNode ? [where + unknownNode] : new List<string>(0);
        var (deny, message, deniedBy) = Judge(mode, where, violations, null, warnings);
        return new AdmissionDecision
        {
            Allowed = !deny,
            Mode = mode,
            Runtime = runtime,
            RuntimeClassName = pod.RuntimeClassNameSet ? pod.RuntimeClassName : null,
            Message = message,
            StatusCode = deny ? 403 : 200,
            DeniedBy = deniedBy,
            Warnings = warnings,
            Violations = violations,
        };
    }

    /// <summary>
    /// The EphemeralContainers object of <c>pods/ephemeralcontainers</c> before Kubernetes 1.22 carries only the
    /// containers: they are judged inside the pod the state knows, and only what they add can deny.
    /// </summary>
    private static AdmissionDecision EvaluateEphemeralContainers(AdmissionRequest request, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        var mode = PodClassifier.ModeOf(request.Namespace, config, state);
        if (request.Operation != AdmissionOperation.Update)
        {
            return new AdmissionDecision { Allowed = true, Mode = mode };
        }

        var (added, errors) = SubresourceReader.EphemeralContainers(request.Object);
        if (added is null)
        {
            return Unreadable(mode, "ephemeral containers", errors);
        }

        var previous = request.OldObject is { } old ? SubresourceReader.EphemeralContainers(old).Containers ?? [] : [];
        var podName = request.Name ?? "";
        if (state.Pod(request.Namespace, podName) is not { } pod)
        {
            return Unknown(mode, "", $"the sandbox policy does not know pod {request.Namespace}/{podName} yet, so it cannot judge its ephemeral containers");
        }

        var others = pod.Containers.Where(c => c.Kind != ContainerKind.EphemeralContainer).ToList();
        var after = pod with { Containers = [.. others, .. added] };
        var then = pod with { Containers = [.. others, .. previous] };
        var classification = ClassifyAt(after, request.Namespace, config, state, now);
        var runtime = after.RuntimeClassNameSet ? RuntimeResolver.Resolve(after.RuntimeClassName, config, state) : SandboxRuntime.Runc;
        var violations = PodValidator.Validate(after, classification, runtime, request.Namespace, config, state);
        var before = PodValidator.Validate(then, classification, runtime, request.Namespace, config, state);
        var warnings = new List<string>(classification.Warnings);
        var (deny, message, deniedBy) = Judge(mode, "", violations, before, warnings);
        return new AdmissionDecision
        {
            Allowed = !deny,
            Mode = mode,
            Tier = classification.Tier,
            Runtime = classification.Managed ? runtime : null,
            Workload = classification.Workload,
            Reasons = classification.Reasons,
            Message = message,
            StatusCode = deny ? 403 : 200,
            DeniedBy = deniedBy,
            Warnings = warnings,
            Violations = violations,
        };
    }

    /// <summary>
    /// An AgentWorkload on CREATE or UPDATE: its tier, runtime and reasons, and the warnings about its spec, which
    /// reach the user as kubectl warnings. It is read as the API server stored it: the CRD schema has already
    /// dropped unknown fields, so only the fields <see cref="PolicyFields"/> declares are read.
    /// </summary>
    private static AdmissionDecision EvaluateAgentWorkload(AdmissionRequest request, PolicyConfig config, IClusterState state)
    {
        var mode = PodClassifier.ModeOf(request.Namespace, config, state);
        if (request.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update) || request.SubResource is { Length: > 0 })
        {
            return new AdmissionDecision { Allowed = true, Mode = mode };
        }

        var (workload, errors) = AgentWorkloadReader.Read(request.Object, request.Namespace, rejectUnknownSpecFields: false);
        if (workload is null)
        {
            return Unreadable(mode, "AgentWorkload", errors);
        }

        var tier = Tiering.Compute(workload.Spec);
        return new AdmissionDecision
        {
            Allowed = true,
            Mode = mode,
            Tier = tier.Tier,
            Runtime = tier.Runtime,
            RuntimeClassName = config.SettingsFor(tier.Runtime)?.RuntimeClassName,
            Workload = workload.Name,
            Reasons = tier.Reasons,
            Warnings = tier.Warnings,
        };
    }

    /// <summary>
    /// How a pod in <paramref name="namespace"/> is classified at <paramref name="now"/>: by its workloads, labels and
    /// namespace (<see cref="PodClassifier"/>), then the SandboxExceptions active at that time (<see cref="ExceptionGrants"/>).
    /// </summary>
    public static PodClassification ClassifyAt(PodSpecView pod, string @namespace, PolicyConfig config, IClusterState state, DateTimeOffset now) =>
        ExceptionGrants.Apply(PodClassifier.Classify(pod, @namespace, config, state), pod.Labels, @namespace, config, state, now);

    /// <summary>
    /// A SandboxException on CREATE or UPDATE: refused with 400 when it cannot be read, and with 403 (in either mode:
    /// it is an authorization question, not a pod policy) when <see cref="ExceptionGuard"/> says the requester may not
    /// grant it or it would expire too late. Warns when its grant cannot apply to MCP servers.
    /// </summary>
    private static AdmissionDecision EvaluateException(AdmissionRequest request, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        var mode = PodClassifier.ModeOf(request.Namespace, config, state);
        if (request.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update) || request.SubResource is { Length: > 0 })
        {
            return new AdmissionDecision { Allowed = true, Mode = mode };
        }

        var (exception, errors) = SandboxExceptionReader.Read(request.Object, request.Namespace, rejectUnknownSpecFields: false);
        if (exception is null)
        {
            return Unreadable(mode, "SandboxException", errors);
        }

        SandboxException? old = null;
        if (request.Operation == AdmissionOperation.Update)
        {
            if (request.OldObject is not { } oldObject || SandboxExceptionReader.Read(oldObject, request.Namespace, rejectUnknownSpecFields: false).Exception is not { } o)
            {
                return Unreadable(mode, "SandboxException as it was", [new FieldError("oldObject", "Required value: an update must carry the readable exception as it was")]);
            }

            old = o;
        }

        var violations = ExceptionGuard.Check(exception, old, request.User ?? RequestUser.Anonymous, config, now);
        var warnings = exception.Spec.Grant == ExceptionGrant.RunInGVisor && !config.ExceptionsMayReleaseMcpServers
            ? new List<string> { "RunInGVisor does not apply to MCP server pods: they stay in Kata unless the policy sets exceptions.allowMcpServers" }
            : [];
        return new AdmissionDecision
        {
            Allowed = violations.Count == 0,
            Mode = mode,
            Reasons = [$"SandboxException {exception.Name}: {exception.Spec.Describe} until {ExceptionGrants.Format(exception.Spec.ExpiresAt)}, owner {exception.Spec.Owner}"],
            Message = violations.Count == 0 ? null : string.Join("; ", violations.Select(v => v.Message)),
            StatusCode = violations.Count == 0 ? 200 : 403,
            Warnings = warnings,
            Violations = violations,
        };
    }

    private static AdmissionDecision Unreadable(EnforcementMode mode, string what, IReadOnlyList<FieldError> errors) => new()
    {
        Allowed = false,
        Mode = mode,
        StatusCode = 400,
        DeniedBy = [RuleIds.Unreadable],
        Message = $"cannot read the {what}: {string.Join("; ", errors.Take(5))}",
    };

    /// <summary>The state lacks what the decision needs: denied with 503 (retry) in Enforce mode, a warning in Audit.</summary>
    private static AdmissionDecision Unknown(EnforcementMode mode, string where, string why) => mode == EnforcementMode.Audit
        ? new AdmissionDecision { Allowed = true, Mode = mode, Warnings = [$"audit mode, not judged: {where}{why}"] }
        : new AdmissionDecision { Allowed = false, Mode = mode, StatusCode = 503, DeniedBy = [RuleIds.StateUnknown], Message = $"{where}{why}; it is refused for now, retry shortly" };

    private static AdmissionDecision EvaluateNamespace(AdmissionRequest request, PolicyConfig config)
    {
        if (request.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update))
        {
            return new AdmissionDecision { Allowed = true, Mode = EnforcementMode.Enforce };
        }

        var name = request.Name ?? "";
        var (newLabels, newError) = ReadLabels(request.Object);
        IReadOnlyDictionary<string, string>? oldLabels = null;
        FieldError? oldError = null;
        if (request.Operation == AdmissionOperation.Update)
        {
            (oldLabels, oldError) = request.OldObject is { } oldObject
                ? ReadLabels(oldObject)
                : (PodSpecView.Empty, new FieldError("oldObject", "Required value: an update must carry the namespace as it was"));
        }

        if ((oldError ?? newError) is { } error)
        {
            return new AdmissionDecision { Allowed = false, Mode = EnforcementMode.Enforce, StatusCode = 400, DeniedBy = [RuleIds.Unreadable], Message = $"cannot read the namespace: {error}" };
        }

        var violation = NamespaceGuard.Check(name, oldLabels, newLabels, request.User ?? RequestUser.Anonymous, config);
        return violation is null
            ? new AdmissionDecision { Allowed = true, Mode = EnforcementMode.Enforce }
            : new AdmissionDecision { Allowed = false, Mode = EnforcementMode.Enforce, StatusCode = 403, DeniedBy = [violation.Rule], Message = violation.Message, Violations = [violation] };
    }

    private static (IReadOnlyDictionary<string, string> Labels, FieldError? Error) ReadLabels(JsonElement obj)
    {
        var (view, errors) = PodSpecReader.Read(obj);
        return view is null ? (PodSpecView.Empty, errors.Count > 0 ? errors[0] : new FieldError("metadata", "unreadable")) : (view.Labels, null);
    }
}
