using System.Text;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Policy.Export;

/// <summary>
/// ValidatingAdmissionPolicies and their bindings (admissionregistration.k8s.io/v1, Kubernetes 1.30 and later) for
/// the same rules as <see cref="KyvernoExport"/>, in CEL, from the operator's configuration: a second layer inside
/// the API server, or the only one on a cluster without the webhook.
/// </summary>
/// <remarks>
/// Each policy matches Pods and the pod controllers on CREATE and UPDATE and reads the pod through the variable
/// <c>spec</c> (the Pod's spec or the controller's template spec), so a controller is refused at apply time as the
/// operator's webhook does. Bindings use <c>Deny</c> in Enforce mode and <c>Warn</c> and <c>Audit</c> in Audit mode,
/// and leave out the excluded namespaces by <c>kubernetes.io/metadata.name</c>. A Pod's own labels are not visible
/// to CEL in an admission policy (only name and generateName of the root metadata are), so MCP pods are selected by
/// the binding's objectSelector and MCP templates by their labels.
/// </remarks>
public static class AdmissionPolicyExport
{
    private const string Prefix = "agentsandbox-";
    private const string Spec = "variables.spec";

    private static readonly (string Name, string Expression)[] Variables =
    [
        ("spec", "object.kind == 'Pod' ? object.spec : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec"),
        ("template", "object.kind == 'Pod' ? object : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template : object.spec.template"),
    ];

    /// <summary>Every CEL expression of a policy: its variables and validations, for checks.</summary>
    public static IEnumerable<string> Expressions(JsonObject policy) =>
        ((policy["spec"]?["variables"] as JsonArray) ?? []).Concat((policy["spec"]?["validations"] as JsonArray) ?? [])
            .Select(v => (string?)v?["expression"] ?? "");

    public static IReadOnlyList<ExportedPolicy> Build(PolicyConfig config)
    {
        var kata = config.Kata.RuntimeClassName;
        var isKata = RuntimeIs(kata);
        var result = new List<ExportedPolicy>();

        if (config.EnforcedNamespaces.Count > 0)
        {
            Add(result, config, "kata-in-enforced-namespaces",
                [(isKata, $"pods in the enforced namespaces must set runtimeClassName: {kata}")],
                [NamespaceNames("In", config.EnforcedNamespaces)], objectSelector: null,
                [
                    $"Pods and pod templates in the enforced namespaces ({string.Join(", ", config.EnforcedNamespaces)}) must set runtimeClassName: {kata}.",
                    "Stricter than the operator for pods an AgentWorkload of a lower tier claims (no lookup of AgentWorkloads here).",
                ]);
        }

        Add(result, config, "kata-in-labelled-namespaces",
            [(isKata, $"pods in namespaces labelled {WellKnown.EnforceLabel}={WellKnown.EnforceKataValue} must set runtimeClassName: {kata}")],
            [Requirement(WellKnown.EnforceLabel, "In", [WellKnown.EnforceKataValue])], objectSelector: null,
            [
                $"Pods and pod templates in namespaces labelled {WellKnown.EnforceLabel}={WellKnown.EnforceKataValue} must set runtimeClassName: {kata}.",
                "It does not guard the label itself (the operator refuses its removal by anyone outside labelAdminGroups).",
            ]);

        var mcpTemplate = $"has(variables.template.metadata) && has(variables.template.metadata.labels) && {Cel(WellKnown.WorkloadTypeLabel)} in variables.template.metadata.labels && variables.template.metadata.labels[{Cel(WellKnown.WorkloadTypeLabel)}] == {Cel(WellKnown.McpServerLabelValue)}";
        AddMcp(result, config, isKata, mcpTemplate, kata);

        var placement = new List<(string, string)>();
        foreach (var runtime in config.SandboxRuntimes)
        {
            var named = $"!(has({Spec}.runtimeClassName) && {Spec}.runtimeClassName == {Cel(runtime.RuntimeClassName)})";
            placement.Add(($"{named} || {Tolerates(runtime.Pool.Taint)}", $"pods with runtimeClassName {runtime.RuntimeClassName} must tolerate the taint {runtime.Pool.Taint}"));
            placement.Add(($"{named} || {Selects(runtime.Pool.Label)}", $"pods with runtimeClassName {runtime.RuntimeClassName} must select the node label {runtime.Pool.Label} (nodeSelector, or a required node affinity in every term)"));
        }

        Add(result, config, "sandbox-pool-placement", placement, [], objectSelector: null,
        [
            "A pod or template that names a sandbox RuntimeClass must tolerate its pool's taint and select its pool's label.",
            "The operator adds both; here they must be written (agentsandbox-sandbox-pool-separation keeps other pods off",
            "the pools). Not expressed: RuntimeClasses with other names whose handler is a sandbox one.",
        ]);

        var separation = config.SandboxRuntimes.Select(runtime => (
            $"{RuntimeIs(runtime.RuntimeClassName)} || !({Tolerates(runtime.Pool.Taint, wildcards: true)})",
            $"only pods with runtimeClassName {runtime.RuntimeClassName} may tolerate the taint {runtime.Pool.Taint} of the {TierNames.LabelValue(runtime.Runtime)} node pool (a toleration without a key tolerates it too)")).ToList();
        Add(result, config, "sandbox-pool-separation", separation,
            config.InfrastructureNamespaces.Count > 0 ? [NamespaceNames("NotIn", config.InfrastructureNamespaces)] : [], objectSelector: null,
        [
            "Keeps other pods off each sandbox pool: a pod or template that tolerates a pool's taint (by its key, or by a",
            "toleration without a key) must name that pool's RuntimeClass, outside the excluded and infrastructure namespaces.",
            "Stricter than the operator, which also lets such a pod through when its node selection rules the pool out.",
            "Not expressed: nodeName set at creation (it skips the scheduler and the taint), a binding to a pool node, and",
            "SandboxExceptions that let a pod onto another pool (TolerateExtraPool).",
        ]);

        foreach (var rule in config.Classification.Where(r => r.Match.Owners is not { Count: > 0 }))
        {
            AddClassification(result, config, rule);
        }

        Add(result, config, "seccomp-baseline", [(Seccomp(), "every container must run with a RuntimeDefault or Localhost seccomp profile, set on the pod (and no container Unconfined) or on every container")], [], objectSelector: null,
        [
            "Every pod and template outside the excluded namespaces must run each container, init and ephemeral ones included,",
            $"with a RuntimeDefault or Localhost seccomp profile. Broader than the operator, which requires it of the pods it manages and",
            $"fills in {config.LowTierSeccomp.Type} itself; an admission policy cannot tell managed pods apart. Consider Audit first.",
        ]);
        return ExportText.WithLimits(result);
    }

    /// <summary>
    /// What this export leaves out of the configuration, one sentence each: the classification rules that match by
    /// owner kind (a Pod's ownerReferences are not visible to admission policy CEL).
    /// </summary>
    public static IReadOnlyList<string> NotExpressed(PolicyConfig config) =>
        [.. config.Classification
            .Where(r => r.Match.Owners is { Count: > 0 } && ExportText.RuntimeClassesAtLeast(r.Tier.Runtime, config).Count > 0)
            .Select(r => $"{r.Title} is not exported: it matches by owner ({string.Join(" or ", r.Match.Owners!)}), and a Pod's ownerReferences are not visible to a ValidatingAdmissionPolicy; sandboxctl export kyverno expresses it")];

    /// <summary>
    /// A classification rule without owner kinds whose tier needs a sandbox: Pods it selects (the binding's
    /// objectSelector and namespaceSelector) must name the RuntimeClass of its tier. Templates are not checked (a
    /// binding's objectSelector reads a controller's own labels, not its template's).
    /// </summary>
    private static void AddClassification(List<ExportedPolicy> result, PolicyConfig config, ClassificationRule rule)
    {
        var allowed = ExportText.RuntimeClassesAtLeast(rule.Tier.Runtime, config);
        if (allowed.Count == 0)
        {
            return;
        }

        var name = Prefix + "classify-" + rule.Name;
        var runtimes = string.Join(" or ", allowed);
        result.Add(new ExportedPolicy(
            PolicyObject(name, [(string.Join(" || ", allowed.Select(RuntimeIs).Select(e => $"({e})")), $"pods matched by {rule.Title} ({rule.Match}) are {rule.Tier.Tier} and must set runtimeClassName: {runtimes}")]),
            [
                $"{rule.Title}: pods it matches ({rule.Match}) are {rule.Tier.Tier} ({string.Join("; ", rule.Tier.Reasons)}) and must set",
                $"runtimeClassName: {runtimes}. Pods only, selected by the binding; controllers' templates are not checked.",
            ]));
        var namespaces = rule.Match.Namespaces is { Count: > 0 } names ? [NamespaceNames("In", names)] : Array.Empty<JsonObject>();
        var selector = rule.Match.Labels is { } labels ? ExportText.Selector(labels) : null;
        result.Add(Binding(name, name, config, namespaces, selector, new JsonArray(ResourceRule("", ["pods"]))));
    }

    private static void AddMcp(List<ExportedPolicy> result, PolicyConfig config, string isKata, string mcpTemplate, string kata)
    {
        var name = Prefix + "kata-for-mcp";
        var policy = PolicyObject(name, [($"object.kind == 'Pod' ? {isKata} : (!({mcpTemplate}) || {isKata})", $"MCP server pods ({WellKnown.WorkloadTypeLabel}={WellKnown.McpServerLabelValue}) must set runtimeClassName: {kata}")]);
        result.Add(new ExportedPolicy(policy,
        [
            $"Pods labelled {WellKnown.WorkloadTypeLabel}={WellKnown.McpServerLabelValue} (selected by the pods binding) and pod templates with that label",
            $"must set runtimeClassName: {kata}. Pods of an AgentWorkload of type MCPServer without the label are not seen.",
        ]));
        var podRules = new JsonArray(ResourceRule("", ["pods"]));
        result.Add(Binding(name, name + "-pods", config, [], new JsonObject { ["matchLabels"] = new JsonObject { [WellKnown.WorkloadTypeLabel] = WellKnown.McpServerLabelValue } }, podRules));
        result.Add(Binding(name, name + "-templates", config, [], objectSelector: null, ControllerRules()));
    }

    private static void Add(List<ExportedPolicy> result, PolicyConfig config, string suffix, IReadOnlyList<(string Expression, string Message)> validations, IReadOnlyList<JsonObject> namespaceRequirements, JsonObject? objectSelector, string[] documentation)
    {
        var name = Prefix + suffix;
        result.Add(new ExportedPolicy(PolicyObject(name, validations), documentation));
        result.Add(Binding(name, name, config, namespaceRequirements, objectSelector, resourceRules: null));
    }

    private static JsonObject PolicyObject(string name, IReadOnlyList<(string Expression, string Message)> validations) => new()
    {
        ["apiVersion"] = "admissionregistration.k8s.io/v1",
        ["kind"] = "ValidatingAdmissionPolicy",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["failurePolicy"] = "Fail",
            ["matchConstraints"] = new JsonObject { ["resourceRules"] = AllRules() },
            ["variables"] = new JsonArray([.. Variables.Select(v => (JsonNode?)new JsonObject { ["name"] = v.Name, ["expression"] = v.Expression })]),
            ["validations"] = new JsonArray([.. validations.Select(v => (JsonNode?)new JsonObject { ["expression"] = v.Expression, ["message"] = v.Message, ["reason"] = "Forbidden" })]),
        },
    };

    private static ExportedPolicy Binding(string policy, string name, PolicyConfig config, IReadOnlyList<JsonObject> namespaceRequirements, JsonObject? objectSelector, JsonArray? resourceRules)
    {
        var requirements = namespaceRequirements.ToList();
        if (config.ExcludedNamespaces.Count > 0)
        {
            requirements.Add(NamespaceNames("NotIn", config.ExcludedNamespaces));
        }

        var match = new JsonObject();
        if (requirements.Count > 0)
        {
            match["namespaceSelector"] = new JsonObject { ["matchExpressions"] = new JsonArray([.. requirements]) };
        }

        if (objectSelector is not null)
        {
            match["objectSelector"] = objectSelector;
        }

        if (resourceRules is not null)
        {
            match["resourceRules"] = resourceRules;
        }

        var spec = new JsonObject
        {
            ["policyName"] = policy,
            ["validationActions"] = ExportText.Strings(config.Mode == EnforcementMode.Enforce ? ["Deny"] : ["Warn", "Audit"]),
        };
        if (match.Count > 0)
        {
            spec["matchResources"] = match;
        }

        return new ExportedPolicy(
            new JsonObject
            {
                ["apiVersion"] = "admissionregistration.k8s.io/v1",
                ["kind"] = "ValidatingAdmissionPolicyBinding",
                ["metadata"] = new JsonObject { ["name"] = name },
                ["spec"] = spec,
            },
            [$"Binds {policy} ({(config.Mode == EnforcementMode.Enforce ? "Deny" : "Warn and Audit")}, mode {config.Mode}){(config.ExcludedNamespaces.Count > 0 ? $", outside {string.Join(", ", config.ExcludedNamespaces.Order(StringComparer.Ordinal))}" : "")}."]);
    }

    private static JsonArray AllRules()
    {
        var rules = new JsonArray(ResourceRule("", ["pods"]));
        foreach (var rule in ControllerRules())
        {
            rules.Add(rule!.DeepClone());
        }

        return rules;
    }

    private static JsonArray ControllerRules() => new([.. ExportText.Controllers.GroupBy(c => c.Group).Select(g => (JsonNode?)ResourceRule(g.Key, [.. g.Select(c => c.Resource)]))]);

    private static JsonObject ResourceRule(string group, string[] resources) => new()
    {
        ["apiGroups"] = ExportText.Strings([group]),
        ["apiVersions"] = ExportText.Strings(["v1"]),
        ["operations"] = ExportText.Strings(["CREATE", "UPDATE"]),
        ["resources"] = ExportText.Strings(resources),
    };

    private static JsonObject NamespaceNames(string op, IEnumerable<string> names) => Requirement("kubernetes.io/metadata.name", op, names.Order(StringComparer.Ordinal));

    private static JsonObject Requirement(string key, string op, IEnumerable<string> values) => new() { ["key"] = key, ["operator"] = op, ["values"] = ExportText.Strings(values) };

    private static string RuntimeIs(string runtimeClassName) => $"has({Spec}.runtimeClassName) && {Spec}.runtimeClassName == {Cel(runtimeClassName)}";

    /// <summary>
    /// A toleration for the taint: same key, Exists or the same value, and the same effect or none (which tolerates
    /// every effect). With <paramref name="wildcards"/>, a toleration without a key counts too (the API server
    /// accepts one only with Exists, and it tolerates every taint).
    /// </summary>
    private static string Tolerates(TaintRef taint, bool wildcards = false)
    {
        var key = wildcards ? $"(!has(t.key) || t.key == '' || t.key == {Cel(taint.Key)})" : $"has(t.key) && t.key == {Cel(taint.Key)}";
        return $"has({Spec}.tolerations) && {Spec}.tolerations.exists(t, {key} && ((has(t.operator) && t.operator == 'Exists') || (has(t.value) && t.value == {Cel(taint.Value)})) && (!has(t.effect) || t.effect == '' || t.effect == {Cel(taint.Effect)}))";
    }

    /// <summary>The pool label by nodeSelector, or in every term of the required node affinity (terms are ORed).</summary>
    private static string Selects(LabelRef label)
    {
        const string Required = Spec + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";
        return $"(has({Spec}.nodeSelector) && {Cel(label.Key)} in {Spec}.nodeSelector && {Spec}.nodeSelector[{Cel(label.Key)}] == {Cel(label.Value)})"
            + $" || (has({Spec}.affinity) && has({Spec}.affinity.nodeAffinity) && has({Required}) && size({Required}.nodeSelectorTerms) > 0"
            + $" && {Required}.nodeSelectorTerms.all(term, has(term.matchExpressions) && term.matchExpressions.exists(e, e.key == {Cel(label.Key)} && e.operator == 'In' && has(e.values) && size(e.values) > 0 && e.values.all(v, v == {Cel(label.Value)}))))";
    }

    private static string Seccomp()
    {
        const string Confined = "['RuntimeDefault', 'Localhost']";
        static string Every(string predicate) =>
            $"{Spec}.containers.all(c, {predicate}) && (!has({Spec}.initContainers) || {Spec}.initContainers.all(c, {predicate})) && (!has({Spec}.ephemeralContainers) || {Spec}.ephemeralContainers.all(c, {predicate}))";
        var set = $"has(c.securityContext) && has(c.securityContext.seccompProfile) && c.securityContext.seccompProfile.type in {Confined}";
        var notUnconfined = "!(has(c.securityContext) && has(c.securityContext.seccompProfile)) || c.securityContext.seccompProfile.type != 'Unconfined'";
        return $"(has({Spec}.securityContext) && has({Spec}.securityContext.seccompProfile) && {Spec}.securityContext.seccompProfile.type in {Confined} && {Every(notUnconfined)}) || ({Every(set)})";
    }

    /// <summary>A CEL string literal: single-quoted, backslash and quote escaped, control characters as \u escapes.</summary>
    public static string Cel(string value)
    {
        var sb = new StringBuilder("'");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => sb.Append(@"\\"),
                '\'' => sb.Append(@"\'"),
                _ when char.IsControl(c) => sb.Append($"\\u{(int)c:x4}"),
                _ => sb.Append(c),
            };
        }

        return sb.Append('\'').ToString();
    }
}
