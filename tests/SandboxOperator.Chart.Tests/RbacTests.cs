using k8s.Models;

namespace SandboxOperator.Chart.Tests;

[Collection(ChartCollection.Name)]
public sealed class RbacTests(ChartRenderer chart)
{
    public static TheoryData<string[]> AllModes => new()
    {
        Array.Empty<string>(),
        new[] { "--set", "runtimeClasses.manage=true" },
        new[] { "--set", "tls.mode=certManager" },
        new[] { "--set", "tls.mode=secret", "--set", "tls.secret.name=webhook-tls", "--set", "tls.secret.caBundle=Q0E=" },
    };

    [SkippableFact]
    public void Cluster_role_grants_exactly_what_the_operator_calls_in_self_managed_mode()
    {
        var m = chart.Render();
        Assert.Equal(
            new[]
            {
                "/events:create", "/events:patch",
                "/namespaces:get", "/namespaces:list", "/namespaces:watch",
                "/nodes:get", "/nodes:list", "/nodes:watch",
                "/pods:get", "/pods:list", "/pods:watch",
                $"admissionregistration.k8s.io/mutatingwebhookconfigurations[{ChartRenderer.Fullname}]:get",
                $"admissionregistration.k8s.io/mutatingwebhookconfigurations[{ChartRenderer.Fullname}]:list",
                $"admissionregistration.k8s.io/mutatingwebhookconfigurations[{ChartRenderer.Fullname}]:patch",
                $"admissionregistration.k8s.io/mutatingwebhookconfigurations[{ChartRenderer.Fullname}]:update",
                $"admissionregistration.k8s.io/mutatingwebhookconfigurations[{ChartRenderer.Fullname}]:watch",
                $"admissionregistration.k8s.io/validatingwebhookconfigurations[{ChartRenderer.Fullname}]:get",
                $"admissionregistration.k8s.io/validatingwebhookconfigurations[{ChartRenderer.Fullname}]:list",
                $"admissionregistration.k8s.io/validatingwebhookconfigurations[{ChartRenderer.Fullname}]:patch",
                $"admissionregistration.k8s.io/validatingwebhookconfigurations[{ChartRenderer.Fullname}]:update",
                $"admissionregistration.k8s.io/validatingwebhookconfigurations[{ChartRenderer.Fullname}]:watch",
                "agentsandbox.io/agentworkloads/status:get", "agentsandbox.io/agentworkloads/status:patch", "agentsandbox.io/agentworkloads/status:update",
                "agentsandbox.io/agentworkloads:get", "agentsandbox.io/agentworkloads:list", "agentsandbox.io/agentworkloads:watch",
                "agentsandbox.io/sandboxexceptions:get", "agentsandbox.io/sandboxexceptions:list", "agentsandbox.io/sandboxexceptions:watch",
                "events.k8s.io/events:create", "events.k8s.io/events:patch",
                "node.k8s.io/runtimeclasses:get", "node.k8s.io/runtimeclasses:list", "node.k8s.io/runtimeclasses:watch",
            }.Order(StringComparer.Ordinal),
            Grants(m.Named<V1ClusterRole>(ChartRenderer.Fullname).Rules));
    }

    [SkippableTheory]
    [MemberData(nameof(AllModes))]
    public void The_webhook_live_reads_are_covered_by_the_cluster_role_in_every_mode(string[] args)
    {
        // KubernetesLiveClusterReader: GET a namespace the cache lacks; consistent LIST of a namespace's AgentWorkloads.
        var grants = Grants(chart.Render(args).Named<V1ClusterRole>(ChartRenderer.Fullname).Rules);
        Assert.Contains("/namespaces:get", grants);
        Assert.Contains("agentsandbox.io/agentworkloads:list", grants);
    }

    [SkippableFact]
    public void Namespaced_role_grants_its_lease_and_its_tls_secret_only()
    {
        var m = chart.Render();
        var lease = m.Arg("--leader-election-id");
        var secret = m.Arg("--tls-secret-name");
        Assert.False(string.IsNullOrEmpty(lease));
        Assert.False(string.IsNullOrEmpty(secret));
        var role = m.One<V1Role>();
        Assert.Equal(ChartRenderer.ReleaseNamespace, role.Metadata.NamespaceProperty);
        Assert.Equal(
            new[]
            {
                "/secrets:create", $"/secrets[{secret}]:get", $"/secrets[{secret}]:update",
                "coordination.k8s.io/leases:create", $"coordination.k8s.io/leases[{lease}]:get", $"coordination.k8s.io/leases[{lease}]:update",
            }.Order(StringComparer.Ordinal),
            Grants(role.Rules));
    }

    [SkippableTheory]
    [MemberData(nameof(AllModes))]
    public void No_wildcards_and_no_secrets_cluster_wide(string[] args)
    {
        var m = chart.Render(args);
        var rules = m.Named<V1ClusterRole>(ChartRenderer.Fullname).Rules.Concat(m.One<V1Role>().Rules).ToList();
        Assert.All(rules, r =>
        {
            Assert.DoesNotContain("*", r.Verbs);
            Assert.DoesNotContain("*", r.Resources);
            Assert.DoesNotContain("*", r.ApiGroups);
            Assert.Null(r.NonResourceURLs);
        });
        Assert.DoesNotContain(m.Named<V1ClusterRole>(ChartRenderer.Fullname).Rules, r => r.Resources.Contains("secrets"));
        Assert.DoesNotContain(rules, r => r.Resources.Any(res => res is "pods/exec" or "serviceaccounts/token" or "clusterroles" or "rolebindings"));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Runtime_classes_are_writable_only_when_managed(bool manage)
    {
        var m = chart.Render("--set", $"runtimeClasses.manage={manage.ToString().ToLowerInvariant()}");
        var writes = Grants(m.Named<V1ClusterRole>(ChartRenderer.Fullname).Rules)
            .Where(g => g.StartsWith("node.k8s.io/runtimeclasses:", StringComparison.Ordinal) && !g.EndsWith(":get", StringComparison.Ordinal)
                && !g.EndsWith(":list", StringComparison.Ordinal) && !g.EndsWith(":watch", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(manage ? ["node.k8s.io/runtimeclasses:create", "node.k8s.io/runtimeclasses:delete", "node.k8s.io/runtimeclasses:patch", "node.k8s.io/runtimeclasses:update"] : [], writes);
        Assert.Contains("manageRuntimeClasses: " + manage.ToString().ToLowerInvariant(), m.Named<V1ConfigMap>(ChartRenderer.Fullname + "-config").Data["policy.yaml"], StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("certManager")]
    [InlineData("secret")]
    public void Externally_issued_certificates_need_no_secret_or_webhook_configuration_access(string mode)
    {
        var m = chart.Render("--set", $"tls.mode={mode}", "--set", "tls.secret.name=webhook-tls", "--set", "tls.secret.caBundle=Q0E=");
        var grants = Grants(m.Named<V1ClusterRole>(ChartRenderer.Fullname).Rules).Concat(Grants(m.One<V1Role>().Rules)).ToList();
        Assert.DoesNotContain(grants, g => g.Contains("secrets", StringComparison.Ordinal));
        Assert.DoesNotContain(grants, g => g.Contains("webhookconfigurations", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Exception_admin_role_is_bound_to_the_configured_groups_which_the_policy_also_names()
    {
        var m = chart.Render("--set", "exceptions.adminGroups={system:masters,platform-security}");
        var role = m.Named<V1ClusterRole>(ChartRenderer.Fullname + "-exception-admin");
        Assert.Equal(
            new[] { "get", "list", "watch", "create", "update", "patch", "delete" }.Select(v => "agentsandbox.io/sandboxexceptions:" + v).Order(StringComparer.Ordinal),
            Grants(role.Rules));
        var binding = m.Named<V1ClusterRoleBinding>(ChartRenderer.Fullname + "-exception-admin");
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("Group", "platform-security"), (subject.Kind, subject.Name));

        var (config, errors) = SandboxOperator.Policy.Configuration.PolicyConfigLoader.Load(m.Named<V1ConfigMap>(ChartRenderer.Fullname + "-config").Data["policy.yaml"], "policy.yaml");
        Assert.Empty(errors);
        Assert.Equal(["platform-security", "system:masters"], config!.ExceptionAdminGroups.Order(StringComparer.Ordinal));
        Assert.False(config.ExceptionsMayReleaseMcpServers);
    }

    [SkippableFact]
    public void By_default_only_system_masters_may_grant_exceptions_and_nothing_is_bound()
    {
        var m = chart.Render("--set", "exceptions.allowMcpServers=true");
        Assert.Single(m.All<V1ClusterRole>(), r => r.Metadata.Name == ChartRenderer.Fullname + "-exception-admin");
        Assert.DoesNotContain(m.All<V1ClusterRoleBinding>(), b => b.Metadata.Name == ChartRenderer.Fullname + "-exception-admin");
        var (config, _) = SandboxOperator.Policy.Configuration.PolicyConfigLoader.Load(m.Named<V1ConfigMap>(ChartRenderer.Fullname + "-config").Data["policy.yaml"], "policy.yaml");
        Assert.Equal(["system:masters"], config!.ExceptionAdminGroups);
        Assert.True(config.ExceptionsMayReleaseMcpServers);
    }

    [SkippableFact]
    public void Bindings_give_the_roles_to_the_operator_service_account_only()
    {
        var m = chart.Render();
        var sa = m.One<V1ServiceAccount>();
        Assert.Equal(sa.Metadata.Name, m.Operator.Spec.Template.Spec.ServiceAccountName);
        var crb = m.Named<V1ClusterRoleBinding>(ChartRenderer.Fullname);
        var rb = m.One<V1RoleBinding>();
        Assert.Equal(m.Named<V1ClusterRole>(ChartRenderer.Fullname).Metadata.Name, crb.RoleRef.Name);
        Assert.Equal("ClusterRole", crb.RoleRef.Kind);
        Assert.Equal(m.One<V1Role>().Metadata.Name, rb.RoleRef.Name);
        Assert.Equal("Role", rb.RoleRef.Kind);
        foreach (var subjects in new[] { crb.Subjects, rb.Subjects })
        {
            var s = Assert.Single(subjects);
            Assert.Equal("ServiceAccount", s.Kind);
            Assert.Equal(sa.Metadata.Name, s.Name);
            Assert.Equal(ChartRenderer.ReleaseNamespace, s.NamespaceProperty);
        }
    }

    [SkippableFact]
    public void Policy_reports_are_off_by_default_and_one_value_turns_them_on_with_their_rbac_only()
    {
        var off = chart.Render();
        Assert.Null(off.Arg("--policy-reports"));
        Assert.Equal("5m", off.Arg("--pod-audit-interval"));
        Assert.DoesNotContain(Grants(off.Named<V1ClusterRole>(ChartRenderer.Fullname).Rules), g => g.StartsWith("wgpolicyk8s.io/", StringComparison.Ordinal));

        var on = chart.Render("--set", "policyReports.enabled=true");
        Assert.Equal("true", on.Arg("--policy-reports"));
        Assert.Equal("1000", on.Arg("--policy-report-max-results"));
        var added = Grants(on.Named<V1ClusterRole>(ChartRenderer.Fullname).Rules).Except(Grants(off.Named<V1ClusterRole>(ChartRenderer.Fullname).Rules)).ToList();
        Assert.Equal(
            new[] { "clusterpolicyreports", "policyreports" }.SelectMany(r => new[] { "create", "delete", "get", "list", "update" }.Select(v => $"wgpolicyk8s.io/{r}:{v}")).Order(StringComparer.Ordinal),
            added);
        Assert.Equal(off.One<V1Role>().Rules.Count, on.One<V1Role>().Rules.Count);

        Assert.Equal("250", chart.Render("--set", "policyReports.enabled=true", "--set", "policyReports.maxResults=250").Arg("--policy-report-max-results"));
        Assert.Contains("maxResults", chart.RenderError("--set", "policyReports.enabled=true", "--set", "policyReports.maxResults=0"), StringComparison.Ordinal);
        Assert.Equal("30s", chart.Render("--set", "podAudit.interval=30s").Arg("--pod-audit-interval"));
        Assert.Contains("interval", chart.RenderError("--set", "podAudit.interval=soon"), StringComparison.Ordinal);
    }

    /// <summary>Flattens rules to "group/resource[name]:verb" strings, sorted.</summary>
    private static List<string> Grants(IEnumerable<V1PolicyRule> rules) =>
        rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res =>
                (r.ResourceNames is { Count: > 0 } names ? names.Select(n => $"{g}/{res}[{n}]") : [$"{g}/{res}"])
                .SelectMany(target => r.Verbs.Select(v => $"{target}:{v}")))))
            .Order(StringComparer.Ordinal)
            .ToList();
}
