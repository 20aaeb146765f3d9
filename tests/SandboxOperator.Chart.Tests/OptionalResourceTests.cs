using k8s.Models;

namespace SandboxOperator.Chart.Tests;

[Collection(ChartCollection.Name)]
public sealed class OptionalResourceTests(ChartRenderer chart)
{
    [SkippableFact]
    public void Defaults_render_no_optional_resources()
    {
        var m = chart.Render();
        Assert.Empty(m.LooseOfKind("ServiceMonitor"));
        Assert.Empty(m.All<V1NetworkPolicy>());
        Assert.Empty(m.All<V1DaemonSet>());
        Assert.Equal(
            // The second ClusterRole is <release>-exception-admin, left unbound while only system:masters grants exceptions.
            ["ClusterRole", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "MutatingWebhookConfiguration", "PodDisruptionBudget",
             "Role", "RoleBinding", "Service", "Service", "ServiceAccount", "ValidatingWebhookConfiguration"],
            m.Kinds.Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public void Metrics_service_exposes_8080_and_the_service_monitor_scrapes_it()
    {
        var m = chart.Render("--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.labels.release=prometheus");
        var svc = m.Named<V1Service>(ChartRenderer.Fullname + "-metrics");
        var port = Assert.Single(svc.Spec.Ports);
        Assert.Equal(8080, port.Port);
        Assert.Equal("metrics", port.TargetPort.Value);

        var sm = Assert.Single(m.LooseOfKind("ServiceMonitor"));
        Assert.Equal("monitoring.coreos.com/v1", sm.Get<string>("apiVersion"));
        Assert.Equal("prometheus", sm.Get<string>("metadata.labels.release"));
        Assert.Equal(port.Name, sm.Get<string>("spec.endpoints.0.port"));
        Assert.Equal("/metrics", sm.Get<string>("spec.endpoints.0.path"));
        var selector = (Dictionary<object, object>)sm.Get<object>("spec.selector.matchLabels");
        Assert.All(selector, kv => Assert.Equal(kv.Value, svc.Metadata.Labels[(string)kv.Key]));
        Assert.DoesNotContain(m.Named<V1Service>(ChartRenderer.Fullname).Metadata.Labels, l => l.Key == "app.kubernetes.io/component");

        Assert.DoesNotContain(chart.Render("--set", "metrics.service.enabled=false").All<V1Service>(), s => s.Metadata.Name.EndsWith("-metrics", StringComparison.Ordinal));
        Assert.Contains("needs metrics.service.enabled", chart.RenderError("--set", "metrics.service.enabled=false", "--set", "metrics.serviceMonitor.enabled=true"), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Network_policy_admits_the_webhook_port_only_from_the_api_server_and_scrapes_from_the_monitoring_namespace_only()
    {
        var m = chart.Render("--set", "networkPolicy.enabled=true", "--set", "networkPolicy.apiServer.cidrs={10.0.0.1/32,10.0.0.2/32}");
        var np = m.One<V1NetworkPolicy>();
        Assert.Equal(m.Operator.Spec.Selector.MatchLabels, np.Spec.PodSelector.MatchLabels);
        Assert.Equal(["Ingress", "Egress"], np.Spec.PolicyTypes);
        Assert.Equal(2, np.Spec.Ingress.Count);

        var webhook = Assert.Single(np.Spec.Ingress, r => r.Ports.Any(p => p.Port.Value == "9443"));
        Assert.Single(webhook.Ports);
        Assert.Equal(["10.0.0.1/32", "10.0.0.2/32"], webhook.FromProperty.Select(f => f.IpBlock.Cidr));
        Assert.All(webhook.FromProperty, f => Assert.Null(f.NamespaceSelector ?? (object?)f.PodSelector));

        var metrics = Assert.Single(np.Spec.Ingress, r => r.Ports.Any(p => p.Port.Value == "8080"));
        var from = Assert.Single(metrics.FromProperty);
        Assert.Equal("monitoring", from.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Null(from.PodSelector);

        var egress = Assert.Single(np.Spec.Egress);
        Assert.Equal(["443", "6443"], egress.Ports.Select(p => p.Port.Value));
        Assert.Equal(["10.0.0.1/32", "10.0.0.2/32"], egress.To.Select(t => t.IpBlock.Cidr));

        var observability = chart.Render("--set", "networkPolicy.enabled=true", "--set", "networkPolicy.apiServer.cidrs={10.0.0.1/32}",
            "--set", "networkPolicy.metrics.namespaceSelector.matchLabels.team=observability").One<V1NetworkPolicy>();
        Assert.Equal("observability", Assert.Single(Assert.Single(observability.Spec.Ingress, r => r.Ports.Any(p => p.Port.Value == "8080")).FromProperty).NamespaceSelector.MatchLabels["team"]);
    }

    [SkippableFact]
    public void Network_policy_takes_explicit_webhook_sources_over_the_api_server_cidrs()
    {
        var values = chart.ValuesFile("""
            networkPolicy:
              enabled: true
              apiServer: { cidrs: [10.0.0.1/32] }
              webhook:
                from:
                  - ipBlock: { cidr: 172.16.0.0/28 }
                  - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: konnectivity } }
            """);
        var np = chart.Render("-f", values).One<V1NetworkPolicy>();
        var webhook = Assert.Single(np.Spec.Ingress, r => r.Ports.Any(p => p.Port.Value == "9443"));
        Assert.Equal(2, webhook.FromProperty.Count);
        Assert.Equal("172.16.0.0/28", webhook.FromProperty[0].IpBlock.Cidr);
        Assert.Equal("konnectivity", webhook.FromProperty[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("10.0.0.1/32", Assert.Single(Assert.Single(np.Spec.Egress).To).IpBlock.Cidr);
    }

    [SkippableFact]
    public void Network_policy_never_admits_the_webhook_port_from_anywhere_without_mtls()
    {
        Assert.Contains("networkPolicy.enabled needs the API server's addresses", chart.RenderError("--set", "networkPolicy.enabled=true"), StringComparison.Ordinal);
        Assert.Contains("needs webhook.clientCA.configMapName (mTLS)",
            chart.RenderError("--set", "networkPolicy.enabled=true", "--set", "networkPolicy.webhook.allowFromAnywhere=true"), StringComparison.Ordinal);

        var m = chart.Render("--set", "networkPolicy.enabled=true", "--set", "networkPolicy.webhook.allowFromAnywhere=true", "--set", "webhook.clientCA.configMapName=apiserver-ca");
        var webhook = Assert.Single(m.One<V1NetworkPolicy>().Spec.Ingress, r => r.Ports.Any(p => p.Port.Value == "9443"));
        Assert.Null(webhook.FromProperty);
        Assert.Equal("/etc/sandbox-operator/client-ca/ca.crt", m.Arg("--client-ca-file"));
    }

    [SkippableFact]
    public void Seccomp_installer_copies_the_shipped_profile_onto_every_node()
    {
        var m = chart.Render("--set", "seccomp.installProfile=true", "--set", "seccomp.initImage.repository=registry.example.org/busybox");
        var ds = m.One<V1DaemonSet>();
        var pod = ds.Spec.Template.Spec;
        var toleration = Assert.Single(pod.Tolerations);
        Assert.Equal("Exists", toleration.OperatorProperty);
        Assert.Null(toleration.Key);
        Assert.Null(toleration.Effect);

        var host = Assert.Single(pod.Volumes, v => v.HostPath is not null);
        Assert.Equal("/var/lib/kubelet/seccomp/agentsandbox", host.HostPath.Path);
        var init = Assert.Single(pod.InitContainers);
        Assert.Equal("registry.example.org/busybox:1.36", init.Image);
        Assert.Contains(init.VolumeMounts, v => v.Name == host.Name);
        Assert.Contains("/agent-restricted.json", string.Join(' ', init.Command), StringComparison.Ordinal);
        Assert.True(init.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(init.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], init.SecurityContext.Capabilities.Drop);

        var pause = Assert.Single(pod.Containers);
        Assert.StartsWith("registry.k8s.io/pause:", pause.Image, StringComparison.Ordinal);
        Assert.True(pause.SecurityContext.RunAsNonRoot);
        Assert.Null(pause.VolumeMounts);

        var profileVolume = Assert.Single(pod.Volumes, v => v.ConfigMap is not null);
        var cm = m.Named<V1ConfigMap>(profileVolume.ConfigMap.Name);
        var shipped = File.ReadAllText(Path.Combine(chart.RepoRoot, "config", "seccomp", "agent-restricted.json"));
        Assert.Equal(shipped, cm.Data["agent-restricted.json"]);

        var policy = m.Named<V1ConfigMap>(ChartRenderer.Fullname + "-config").Data["policy.yaml"];
        Assert.Contains("infrastructureNamespaces:\n- " + ChartRenderer.ReleaseNamespace, policy, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Notes_name_the_webhooks_and_warn_about_missing_profiles()
    {
        var notes = chart.RenderNotes();
        Assert.Contains("kubectl delete mutatingwebhookconfiguration,validatingwebhookconfiguration " + ChartRenderer.Fullname, notes, StringComparison.Ordinal);
        Assert.Contains("kube-system and " + ChartRenderer.ReleaseNamespace, notes, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", notes, StringComparison.Ordinal);
        Assert.Contains("WARNING: lowTierSeccomp uses the Localhost profile", chart.RenderNotes("--set", "lowTierSeccomp.type=Localhost"), StringComparison.Ordinal);
        Assert.Contains("pod-security.kubernetes.io/enforce=privileged", chart.RenderNotes("--set", "seccomp.installProfile=true"), StringComparison.Ordinal);
    }
}
