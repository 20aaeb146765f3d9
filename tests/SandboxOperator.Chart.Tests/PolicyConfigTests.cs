using k8s.Models;
using YamlDotNet.Serialization;

namespace SandboxOperator.Chart.Tests;

[Collection(ChartCollection.Name)]
public sealed class PolicyConfigTests(ChartRenderer chart)
{
    private LooseObject Policy(params string[] args)
    {
        var cm = chart.Render(args).Named<V1ConfigMap>(ChartRenderer.Fullname + "-config");
        var map = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(cm.Data["policy.yaml"]);
        return new LooseObject(map);
    }

    [SkippableFact]
    public void Rendered_policy_loads_in_the_operator_and_equals_its_defaults_but_for_the_release_namespace()
    {
        var cm = chart.Render().Named<V1ConfigMap>(ChartRenderer.Fullname + "-config");
        var (config, errors) = SandboxOperator.Policy.Configuration.PolicyConfigLoader.Load(cm.Data["policy.yaml"], "configmap policy.yaml");
        Assert.Empty(errors);
        var defaults = SandboxOperator.Policy.Configuration.PolicyConfig.Default;
        Assert.Equal(defaults.Kata, config!.Kata);
        Assert.Equal(defaults.GVisor, config.GVisor);
        Assert.Equal(defaults.Mode, config.Mode);
        Assert.Equal(defaults.LowTierSeccomp, config.LowTierSeccomp);
        Assert.Equal(defaults.LabelAdminGroups.Order(), config.LabelAdminGroups.Order());
        Assert.Equal([ChartRenderer.ReleaseNamespace], config.InfrastructureNamespaces);
        Assert.True(config.ExcludedNamespaces.SetEquals(["kube-system", ChartRenderer.ReleaseNamespace]), string.Join(", ", config.ExcludedNamespaces));

        var audit = chart.Render("--set", "mode=Audit", "--set", "lowTierSeccomp.type=Localhost").Named<V1ConfigMap>(ChartRenderer.Fullname + "-config");
        var (loaded, auditErrors) = SandboxOperator.Policy.Configuration.PolicyConfigLoader.Load(audit.Data["policy.yaml"], "configmap policy.yaml");
        Assert.Empty(auditErrors);
        Assert.Equal(SandboxOperator.Policy.Api.EnforcementMode.Audit, loaded!.Mode);
        Assert.Equal(new SandboxOperator.Policy.Configuration.SeccompSetting("Localhost", "agentsandbox/agent-restricted.json"), loaded.LowTierSeccomp);
    }

    [SkippableFact]
    public void Classification_presets_and_rules_reach_the_operator_as_written()
    {
        var values = chart.ValuesFile("""
            classification:
              presets: [agent-sandbox, mcp-lifecycle-operator]
              rules:
                - name: research-jobs
                  match:
                    labels: { matchExpressions: [{ key: team, operator: In, values: [research] }] }
                    owners: [{ kind: Job, group: batch }]
                    namespaces: [agents]
                  type: Tool
                  traits: { processesUntrustedContent: true }
            """);
        var cm = chart.Render("-f", values).Named<V1ConfigMap>(ChartRenderer.Fullname + "-config");

        var (config, errors) = SandboxOperator.Policy.Configuration.PolicyConfigLoader.Load(cm.Data["policy.yaml"], "configmap policy.yaml");

        Assert.Empty(errors);
        Assert.Equal(["research-jobs", "agent-sandbox", "mcp-lifecycle-operator"], config!.Classification.Select(r => r.Name));
        var rule = config.Classification[0];
        Assert.Equal(SandboxOperator.Policy.Api.RiskTier.High, rule.Tier.Tier);
        Assert.Equal([new SandboxOperator.Policy.Pods.OwnerKind("Job", "batch")], rule.Match.Owners);
        Assert.Equal(["agents"], rule.Match.Namespaces!);
        Assert.Empty(SandboxOperator.Policy.Configuration.PolicyConfigLoader.Load(chart.Render().Named<V1ConfigMap>(ChartRenderer.Fullname + "-config").Data["policy.yaml"]).Config!.Classification);
    }

    [SkippableTheory]
    [InlineData("classification:\n  presets: [kagent]\n", "- classification.presets.0: classification.presets.0 must be one of the following: \"agent-sandbox\", \"toolhive\", \"mcp-lifecycle-operator\"")]
    [InlineData("classification:\n  rules:\n    - name: a\n      match: { namespaces: [x] }\n", "- classification.rules.0: type is required")]
    [InlineData("classification:\n  rules:\n    - name: a\n      type: Tool\n      match: { owners: [{ kind: Sandbox, group: agents.x-k8s.io/v1beta1 }] }\n", "- classification.rules.0.match.owners.0.group: Does not match pattern")]
    public void The_values_schema_refuses_a_wrong_classification(string yaml, string expected)
    {
        var error = chart.RenderError("-f", chart.ValuesFile(yaml));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Default_policy_matches_the_operators_built_in_defaults()
    {
        var p = Policy();
        Assert.Equal("Enforce", p.Get<string>("mode"));
        Assert.Equal("kata", p.Get<string>("runtimes.kata.runtimeClassName"));
        Assert.Equal("kata-qemu", p.Get<string>("runtimes.kata.handler"));
        Assert.Equal("160Mi", p.Get<string>("runtimes.kata.overhead.memory"));
        Assert.Equal("250m", p.Get<string>("runtimes.kata.overhead.cpu"));
        Assert.Equal("agentsandbox.io/pool", p.Get<string>("runtimes.kata.pool.label.key"));
        Assert.Equal("kata", p.Get<string>("runtimes.kata.pool.taint.value"));
        Assert.Equal("NoSchedule", p.Get<string>("runtimes.kata.pool.taint.effect"));
        Assert.Equal("gvisor", p.Get<string>("runtimes.gvisor.runtimeClassName"));
        Assert.Equal("runsc", p.Get<string>("runtimes.gvisor.handler"));
        Assert.Equal("gvisor", p.Get<string>("runtimes.gvisor.pool.label.value"));
        Assert.Equal("false", p.Get<string>("manageRuntimeClasses"));
        Assert.Empty((List<object>)p.Get<object>("enforcedNamespaces"));
        Assert.Equal([ChartRenderer.ReleaseNamespace], p.Strings("infrastructureNamespaces"));
        Assert.Equal("RuntimeDefault", p.Get<string>("lowTierSeccomp.type"));
        Assert.Null(p.Find("lowTierSeccomp.localhostProfile"));
        Assert.Equal(["system:masters"], p.Strings("labelAdminGroups"));
    }

    [SkippableFact]
    public void Audit_mode_enforced_and_infrastructure_namespaces_reach_the_operator()
    {
        var p = Policy("-f", chart.ValuesFile("""
            mode: Audit
            security:
              kata:
                enforcedNamespaces: [agents, untrusted-tools]
              infrastructureNamespaces: [logging, agentsandbox-system, kube-flannel]
            labelAdminGroups: [system:masters, platform-admins]
            runtimes:
              kata:
                handler: kata-clh
                overhead: { memory: 200Mi, cpu: 300m }
            """));
        Assert.Equal("Audit", p.Get<string>("mode"));
        Assert.Equal(["agents", "untrusted-tools"], p.Strings("enforcedNamespaces"));
        Assert.Equal([ChartRenderer.ReleaseNamespace, "logging", "kube-flannel"], p.Strings("infrastructureNamespaces"));
        Assert.Equal(["system:masters", "platform-admins"], p.Strings("labelAdminGroups"));
        Assert.Equal("kata-clh", p.Get<string>("runtimes.kata.handler"));
        Assert.Equal(["kata", "kata-qemu", "kata-qemu-*", "kata-clh", "kata-clh-*", "kata-cloud-hypervisor", "kata-dragonball", "kata-fc", "kata-stratovirt", "kata-remote"], p.Strings("runtimes.kata.handlers"));
        Assert.Equal("kata", p.Get<string>("runtimes.kata.runtimeClassName"));
        Assert.Equal("200Mi", p.Get<string>("runtimes.kata.overhead.memory"));
    }

    [SkippableFact]
    public void Disabling_kata_enforcement_empties_the_enforced_namespaces_but_keeps_the_mode()
    {
        var p = Policy("--set", "security.kata.enabled=false", "--set", "security.kata.enforcedNamespaces={agents}", "--set", "mode=Audit");
        Assert.Empty((List<object>)p.Get<object>("enforcedNamespaces"));
        Assert.Equal("Audit", p.Get<string>("mode"));

        var enabled = Policy("--set", "security.kata.enforcedNamespaces={agents}");
        Assert.Equal(["agents"], enabled.Strings("enforcedNamespaces"));
        Assert.Equal("Enforce", enabled.Get<string>("mode"));
    }

    [SkippableFact]
    public void Localhost_seccomp_names_the_profile_the_installer_puts_on_nodes()
    {
        var m = chart.Render("--set", "lowTierSeccomp.type=Localhost", "--set", "seccomp.installProfile=true");
        var p = new LooseObject(new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(
            m.Named<V1ConfigMap>(ChartRenderer.Fullname + "-config").Data["policy.yaml"]));
        Assert.Equal("Localhost", p.Get<string>("lowTierSeccomp.type"));
        var profile = p.Get<string>("lowTierSeccomp.localhostProfile");
        var hostPath = Assert.Single(m.One<V1DaemonSet>().Spec.Template.Spec.Volumes, v => v.HostPath is not null).HostPath.Path;
        Assert.Equal("/var/lib/kubelet/seccomp/" + profile, hostPath + "/agent-restricted.json");

        var error = chart.RenderError("--set", "lowTierSeccomp.type=Localhost", "--set", "lowTierSeccomp.localhostProfile=");
        Assert.Contains("lowTierSeccomp.localhostProfile is required", error, StringComparison.Ordinal);
    }
}
