using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SandboxOperator.Policy.Configuration;

/// <summary>
/// Loads a <see cref="PolicyConfig"/> from YAML text. Every key is optional and falls back to the
/// built-in default; unknown keys, wrong types and invalid values are reported with the key path and
/// the line they are on. Nothing is read from disk here: the caller passes the text and a source name.
/// </summary>
public static class PolicyConfigLoader
{
    private static readonly string[] Effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
    private static readonly string[] SeccompTypes = ["RuntimeDefault", "Localhost"];
    private static readonly string[] SelectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"];

    /// <summary>Parses <paramref name="yaml"/>; <paramref name="source"/> names it in error messages.</summary>
    public static (PolicyConfig? Config, IReadOnlyList<string> Errors) Load(string yaml, string source = "policy.yaml")
    {
        var errors = new List<string>();
        var (stream, line, yamlError) = Manifests.YamlText.Load(yaml);
        if (stream is null)
        {
            return (null, [line > 0 ? $"{source}:{line}: {yamlError}" : $"{source}: {yamlError}"]);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return (PolicyConfig.Default, errors);
        }

        if (stream.Documents.Count > 1)
        {
            errors.Add($"{source}:{stream.Documents[1].RootNode.Start.Line}: expected one YAML document, found {stream.Documents.Count}");
        }

        var reader = new Reader(source, errors);
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add($"{source}:{stream.Documents[0].RootNode.Start.Line}: (root): must be a mapping of keys");
            return (null, errors);
        }

        var config = PolicyConfig.Default;
        reader.CheckKeys(root, "", ["mode", "runtimes", "manageRuntimeClasses", "enforcedNamespaces", "excludedNamespaces", "infrastructureNamespaces", "lowTierSeccomp", "labelAdminGroups", "classification", "exceptions"]);

        if (reader.Scalar(root, "mode", "mode") is { } mode)
        {
            var value = reader.OneOf(mode, "mode", Enum.GetNames<EnforcementMode>());
            if (value is not null)
            {
                config = config with { Mode = Enum.Parse<EnforcementMode>(value) };
            }
        }

        if (reader.Child(root, "runtimes", "runtimes") is YamlMappingNode runtimes)
        {
            reader.CheckKeys(runtimes, "runtimes", ["kata", "gvisor"]);
            if (reader.Child(runtimes, "kata", "runtimes.kata") is YamlMappingNode k)
            {
                config = config with { Kata = reader.Runtime(k, "runtimes.kata", config.Kata) };
            }

            if (reader.Child(runtimes, "gvisor", "runtimes.gvisor") is YamlMappingNode g)
            {
                config = config with { GVisor = reader.Runtime(g, "runtimes.gvisor", config.GVisor) };
            }
        }

        if (reader.Bool(root, "manageRuntimeClasses") is { } manage)
        {
            config = config with { ManageRuntimeClasses = manage };
        }

        if (reader.StringSet(root, "enforcedNamespaces") is { } enforced)
        {
            config = config with { EnforcedNamespaces = enforced };
        }

        if (reader.StringSet(root, "excludedNamespaces") is { } excluded)
        {
            config = config with { ExcludedNamespaces = excluded };
        }

        if (reader.StringSet(root, "infrastructureNamespaces") is { } infra)
        {
            config = config with { InfrastructureNamespaces = infra };
        }

        if (reader.StringSet(root, "labelAdminGroups") is { } admins)
        {
            config = config with { LabelAdminGroups = admins };
        }

        if (reader.Child(root, "exceptions", "exceptions") is YamlMappingNode exceptions)
        {
            reader.CheckKeys(exceptions, "exceptions", ["adminGroups", "allowMcpServers"]);
            if (reader.StringSet(exceptions, "adminGroups", "exceptions.adminGroups") is { } exceptionAdmins)
            {
                config = config with { ExceptionAdminGroups = exceptionAdmins };
            }

            if (reader.Bool(exceptions, "allowMcpServers", "exceptions.allowMcpServers") is { } allowMcp)
            {
                config = config with { ExceptionsMayReleaseMcpServers = allowMcp };
            }
        }

        if (reader.Child(root, "lowTierSeccomp", "lowTierSeccomp") is YamlMappingNode seccomp)
        {
            reader.CheckKeys(seccomp, "lowTierSeccomp", ["type", "localhostProfile"]);
            var type = reader.Scalar(seccomp, "type", "lowTierSeccomp.type") is { } t ? reader.OneOf(t, "lowTierSeccomp.type", SeccompTypes) : "RuntimeDefault";
            var profile = reader.Scalar(seccomp, "localhostProfile", "lowTierSeccomp.localhostProfile")?.Value;
            if (type == "Localhost" && string.IsNullOrWhiteSpace(profile))
            {
                errors.Add($"{source}:{seccomp.Start.Line}: lowTierSeccomp.localhostProfile: required when type is Localhost (a path relative to the kubelet's seccomp directory, e.g. agentsandbox/agent-restricted.json)");
            }
            else if (type == "RuntimeDefault" && profile is not null)
            {
                errors.Add($"{source}:{seccomp.Start.Line}: lowTierSeccomp.localhostProfile: only allowed when type is Localhost");
            }
            else if (type is not null)
            {
                config = config with { LowTierSeccomp = new SeccompSetting(type, type == "Localhost" ? profile : null) };
            }
        }

        if (reader.Child(root, "classification", "classification") is YamlMappingNode classification)
        {
            config = config with { Classification = reader.Classification(classification) };
        }

        CheckConsistency(config, source, root, errors);
        return errors.Count == 0 ? (config, errors) : (null, errors);
    }

    private static void CheckConsistency(PolicyConfig config, string source, YamlMappingNode root, List<string> errors)
    {
        var line = root.Start.Line;
        if (config.Kata.RuntimeClassName == config.GVisor.RuntimeClassName)
        {
            errors.Add($"{source}:{line}: runtimes: kata and gvisor must use different runtimeClassName values, both are \"{config.Kata.RuntimeClassName}\"");
        }

        if (config.Kata.Pool.Label == config.GVisor.Pool.Label)
        {
            errors.Add($"{source}:{line}: runtimes: kata and gvisor must use different node pools, both select {config.Kata.Pool.Label} (runtimes never share a pool)");
        }

        if (config.Kata.Pool.Taint == config.GVisor.Pool.Taint)
        {
            errors.Add($"{source}:{line}: runtimes: kata and gvisor pools must have different taints, both use {config.Kata.Pool.Taint}");
        }

        var kataHandlers = new HandlerPatterns(config.Kata.Handlers.Patterns.Prepend(config.Kata.Handler));
        var gvisorHandlers = new HandlerPatterns(config.GVisor.Handlers.Patterns.Prepend(config.GVisor.Handler));
        if (kataHandlers.Overlap(gvisorHandlers) is var (kata, gvisor))
        {
            errors.Add($"{source}:{line}: runtimes: kata handler \"{kata}\" and gvisor handler \"{gvisor}\" overlap; a handler belongs to one runtime");
        }
    }

    /// <summary>Walks YAML nodes and records errors with the source name and line.</summary>
    private sealed class Reader(string source, List<string> errors)
    {
        public void CheckKeys(YamlMappingNode map, string path, string[] known)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? "?";
                if (Array.IndexOf(known, name) < 0)
                {
                    errors.Add($"{source}:{key.Start.Line}: {Join(path, name)}: unknown key (known keys: {string.Join(", ", known)})");
                }
            }
        }

        public YamlNode? Child(YamlMappingNode map, string key, string path)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node) || IsNull(node))
            {
                return null;
            }

            if (node is not YamlMappingNode)
            {
                errors.Add($"{source}:{node.Start.Line}: {path}: must be a mapping of keys");
                return null;
            }

            return node;
        }

        public YamlScalarNode? Scalar(YamlMappingNode map, string key, string path)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node) || IsNull(node))
            {
                return null;
            }

            if (node is not YamlScalarNode scalar)
            {
                errors.Add($"{source}:{node.Start.Line}: {path}: must be a single value");
                return null;
            }

            return scalar;
        }

        public string? OneOf(YamlScalarNode node, string path, string[] allowed)
        {
            var value = node.Value ?? "";
            if (Array.IndexOf(allowed, value) >= 0)
            {
                return value;
            }

            errors.Add($"{source}:{node.Start.Line}: {path}: unsupported value \"{value}\" (allowed: {string.Join(", ", allowed)})");
            return null;
        }

        public string? Text(YamlMappingNode map, string key, string path, bool dnsLabel = false)
        {
            if (Scalar(map, key, path) is not { } node)
            {
                return null;
            }

            var value = node.Value ?? "";
            if (value.Length == 0)
            {
                errors.Add($"{source}:{node.Start.Line}: {path}: must not be empty");
                return null;
            }

            if (dnsLabel && !Names.IsDnsSubdomain(value))
            {
                errors.Add($"{source}:{node.Start.Line}: {path}: \"{value}\" is not a valid Kubernetes object name (lower-case letters, digits, '-' and '.')");
                return null;
            }

            return value;
        }

        public bool? Bool(YamlMappingNode map, string key, string? path = null)
        {
            path ??= key;
            if (Scalar(map, key, path) is not { } node)
            {
                return null;
            }

            if (node.Value is "true" or "false")
            {
                return node.Value == "true";
            }

            errors.Add($"{source}:{node.Start.Line}: {path}: must be true or false, got \"{node.Value}\"");
            return null;
        }

        public HashSet<string>? StringSet(YamlMappingNode map, string key, string? path = null)
        {
            var at = path ?? key;
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node) || IsNull(node))
            {
                return null;
            }

            if (node is not YamlSequenceNode seq)
            {
                errors.Add($"{source}:{node.Start.Line}: {at}: must be a list of names");
                return null;
            }

            var set = new HashSet<string>(StringComparer.Ordinal);
            var i = 0;
            foreach (var item in seq.Children)
            {
                if (item is not YamlScalarNode { Value: { Length: > 0 } v })
                {
                    errors.Add($"{source}:{item.Start.Line}: {at}[{i}]: must be a non-empty name");
                }
                else
                {
                    set.Add(v);
                }

                i++;
            }

            return set;
        }

        public RuntimeSettings Runtime(YamlMappingNode map, string path, RuntimeSettings defaults)
        {
            CheckKeys(map, path, ["runtimeClassName", "handler", "handlers", "overhead", "pool"]);
            var result = defaults;
            if (Text(map, "runtimeClassName", path + ".runtimeClassName", dnsLabel: true) is { } name)
            {
                result = result with { RuntimeClassName = name };
            }

            if (Text(map, "handler", path + ".handler", dnsLabel: true) is { } handler)
            {
                result = result with { Handler = handler };
            }

            if (Handlers(map, path + ".handlers") is { } handlers)
            {
                result = result with { Handlers = handlers };
            }

            if (Child(map, "overhead", path + ".overhead") is YamlMappingNode overhead)
            {
                CheckKeys(overhead, path + ".overhead", ["memory", "cpu"]);
                result = result with
                {
                    Overhead = new ResourceOverhead(
                        Text(overhead, "memory", path + ".overhead.memory") ?? defaults.Overhead?.Memory ?? "0",
                        Text(overhead, "cpu", path + ".overhead.cpu") ?? defaults.Overhead?.Cpu ?? "0"),
                };
            }

            if (Child(map, "pool", path + ".pool") is YamlMappingNode pool)
            {
                CheckKeys(pool, path + ".pool", ["label", "taint"]);
                var label = defaults.Pool.Label;
                var taint = defaults.Pool.Taint;
                if (Child(pool, "label", path + ".pool.label") is YamlMappingNode l)
                {
                    CheckKeys(l, path + ".pool.label", ["key", "value"]);
                    label = new LabelRef(Text(l, "key", path + ".pool.label.key") ?? label.Key, Text(l, "value", path + ".pool.label.value") ?? label.Value);
                }

                if (Child(pool, "taint", path + ".pool.taint") is YamlMappingNode t)
                {
                    CheckKeys(t, path + ".pool.taint", ["key", "value", "effect"]);
                    var effect = Scalar(t, "effect", path + ".pool.taint.effect") is { } e ? OneOf(e, path + ".pool.taint.effect", Effects) : null;
                    taint = new TaintRef(Text(t, "key", path + ".pool.taint.key") ?? taint.Key, Text(t, "value", path + ".pool.taint.value") ?? taint.Value, effect ?? taint.Effect);
                }

                result = result with { Pool = new PoolSettings(label, taint) };
            }

            return result;
        }

        /// <summary><c>classification</c>: its rules in order, then the rules of its presets in the order given.</summary>
        public List<ClassificationRule> Classification(YamlMappingNode map)
        {
            CheckKeys(map, "classification", ["rules", "presets"]);
            var rules = new List<ClassificationRule>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            if (Sequence(map, "rules", "classification.rules", "a list of rules") is { } seq)
            {
                var i = 0;
                foreach (var item in seq.Children)
                {
                    var at = $"classification.rules[{i++}]";
                    if (item is not YamlMappingNode rule)
                    {
                        errors.Add($"{source}:{item.Start.Line}: {at}: must be a mapping with name, match and type");
                    }
                    else if (Rule(rule, at) is { } r)
                    {
                        if (!names.Add(r.Name))
                        {
                            errors.Add($"{source}:{rule.Start.Line}: {at}.name: \"{r.Name}\" is used by another rule; rule names are unique");
                        }
                        else
                        {
                            rules.Add(r);
                        }
                    }
                }
            }

            if (Sequence(map, "presets", "classification.presets", $"a list of preset names ({string.Join(", ", ClassificationPresets.Names)})") is { } presets)
            {
                var i = 0;
                foreach (var item in presets.Children)
                {
                    var at = $"classification.presets[{i++}]";
                    var name = (item as YamlScalarNode)?.Value ?? "";
                    if (ClassificationPresets.Rule(name) is not { } preset)
                    {
                        errors.Add($"{source}:{item.Start.Line}: {at}: unknown preset \"{name}\" (known presets: {string.Join(", ", ClassificationPresets.Names)})");
                    }
                    else if (!names.Add(name))
                    {
                        errors.Add($"{source}:{item.Start.Line}: {at}: \"{name}\" is given twice or names a rule too; a preset is enabled once and its name is not a rule name");
                    }
                    else
                    {
                        rules.Add(preset);
                    }
                }
            }

            return rules;
        }

        private ClassificationRule? Rule(YamlMappingNode map, string at)
        {
            CheckKeys(map, at, ["name", "match", "type", "traits", "riskTier"]);
            var count = errors.Count;
            var name = Text(map, "name", at + ".name", dnsLabel: true);
            if (name is null && Scalar(map, "name", at + ".name") is null)
            {
                errors.Add($"{source}:{map.Start.Line}: {at}.name: required");
            }

            WorkloadType? type = null;
            if (Scalar(map, "type", at + ".type") is { } t)
            {
                type = OneOf(t, at + ".type", Enum.GetNames<WorkloadType>()) is { } v ? Enum.Parse<WorkloadType>(v) : null;
            }
            else
            {
                errors.Add($"{source}:{map.Start.Line}: {at}.type: required (one of {string.Join(", ", Enum.GetNames<WorkloadType>())})");
            }

            RiskTier? riskTier = null;
            if (Scalar(map, "riskTier", at + ".riskTier") is { } rt && OneOf(rt, at + ".riskTier", Enum.GetNames<RiskTier>()) is { } tier)
            {
                riskTier = Enum.Parse<RiskTier>(tier);
            }

            WorkloadTraits? traits = null;
            if (Child(map, "traits", at + ".traits") is YamlMappingNode tm)
            {
                CheckKeys(tm, at + ".traits", ["executesUntrustedCode", "processesUntrustedContent", "runsThirdPartySkills"]);
                traits = new WorkloadTraits
                {
                    ExecutesUntrustedCode = Bool(tm, "executesUntrustedCode", at + ".traits.executesUntrustedCode") ?? false,
                    ProcessesUntrustedContent = Bool(tm, "processesUntrustedContent", at + ".traits.processesUntrustedContent") ?? false,
                    RunsThirdPartySkills = Bool(tm, "runsThirdPartySkills", at + ".traits.runsThirdPartySkills") ?? false,
                };
            }

            RuleMatch? match = null;
            if (Child(map, "match", at + ".match") is YamlMappingNode mm)
            {
                match = Match(mm, at + ".match");
            }
            else
            {
                errors.Add($"{source}:{map.Start.Line}: {at}.match: required (labels, owners or namespaces)");
            }

            return errors.Count == count && name is not null && type is { } wt && match is not null
                ? new ClassificationRule(name, match, new AgentWorkloadSpec { Type = wt, Traits = traits, RiskTier = riskTier })
                : null;
        }

        private RuleMatch? Match(YamlMappingNode map, string at)
        {
            CheckKeys(map, at, ["labels", "owners", "namespaces"]);
            LabelSelector? labels = null;
            if (Child(map, "labels", at + ".labels") is YamlMappingNode lm)
            {
                labels = Selector(lm, at + ".labels");
            }

            List<OwnerKind>? owners = null;
            if (Sequence(map, "owners", at + ".owners", "a list of {kind, group}") is { } os)
            {
                owners = [];
                var i = 0;
                foreach (var item in os.Children)
                {
                    var o = $"{at}.owners[{i++}]";
                    if (item is not YamlMappingNode om)
                    {
                        errors.Add($"{source}:{item.Start.Line}: {o}: must be a mapping with kind and group");
                        continue;
                    }

                    CheckKeys(om, o, ["kind", "group"]);
                    var kind = Text(om, "kind", o + ".kind");
                    if (kind is null && Scalar(om, "kind", o + ".kind") is null)
                    {
                        errors.Add($"{source}:{om.Start.Line}: {o}.kind: required (the owner's kind, e.g. Sandbox)");
                    }

                    // The core group is "": an absent group means it, so `group: ""` and no group agree.
                    var group = Scalar(om, "group", o + ".group")?.Value ?? "";
                    if (group.Contains('/'))
                    {
                        errors.Add($"{source}:{om.Start.Line}: {o}.group: \"{group}\" is an API group without a version (agents.x-k8s.io, not agents.x-k8s.io/v1beta1)");
                    }
                    else if (kind is not null)
                    {
                        owners.Add(new OwnerKind(kind, group));
                    }
                }

                if (os.Children.Count == 0)
                {
                    errors.Add($"{source}:{os.Start.Line}: {at}.owners: must name at least one owner kind");
                }
            }

            var namespaces = StringSet(map, "namespaces", at + ".namespaces");
            if (namespaces is { Count: 0 })
            {
                errors.Add($"{source}:{map.Start.Line}: {at}.namespaces: must name at least one namespace");
            }

            if (labels is null && owners is null && namespaces is null)
            {
                errors.Add($"{source}:{map.Start.Line}: {at}: give at least one of labels, owners and namespaces (a rule that matches every pod is an enforcedNamespaces entry or a namespace label)");
                return null;
            }

            return new RuleMatch(labels, owners, namespaces);
        }

        private LabelSelector? Selector(YamlMappingNode map, string at)
        {
            CheckKeys(map, at, ["matchLabels", "matchExpressions"]);
            Dictionary<string, string>? matchLabels = null;
            if (Child(map, "matchLabels", at + ".matchLabels") is YamlMappingNode ml)
            {
                matchLabels = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (k, v) in ml.Children)
                {
                    var key = (k as YamlScalarNode)?.Value ?? "";
                    if (v is YamlScalarNode { Value: { } value })
                    {
                        matchLabels[key] = value;
                    }
                    else
                    {
                        errors.Add($"{source}:{v.Start.Line}: {at}.matchLabels.{key}: must be a single value");
                    }
                }
            }

            List<LabelSelectorRequirement>? expressions = null;
            if (Sequence(map, "matchExpressions", at + ".matchExpressions", "a list of {key, operator, values}") is { } seq)
            {
                expressions = [];
                var i = 0;
                foreach (var item in seq.Children)
                {
                    var e = $"{at}.matchExpressions[{i++}]";
                    if (item is not YamlMappingNode em)
                    {
                        errors.Add($"{source}:{item.Start.Line}: {e}: must be a mapping with key, operator and values");
                        continue;
                    }

                    CheckKeys(em, e, ["key", "operator", "values"]);
                    var key = Text(em, "key", e + ".key");
                    var op = Scalar(em, "operator", e + ".operator") is { } o ? OneOf(o, e + ".operator", SelectorOperators) : null;
                    var values = StringList(em, "values", e + ".values");
                    if (key is null || op is null)
                    {
                        if (key is null && Scalar(em, "key", e + ".key") is null)
                        {
                            errors.Add($"{source}:{em.Start.Line}: {e}.key: required");
                        }

                        if (Scalar(em, "operator", e + ".operator") is null)
                        {
                            errors.Add($"{source}:{em.Start.Line}: {e}.operator: required (one of {string.Join(", ", SelectorOperators)})");
                        }

                        continue;
                    }

                    var needsValues = op is "In" or "NotIn";
                    if (needsValues && values is not { Count: > 0 })
                    {
                        errors.Add($"{source}:{em.Start.Line}: {e}.values: {op} needs at least one value");
                    }
                    else if (!needsValues && values is { Count: > 0 })
                    {
                        errors.Add($"{source}:{em.Start.Line}: {e}.values: must be empty for {op}");
                    }
                    else
                    {
                        expressions.Add(new LabelSelectorRequirement { Key = key, Operator = op, Values = values });
                    }
                }
            }

            if (matchLabels is not { Count: > 0 } && expressions is not { Count: > 0 })
            {
                errors.Add($"{source}:{map.Start.Line}: {at}: an empty selector matches every pod; give matchLabels or matchExpressions");
                return null;
            }

            return new LabelSelector { MatchLabels = matchLabels, MatchExpressions = expressions };
        }

        private YamlSequenceNode? Sequence(YamlMappingNode map, string key, string path, string what)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node) || IsNull(node))
            {
                return null;
            }

            if (node is not YamlSequenceNode seq)
            {
                errors.Add($"{source}:{node.Start.Line}: {path}: must be {what}");
                return null;
            }

            return seq;
        }

        private List<string>? StringList(YamlMappingNode map, string key, string path)
        {
            if (Sequence(map, key, path, "a list of values") is not { } seq)
            {
                return null;
            }

            var list = new List<string>(seq.Children.Count);
            var i = 0;
            foreach (var item in seq.Children)
            {
                if (item is YamlScalarNode { Value: { } v })
                {
                    list.Add(v);
                }
                else
                {
                    errors.Add($"{source}:{item.Start.Line}: {path}[{i}]: must be a single value");
                }

                i++;
            }

            return list;
        }

        /// <summary>A list of handler names and prefixes ending in <c>*</c>, each checked.</summary>
        private HandlerPatterns? Handlers(YamlMappingNode map, string path)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode("handlers"), out var node) || IsNull(node))
            {
                return null;
            }

            if (node is not YamlSequenceNode seq)
            {
                errors.Add($"{source}:{node.Start.Line}: {path}: must be a list of handler names (a name may end in * to accept every handler it prefixes)");
                return null;
            }

            var patterns = new List<string>();
            var i = 0;
            foreach (var item in seq.Children)
            {
                if (item is YamlScalarNode { Value: { } v } && HandlerPatterns.IsValid(v))
                {
                    patterns.Add(v);
                }
                else
                {
                    var shown = (item as YamlScalarNode)?.Value ?? "a list or mapping";
                    errors.Add($"{source}:{item.Start.Line}: {path}[{i}]: \"{shown}\" is not a handler name (lower-case letters, digits and '-'), optionally ending in * after a non-empty prefix");
                }

                i++;
            }

            return new HandlerPatterns(patterns);
        }

        private static bool IsNull(YamlNode node) =>
            node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" };

        private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
    }
}
