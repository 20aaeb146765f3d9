using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>
/// The chart installed into a <see cref="ControlPlane"/> for an operator that runs outside it: the CRD from
/// <c>crds/</c>, then the chart rendered by <see cref="HelmRenderTool"/> with <c>webhook.url</c> pointing at
/// a loopback port, of which the ServiceAccount, RBAC, policy ConfigMap and both webhook configurations
/// are applied with kubectl (the Deployment, Services and PodDisruptionBudget need a kubelet or are not
/// served by old API servers). The operator then runs with the ServiceAccount's token, the chart's
/// Deployment arguments and the ConfigMap's policy: what the chart grants is all it has.
/// </summary>
public sealed partial class ChartInstallation
{
    public const string Namespace = HelmRenderTool.ReleaseNamespace;

    /// <summary>The kinds applied from the rendered chart.</summary>
    public static readonly IReadOnlyList<string> AppliedKinds =
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

    private readonly IReadOnlyList<string> _deploymentArgs;

    private ChartInstallation(ControlPlane controlPlane, V1Deployment deployment, string policyFile, string serviceAccountToken, int webhookPort, string webhookConfigurations)
    {
        WebhookConfigurations = webhookConfigurations;
        var container = deployment.Spec.Template.Spec.Containers.Single();
        _deploymentArgs = [.. container.Args];
        Fullname = deployment.Metadata.Name;
        ServiceAccount = deployment.Spec.Template.Spec.ServiceAccountName;
        PolicyFile = policyFile;
        WebhookPort = webhookPort;
        OperatorKubeconfig = controlPlane.KubeconfigText($"system:serviceaccount:{Namespace}:{ServiceAccount}", serviceAccountToken);
    }

    /// <summary>The release's full name: names the webhook configurations, RBAC and Lease.</summary>
    public string Fullname { get; }

    /// <summary>The chart's ServiceAccount, whose token the operator uses.</summary>
    public string ServiceAccount { get; }

    /// <summary>The RBAC user name of <see cref="ServiceAccount"/>.</summary>
    public string ServiceAccountUser => $"system:serviceaccount:{Namespace}:{ServiceAccount}";

    /// <summary>The loopback port the webhook configurations call.</summary>
    public int WebhookPort { get; }

    /// <summary>policy.yaml from the chart's ConfigMap, as a file for --config.</summary>
    public string PolicyFile { get; }

    /// <summary>A kubeconfig (text) with the ServiceAccount's token.</summary>
    public string OperatorKubeconfig { get; }

    /// <summary>The rendered Mutating- and ValidatingWebhookConfiguration (YAML, without caBundle), to apply again.</summary>
    public string WebhookConfigurations { get; }

    /// <summary>Names of the leader-election Lease and the self-managed TLS Secret, from the Deployment's arguments.</summary>
    public string LeaseName => Arg("--leader-election-id");

    public string TlsSecretName => Arg("--tls-secret-name");

    /// <summary>
    /// Installs the CRD and the chart; <paramref name="values"/> are extra helm-style flags (<c>--set a=b</c>).
    /// Returns once the CRD is established and the ServiceAccount's token is issued.
    /// </summary>
    public static async Task<ChartInstallation> InstallAsync(ControlPlane controlPlane, Kubectl admin, HelmRenderTool helm, int webhookPort,
        IReadOnlyList<string> values, CancellationToken cancellationToken = default)
    {
        await NamespaceLabels.CreateAsync(controlPlane, Namespace, cancellationToken: cancellationToken);
        await admin.SucceedAsync("apply", "-f", RepositoryLayout.Crds);
        await admin.SucceedAsync("wait", "--for", "condition=established", "--timeout", "90s", "-f", RepositoryLayout.Crds);

        var rendered = helm.Render(["--kube-version", $"v{controlPlane.Version}", "--set", $"webhook.url=https://127.0.0.1:{webhookPort}", .. values]);
        if (rendered.ExitCode != 0)
        {
            throw new InvalidOperationException("rendering the chart failed:\n" + rendered.Stderr);
        }

        var documents = rendered.Stdout.Split("\n---\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(d => (Kind: KindLine().Match(d) is { Success: true } m ? m.Groups[1].Value : "", Text: d))
            .ToList();
        await admin.ApplyAsync(string.Join("\n---\n", documents.Where(d => AppliedKinds.Contains(d.Kind)).Select(d => d.Text)));

        var deployment = KubernetesYaml.Deserialize<V1Deployment>(documents.Single(d => d.Kind == "Deployment").Text);
        var config = KubernetesYaml.Deserialize<V1ConfigMap>(documents.Single(d => d.Kind == "ConfigMap").Text);
        var policyFile = Path.Combine(controlPlane.WorkDirectory, "policy.yaml");
        await File.WriteAllTextAsync(policyFile, config.Data["policy.yaml"], cancellationToken);

        // A bound token from the TokenRequest API, as the kubelet projects into a pod.
        var token = await controlPlane.Admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 24 * 3600 } },
            deployment.Spec.Template.Spec.ServiceAccountName, Namespace, cancellationToken: cancellationToken);
        var webhooks = string.Join("\n---\n", documents.Where(d => d.Kind.EndsWith("WebhookConfiguration", StringComparison.Ordinal)).Select(d => d.Text));
        return new ChartInstallation(controlPlane, deployment, policyFile, token.Status.Token, webhookPort, webhooks);
    }

    /// <summary>
    /// The chart's container arguments for a replica named <paramref name="podName"/>: <c>$(POD_NAMESPACE)</c>
    /// and <c>$(POD_NAME)</c> expanded as the kubelet would, <c>--config</c> pointing at <see cref="PolicyFile"/>.
    /// </summary>
    public IReadOnlyList<string> OperatorArgs(string podName) =>
        [.. _deploymentArgs.Select(a => a.StartsWith("--config=", StringComparison.Ordinal)
            ? "--config=" + PolicyFile
            : a.Replace("$(POD_NAMESPACE)", Namespace, StringComparison.Ordinal).Replace("$(POD_NAME)", podName, StringComparison.Ordinal))];

    /// <summary>
    /// Starts a replica named <paramref name="podName"/> with the chart's arguments, then <paramref name="extraArgs"/>
    /// (later flags win); on <paramref name="webhookPort"/> or, by default, the port the webhooks call.
    /// </summary>
    public OperatorProcess StartOperator(string podName, int? webhookPort = null, params string[] extraArgs) =>
        OperatorProcess.StartSelfManaged(OperatorKubeconfig, podName, webhookPort ?? WebhookPort, [.. OperatorArgs(podName), .. extraArgs]);

    private string Arg(string flag) =>
        _deploymentArgs.Single(a => a.StartsWith(flag + "=", StringComparison.Ordinal))[(flag.Length + 1)..];

    [GeneratedRegex(@"^kind: (\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex KindLine();
}
