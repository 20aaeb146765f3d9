using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Tests.Configuration;

/// <summary>The <c>classification</c> key: rules and presets, and the errors a wrong one gets.</summary>
public class ClassificationConfigTests
{
    [Fact]
    public void Without_the_key_there_are_no_rules()
    {
        var (config, errors) = PolicyConfigLoader.Load("mode: Enforce\n");
        Assert.Empty(errors);
        Assert.Empty(config!.Classification);
    }

    [Fact]
    public void Rules_come_in_order_then_the_presets_in_the_order_given()
    {
        const string yaml = """
            classification:
              presets: [mcp-lifecycle-operator, agent-sandbox]
              rules:
                - name: research-jobs
                  match:
                    labels:
                      matchLabels: { team: research }
                      matchExpressions: [{ key: tier, operator: NotIn, values: [trusted] }]
                    owners: [{ kind: Job, group: batch }, { kind: ReplicationController }]
                    namespaces: [agents, lab]
                  type: Tool
                  traits: { executesUntrustedCode: true }
                  riskTier: High
            """;

        var (config, errors) = PolicyConfigLoader.Load(yaml);

        Assert.Empty(errors);
        Assert.Equal(["research-jobs", "mcp-lifecycle-operator", "agent-sandbox"], config!.Classification.Select(r => r.Name));
        var rule = config.Classification[0];
        Assert.Null(rule.Preset);
        Assert.Equal(WorkloadType.Tool, rule.Spec.Type);
        Assert.True(rule.Spec.Traits!.ExecutesUntrustedCode);
        Assert.False(rule.Spec.Traits.ProcessesUntrustedContent);
        Assert.Equal(RiskTier.High, rule.Spec.RiskTier);
        Assert.Equal(RiskTier.High, rule.Tier.Tier);
        Assert.Equal([new OwnerKind("Job", "batch"), new OwnerKind("ReplicationController", "")], rule.Match.Owners);
        Assert.Equal(["agents", "lab"], rule.Match.Namespaces!.Order());
        Assert.Equal("research", rule.Match.Labels!.MatchLabels!["team"]);
        Assert.Equal("NotIn", rule.Match.Labels.MatchExpressions![0].Operator);
        Assert.Equal(ClassificationPresets.McpLifecycleOperator, config.Classification[1].Preset);
    }

    [Theory]
    [InlineData("classification:\n  presets: [kagent]\n", "policy.yaml:2: classification.presets[0]: unknown preset \"kagent\" (known presets: agent-sandbox, toolhive, mcp-lifecycle-operator)")]
    [InlineData("classification:\n  presets: [toolhive, toolhive]\n", "policy.yaml:2: classification.presets[1]: \"toolhive\" is given twice")]
    [InlineData("classification:\n  presets: toolhive\n", "policy.yaml:2: classification.presets: must be a list of preset names")]
    [InlineData("classification:\n  rule: []\n", "policy.yaml:2: classification.rule: unknown key (known keys: rules, presets)")]
    [InlineData("classification:\n  rules:\n    - name: a\n      match: { namespaces: [x] }\n", "policy.yaml:3: classification.rules[0].type: required (one of MCPServer, Agent, ExecTool, Tool, Internal)")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tools\n      match: { namespaces: [x] }\n", "policy.yaml:4: classification.rules[0].type: unsupported value \"Tools\"")]
    [InlineData("classification:\n  rules:\n    - match: { namespaces: [x] }\n      type: Tool\n", "policy.yaml:3: classification.rules[0].name: required")]
    [InlineData("classification:\n  rules:\n    - name: Bad_Name\n      match: { namespaces: [x] }\n      type: Tool\n", "policy.yaml:3: classification.rules[0].name: \"Bad_Name\" is not a valid Kubernetes object name")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n", "policy.yaml:3: classification.rules[0].match: required (labels, owners or namespaces)")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: {}\n", "policy.yaml:5: classification.rules[0].match: give at least one of labels, owners and namespaces")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { labels: {} }\n", "policy.yaml:5: classification.rules[0].match.labels: an empty selector matches every pod")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { labels: { matchExpressions: [{ key: k, operator: In }] } }\n", "policy.yaml:5: classification.rules[0].match.labels.matchExpressions[0].values: In needs at least one value")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { labels: { matchExpressions: [{ key: k, operator: Exists, values: [v] }] } }\n", "policy.yaml:5: classification.rules[0].match.labels.matchExpressions[0].values: must be empty for Exists")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { labels: { matchExpressions: [{ key: k, operator: Equals, values: [v] }] } }\n", "policy.yaml:5: classification.rules[0].match.labels.matchExpressions[0].operator: unsupported value \"Equals\" (allowed: In, NotIn, Exists, DoesNotExist)")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { owners: [{ kind: Sandbox, group: agents.x-k8s.io/v1beta1 }] }\n", "policy.yaml:5: classification.rules[0].match.owners[0].group: \"agents.x-k8s.io/v1beta1\" is an API group without a version")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { owners: [{ group: apps }] }\n", "policy.yaml:5: classification.rules[0].match.owners[0].kind: required")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { owners: [] }\n", "policy.yaml:5: classification.rules[0].match.owners: must name at least one owner kind")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { namespaces: [] }\n", "policy.yaml:5: classification.rules[0].match.namespaces: must name at least one namespace")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { namespaces: [x] }\n      traits: { untrusted: true }\n", "policy.yaml:6: classification.rules[0].traits.untrusted: unknown key")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { namespaces: [x] }\n      traits: { executesUntrustedCode: yes }\n", "policy.yaml:6: classification.rules[0].traits.executesUntrustedCode: must be true or false, got \"yes\"")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { namespaces: [x] }\n      riskTier: Highest\n", "policy.yaml:6: classification.rules[0].riskTier: unsupported value \"Highest\" (allowed: Low, Medium, High)")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { namespaces: [x] }\n    - name: a\n      type: Agent\n      match: { namespaces: [y] }\n", "policy.yaml:6: classification.rules[1].name: \"a\" is used by another rule")]
    [InlineData("classification:\n  presets: [toolhive]\n  rules:\n    - name: toolhive\n      type: Tool\n      match: { namespaces: [x] }\n", "policy.yaml:2: classification.presets[0]: \"toolhive\" is given twice or names a rule too")]
    public void A_wrong_rule_is_reported_with_its_path_and_line(string yaml, string expected)
    {
        var (config, errors) = PolicyConfigLoader.Load(yaml);

        Assert.Null(config);
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }
}
