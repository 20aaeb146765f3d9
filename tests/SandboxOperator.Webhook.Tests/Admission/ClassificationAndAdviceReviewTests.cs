using System.Text.Json.Nodes;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Admission;

/// <summary>
/// Through the real host over HTTPS: a classification preset sends a platform's pod to Kata at /mutate, and the
/// compatibility advice reaches kubectl as admission warnings from /validate (once: /mutate does not repeat it).
/// </summary>
public sealed class ClassificationAndAdviceReviewTests
{
    /// <summary>A pod of kubernetes-sigs/mcp-lifecycle-operator's Deployment (labels from managedWorkloadLabels), asking for a GPU.</summary>
    private static JsonObject McpServerPod() => JsonNode.Parse("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"github-5f7c8d9b6c-q7k2m","namespace":"agents",
          "labels":{"app":"mcp-server","mcp-server":"github","pod-template-hash":"5f7c8d9b6c"},
          "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"github-5f7c8d9b6c","uid":"9e1d","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},
           "containers":[{"name":"mcp-server","image":"ghcr.io/github/github-mcp-server:v0.30.0","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}}
        """)!.AsObject();

    [Fact]
    public async Task A_preset_pod_is_sent_to_Kata_and_its_GPU_advice_comes_back_once_from_validate()
    {
        var options = RunningHost.DefaultOptions with { Policy = PolicyConfig.Default with { Classification = [ClassificationPresets.Rule(ClassificationPresets.McpLifecycleOperator)!] } };
        await using var host = await RunningHost.StartAsync(options);

        var mutate = await host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", McpServerPod()));
        Assert.True(mutate.Allowed);
        Assert.Contains("\"path\":\"/spec/runtimeClassName\",\"value\":\"kata\"", System.Text.Encoding.UTF8.GetString(mutate.Patch!), StringComparison.Ordinal);
        Assert.DoesNotContain(mutate.Warnings, w => w.Contains("compatibility: ", StringComparison.Ordinal));

        var admitted = McpServerPod();
        admitted["spec"]!["runtimeClassName"] = "kata";
        admitted["spec"]!["tolerations"] = JsonNode.Parse("""[{"key":"agentsandbox.io/pool","operator":"Equal","value":"kata","effect":"NoSchedule"}]""");
        admitted["spec"]!["nodeSelector"] = JsonNode.Parse("""{"agentsandbox.io/pool":"kata"}""");
        var labels = admitted["metadata"]!["labels"]!.AsObject();
        labels["agentsandbox.io/tier"] = "high";
        labels["agentsandbox.io/runtime"] = "kata";
        admitted["metadata"]!["annotations"] = new JsonObject { ["agentsandbox.io/reasons"] = "classification preset mcp-lifecycle-operator: type MCPServer: MCP tool servers run in Kata" };

        var validate = await host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", admitted));

        var advice = Assert.Single(validate.Warnings, w => w.Contains("compatibility: ", StringComparison.Ordinal));
        Assert.StartsWith("compatibility: container \"mcp-server\" requests nvidia.com/gpu: GPU resources in Kata:", advice, StringComparison.Ordinal);
        Assert.Contains("Fix: set spec.runtimeClassName to a Kata GPU class", advice, StringComparison.Ordinal);
        Assert.EndsWith("(source: https://github.com/kata-containers/kata-containers/blob/main/docs/use-cases/NVIDIA-GPU-passthrough-and-Kata-QEMU.md)", advice, StringComparison.Ordinal);
    }
}
