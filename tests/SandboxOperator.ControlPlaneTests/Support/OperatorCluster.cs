using k8s.Autorest;
using k8s.Models;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests.Support;

/// <summary>
/// A real control plane as the operator meets it in a cluster: Ready fake nodes for the kata and gvisor
/// pools and for general use, the CRD, the samples' sandbox RuntimeClasses, the chart (RBAC, policy
/// ConfigMap, webhook configurations calling a loopback URL) and one replica of <c>sandbox-operator</c>
/// running out of cluster with the chart's ServiceAccount token and arguments. Ready once the API server
/// demonstrably calls the operator's webhooks, trusting the CA the operator injected itself.
/// </summary>
/// <remarks>
/// Tests share it within a collection and must use namespaces of their own. The user
/// <see cref="Developer"/> (group <c>developers</c>) may edit workloads and update namespaces but is
/// not in the chart's <c>labelAdminGroups</c>.
/// </remarks>
public class OperatorCluster : IAsyncLifetime
{
    public const string Developer = "developer";
    public const string DeveloperGroup = "developers";
    public const string FirstReplica = "sandbox-operator-0";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>The nodes: two per sandbox pool, labelled and tainted as the README says, two for general use.</summary>
    public static readonly IReadOnlyList<FakeNode> Nodes =
    [
        FakeNode.Pool("kata-1", "agentsandbox.io/pool", "kata"),
        FakeNode.Pool("kata-2", "agentsandbox.io/pool", "kata"),
        FakeNode.Pool("gvisor-1", "agentsandbox.io/pool", "gvisor"),
        FakeNode.Pool("gvisor-2", "agentsandbox.io/pool", "gvisor"),
        FakeNode.General("general-1"),
        FakeNode.General("general-2"),
    ];

    private const string ProbeNamespace = "webhook-probe";
    private readonly Prerequisites _prerequisites = Prerequisites.Check();
    private ControlPlane? _controlPlane;

    public string? SkipReason => _prerequisites.SkipReason;

    public ControlPlane ControlPlane => _controlPlane ?? throw new InvalidOperationException("the control plane did not start");

    public Kubernetes Client => ControlPlane.Admin;

    /// <summary>kubectl as cluster admin (system:masters).</summary>
    public Kubectl Admin { get; private set; } = null!;

    /// <summary>kubectl as <see cref="Developer"/>.</summary>
    public Kubectl AsDeveloper { get; private set; } = null!;

    public ChartInstallation Chart { get; private set; } = null!;

    /// <summary>The replica the webhook configurations call (null when the fixture starts none).</summary>
    public OperatorProcess? Operator { get; private set; }

    /// <summary>Whether the fixture starts a replica; fixtures that run replicas of their own say no.</summary>
    protected virtual bool StartsOperator => true;

    /// <summary>Extra flags for the fixture's replica (after the chart's).</summary>
    protected virtual IReadOnlyList<string> OperatorArgs => [];

    /// <summary>Extra helm-style flags for rendering the chart.</summary>
    protected virtual IReadOnlyList<string> ChartValues => [];

    /// <summary>Skips the calling test with the reason when the suite cannot run here.</summary>
    public void SkipIfUnavailable() => Skip.If(SkipReason is not null, SkipReason);

    /// <summary>Skips the calling test on an API server older than <paramref name="version"/> that lacks <paramref name="feature"/>.</summary>
    public void SkipBelow(Version version, string feature)
    {
        SkipIfUnavailable();
        Skip.If(ControlPlane.Version < version, $"{feature} needs Kubernetes {version.Major}.{version.Minor} or later; this control plane is {ControlPlane.Version}");
    }

    /// <summary>Skips the calling test when no controller manager or scheduler runs (envtest assets hold only etcd and kube-apiserver).</summary>
    public void SkipUnlessControllersRun()
    {
        SkipIfUnavailable();
        Skip.IfNot(ControlPlane.RunsControllerManager && ControlPlane.RunsScheduler,
            $"kube-controller-manager and kube-scheduler are not in {ControlPlane.Binaries.Directory}: nothing creates a Deployment's pods or binds them to nodes");
    }

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        var binaries = _prerequisites.Binaries!;
        _controlPlane = await ControlPlane.StartAsync(binaries, new ControlPlaneOptions
        {
            Users = [new ControlPlaneUser(Developer, DeveloperGroup)],
            AuditLog = true,
        });
        Admin = new Kubectl(_prerequisites.KubectlPath!, ControlPlane.KubeconfigFor(ControlPlane.AdminUser));
        AsDeveloper = new Kubectl(_prerequisites.KubectlPath!, ControlPlane.KubeconfigFor(Developer));

        await NamespaceLabels.LabelExistingAsync(ControlPlane);
        foreach (var node in Nodes)
        {
            await FakeNodes.CreateAsync(Client, node);
        }

        await Admin.SucceedAsync("apply", "-f", Path.Combine(RepositoryLayout.Samples, "01-runtimeclasses.yaml"));
        await Admin.ApplyAsync(DeveloperRbac);
        // Before the chart: its webhooks review namespace creates too, and no replica answers yet.
        await CreateNamespaceAsync(ProbeNamespace, new Dictionary<string, string> { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue });
        Chart = await ChartInstallation.InstallAsync(ControlPlane, Admin, _prerequisites.Helm!, ControlPlane.FreePort(), ChartValues);

        if (StartsOperator)
        {
            Operator = Chart.StartOperator(FirstReplica, extraArgs: [.. OperatorArgs]);
            await Operator.WaitUntilReadyAsync(Patience);
            await WaitUntilWebhooksAnswerAsync(Operator);
        }
    }

    public async Task DisposeAsync()
    {
        if (Operator is not null)
        {
            await Operator.DisposeAsync();
        }

        if (_controlPlane is not null)
        {
            await _controlPlane.DisposeAsync();
        }

        _prerequisites.Helm?.Dispose();
    }

    /// <summary>
    /// Creates a namespace of the test's own (with the name label a 1.21+ API server would add), ready for
    /// pods: its service account exists and, when it enforces Kata, the webhooks know it does (a dry-run pod
    /// comes back in Kata), so a test about something else does not race the operator's namespace cache.
    /// </summary>
    public async Task CreateNamespaceAsync(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        await NamespaceLabels.CreateAsync(ControlPlane, name, labels);
        await ControlPlane.WaitForServiceAccountAsync(name);
        if (Operator is not null && labels?.GetValueOrDefault(WellKnown.EnforceLabel) == WellKnown.EnforceKataValue)
        {
            await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    return (await Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain("probe"), name, dryRun: "All")).Spec.RuntimeClassName == "kata";
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
                {
                    // Mutated without the label, validated with it: the cache caught up in between.
                    return false;
                }
            }, $"the webhooks know that namespace {name} enforces Kata", Patience);
        }
    }

    /// <summary>
    /// Applies an AgentWorkload of <paramref name="type"/> selecting the pods labelled app=<paramref name="name"/>,
    /// and returns its tier once the operator has classified it (so the webhooks know it too).
    /// </summary>
    public async Task<string> ApplyWorkloadAsync(string ns, string name, string type)
    {
        await Admin.ApplyAsync($$"""
            apiVersion: agentsandbox.io/v1alpha1
            kind: AgentWorkload
            metadata: { name: {{name}}, namespace: {{ns}} }
            spec: { type: {{type}}, selector: { matchLabels: { app: {{name}} } } }
            """);
        var tier = "";
        await Eventually.HoldsAsync(async () => (tier = await Admin.SucceedAsync("get", "aw", name, "-n", ns, "-o", "jsonpath={.status.riskTier}")).Length > 0,
            $"the operator classifies AgentWorkload {ns}/{name}", Patience);
        return tier;
    }

    /// <summary>
    /// Returns once the API server calls the mutating and the validating webhook of <paramref name="replica"/>.
    /// Until the operator has injected its CA and the API server has read it, calls fail with an x509 error.
    /// </summary>
    public Task WaitUntilWebhooksAnswerAsync(OperatorProcess replica) =>
        WebhookProbe.WaitAsync(ct => WebhookProbe.WhyNotAnsweringAsync(Client, ProbeNamespace, ct), $"the API server calls {replica.Name}'s webhooks", Patience, replica.Process);

    /// <summary>The developer may edit workloads anywhere and update namespaces (with their status and finalize subresources), but is no label admin.</summary>
    private const string DeveloperRbac = $$"""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: { name: developers-edit }
        roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit }
        subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: {{DeveloperGroup}} }]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: { name: namespace-updater }
        rules:
          - apiGroups: [""]
            resources: [namespaces, namespaces/status, namespaces/finalize]
            verbs: [get, list, watch, update, patch]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: { name: developers-namespace-updater }
        roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: namespace-updater }
        subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: {{DeveloperGroup}} }]
        """;
}
