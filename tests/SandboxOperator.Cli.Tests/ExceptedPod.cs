using k8s;
using k8s.Models;
using SandboxOperator.Policy.Api;
using SandboxOperator.Testing.KubeApi;

namespace SandboxOperator.Cli.Tests;

/// <summary>
/// A cluster fixture for the live readers: the Agent <c>coder</c>'s pod <c>coder-1</c> in gVisor, which the
/// SandboxException <c>coder-gvisor</c> (RunInGVisor, owner team-agents) allows until <see cref="ExpiresAt"/>.
/// </summary>
internal static class ExceptedPod
{
    public static readonly DateTimeOffset ExpiresAt = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly ResourceType Exceptions = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.ExceptionKind, WellKnown.ExceptionPlural);

    /// <summary>Creates the RuntimeClass gvisor, the AgentWorkload, the exception and the pod in the existing namespace <paramref name="namespace"/>.</summary>
    public static async Task CreateAsync(IKubernetes client, string @namespace)
    {
        await client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "gvisor" }, Handler = "runsc" });
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new { apiVersion = WellKnown.ApiVersion, kind = WellKnown.Kind, metadata = new { name = "coder", @namespace }, spec = new { type = "Agent", selector = new { matchLabels = new { app = "coder" } } } },
            WellKnown.Group, WellKnown.Version, @namespace, WellKnown.Plural);
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new
            {
                apiVersion = WellKnown.ApiVersion,
                kind = WellKnown.ExceptionKind,
                metadata = new { name = "coder-gvisor", @namespace },
                spec = new { selector = new { matchLabels = new { app = "coder" } }, grant = "RunInGVisor", reason = "needs io_uring", owner = "team-agents", expiresAt = "2026-07-01T00:00:00Z" },
            },
            WellKnown.Group, WellKnown.Version, @namespace, WellKnown.ExceptionPlural);
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "coder-1", Labels = new Dictionary<string, string> { ["app"] = "coder" } },
            Spec = new V1PodSpec { RuntimeClassName = "gvisor", Containers = [new V1Container { Name = "c", Image = "x" }] },
        }, @namespace);
    }
}
