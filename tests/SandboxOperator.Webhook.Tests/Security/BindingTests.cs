using System.Text.Json.Nodes;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// Whoever may create bindings (a tenant's own scheduler, say) cannot put a pod on another runtime's node pool:
/// <c>pods/binding</c> and <c>bindings</c> are judged as <c>spec.nodeName</c> is at CREATE, and a pod the webhook
/// does not know is not bound blind.
/// </summary>
public sealed class BindingTests : IAsyncLifetime
{
    private static readonly (string, string, string, string) Binding = ("", "v1", "Binding", "pods");
    private static readonly Dictionary<string, string> ResearchAgent = new() { ["app"] = "research-agent" };
    private RunningHost _host = null!;

    public async Task InitializeAsync() => _host = await RunningHost.StartAsync(source: KnownPodsState.SamplesWith(
        ("agents", Reviews.PodObject("plain-web", "agents")),
        ("agents", Reviews.PodObject("agent-kata", "agents", ResearchAgent, runtimeClassName: "kata")),
        ("agents", Reviews.PodObject("tool-gvisor", "agents", runtimeClassName: "gvisor"))));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JsonObject Review(string pod, string node, string resource = "pods", string? nodeKind = "Node")
    {
        var binding = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Binding",
            ["metadata"] = new JsonObject { ["name"] = pod, ["namespace"] = "agents" },
            ["target"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = nodeKind, ["name"] = node },
        };
        var review = Reviews.Request(Binding, "CREATE", "agents", binding, name: pod);
        var request = review["request"]!.AsObject();
        request["resource"]!["resource"] = resource;
        if (resource == "pods")
        {
            request["subResource"] = "binding";
        }

        return review;
    }

    [Theory]
    [InlineData("pods")]
    [InlineData("bindings")]
    public async Task A_runc_pod_bound_to_a_kata_node_is_denied(string resource)
    {
        var answer = await _host.ReviewAsync("/validate", Review("plain-web", "kata-1", resource));

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.Contains("binding pod plain-web to node kata-1", answer.Message, StringComparison.Ordinal);
        Assert.Contains("kata pool", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gvisor_pod_bound_to_a_kata_node_is_denied()
    {
        // Its RuntimeClass's nodeSelector keeps it off the kata pool, so the message says where it must go instead.
        var answer = await _host.ReviewAsync("/validate", Review("tool-gvisor", "kata-1"));

        Assert.False(answer.Allowed);
        Assert.Contains("a gvisor pod must run on the gvisor pool", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pods_bound_to_their_own_pool_are_allowed()
    {
        Assert.True((await _host.ReviewAsync("/validate", Review("agent-kata", "kata-1"))).Allowed);
        Assert.True((await _host.ReviewAsync("/validate", Review("tool-gvisor", "gvisor-1"))).Allowed);
        Assert.True((await _host.ReviewAsync("/validate", Review("plain-web", "general-1"))).Allowed);
    }

    [Fact]
    public async Task A_binding_to_a_node_the_webhook_does_not_know_is_denied()
    {
        var answer = await _host.ReviewAsync("/validate", Review("plain-web", "new-node-7"));

        Assert.False(answer.Allowed);
        Assert.Contains("names a node the operator does not know", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binding_of_a_pod_the_webhook_does_not_know_is_refused_for_now_not_allowed()
    {
        var answer = await _host.ReviewAsync("/validate", Review("created-a-moment-ago", "general-1"));

        Assert.False(answer.Allowed);
        Assert.Equal(503, answer.Code);
        Assert.Contains("does not know pod agents/created-a-moment-ago yet", answer.Message, StringComparison.Ordinal);
        Assert.Contains("retry", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binding_whose_target_is_not_a_node_is_refused_as_unreadable()
    {
        var answer = await _host.ReviewAsync("/validate", Review("plain-web", "kata-1", nodeKind: "Pod"));

        Assert.False(answer.Allowed);
        Assert.Equal(400, answer.Code);
        Assert.Contains("target.kind", answer.Message, StringComparison.Ordinal);
    }
}
