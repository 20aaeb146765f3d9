using System.Text.Json.Nodes;

namespace SandboxOperator.Cli.Tests;

/// <summary>
/// What kubectl would send is what sandboxctl judges: merge keys, YAML 1.1 scalars, typed lists, and the objects no
/// webhook sees. (The reading itself is compared with kubectl in the policy tests.)
/// </summary>
public class KubectlReadingTests
{
    private const string Mcp = "agentsandbox.io/workload-type: mcp-server";

    private static JsonArray Results(Sandboxctl.Result r) => JsonNode.Parse(r.Stdout)!["results"]!.AsArray();

    [Fact]
    public void A_merge_key_under_spec_is_merged_so_the_mcp_pod_is_denied()
    {
        var r = Sandboxctl.Run($$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: merged
              labels: { {{Mcp}} }
            spec:
              <<: {runtimeClassName: gvisor, hostNetwork: true}
              containers: [{name: c, image: x}]
            """, "evaluate", "-f", "-", "-o", "json");
        Assert.Equal(1, r.ExitCode);
        var pod = Assert.Single(Results(r));
        Assert.StartsWith("MCP server pods must run in Kata: spec.runtimeClassName is \"gvisor\"", (string?)pod!["message"], StringComparison.Ordinal);
        Assert.Contains("hostNetwork is not allowed at tier High", (string?)pod["message"], StringComparison.Ordinal);
        Assert.Null(pod["object"]!["spec"]!["<<"]);
    }

    [Fact]
    public void Octal_modes_and_yaml_1_1_booleans_are_what_kubectl_sends()
    {
        var r = Sandboxctl.Run("""
            apiVersion: v1
            kind: Pod
            metadata: {name: modes}
            spec:
              hostNetwork: off
              containers: [{name: c, image: x, tty: yes}]
              volumes:
                - name: a
                  secret: {secretName: a, defaultMode: 0400}
                - name: b
                  configMap: {name: b, defaultMode: 0755, items: [{key: k, path: p, mode: 0o600}]}
            """, "evaluate", "-f", "-", "-o", "json");
        Assert.Equal(0, r.ExitCode);
        var spec = Assert.Single(Results(r))!["object"]!["spec"]!;
        Assert.Equal(256, (int)spec["volumes"]![0]!["secret"]!["defaultMode"]!);
        Assert.Equal(493, (int)spec["volumes"]![1]!["configMap"]!["defaultMode"]!);
        Assert.Equal(384, (int)spec["volumes"]![1]!["configMap"]!["items"]![0]!["mode"]!);
        Assert.False((bool)spec["hostNetwork"]!);
        Assert.True((bool)spec["containers"]![0]!["tty"]!);

        // -o yaml prints what was read, and quotes strings that would read back as something else.
        var yaml = Sandboxctl.Run("apiVersion: v1\nkind: Pod\nmetadata: {name: q, labels: {on: \"yes\", v: \"0755\"}}\nspec: {containers: [{name: c, image: x}]}\n", "evaluate", "-f", "-", "-o", "yaml");
        Assert.Contains("\"true\": \"yes\"", yaml.Stdout, StringComparison.Ordinal);
        Assert.Contains("v: \"0755\"", yaml.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Typed_and_nested_lists_are_evaluated_item_by_item()
    {
        var r = Sandboxctl.Run("""
            apiVersion: v1
            kind: PodList
            items:
              - apiVersion: v1
                kind: Pod
                metadata: {name: rogue, labels: {agentsandbox.io/workload-type: mcp-server}}
                spec: {runtimeClassName: gvisor, containers: [{name: c, image: x}]}
              - apiVersion: v1
                kind: List
                items:
                  - apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: web}
                    spec:
                      selector: {matchLabels: {app: web}}
                      template:
                        metadata: {labels: {app: web}}
                        spec: {containers: [{name: c, image: x}]}
            """, "evaluate", "-f", "-", "-o", "json");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["Pod/rogue/false", "Deployment/web/true"], Results(r).Select(x => $"{x!["kind"]}/{x["name"]}/{x["allowed"]}"));
        Assert.Contains("<stdin>:8: a list inside a list: kubectl refuses such a file", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("does not cover this kind", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Objects_in_excluded_namespaces_are_reported_as_not_covered()
    {
        const string daemonSet = """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: tuner, namespace: kube-system}
            spec:
              selector: {matchLabels: {app: tuner}}
              template:
                metadata: {labels: {app: tuner}}
                spec:
                  hostPID: true
                  tolerations: [{operator: Exists}]
                  containers: [{name: c, image: x, securityContext: {privileged: true}}]
            """;
        var r = Sandboxctl.Run(daemonSet, "evaluate", "-f", "-", "-o", "json");
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(Results(r));
        Assert.Contains("note: <stdin>:1: DaemonSet tuner in namespace kube-system: not covered: namespace kube-system is excluded (excludedNamespaces): no webhook sees it", r.Stderr, StringComparison.Ordinal);

        using var files = new TempFiles();
        var config = files.Write("policy.yaml", "excludedNamespaces: [platform]\n");
        var judged = Sandboxctl.Run(daemonSet, "evaluate", "-f", "-", "--config", config);
        Assert.Equal(1, judged.ExitCode);
    }

    [Fact]
    public void Agent_workloads_are_reported_with_their_warnings()
    {
        var r = Sandboxctl.Run("""
            apiVersion: agentsandbox.io/v1alpha1
            kind: AgentWorkload
            metadata: {name: scraper, namespace: tools}
            spec:
              type: Agent
              riskTier: Low
              selector: {matchLabels: {app: scraper}}
            """, "evaluate", "-f", "-", "-o", "json");
        Assert.Equal(0, r.ExitCode);
        var workload = Assert.Single(Results(r))!;
        Assert.Equal("AgentWorkload", (string?)workload["kind"]);
        Assert.Equal("High", (string?)workload["riskTier"]);
        Assert.Equal("Kata", (string?)workload["runtime"]);
        Assert.Equal("kata", (string?)workload["runtimeClassName"]);
        Assert.Equal(["spec.riskTier Low is ignored: it can raise the tier, never lower it below High"], workload["warnings"]!.AsArray().Select(w => (string?)w));
        Assert.Empty(workload["patch"]!.AsArray());
        Assert.Equal("scraper", (string?)workload["object"]!["metadata"]!["name"]);

        var table = Sandboxctl.Run("apiVersion: agentsandbox.io/v1alpha1\nkind: AgentWorkload\nmetadata: {name: scraper}\nspec: {type: Agent, riskTier: Low}\n", "evaluate", "-f", "-");
        Assert.Matches(@"AgentWorkload/default/scraper\s+allowed\s+High\s+Kata\s+no\s+spec.riskTier Low is ignored", table.Stdout);
    }

    [Fact]
    public void A_node_name_is_a_warning_without_node_objects_and_judged_with_them()
    {
        const string pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: pinned}\nspec: {nodeName: kata-1, containers: [{name: c, image: x}]}\n";
        var alone = Sandboxctl.Run(pod, "evaluate", "-f", "-", "-o", "json");
        Assert.Equal(0, alone.ExitCode);
        Assert.Contains("spec.nodeName \"kata-1\": no Node objects were given", (string?)Assert.Single(Results(alone))!["warnings"]![0], StringComparison.Ordinal);

        const string node = "---\napiVersion: v1\nkind: Node\nmetadata: {name: kata-1, labels: {agentsandbox.io/pool: kata}}\nspec: {taints: [{key: agentsandbox.io/pool, value: kata, effect: NoSchedule}]}\n";
        var withNodes = Sandboxctl.Run(pod + node, "evaluate", "-f", "-", "-o", "json");
        Assert.Equal(1, withNodes.ExitCode);
        Assert.Contains("spec.nodeName \"kata-1\" is a node of that pool", (string?)Assert.Single(Results(withNodes))!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_nameless_object_is_named_as_such_in_notes()
    {
        var r = Sandboxctl.Run("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", "evaluate", "-f", "-");
        Assert.Contains("note: <stdin>:1: skipped ConfigMap (no name): the policy does not cover this kind", r.Stderr, StringComparison.Ordinal);
    }
}
