using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using SandboxOperator.Cli.Live;
using SandboxOperator.Policy.Api;
using SandboxOperator.Testing.KubeApi;

namespace SandboxOperator.Cli.Tests.Live;

/// <summary>
/// What the live commands read from their arguments, the kubeconfig and the name they were started under, and what
/// <c>why</c> reads from an in-process API server.
/// </summary>
public sealed class LiveCommandTests
{
    [Theory]
    [InlineData(new[] { "pod/agent-0" }, "agent-0")]
    [InlineData(new[] { "pods/agent-0" }, "agent-0")]
    [InlineData(new[] { "po/agent-0" }, "agent-0")]
    [InlineData(new[] { "Pod/agent-0" }, "agent-0")]
    [InlineData(new[] { "pod", "agent-0" }, "agent-0")]
    [InlineData(new[] { "agent-0" }, "agent-0")]
    public void A_pod_is_named_as_kubectl_names_it(string[] target, string expected) => Assert.Equal(expected, LiveCommands.PodName(target));

    [Theory]
    [InlineData(new[] { "deployment/agent" }, "\"deployment/agent\": why explains pods; name one of its pods (kubectl get pods -l ...) as pod/NAME")]
    [InlineData(new[] { "pod/" }, "expected one pod, as pod/NAME, pod NAME or NAME; got \"pod/\"")]
    [InlineData(new[] { "svc", "agent" }, "expected one pod, as pod/NAME, pod NAME or NAME; got \"svc agent\"")]
    [InlineData(new[] { "pod", "a/b" }, "expected one pod, as pod/NAME, pod NAME or NAME; got \"pod a/b\"")]
    public void Anything_but_one_pod_is_refused_with_what_to_write(string[] target, string expected) =>
        Assert.Equal(expected, Assert.Throws<CliException>(() => LiveCommands.PodName(target)).Message);

    [Fact]
    public void Kubeconfig_files_merge_as_kubectl_merges_them_and_context_and_namespace_flags_win()
    {
        using var files = new TempFiles();
        var first = files.Write("first.yaml", Config("alpha", "https://alpha.example:6443", "team-a", current: "alpha"));
        var second = files.Write("second.yaml", Config("beta", "https://beta.example:6443", null, current: "beta") + "\n");
        var env = new Dictionary<string, string?> { ["KUBECONFIG"] = $"{first}{Path.PathSeparator}{Path.Combine(files.Root, "absent.yaml")}{Path.PathSeparator}{second}" };

        var current = KubeContext.Connect(new KubeFlags(null, null, null), k => env.GetValueOrDefault(k));
        Assert.Equal(("https://alpha.example:6443/", "team-a"), (current.Server.TrimEnd('/') + "/", current.Namespace));

        var beta = KubeContext.Connect(new KubeFlags(null, "beta", null), k => env.GetValueOrDefault(k));
        Assert.Equal(("https://beta.example:6443/", "default"), (beta.Server.TrimEnd('/') + "/", beta.Namespace));

        var flagged = KubeContext.Connect(new KubeFlags(second, null, "ops"), k => env.GetValueOrDefault(k));
        Assert.Equal(("https://beta.example:6443/", "ops"), (flagged.Server.TrimEnd('/') + "/", flagged.Namespace));
    }

    [Fact]
    public void A_missing_kubeconfig_or_context_is_one_line_naming_it()
    {
        using var files = new TempFiles();
        var env = new Dictionary<string, string?> { ["HOME"] = files.Root };
        Assert.Equal($"no kubeconfig: {Path.Combine(files.Root, ".kube", "config")} does not exist; set KUBECONFIG or pass --kubeconfig",
            Assert.Throws<CliException>(() => KubeContext.Connect(new KubeFlags(null, null, null), k => env.GetValueOrDefault(k))).Message);
        Assert.Equal("--kubeconfig /nonexistent/config: no such file",
            Assert.Throws<CliException>(() => KubeContext.Connect(new KubeFlags("/nonexistent/config", null, null), k => env.GetValueOrDefault(k))).Message);
        env["KUBECONFIG"] = "/nonexistent/a:/nonexistent/b";
        Assert.Equal("KUBECONFIG=/nonexistent/a:/nonexistent/b: none of these files exists",
            Assert.Throws<CliException>(() => KubeContext.Connect(new KubeFlags(null, null, null), k => env.GetValueOrDefault(k))).Message);

        var only = files.Write("only.yaml", Config("alpha", "https://alpha.example:6443", null, current: "alpha"));
        var error = Assert.Throws<CliException>(() => KubeContext.Connect(new KubeFlags(only, "gamma", null), k => env.GetValueOrDefault(k))).Message;
        Assert.StartsWith($"kubeconfig {only}: ", error, StringComparison.Ordinal);
        Assert.Contains("gamma", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/usr/local/bin/kubectl-sandbox", true)]
    [InlineData("kubectl-sandbox", true)]
    [InlineData(@"C:\tools\kubectl-sandbox.exe", true)]
    [InlineData("/usr/local/bin/sandboxctl", false)]
    [InlineData("dotnet", false)]
    [InlineData(null, false)]
    public void The_plugin_is_the_binary_started_as_kubectl_sandbox(string? argv0, bool plugin) => Assert.Equal(plugin, InvokedName.IsPlugin(argv0?.Replace('\\', Path.DirectorySeparatorChar)));

    [Fact]
    public void Started_through_a_link_named_kubectl_sandbox_it_presents_itself_as_the_plugin()
    {
        using var files = new TempFiles();
        var link = Path.Combine(files.Root, "kubectl-sandbox");
        File.CreateSymbolicLink(link, Path.Combine(AppContext.BaseDirectory, "sandboxctl"));

        var plugin = Run(link, "--help");
        Assert.Contains("kubectl sandbox: why a running pod has its sandbox", plugin, StringComparison.Ordinal);
        Assert.Contains("why", plugin, StringComparison.Ordinal);
        Assert.Contains("status", plugin, StringComparison.Ordinal);
        Assert.Contains("sandboxctl: check AI-agent workloads", Run(Path.Combine(AppContext.BaseDirectory, "sandboxctl"), "--help"), StringComparison.Ordinal);
        Assert.Contains("Run 'kubectl sandbox --help' for usage.", Run(link, "status", "--no-such-flag"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, false)]
    public async Task Why_reads_the_clusters_exceptions_and_names_the_one_that_applies_until_it_expires(int secondsFromExpiry, bool applies)
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            AdditionalResources =
            [
                ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.Kind, WellKnown.Plural),
                ExceptedPod.Exceptions,
            ],
        });
        using (var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url }))
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } });
            await ExceptedPod.CreateAsync(client, "apps");
        }

        using var files = new TempFiles();
        var kubeconfig = files.Write("config.yaml", Config("test", server.Url, "apps", current: "test"));
        var policy = files.Write("policy.yaml", "mode: Enforce\n");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        await LiveCommands.WhyAsync(["pod/coder-1"], new KubeFlags(kubeconfig, null, null), new PolicySource(policy, "x", "y"), "json", stdout, stderr,
            _ => null, new FixedTime(ExceptedPod.ExpiresAt.AddSeconds(secondsFromExpiry)), CancellationToken.None);

        Assert.Equal("", stderr.ToString());
        var pod = JsonNode.Parse(stdout.ToString())!["pod"]!;
        var weak = pod["rules"]!.AsArray().Single(r => (string?)r!["rule"] == "runtime-too-weak")!;
        if (applies)
        {
            Assert.Equal("Medium", (string?)pod["tier"]);
            Assert.Equal("pass", (string?)weak["result"]);
            var exception = Assert.Single(pod["exceptions"]!.AsArray())!;
            Assert.Equal(("coder-gvisor", "RunInGVisor", "team-agents", "needs io_uring"), ((string?)exception["name"], (string?)exception["grant"], (string?)exception["owner"], (string?)exception["reason"]));
            Assert.Equal(ExceptedPod.ExpiresAt, exception["expiresAt"]!.GetValue<DateTimeOffset>());
        }
        else
        {
            Assert.Equal("High", (string?)pod["tier"]);
            Assert.Equal("fail", (string?)weak["result"]);
            Assert.Empty(pod["exceptions"]!.AsArray());
            Assert.Contains(pod["warnings"]!.AsArray(), w => ((string?)w)!.Contains("coder-gvisor", StringComparison.Ordinal) && ((string?)w)!.Contains("expired", StringComparison.Ordinal));
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static string Run(string executable, params string[] args)
    {
        var psi = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (!psi.Environment.TryGetValue("DOTNET_ROOT", out var root) || string.IsNullOrEmpty(root))
        {
            psi.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Environment.ProcessPath);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "timed out");
        return stdout.Result + stderr.Result;
    }

    private static string Config(string name, string server, string? ns, string current) => $$"""
        apiVersion: v1
        kind: Config
        clusters: [{ name: {{name}}, cluster: { server: "{{server}}" } }]
        users: [{ name: {{name}}, user: { token: t-{{name}} } }]
        contexts: [{ name: {{name}}, context: { cluster: {{name}}, user: {{name}}{{(ns is null ? "" : $", namespace: {ns}")}} } }]
        current-context: {{current}}
        """;
}
