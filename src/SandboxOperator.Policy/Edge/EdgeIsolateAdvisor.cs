using System.Globalization;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;

namespace SandboxOperator.Policy.Edge;

/// <summary>Advice on whether a workload could run as an edge isolate; <see cref="Reasons"/> say why (not).</summary>
public sealed record EdgeAdvice(bool Candidate, IReadOnlyList<string> Reasons);

/// <summary>
/// Decides whether an AgentWorkload could run as a V8-isolate edge function (a lightweight, stateless tool that needs
/// no cluster access) instead of a pod. Advice only: nothing enforces it, and it names no vendor.
/// </summary>
/// <remarks>
/// A candidate is of type Tool at tier Medium (no trait or riskTier raising it: those need Kata), and every known pod
/// or template of it is stateless and self-contained: no volume but emptyDir, no service-account token
/// (<c>automountServiceAccountToken: false</c>), no host namespaces, ports or user namespace, nothing privileged
/// (privileged, privilege escalation, added capabilities), and a memory limit on every container whose sum is at most
/// <see cref="MemoryBudgetBytes"/> (the memory an isolate typically gets). It fails closed: without any known pod, or
/// with a container without a memory limit, the answer is no, with the reason.
/// </remarks>
public static class EdgeIsolateAdvisor
{
    /// <summary>128 MiB: what an isolate of the common edge platforms may use.</summary>
    public const decimal MemoryBudgetBytes = 128m * 1024 * 1024;

    /// <summary>Pods named in one reason before the rest are counted.</summary>
    private const int NamedPods = 3;

    public static EdgeAdvice Assess(AgentWorkloadSpec spec, IReadOnlyList<(string Pod, EdgePodFacts Facts)> pods)
    {
        // The type or tier alone decides; the pods' needs are not listed then (the status stays small).
        if (spec.Type != WorkloadType.Tool)
        {
            return new EdgeAdvice(false, [$"type {spec.Type}: only a Tool can run as an edge isolate"]);
        }

        if (Tiering.Compute(spec) is { Tier: not RiskTier.Medium } tier)
        {
            return new EdgeAdvice(false, [$"tier {tier.Tier} ({string.Join("; ", tier.Reasons)}): it needs {tier.Runtime}"]);
        }

        if (pods.Count == 0)
        {
            return new EdgeAdvice(false, ["no pod or pod template of the workload is known, so what it needs cannot be checked"]);
        }

        // Each need once, with the pods that have it, in the order first seen.
        var needs = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (pod, facts) in pods)
        {
            foreach (var need in facts.Needs.Append(MemoryNeed(facts)).OfType<string>())
            {
                if (!needs.TryGetValue(need, out var having))
                {
                    needs[need] = having = [];
                }

                having.Add(pod);
            }
        }

        if (needs.Count > 0)
        {
            return new EdgeAdvice(false, [.. needs.Select(n => $"{Named(n.Value)}: {n.Key}")]);
        }

        return new EdgeAdvice(true, [$"a stateless Tool: {pods.Count} pod(s) or template(s) with only emptyDir volumes, no service-account token, no host features or privileges, memory within {Mebibytes(MemoryBudgetBytes)}; it could run as an edge isolate instead of a pod (advice only)"]);
    }

    private static string? MemoryNeed(EdgePodFacts facts)
    {
        if (facts.MemoryLimitBytes is not { } memory || facts.InitMemoryLimitBytes is not { } init)
        {
            return "a container has no memory limit, so its footprint is unknown";
        }

        var largest = Math.Max(memory, init);
        return largest > MemoryBudgetBytes ? $"memory limit {Mebibytes(largest)} exceeds the {Mebibytes(MemoryBudgetBytes)} an isolate gets" : null;
    }

    private static string Named(List<string> pods) =>
        string.Join(", ", pods.Take(NamedPods)) + (pods.Count > NamedPods ? $" and {pods.Count - NamedPods} more" : "");

    private static string Mebibytes(decimal bytes) => (bytes / (1024m * 1024)).ToString("0.##", CultureInfo.InvariantCulture) + "Mi";
}
