using k8s.Models;

namespace SandboxOperator.Chart.Tests;

[Collection(ChartCollection.Name)]
public sealed class OperatorPodTests(ChartRenderer chart)
{
    private static readonly HashSet<string> RestrictedVolumeTypes = ["configMap", "emptyDir", "secret", "projected", "downwardAPI"];

    [SkippableTheory]
    [InlineData("selfManaged")]
    [InlineData("certManager")]
    [InlineData("secret")]
    public void Operator_pod_meets_pod_security_restricted(string tlsMode)
    {
        var m = chart.Render("--set", $"tls.mode={tlsMode}", "--set", "tls.secret.name=webhook-tls", "--set", "tls.secret.caBundle=Q0E=");
        var pod = m.Operator.Spec.Template.Spec;
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal(65532, pod.SecurityContext.RunAsUser);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.NotEqual(true, pod.HostNetwork);
        Assert.NotEqual(true, pod.HostPID);
        Assert.NotEqual(true, pod.HostIPC);
        Assert.All(pod.Volumes, v => Assert.Null(v.HostPath));
        Assert.Null(pod.InitContainers);

        var c = Assert.Single(pod.Containers);
        var sc = c.SecurityContext;
        Assert.True(sc.RunAsNonRoot);
        Assert.Equal(65532, sc.RunAsUser);
        Assert.True(sc.ReadOnlyRootFilesystem);
        Assert.False(sc.AllowPrivilegeEscalation);
        Assert.NotEqual(true, sc.Privileged);
        Assert.Equal(["ALL"], sc.Capabilities.Drop);
        Assert.Null(sc.Capabilities.Add);
        Assert.Equal("RuntimeDefault", sc.SeccompProfile.Type);
        Assert.All(c.Ports, p => Assert.Null(p.HostPort));

        // The only writable path is the /tmp emptyDir.
        var tmp = Assert.Single(c.VolumeMounts, v => v.MountPath == "/tmp");
        Assert.NotNull(Assert.Single(pod.Volumes, v => v.Name == tmp.Name).EmptyDir);
        Assert.All(c.VolumeMounts.Where(v => v.MountPath != "/tmp"), v => Assert.True(v.ReadOnlyProperty));
    }

    [SkippableFact]
    public void Only_the_operator_pod_mounts_a_service_account_token()
    {
        var m = chart.Render("--set", "seccomp.installProfile=true");
        Assert.False(m.One<V1ServiceAccount>().AutomountServiceAccountToken);
        Assert.True(m.Operator.Spec.Template.Spec.AutomountServiceAccountToken);
        var installer = m.One<V1DaemonSet>().Spec.Template.Spec;
        Assert.False(installer.AutomountServiceAccountToken);
        Assert.Null(installer.ServiceAccountName);
    }

    [SkippableFact]
    public void Resources_request_cpu_and_memory_and_limit_memory_only()
    {
        var r = chart.Render().OperatorContainer.Resources;
        Assert.Equal("100m", r.Requests["cpu"].ToString());
        Assert.Equal("128Mi", r.Requests["memory"].ToString());
        Assert.Equal("256Mi", r.Limits["memory"].ToString());
        Assert.False(r.Limits.ContainsKey("cpu"), "a CPU limit throttles admission calls");
    }

    [SkippableFact]
    public void Probes_hit_healthz_and_readyz_on_the_health_port()
    {
        var c = chart.Render().OperatorContainer;
        Assert.Contains(c.Ports, p => p.Name == "health" && p.ContainerPort == 8081);
        Assert.Contains(c.Ports, p => p.Name == "metrics" && p.ContainerPort == 8080);
        Assert.Equal("/healthz", c.LivenessProbe.HttpGet.Path);
        Assert.Equal("health", c.LivenessProbe.HttpGet.Port.Value);
        Assert.Equal("/readyz", c.ReadinessProbe.HttpGet.Path);
        Assert.Equal("health", c.ReadinessProbe.HttpGet.Port.Value);
    }

    [SkippableFact]
    public void Shutdown_keeps_serving_until_endpoints_drop_and_in_flight_calls_finish()
    {
        var m = chart.Render();
        var pod = m.Operator.Spec.Template.Spec;
        var sleep = Assert.Single(pod.Containers).Lifecycle.PreStop.Sleep.Seconds;
        Assert.True(sleep >= 5, $"preStop sleep {sleep}s is too short for endpoint removal to reach the API servers");
        var timeout = m.One<V1ValidatingWebhookConfiguration>().Webhooks.Max(w => w.TimeoutSeconds!.Value);
        Assert.True(pod.TerminationGracePeriodSeconds >= sleep + timeout);

        var error = chart.RenderError("--set", "terminationGracePeriodSeconds=8");
        Assert.Contains("terminationGracePeriodSeconds must be at least", error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Two_replicas_spread_over_nodes_and_a_disruption_budget_keeps_one()
    {
        var m = chart.Render();
        var d = m.Operator;
        Assert.Equal(2, d.Spec.Replicas);
        Assert.Equal("0", d.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        var spread = Assert.Single(d.Spec.Template.Spec.TopologySpreadConstraints);
        Assert.Equal("kubernetes.io/hostname", spread.TopologyKey);
        Assert.Equal(d.Spec.Selector.MatchLabels, spread.LabelSelector.MatchLabels);

        var pdb = m.One<V1PodDisruptionBudget>();
        Assert.Equal("1", pdb.Spec.MinAvailable.Value);
        Assert.Equal(d.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels);

        Assert.Empty(chart.Render("--set", "replicaCount=1").All<V1PodDisruptionBudget>());
    }

    [SkippableFact]
    public void Operator_flags_match_the_objects_the_chart_creates()
    {
        var m = chart.Render();
        var c = m.OperatorContainer;
        var config = Assert.Single(c.VolumeMounts, v => v.MountPath == m.Arg("--config"));
        var configVolume = Assert.Single(m.Operator.Spec.Template.Spec.Volumes, v => v.Name == config.Name);
        var configMap = m.Named<V1ConfigMap>(configVolume.ConfigMap.Name);
        Assert.True(configMap.Data.ContainsKey(config.SubPath));
        Assert.Equal("/etc/sandbox-operator/policy.yaml", m.Arg("--config"));

        Assert.Equal("9443", m.Arg("--webhook-port"));
        Assert.Equal("8081", m.Arg("--health-port"));
        Assert.Equal("8080", m.Arg("--metrics-port"));
        Assert.Equal("$(POD_NAMESPACE)", m.Arg("--namespace"));
        Assert.Equal("Information", m.Arg("--log-level"));
        Assert.Equal("metadata.name", Assert.Single(c.Env, e => e.Name == "POD_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", Assert.Single(c.Env, e => e.Name == "POD_NAMESPACE").ValueFrom.FieldRef.FieldPath);
        Assert.All(c.Args, a => Assert.StartsWith("--", a, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Webhook_limits_and_state_freshness_reach_the_operator_flags()
    {
        var defaults = chart.Render();
        Assert.Equal(
            [("--max-connections", "1000"), ("--max-connections-per-client", "100"), ("--http2-max-streams", "100"), ("--keep-alive-timeout", "120s"),
             ("--max-request-header-bytes", "32768"), ("--tls-handshake-timeout", "10s"), ("--watch-outage-limit", "30s"), ("--live-read-timeout", "2s")],
            Flags.Select(f => (f, defaults.Arg(f))));

        var values = chart.ValuesFile("""
            webhook:
              limits: { maxConnections: 300, maxConnectionsPerClient: 30, http2MaxStreams: 50, keepAliveTimeout: 95s, maxRequestHeaderBytes: 16384, tlsHandshakeTimeout: 5s }
              watchOutageLimit: 1m
              liveReadTimeout: 1500ms
            """);
        var custom = chart.Render("-f", values);
        Assert.Equal(["300", "30", "50", "95s", "16384", "5s", "1m", "1500ms"], Flags.Select(custom.Arg));
    }

    private static readonly string[] Flags =
        ["--max-connections", "--max-connections-per-client", "--http2-max-streams", "--keep-alive-timeout", "--max-request-header-bytes", "--tls-handshake-timeout", "--watch-outage-limit", "--live-read-timeout"];

    [SkippableFact]
    public void Image_scheduling_and_annotations_come_from_values()
    {
        var values = chart.ValuesFile("""
            image: { repository: registry.example.org/sandbox-operator, tag: "1.2.3", pullPolicy: Always }
            nodeSelector: { node-role.kubernetes.io/control-plane: "" }
            tolerations: [{ key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule }]
            podAnnotations: { example.org/team: platform }
            """);
        var m = chart.Render("-f", values);
        var pod = m.Operator.Spec.Template;
        Assert.Equal("registry.example.org/sandbox-operator:1.2.3", m.OperatorContainer.Image);
        Assert.Equal("Always", m.OperatorContainer.ImagePullPolicy);
        Assert.Equal("", pod.Spec.NodeSelector["node-role.kubernetes.io/control-plane"]);
        Assert.Equal("node-role.kubernetes.io/control-plane", Assert.Single(pod.Spec.Tolerations).Key);
        Assert.Equal("platform", pod.Metadata.Annotations["example.org/team"]);

        Assert.Equal("ghcr.io/agentsandbox/sandbox-operator:0.1.0", chart.Render().OperatorContainer.Image);
    }

    [SkippableFact]
    public void A_policy_change_rolls_the_operator_pods()
    {
        string Checksum(params string[] args) => chart.Render(args).Operator.Spec.Template.Metadata.Annotations["checksum/config"];
        Assert.Equal(Checksum(), Checksum());
        Assert.NotEqual(Checksum(), Checksum("--set", "mode=Audit"));
    }
}
