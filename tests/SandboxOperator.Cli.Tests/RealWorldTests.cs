using System.Text.Json.Nodes;

namespace SandboxOperator.Cli.Tests;

/// <summary>Public manifests (see RealWorld/README.md) evaluated as a team would in CI.</summary>
public class RealWorldTests
{
    private static string File(string name) => Path.Combine("tests", "SandboxOperator.Cli.Tests", "RealWorld", name);

    private static JsonArray Results(Sandboxctl.Result r) => JsonNode.Parse(r.Stdout)!["results"]!.AsArray();

    [Fact]
    public void Sshpiper_reads_its_octal_mode_as_kubectl_does_and_skips_the_kinds_the_policy_does_not_cover()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", File("sshpiper.yaml"), "-o", "json");
        Assert.Equal(0, r.ExitCode);
        var deployment = Assert.Single(Results(r))!;
        Assert.Equal("Deployment", (string?)deployment["kind"]);
        Assert.Equal(256, (int)deployment["object"]!["spec"]!["template"]!["spec"]!["volumes"]![0]!["secret"]!["defaultMode"]!);
        foreach (var kind in new[] { "ServiceAccount sshpiper", "Role sshpiper", "RoleBinding sshpiper", "Service sshpiper" })
        {
            Assert.Contains($"skipped {kind}: the policy does not cover this kind", r.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_sandbox_of_a_kind_the_policy_does_not_cover_is_skipped_with_a_note()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", File("containarium-sandbox.yaml"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("skipped Sandbox containarium-ssh-sandbox: the policy does not cover this kind", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Kata_own_runtime_class_and_pod_are_allowed_in_an_enforced_namespace()
    {
        const string enforced = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels: {agentsandbox.io/enforce: kata}\n";
        var r = Sandboxctl.Run(enforced, "evaluate", "-f", "-", "-f", File("kata-runtimeclass.yaml"), "-f", File("busybox-pod.yaml"), "-o", "json");
        var pod = Assert.Single(Results(r))!;
        Assert.True((bool)pod["allowed"]!, (string?)pod["message"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("Kata", (string?)pod["runtime"]);
        Assert.Equal("High", (string?)pod["riskTier"]);
    }

    [Fact]
    public void A_pod_pinned_to_a_node_nobody_described_gets_a_warning()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", File("pod-nginx-specific-node.yaml"), "-o", "json");
        Assert.Equal(0, r.ExitCode);
        var pod = Assert.Single(Results(r))!;
        Assert.Equal("nginx", (string?)pod["name"]);
        Assert.Contains("spec.nodeName \"foo-node\": no Node objects were given", (string?)pod["warnings"]![0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_required_node_affinity_written_as_a_list_is_refused_as_the_api_server_refuses_it()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", File("pod-with-node-affinity.yaml"), "-o", "json");
        Assert.Equal(1, r.ExitCode);
        var pod = Assert.Single(Results(r))!;
        Assert.Equal("cannot read the pod: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution: must be an object, got a list", (string?)pod["message"]);
    }

    [Fact]
    public void A_privileged_node_tuner_in_kube_system_is_not_covered()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", File("node-tuner-daemonset.yaml"), "-o", "json");
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(Results(r));
        Assert.Contains("DaemonSet node-tuner-ds in namespace kube-system: not covered", r.Stderr, StringComparison.Ordinal);
    }
}
