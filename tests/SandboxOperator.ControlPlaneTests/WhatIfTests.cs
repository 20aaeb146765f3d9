using System.Text.Json.Nodes;
using k8s.Models;
using SandboxOperator.Cli.Tests;
using SandboxOperator.ControlPlaneTests.Support;
using YamlDotNet.Serialization;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// <c>sandboxctl evaluate --cluster</c> against the real control plane, as a user bound to
/// config/rbac/sandboxctl-whatif.yaml (list and get only): a candidate that enforces Kata in one namespace moves
/// that namespace's Deployment and bare pod into Kata, counts their pods, and needs the kata RuntimeClass's
/// overhead for each; every list is paged and nothing is written.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class WhatIfTests(OperatorCluster cluster)
{
    private const string Apps = "whatif-apps";
    private const string Agents = "whatif-agents";
    private const string Reader = "whatif-reader";

    [SkippableFact]
    public async Task A_candidate_configuration_is_compared_with_the_clusters_read_only_and_in_pages()
    {
        cluster.SkipUnlessControllersRun();
        await cluster.CreateNamespaceAsync(Apps);
        await cluster.CreateNamespaceAsync(Agents);
        await cluster.ApplyWorkloadAsync(Agents, "coder", "Agent");
        await cluster.Admin.ApplyAsync(Deployment(Apps, "web", 3) + "\n---\n" + Deployment(Agents, "coder", 2));
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain("debug"), Apps);
        await Eventually.HoldsAsync(async () => (await cluster.Client.CoreV1.ListNamespacedPodAsync(Apps)).Items.Count == 4
            && (await cluster.Client.CoreV1.ListNamespacedPodAsync(Agents)).Items.Count == 2, "the Deployments' pods exist", OperatorCluster.Patience);

        var kubeconfig = await ReaderKubeconfigAsync();
        var candidate = CandidateEnforcing(Apps);

        var (code, stdout, stderr) = Sandboxctl.Run(null, "evaluate", "--cluster", "--kubeconfig", kubeconfig, "--config", candidate, "-o", "json", "--chunk-size", "2");
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        var report = JsonNode.Parse(stdout)!;
        Assert.Equal($"ConfigMap {ChartInstallation.Namespace}/sandbox-operator-config key policy.yaml", (string?)report["current"]);
        var ours = report["changes"]!.AsArray().Where(c => (string?)c!["namespace"] is Apps or Agents).ToList();
        Assert.Equal(["Deployment/web 3", "Pod/debug 1"], ours.Select(c => $"{c!["kind"]}/{c["name"]} {c["pods"]}"));
        // The bare pod is placed on a general node: created again it is scheduled anew, but on that node it would be denied.
        Assert.StartsWith("a kata pod must run on the kata pool", (string?)ours[1]!["deniedOnItsNode"], StringComparison.Ordinal);
        Assert.Null((string?)ours[0]!["deniedOnItsNode"]);
        Assert.All(ours, c =>
        {
            Assert.True((bool)c!["runtimeMoves"]!);
            Assert.False((bool)c["newDenial"]!);
            Assert.Equal("Kata", (string?)c["candidate"]!["runtime"]);
            Assert.Equal("kata", (string?)c["candidate"]!["runtimeClassName"]);
        });

        // The samples' kata RuntimeClass: overhead.podFixed cpu 250m, memory 160Mi, for the 4 pods moving in.
        var kata = report["capacity"]!.AsArray().Single(c => (string?)c!["runtimeClassName"] == "kata")!;
        Assert.Equal(4, (int)kata["pods"]!);
        Assert.Equal("1", (string?)kata["extra"]!["cpu"]);
        Assert.Equal("640Mi", (string?)kata["extra"]!["memory"]);

        var table = Sandboxctl.Run(null, "evaluate", "--cluster", "--kubeconfig", kubeconfig, "--config", candidate);
        Assert.Matches($@"Deployment/{Apps}/web\s+3\s+allowed unmanaged/-\s+allowed High/Kata\s+runtime unmanaged -> Kata \(RuntimeClass kata\)", table.Stdout);

        // Read-only and paged: the reader only got and listed, and the pods were listed in several pages.
        var requests = AuditLog.Read(cluster.ControlPlane.AuditLogFile!).Where(e => e.User == $"system:serviceaccount:{Apps}:{Reader}").ToList();
        Assert.NotEmpty(requests);
        Assert.All(requests, e => Assert.True(e.Verb is "get" or "list", e.ToString()));
        Assert.True(requests.Count(e => e is { Verb: "list", Resource: "pods" } && e.Uri.Contains("continue=", StringComparison.Ordinal)) >= 2,
            string.Join("\n", requests.Where(e => e.Resource == "pods")));

        // Another ConfigMap: the reader may not read it, an admin finds none; either way nothing is compared.
        var forbidden = Sandboxctl.Run(null, "evaluate", "--cluster", "--kubeconfig", kubeconfig, "--operator-configmap", "nothing-here");
        Assert.Equal(2, forbidden.ExitCode);
        Assert.StartsWith($"error: reading ConfigMap {ChartInstallation.Namespace}/nothing-here: 403 ", forbidden.Stderr, StringComparison.Ordinal);
        Assert.Contains("(the kubeconfig's user needs get and list on it; see docs/cli.md)", forbidden.Stderr, StringComparison.Ordinal);
        var missing = Sandboxctl.Run(null, "evaluate", "--cluster", "--kubeconfig", cluster.ControlPlane.KubeconfigFor(ControlPlane.AdminUser), "--operator-configmap", "nothing-here");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"error: ConfigMap {ChartInstallation.Namespace}/nothing-here key policy.yaml not found", missing.Stderr, StringComparison.Ordinal);
        Assert.Empty(missing.Stdout);
    }

    private static string Deployment(string ns, string app, int replicas) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: {{app}}, namespace: {{ns}} }
        spec:
          replicas: {{replicas}}
          selector: { matchLabels: { app: {{app}} } }
          template:
            metadata: { labels: { app: {{app}} } }
            spec: { containers: [ { name: main, image: {{Pods.Image}} } ] }
        """;

    /// <summary>A service account bound to the documented what-if roles, and a kubeconfig with its token.</summary>
    private async Task<string> ReaderKubeconfigAsync()
    {
        await cluster.Admin.SucceedAsync("apply", "-f", Path.Combine(RepositoryLayout.Root, "config", "rbac", "sandboxctl-whatif.yaml"));
        await cluster.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = Reader } }, Apps);
        await cluster.Admin.SucceedAsync("create", "clusterrolebinding", Reader, "--clusterrole", "sandboxctl-whatif", "--serviceaccount", $"{Apps}:{Reader}");
        await cluster.Admin.SucceedAsync("-n", ChartInstallation.Namespace, "create", "rolebinding", Reader, "--role", "sandboxctl-whatif-config", "--serviceaccount", $"{Apps}:{Reader}");
        var token = await cluster.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } }, Reader, Apps);
        return cluster.ControlPlane.WriteKubeconfig(Reader, token.Status.Token);
    }

    /// <summary>The chart's policy.yaml with <paramref name="ns"/> as an enforced namespace, written to a file.</summary>
    private string CandidateEnforcing(string ns)
    {
        var policy = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(File.ReadAllText(cluster.Chart.PolicyFile));
        var enforced = policy.TryGetValue("enforcedNamespaces", out var existing) && existing is List<object> list ? list : [];
        enforced.Add(ns);
        policy["enforcedNamespaces"] = enforced;
        var path = Path.Combine(cluster.ControlPlane.WorkDirectory, "candidate-policy.yaml");
        File.WriteAllText(path, new SerializerBuilder().Build().Serialize(policy));
        return path;
    }
}
