using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>
/// Asks the API server, with server-side dry runs that store nothing, whether it calls the operator's
/// webhooks: in a namespace labelled <c>agentsandbox.io/enforce=kata</c> a plain pod must come back in
/// Kata (mutating webhook) and an MCP pod asking for gVisor must be refused (validating webhook).
/// </summary>
public static class WebhookProbe
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>Null when both webhooks answer; otherwise what the API server did instead.</summary>
    public static async Task<string?> WhyNotAnsweringAsync(IKubernetes client, string enforcedNamespace, CancellationToken cancellationToken = default)
    {
        try
        {
            var mutated = await client.CoreV1.CreateNamespacedPodAsync(Pod("probe", null, null), enforcedNamespace, dryRun: "All", cancellationToken: cancellationToken);
            if (mutated.Spec.RuntimeClassName != "kata")
            {
                return "a pod in an enforced namespace was admitted without Kata (the mutating webhook was not called)";
            }

            await client.CoreV1.CreateNamespacedPodAsync(Pod("probe-mcp", "mcp-server", "gvisor"), enforcedNamespace, dryRun: "All", cancellationToken: cancellationToken);
            return "an MCP pod asking for gVisor was admitted (the validating webhook was not called)";
        }
        catch (HttpOperationException e) when (e.Response.Content.Contains("denied the request", StringComparison.Ordinal))
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            return e.Response.Content;
        }
    }

    /// <summary>Null when the API server admits pods without calling any webhook (after the configurations were deleted).</summary>
    public static async Task<string?> WhyStillCalledAsync(IKubernetes client, string enforcedNamespace, CancellationToken cancellationToken = default)
    {
        try
        {
            var pod = await client.CoreV1.CreateNamespacedPodAsync(Pod("probe", null, null), enforcedNamespace, dryRun: "All", cancellationToken: cancellationToken);
            return pod.Spec.RuntimeClassName is null ? null : "the mutating webhook still set runtimeClassName";
        }
        catch (HttpOperationException e)
        {
            return e.Response.Content;
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it returns null; throws with the last answer and the replica's log tail after <paramref name="timeout"/>.</summary>
    public static async Task WaitAsync(Func<CancellationToken, Task<string?>> probe, string what, TimeSpan timeout, LocalProcess? replica = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? why;
        while ((why = await probe(cancellationToken)) is not null)
        {
            replica?.ThrowIfExited();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout} waiting until {what}: {why}{(replica is null ? "" : $"\n{replica.Name}'s last lines:\n{replica.Tail()}")}");
            }

            await Task.Delay(Poll, cancellationToken);
        }
    }

    private static V1Pod Pod(string name, string? workloadType, string? runtimeClassName) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = workloadType is null ? null : new Dictionary<string, string> { ["agentsandbox.io/workload-type"] = workloadType },
        },
        Spec = new V1PodSpec { RuntimeClassName = runtimeClassName, Containers = [new V1Container { Name = "main", Image = "registry.example/none:1" }] },
    };
}
