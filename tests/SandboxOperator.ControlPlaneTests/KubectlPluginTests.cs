using System.Diagnostics;
using System.Text.Json;
using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// <c>sandboxctl</c> installed as <c>kubectl-sandbox</c> (a symbolic link on PATH) and run by kubectl as a plugin:
/// <c>kubectl sandbox why</c> explains live pods and <c>kubectl sandbox status</c> summarises the cluster, with the
/// operator's policy read from the chart's ConfigMap and the kubeconfig chosen as kubectl chooses it.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class KubectlPluginTests(OperatorCluster cluster)
{
    private const string Ns = "plugin";

    [SkippableFact]
    public async Task Kubectl_sandbox_explains_live_pods_and_summarises_the_cluster()
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync(Ns);
        var app = new Dictionary<string, string> { ["app"] = "agent" };
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain("legacy", app), Ns);
        Assert.Equal("High", await cluster.ApplyWorkloadAsync(Ns, "agent", "Agent"));
        Assert.Equal("kata", (await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain("sandboxed", app), Ns)).Spec.RuntimeClassName);

        // KUBECONFIG lists a file whose current context is unreachable first; --context picks the admin's.
        var home = Directory.CreateTempSubdirectory("kubectl-sandbox-").FullName;
        var decoy = Path.Combine(home, "decoy.yaml");
        await File.WriteAllTextAsync(decoy, """
            apiVersion: v1
            kind: Config
            clusters: [{ name: nowhere, cluster: { server: "https://127.0.0.1:1" } }]
            users: [{ name: nobody, user: { token: none } }]
            contexts: [{ name: nowhere, context: { cluster: nowhere, user: nobody } }]
            current-context: nowhere
            """);
        var plugin = new Plugin(home, $"{decoy}{Path.PathSeparator}{cluster.ControlPlane.KubeconfigFor(ControlPlane.AdminUser)}");

        var legacy = await plugin.RunAsync("sandbox", "why", "pod/legacy", "-n", Ns, "--context", ControlPlane.AdminUser);
        Assert.True(legacy.ExitCode == 1, legacy.ToString());
        Assert.Contains($"Pod:       {Ns}/legacy", legacy.Stdout, StringComparison.Ordinal);
        Assert.Contains("Tier:      High (AgentWorkload agent)", legacy.Stdout, StringComparison.Ordinal);
        Assert.Contains("Runtime:   runc (runtimeClassName not set); its tier needs kata", legacy.Stdout, StringComparison.Ordinal);
        Assert.Contains("Mode:      enforce", legacy.Stdout, StringComparison.Ordinal);
        Assert.Contains("Verdict:   admission would deny this pod if it were created now (rules runtime-too-weak, seccomp-missing, operator-labels)", legacy.Stdout, StringComparison.Ordinal);
        Assert.Contains("  FAIL  runtime-too-weak    AgentWorkload agent is High and needs runtimeClassName \"kata\"", legacy.Stdout, StringComparison.Ordinal);
        Assert.Contains("  pass  host-path           no hostPath volume", legacy.Stdout, StringComparison.Ordinal);
        Assert.Contains("Policy:    ConfigMap agentsandbox-system/sandbox-operator-config", legacy.Stdout, StringComparison.Ordinal);

        var sandboxed = await plugin.RunAsync("sandbox", "why", "pod", "sandboxed", "--namespace", Ns, "--context", ControlPlane.AdminUser, "-o", "json");
        Assert.True(sandboxed.ExitCode == 0, sandboxed.ToString());
        using (var doc = JsonDocument.Parse(sandboxed.Stdout))
        {
            var pod = doc.RootElement.GetProperty("pod");
            Assert.Equal(("High", "kata", "kata", "agent"), (pod.GetProperty("tier").GetString(), pod.GetProperty("runtime").GetString(), pod.GetProperty("neededRuntime").GetString(), pod.GetProperty("workload").GetString()));
            Assert.True(doc.RootElement.GetProperty("compliant").GetBoolean());
            Assert.Equal(13, pod.GetProperty("rules").GetArrayLength());
            Assert.All(pod.GetProperty("rules").EnumerateArray(), r => Assert.Equal("pass", r.GetProperty("result").GetString()));
        }

        var status = await plugin.RunAsync("sandbox", "status", "-n", Ns, "--context", ControlPlane.AdminUser, "-o", "json");
        Assert.True(status.ExitCode == 1, status.ToString());
        using (var doc = JsonDocument.Parse(status.Stdout))
        {
            var s = doc.RootElement.GetProperty("status");
            Assert.Equal(["kata 2/2", "gvisor 2/2"], s.GetProperty("pools").EnumerateArray().Select(p => $"{p.GetProperty("runtime").GetString()} {p.GetProperty("usable").GetInt32()}/{p.GetProperty("nodes").GetInt32()}"));
            Assert.Equal(["kata ok", "gvisor ok"], s.GetProperty("handlers").EnumerateArray().Select(h => $"{h.GetProperty("runtime").GetString()} {h.GetProperty("state").GetString()}"));
            Assert.Equal(["High kata 1"], s.GetProperty("workloads").EnumerateArray().Select(Count));
            Assert.Equal(["High kata 1", "High runc 1"], s.GetProperty("pods").EnumerateArray().Select(Count));
            Assert.Equal(1, s.GetProperty("nonCompliant").GetInt32());
            var bad = Assert.Single(s.GetProperty("nonCompliantPods").EnumerateArray());
            Assert.Equal("legacy", bad.GetProperty("name").GetString());
            Assert.Contains("runtime-too-weak", bad.GetProperty("rules").EnumerateArray().Select(r => r.GetString()));
            Assert.Contains(s.GetProperty("runtimeClasses").EnumerateArray(), rc => rc.GetProperty("name").GetString() == "kata" && rc.GetProperty("countsAs").GetString() == "kata");
        }

        var table = await plugin.RunAsync("sandbox", "status", "--context", ControlPlane.AdminUser);
        Assert.True(table.ExitCode == 1, table.ToString());
        // Cluster-wide: other tests of this control plane leave non-compliant pods of their own, so only ours is named here.
        Assert.Matches(@"NON-COMPLIANT PODS: [1-9][0-9]*\n", table.Stdout);
        Assert.Contains($"  {Ns}/legacy: runtime-too-weak, seccomp-missing, operator-labels: AgentWorkload agent is High", table.Stdout, StringComparison.Ordinal);

        // Questions it cannot answer: one line on stderr, exit 2.
        var notPod = await plugin.RunAsync("sandbox", "why", "deployment/agent", "-n", Ns, "--context", ControlPlane.AdminUser);
        Assert.Equal((2, ""), (notPod.ExitCode, notPod.Stdout));
        Assert.Equal("error: \"deployment/agent\": why explains pods; name one of its pods (kubectl get pods -l ...) as pod/NAME\n", notPod.Stderr);
        var missing = await plugin.RunAsync("sandbox", "why", "pod/missing", "-n", Ns, "--context", ControlPlane.AdminUser);
        Assert.Equal((2, $"error: pod missing not found in namespace {Ns}\n"), (missing.ExitCode, missing.Stderr));
        var otherPolicy = await plugin.RunAsync("sandbox", "status", "--context", ControlPlane.AdminUser, "--operator-configmap", "none");
        Assert.Equal(2, otherPolicy.ExitCode);
        Assert.StartsWith("error: the operator's policy, ConfigMap agentsandbox-system/none key policy.yaml, does not exist", otherPolicy.Stderr, StringComparison.Ordinal);
        // Without --context the decoy's current context is used, as kubectl would.
        var decoyed = await plugin.RunAsync("sandbox", "status");
        Assert.Equal(2, decoyed.ExitCode);
        Assert.Contains("127.0.0.1:1", decoyed.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", decoyed.Stderr, StringComparison.Ordinal);
    }

    private static string Count(JsonElement t) => $"{t.GetProperty("tier").GetString()} {t.GetProperty("runtime").GetString()} {t.GetProperty("count").GetInt32()}";

    /// <summary>kubectl with only a directory holding <c>kubectl-sandbox</c>, a link to the built sandboxctl, on PATH.</summary>
    private sealed class Plugin
    {
        private readonly string _bin;
        private readonly string _kubeconfig;
        private readonly string _kubectl;

        public Plugin(string home, string kubeconfig)
        {
            _bin = Path.Combine(home, "bin");
            Directory.CreateDirectory(_bin);
            File.CreateSymbolicLink(Path.Combine(_bin, "kubectl-sandbox"), Path.Combine(AppContext.BaseDirectory, "sandboxctl"));
            _kubeconfig = kubeconfig;
            _kubectl = Kubectl.Find() ?? throw new InvalidOperationException("kubectl is not on PATH");
        }

        public async Task<KubectlResult> RunAsync(params string[] args)
        {
            var psi = new ProcessStartInfo(_kubectl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["KUBECONFIG"] = _kubeconfig;
            psi.Environment["PATH"] = _bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
            // The apphost finds the runtime the tests run on.
            if (!psi.Environment.TryGetValue("DOTNET_ROOT", out var root) || string.IsNullOrEmpty(root))
            {
                psi.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Environment.ProcessPath);
            }

            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(timeout.Token);
            return new KubectlResult(process.ExitCode, await stdout, await stderr);
        }
    }
}
