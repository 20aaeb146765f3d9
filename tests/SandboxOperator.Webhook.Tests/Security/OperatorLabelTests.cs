using System.Text.Json.Nodes;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// <c>agentsandbox.io/tier</c>, <c>agentsandbox.io/runtime</c> and <c>agentsandbox.io/reasons</c> are the operator's
/// statement about a pod, which NetworkPolicies and dashboards may trust: a user cannot forge them at creation or
/// change them later.
/// </summary>
public sealed class OperatorLabelTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private static readonly Dictionary<string, string> ResearchAgent = new() { ["app"] = "research-agent" };
    private RunningHost Host => shared.Host;

    private static JsonObject Forged(JsonObject pod, string tier, string runtime, string? reasons = "trusted, honest")
    {
        var labels = pod["metadata"]!["labels"] as JsonObject ?? [];
        labels["agentsandbox.io/tier"] = tier;
        labels["agentsandbox.io/runtime"] = runtime;
        pod["metadata"]!["labels"] = labels;
        if (reasons is not null)
        {
            pod["metadata"]!["annotations"] = new JsonObject { ["agentsandbox.io/reasons"] = reasons };
        }

        return pod;
    }

    private static List<(string Op, string Path, JsonNode? Value)> Ops(ReviewResponse r) =>
        [.. JsonNode.Parse(r.Patch!)!.AsArray().Select(o => ((string)o!["op"]!, (string)o["path"]!, o["value"]))];

    [Fact]
    public async Task Forged_labels_on_an_unmanaged_pod_are_removed_by_mutation()
    {
        var pod = Forged(Reviews.PodObject("web", "agents"), "high", "kata");

        var answer = await Host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", pod));

        Assert.True(answer.Allowed);
        var ops = Ops(answer);
        Assert.Contains(("remove", "/metadata/labels/agentsandbox.io~1tier", null), ops);
        Assert.Contains(("remove", "/metadata/labels/agentsandbox.io~1runtime", null), ops);
        Assert.Contains(("remove", "/metadata/annotations/agentsandbox.io~1reasons", null), ops);
        Assert.Contains(answer.Warnings, w => w.Contains("is written only by the sandbox operator and was removed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Forged_labels_on_an_unmanaged_pod_that_skipped_mutation_are_denied_at_validate()
    {
        var answer = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", Forged(Reviews.PodObject("web", "agents"), "high", "kata")));

        Assert.False(answer.Allowed);
        Assert.Contains("label agentsandbox.io/tier=\"high\" is written only by the sandbox operator, and this pod is not managed", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_managed_pod_claiming_a_lower_tier_gets_the_truth()
    {
        var pod = Forged(Reviews.PodObject("agent", "agents", ResearchAgent), "low", "runc");

        var answer = await Host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", pod));

        var ops = Ops(answer);
        Assert.Contains(ops, o => o is ("replace", "/metadata/labels/agentsandbox.io~1tier", _) && (string?)o.Value == "high");
        Assert.Contains(ops, o => o is ("replace", "/metadata/labels/agentsandbox.io~1runtime", _) && (string?)o.Value == "kata");
        Assert.Contains(ops, o => o is ("replace", "/metadata/annotations/agentsandbox.io~1reasons", _) && ((string?)o.Value)!.Contains("research-agent", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("agentsandbox.io/tier", "low")]
    [InlineData("agentsandbox.io/runtime", "runc")]
    public async Task An_update_cannot_change_the_operators_labels(string label, string value)
    {
        var old = Forged(Reviews.PodObject("agent", "agents", ResearchAgent, runtimeClassName: "kata"), "high", "kata", "AgentWorkload research-agent");
        var now = old.DeepClone().AsObject();
        now["metadata"]!["labels"]![label] = value;

        var answer = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "UPDATE", "agents", now, old));

        Assert.False(answer.Allowed);
        Assert.Contains($"label {label} is written only by the sandbox operator and cannot be changed", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_cannot_remove_the_reasons_annotation_or_add_labels_to_an_unmanaged_pod()
    {
        var managed = Forged(Reviews.PodObject("agent", "agents", ResearchAgent, runtimeClassName: "kata"), "high", "kata", "AgentWorkload research-agent");
        var stripped = managed.DeepClone().AsObject();
        stripped["metadata"]!["annotations"] = new JsonObject();
        var removal = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "UPDATE", "agents", stripped, managed));
        Assert.False(removal.Allowed);
        Assert.Contains("annotation agentsandbox.io/reasons", removal.Message, StringComparison.Ordinal);

        var plain = Reviews.PodObject("web", "agents");
        var added = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "UPDATE", "agents", Forged(plain.DeepClone().AsObject(), "high", "kata", null), plain));
        Assert.False(added.Allowed);
        Assert.Contains("label agentsandbox.io/tier is written only by the sandbox operator and cannot be changed on a running pod (from (absent) to \"high\")", added.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_that_leaves_them_alone_is_allowed()
    {
        var old = Forged(Reviews.PodObject("agent", "agents", ResearchAgent, runtimeClassName: "kata"), "high", "kata", "AgentWorkload research-agent");
        var now = old.DeepClone().AsObject();
        now["metadata"]!["labels"]!["team"] = "research";

        var answer = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "UPDATE", "agents", now, old));

        Assert.True(answer.Allowed, answer.Message);
    }
}
