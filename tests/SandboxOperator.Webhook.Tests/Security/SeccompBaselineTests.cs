using System.Text.Json.Nodes;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// seccomp is validated, not only mutated: no container of a managed pod, init and ephemeral ones included, runs
/// without a profile, so <c>kubectl debug</c> cannot add an Unconfined-by-default container to a sandboxed pod and
/// a pod that escaped the mutating webhook is not admitted without one.
/// </summary>
public sealed class SeccompBaselineTests : IAsyncLifetime
{
    private static readonly (string, string, string, string) PodEphemeral = ("", "v1", "Pod", "pods");
    private static readonly (string, string, string, string) EphemeralContainers = ("", "v1", "EphemeralContainers", "pods");
    private static readonly Dictionary<string, string> ResearchAgent = new() { ["app"] = "research-agent" };
    private RunningHost _host = null!;

    /// <summary>A managed Kata pod as admitted, whose containers each set their own profile and whose pod sets none.</summary>
    private static JsonObject ProfiledPod()
    {
        var pod = Reviews.PodObject("agent-0", "agents", ResearchAgent, runtimeClassName: "kata", containers: 2);
        foreach (var c in pod["spec"]!["containers"]!.AsArray())
        {
            c!["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } };
        }

        pod["spec"]!["tolerations"] = JsonNode.Parse("""[{"key":"agentsandbox.io/pool","operator":"Equal","value":"kata","effect":"NoSchedule"}]""");
        pod["spec"]!["nodeSelector"] = new JsonObject { ["agentsandbox.io/pool"] = "kata" };
        pod["metadata"]!["labels"]!["agentsandbox.io/tier"] = "high";
        pod["metadata"]!["labels"]!["agentsandbox.io/runtime"] = "kata";
        pod["metadata"]!["annotations"] = new JsonObject { ["agentsandbox.io/reasons"] = "AgentWorkload research-agent" };
        return pod;
    }

    private static JsonObject Debugger(JsonObject? securityContext = null) => new()
    {
        ["name"] = "debugger-x7k2",
        ["image"] = "busybox:1.36",
        ["targetContainerName"] = "c0",
        ["securityContext"] = securityContext,
    };

    public async Task InitializeAsync() => _host = await RunningHost.StartAsync(source: KnownPodsState.SamplesWith(("agents", ProfiledPod())));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Kubectl_debug_on_a_managed_pod_without_a_profile_is_denied_with_what_to_set()
    {
        var old = ProfiledPod();
        var now = ProfiledPod();
        now["spec"]!["ephemeralContainers"] = new JsonArray(Debugger());
        var review = Reviews.Request(PodEphemeral, "UPDATE", "agents", now, old);
        review["request"]!["subResource"] = "ephemeralcontainers";

        var answer = await _host.ReviewAsync("/validate", review);

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.Contains("ephemeral container \"debugger-x7k2\" runs without a seccomp profile", answer.Message, StringComparison.Ordinal);
        Assert.Contains("kubectl debug --profile=restricted", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_debug_with_a_profile_is_allowed()
    {
        var now = ProfiledPod();
        now["spec"]!["ephemeralContainers"] = new JsonArray(Debugger(new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } }));
        var review = Reviews.Request(PodEphemeral, "UPDATE", "agents", now, ProfiledPod());
        review["request"]!["subResource"] = "ephemeralcontainers";

        var answer = await _host.ReviewAsync("/validate", review);

        Assert.True(answer.Allowed, answer.Message);
    }

    [Fact]
    public async Task Kubectl_debug_on_a_kubernetes_1_20_api_server_is_judged_against_the_known_pod()
    {
        // Before 1.22 the subresource carries an EphemeralContainers object, not the pod.
        JsonObject Object(params JsonObject[] containers) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "EphemeralContainers",
            ["metadata"] = new JsonObject { ["name"] = "agent-0", ["namespace"] = "agents" },
            ["ephemeralContainers"] = new JsonArray([.. containers]),
        };
        var review = Reviews.Request(EphemeralContainers, "UPDATE", "agents", Object(Debugger()), Object());
        review["request"]!["subResource"] = "ephemeralcontainers";

        var answer = await _host.ReviewAsync("/validate", review);

        Assert.False(answer.Allowed);
        Assert.Contains("ephemeral container \"debugger-x7k2\" runs without a seccomp profile", answer.Message, StringComparison.Ordinal);

        var unknown = Reviews.Request(EphemeralContainers, "UPDATE", "agents", Object(Debugger()), Object(), name: "not-cached");
        unknown["request"]!["subResource"] = "ephemeralcontainers";
        var refused = await _host.ReviewAsync("/validate", unknown);
        Assert.False(refused.Allowed);
        Assert.Equal(503, refused.Code);
    }

    [Fact]
    public async Task A_managed_pod_that_escaped_mutation_is_denied_at_validate_for_its_missing_profile()
    {
        var pod = ProfiledPod();
        pod["spec"]!["initContainers"] = new JsonArray(new JsonObject { ["name"] = "setup", ["image"] = "busybox:1.36" });

        var answer = await _host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", pod));

        Assert.False(answer.Allowed);
        Assert.Contains("init container \"setup\" runs without a seccomp profile", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_pod_through_mutate_gets_a_pod_level_profile_and_passes_validate()
    {
        var pod = ProfiledPod();
        pod["spec"]!["initContainers"] = new JsonArray(new JsonObject { ["name"] = "setup", ["image"] = "busybox:1.36" });

        var mutation = await _host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", pod));
        var patched = Policy.Json.JsonPatch.Apply(pod, JsonNode.Parse(mutation.Patch!)!.AsArray()
            .Select(o => new Policy.Json.PatchOperation((string)o!["op"]!, (string)o["path"]!, o["value"]?.DeepClone())).ToList())!.AsObject();

        Assert.Equal("RuntimeDefault", (string?)patched["spec"]!["securityContext"]!["seccompProfile"]!["type"]);
        var answer = await _host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", patched));
        Assert.True(answer.Allowed, answer.Message);
    }
}
