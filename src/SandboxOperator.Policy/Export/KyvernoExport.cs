using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Policy.Export;

/// <summary>
/// Kyverno ClusterPolicies (kyverno.io/v1) equivalent to the operator's rules a policy engine can express, from the
/// operator's configuration: Kata for the enforced namespaces (the guidance's own <c>enforce-kata-for-mcp</c>,
/// generalised to the configured namespaces), for namespaces labelled <c>agentsandbox.io/enforce=kata</c> and for MCP
/// pods; the pool toleration and node selection of sandboxed pods; the seccomp baseline.
/// </summary>
/// <remarks>
/// <c>validationFailureAction</c> follows the configured mode. Every rule matches Pods only and Kyverno's autogen
/// writes the same rule for the pod controllers' templates (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
/// CronJob, ReplicationController), as the operator validates them; the policies other than
/// <c>enforce-kata-for-mcp</c> name those controllers in <c>pod-policies.kyverno.io/autogen-controllers</c>.
/// </remarks>
public static class KyvernoExport
{
    public const string EnforcedNamespacesPolicy = "enforce-kata-for-mcp";
    private const string Autogen = "pod-policies.kyverno.io/autogen-controllers";

    public static IReadOnlyList<ExportedPolicy> Build(PolicyConfig config)
    {
        var kata = config.Kata.RuntimeClassName;
        var policies = new List<ExportedPolicy>();
        if (config.EnforcedNamespaces.Count > 0)
        {
            policies.Add(new ExportedPolicy(
                Policy(EnforcedNamespacesPolicy, config, autogen: false, Rule("require-kata-runtime",
                    new JsonObject { ["kinds"] = ExportText.Strings(["Pod"]), ["namespaces"] = ExportText.Strings(config.EnforcedNamespaces) },
                    exclude: null, preconditions: null,
                    Validate("MCP servers must use Kata Containers runtime", new JsonObject { ["pattern"] = RuntimeClassPattern(kata) }))),
                [
                    $"Pods in the enforced namespaces ({string.Join(", ", config.EnforcedNamespaces)}) must set runtimeClassName: {kata}.",
                    "Stricter than the operator: it lets a pod there that an AgentWorkload claims run at its workload's tier",
                    "(gVisor for a Tool); this policy cannot see AgentWorkloads, so every pod there must be Kata.",
                ]));
        }

        policies.Add(new ExportedPolicy(
            Policy("enforce-kata-in-labelled-namespaces", config, autogen: true, Rule("require-kata-runtime",
                new JsonObject
                {
                    ["kinds"] = ExportText.Strings(["Pod"]),
                    ["namespaceSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue } },
                },
                exclude: null, preconditions: null,
                Validate($"Pods in namespaces labelled {WellKnown.EnforceLabel}={WellKnown.EnforceKataValue} must set runtimeClassName: {kata}.", new JsonObject { ["pattern"] = RuntimeClassPattern(kata) }))),
            [
                $"Pods in namespaces labelled {WellKnown.EnforceLabel}={WellKnown.EnforceKataValue} must set runtimeClassName: {kata}; stricter than the",
                "operator for pods an AgentWorkload of a lower tier claims. It does not guard the label itself (the operator",
                "refuses its removal by anyone outside labelAdminGroups).",
            ]));

        policies.Add(new ExportedPolicy(
            Policy("enforce-kata-for-mcp-pods", config, autogen: true, Rule("require-kata-runtime",
                new JsonObject { ["kinds"] = ExportText.Strings(["Pod"]) },
                Excluded(config),
                Condition("all", $"{{{{ request.object.metadata.labels.\"{WellKnown.WorkloadTypeLabel}\" || '' }}}}", "Equals", WellKnown.McpServerLabelValue),
                Validate($"MCP server pods ({WellKnown.WorkloadTypeLabel}={WellKnown.McpServerLabelValue}) must set runtimeClassName: {kata}.", new JsonObject { ["pattern"] = RuntimeClassPattern(kata) }))),
            [
                $"Pods labelled {WellKnown.WorkloadTypeLabel}={WellKnown.McpServerLabelValue} must set runtimeClassName: {kata}, in every namespace but the",
                "excluded ones. Pods of an AgentWorkload of type MCPServer without the label are not seen (that needs the lookup).",
            ]));

        var placementRules = new List<JsonObject>();
        foreach (var runtime in config.SandboxRuntimes)
        {
            placementRules.Add(PlacementRule(runtime, config));
        }

        policies.Add(new ExportedPolicy(
            Policy("sandbox-pool-placement", config, autogen: true, [.. placementRules]),
            [
                "A pod that names a sandbox RuntimeClass must tolerate that runtime's pool taint and select the pool's label,",
                "by nodeSelector or by a required node affinity in every term. The operator adds both; here they must be",
                "written (sandbox-pool-separation keeps other pods off the pools). Not expressed: RuntimeClasses with other",
                "names whose handler is a sandbox one.",
            ]));

        policies.Add(new ExportedPolicy(
            Policy("sandbox-pool-separation", config, autogen: true, [.. config.SandboxRuntimes.Select(runtime => SeparationRule(runtime, config))]),
            [
                "Keeps other pods off each sandbox pool: a pod that tolerates a pool's taint (by its key, or by a toleration",
                "without a key) must name that pool's RuntimeClass, outside the excluded and infrastructure namespaces.",
                "Stricter than the operator, which also lets such a pod through when its node selection rules the pool out. Not",
                "expressed: nodeName set at creation (it skips the scheduler and the taint), a binding to a pool node, and",
                "SandboxExceptions that let a pod onto another pool (TolerateExtraPool).",
            ]));

        foreach (var rule in config.Classification)
        {
            if (ClassificationPolicy(rule, config) is { } classified)
            {
                policies.Add(classified);
            }
        }

        policies.Add(new ExportedPolicy(
            Policy("seccomp-baseline", config, autogen: true, Rule("require-seccomp-profile",
                new JsonObject { ["kinds"] = ExportText.Strings(["Pod"]) },
                Excluded(config), preconditions: null,
                Validate("Every container must run with a seccomp profile: set spec.securityContext.seccompProfile.type to RuntimeDefault or Localhost (and no container Unconfined), or set it on every container.",
                    new JsonObject { ["anyPattern"] = SeccompPatterns() }))),
            [
                "Every pod outside the excluded namespaces must run each container, init and ephemeral ones included, with a",
                "RuntimeDefault or Localhost seccomp profile. Broader than the operator, which requires it of the pods it",
                $"manages and fills in {config.LowTierSeccomp.Type} itself; a policy engine cannot tell managed pods apart. Consider Audit first.",
            ]));

        return ExportText.WithLimits(policies);
    }

    private static JsonObject Policy(string name, PolicyConfig config, bool autogen, params JsonObject[] rules)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (autogen)
        {
            metadata["annotations"] = new JsonObject { [Autogen] = string.Join(',', ExportText.Controllers.Select(c => c.Kind)) };
        }

        return new JsonObject
        {
            ["apiVersion"] = "kyverno.io/v1",
            ["kind"] = "ClusterPolicy",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["validationFailureAction"] = config.Mode.ToString(),
                ["rules"] = new JsonArray([.. rules]),
            },
        };
    }

    private static JsonObject Rule(string name, JsonObject resources, JsonObject? exclude, JsonObject? preconditions, JsonObject validate)
    {
        var rule = new JsonObject
        {
            ["name"] = name,
            ["match"] = new JsonObject { ["any"] = new JsonArray(new JsonObject { ["resources"] = resources }) },
        };
        if (exclude is not null)
        {
            rule["exclude"] = exclude;
        }

        if (preconditions is not null)
        {
            rule["preconditions"] = preconditions;
        }

        rule["validate"] = validate;
        return rule;
    }

    private static JsonObject Validate(string message, JsonObject body)
    {
        var validate = new JsonObject { ["message"] = message };
        foreach (var (k, v) in body)
        {
            validate[k] = v?.DeepClone();
        }

        return validate;
    }

    private static JsonObject RuntimeClassPattern(string runtimeClassName) => new() { ["spec"] = new JsonObject { ["runtimeClassName"] = runtimeClassName } };

    private static JsonObject? Excluded(PolicyConfig config) => ExcludedNamespaces(config.ExcludedNamespaces);

    private static JsonObject? ExcludedNamespaces(IEnumerable<string> namespaces) => namespaces.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } names
        ? new JsonObject { ["any"] = new JsonArray(new JsonObject { ["resources"] = new JsonObject { ["namespaces"] = ExportText.Strings(names) } }) }
        : null;

    /// <summary>
    /// The JMESPath (Kyverno's <c>{{ }}</c>) count of the pod's tolerations that tolerate <paramref name="taint"/>: its
    /// key or no key, Exists or its value, its effect or none.
    /// </summary>
    private static string TolerationsOf(TaintRef taint) =>
        $"{{{{ length(request.object.spec.tolerations[?(!key || key == {Jmes(taint.Key)}) && (operator == 'Exists' || value == {Jmes(taint.Value)}) && (!effect || effect == {Jmes(taint.Effect)})] || `[]`) }}}}";

    /// <summary>A JMESPath raw string literal: single-quoted, backslash and quote escaped.</summary>
    private static string Jmes(string value) => "'" + value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("'", @"\'", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The policy of one classification rule that needs a sandbox: pods it matches (its label selector, namespaces and
    /// owner kinds) must name the RuntimeClass of its tier (Kata; gVisor or Kata for Medium). Null for a rule whose
    /// tier needs no sandbox. Autogen is off: a rule matches a pod's own labels and owners, which a controller's
    /// template does not carry, so the pods are checked when they are created.
    /// </summary>
    private static ExportedPolicy? ClassificationPolicy(ClassificationRule rule, PolicyConfig config)
    {
        var allowed = ExportText.RuntimeClassesAtLeast(rule.Tier.Runtime, config);
        if (allowed.Count == 0)
        {
            return null;
        }

        var resources = new JsonObject { ["kinds"] = ExportText.Strings(["Pod"]) };
        if (rule.Match.Namespaces is { Count: > 0 } namespaces)
        {
            resources["namespaces"] = ExportText.Strings(namespaces.Order(StringComparer.Ordinal));
        }

        if (rule.Match.Labels is { } labels)
        {
            resources["selector"] = ExportText.Selector(labels);
        }

        JsonObject? preconditions = null;
        if (rule.Match.Owners is { Count: > 0 } owners)
        {
            var any = string.Join(" || ", owners.Select(o => o.Group.Length == 0
                ? $"(kind == {Jmes(o.Kind)} && !contains(apiVersion, '/'))"
                : $"(kind == {Jmes(o.Kind)} && starts_with(apiVersion, {Jmes(o.Group + "/")}))"));
            preconditions = Condition("all", $"{{{{ length(request.object.metadata.ownerReferences[?{any}] || `[]`) }}}}", "GreaterThan", 0);
        }

        var runtimes = string.Join(" or ", allowed);
        var policy = Policy($"classify-{rule.Name}", config, autogen: false, Rule("require-sandbox-runtime", resources, Excluded(config), preconditions,
            Validate($"Pods matched by {rule.Title} ({rule.Match}) are {rule.Tier.Tier} and must set runtimeClassName: {runtimes}.",
                new JsonObject { ["pattern"] = new JsonObject { ["spec"] = new JsonObject { ["runtimeClassName"] = string.Join(" | ", allowed) } } })));
        policy["metadata"]!["annotations"] = new JsonObject { [Autogen] = "none" };
        return new ExportedPolicy(policy,
        [
            $"{rule.Title}: pods it matches ({rule.Match}) are {rule.Tier.Tier} ({string.Join("; ", rule.Tier.Reasons)}) and must set",
            $"runtimeClassName: {runtimes}. Checked on Pods when they are created (autogen off: a controller's template carries",
            "neither the pod's owner nor, necessarily, the labels the rule reads). A SandboxException's RunInGVisor is not seen.",
        ]);
    }

    /// <summary>The pod's runtimeClassName as a Kyverno variable, "" when unset.</summary>
    private const string RuntimeClassName = "{{ request.object.spec.runtimeClassName || '' }}";

    /// <summary>Kyverno conditions with one entry (<c>all</c> or <c>any</c>): <paramref name="key"/> compared with <paramref name="value"/> by <paramref name="op"/>.</summary>
    private static JsonObject Condition(string quantifier, string key, string op, JsonNode value) =>
        new() { [quantifier] = new JsonArray(new JsonObject { ["key"] = key, ["operator"] = op, ["value"] = value }) };

    private static JsonObject SeparationRule(RuntimeSettings runtime, PolicyConfig config) =>
        Rule($"keep-other-pods-off-{TierNames.LabelValue(runtime.Runtime)}-pool",
            new JsonObject { ["kinds"] = ExportText.Strings(["Pod"]) },
            ExcludedNamespaces(config.ExcludedNamespaces.Concat(config.InfrastructureNamespaces)),
            Condition("all", RuntimeClassName, "NotEquals", runtime.RuntimeClassName),
            Validate($"Only pods with runtimeClassName {runtime.RuntimeClassName} may tolerate the taint {runtime.Pool.Taint} of the {TierNames.LabelValue(runtime.Runtime)} node pool (a toleration without a key tolerates it too).",
                new JsonObject { ["deny"] = new JsonObject { ["conditions"] = Condition("any", TolerationsOf(runtime.Pool.Taint), "GreaterThan", 0) } }));

    private static JsonObject PlacementRule(RuntimeSettings runtime, PolicyConfig config)
    {
        var pool = runtime.Pool;
        var toleration = new JsonObject { ["key"] = pool.Taint.Key, ["value"] = pool.Taint.Value, ["effect"] = pool.Taint.Effect };
        JsonObject WithToleration(string field, JsonNode selection) => new()
        {
            ["spec"] = new JsonObject { ["^(tolerations)"] = new JsonArray(toleration.DeepClone()), [field] = selection },
        };

        var byNodeSelector = WithToleration("nodeSelector", new JsonObject { [pool.Label.Key] = pool.Label.Value });
        var byAffinity = WithToleration("affinity", new JsonObject
        {
            ["nodeAffinity"] = new JsonObject
            {
                ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonObject
                {
                    ["nodeSelectorTerms"] = new JsonArray(new JsonObject
                    {
                        ["^(matchExpressions)"] = new JsonArray(new JsonObject { ["key"] = pool.Label.Key, ["operator"] = "In", ["values"] = ExportText.Strings([pool.Label.Value]) }),
                    }),
                },
            },
        });
        var name = TierNames.LabelValue(runtime.Runtime);
        return Rule($"{name}-pool-placement",
            new JsonObject { ["kinds"] = ExportText.Strings(["Pod"]) },
            Excluded(config),
            Condition("all", RuntimeClassName, "Equals", runtime.RuntimeClassName),
            Validate($"Pods with runtimeClassName {runtime.RuntimeClassName} must tolerate the taint {pool.Taint} and select the node label {pool.Label} (nodeSelector, or a required node affinity in every term).",
                new JsonObject { ["anyPattern"] = new JsonArray(byNodeSelector, byAffinity) }));
    }

    private static JsonArray SeccompPatterns()
    {
        const string Confined = "RuntimeDefault | Localhost";
        JsonObject IfSet() => new() { ["=(securityContext)"] = new JsonObject { ["=(seccompProfile)"] = new JsonObject { ["=(type)"] = Confined } } };
        JsonObject Required() => new() { ["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = Confined } } };
        var podLevel = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = Confined } },
                ["=(initContainers)"] = new JsonArray(IfSet()),
                ["containers"] = new JsonArray(IfSet()),
                ["=(ephemeralContainers)"] = new JsonArray(IfSet()),
            },
        };
        var everyContainer = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["=(initContainers)"] = new JsonArray(Required()),
                ["containers"] = new JsonArray(Required()),
                ["=(ephemeralContainers)"] = new JsonArray(Required()),
            },
        };
        return new JsonArray(podLevel, everyContainer);
    }
}
