using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.State;
using SandboxOperator.Webhook.StateSources;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Admission;

/// <summary>
/// SandboxExceptions over real HTTPS: the guard on creating and extending one, and pods admitted in gVisor under an
/// exception until the webhook's clock (a fake one) reaches its expiresAt.
/// </summary>
public sealed class SandboxExceptionReviewTests : IAsyncLifetime
{
    private static readonly (string Group, string Version, string Kind, string Resource) Exception = ("agentsandbox.io", "v1alpha1", "SandboxException", "sandboxexceptions");
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Expiry = Start.AddHours(1);
    private static readonly string[] Masters = ["system:authenticated", "system:masters"];
    private readonly FakeTimeProvider _time = new(Start);
    private RunningHost? _host;

    private RunningHost Host => _host!;

    public async Task InitializeAsync()
    {
        var state = new ClusterSnapshot(
            namespaces: [new("agents", new Dictionary<string, string>())],
            workloads: [new AgentWorkload("agents", "coder", new AgentWorkloadSpec { Type = WorkloadType.Agent, Selector = new LabelSelector { MatchLabels = new() { ["app"] = "coder" } } })],
            exceptions: [new SandboxException("agents", "coder-gvisor", new SandboxExceptionSpec
            {
                Selector = new LabelSelector { MatchLabels = new() { ["app"] = "coder" } },
                Grant = ExceptionGrant.RunInGVisor,
                Reason = "needs io_uring",
                Owner = "team-agents",
                ExpiresAt = Expiry,
            })]);
        _host = await RunningHost.StartAsync(services: s =>
        {
            s.AddSingleton<IClusterStateSource>(new StaticClusterStateSource(state));
            s.AddSingleton<TimeProvider>(_time);
        });
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    private static JsonObject Manifest(string expiresAt) => new()
    {
        ["apiVersion"] = "agentsandbox.io/v1alpha1",
        ["kind"] = "SandboxException",
        ["metadata"] = new JsonObject { ["name"] = "coder-gvisor", ["namespace"] = "agents", ["uid"] = "7c1e" },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "coder" } },
            ["grant"] = "RunInGVisor",
            ["reason"] = "needs io_uring",
            ["owner"] = "team-agents",
            ["expiresAt"] = expiresAt,
        },
    };

    [Fact]
    public async Task A_pod_runs_in_gVisor_under_the_exception_and_is_refused_from_its_expiry()
    {
        var pod = Reviews.PodObject("coder-1", "agents", new Dictionary<string, string> { ["app"] = "coder" });
        var mutate = await Host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", pod));
        Assert.True(mutate.Allowed);
        var ops = JsonNode.Parse(mutate.Patch!)!.AsArray();
        var mutated = (JsonObject)JsonPatch.Apply(pod, ops.Select(o => new PatchOperation((string)o!["op"]!, (string)o["path"]!, o["value"]?.DeepClone())).ToList())!;
        Assert.Equal("gvisor", (string?)mutated["spec"]!["runtimeClassName"]);
        Assert.Contains("SandboxException coder-gvisor", (string?)mutated["metadata"]!["annotations"]![WellKnown.ReasonsAnnotation], StringComparison.Ordinal);

        var validate = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", mutated));
        Assert.True(validate.Allowed, validate.Message);

        _time.Advance(Expiry - Start);
        var expired = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", mutated));
        Assert.False(expired.Allowed);
        Assert.Equal(403, expired.Code);
        Assert.Contains("AgentWorkload coder is High and needs runtimeClassName \"kata\"", expired.Message, StringComparison.Ordinal);
        Assert.Contains("SandboxException coder-gvisor (run in gVisor instead of Kata, owner team-agents) expired at 2026-06-01T13:00:00Z and no longer applies", expired.Warnings);
    }

    [Fact]
    public async Task Only_the_configured_groups_may_create_or_extend_an_exception()
    {
        var create = Reviews.Request(Exception, "CREATE", "agents", Manifest("2026-06-20T00:00:00Z"));
        var denied = await Host.ReviewAsync("/validate", create);
        Assert.False(denied.Allowed);
        Assert.Equal(403, denied.Code);
        Assert.Equal("creating SandboxException coder-gvisor weakens the sandbox of namespace agents and needs membership in one of: system:masters (the policy's exceptions.adminGroups)", denied.Message);

        var allowed = await Host.ReviewAsync("/validate", Reviews.Request(Exception, "CREATE", "agents", Manifest("2026-06-20T00:00:00Z"), groups: Masters));
        Assert.True(allowed.Allowed, allowed.Message);

        var extend = Reviews.Request(Exception, "UPDATE", "agents", Manifest("2026-07-20T00:00:00Z"), Manifest("2026-06-20T00:00:00Z"));
        Assert.False((await Host.ReviewAsync("/validate", extend)).Allowed);
    }

    [Fact]
    public async Task ExpiresAt_is_bounded_by_the_webhook_clock()
    {
        var tooFar = await Host.ReviewAsync("/validate", Reviews.Request(Exception, "CREATE", "agents", Manifest("2026-08-30T12:00:01Z"), groups: Masters));
        Assert.False(tooFar.Allowed);
        Assert.Contains("is more than 90 days ahead: the latest allowed now is 2026-08-30T12:00:00Z", tooFar.Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await Host.ReviewAsync("/validate", Reviews.Request(Exception, "CREATE", "agents", Manifest("2026-08-30T12:00:01Z"), groups: Masters))).Allowed);
    }
}
