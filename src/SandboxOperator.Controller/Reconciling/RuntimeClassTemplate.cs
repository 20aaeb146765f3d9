using k8s.Models;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// The RuntimeClass the operator maintains for a sandbox runtime: its handler, <c>overhead.podFixed</c> and
/// <c>scheduling</c> (the pool's nodeSelector and a toleration of the pool's taint). Pure.
/// </summary>
public static class RuntimeClassTemplate
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "sandbox-operator";

    public static V1RuntimeClass Build(RuntimeSettings settings) => new()
    {
        ApiVersion = "node.k8s.io/v1",
        Kind = "RuntimeClass",
        Metadata = new V1ObjectMeta
        {
            Name = settings.RuntimeClassName,
            Labels = new Dictionary<string, string> { [ManagedByLabel] = ManagedByValue },
        },
        Handler = settings.Handler,
        Overhead = settings.Overhead is { } o
            ? new V1Overhead { PodFixed = new Dictionary<string, ResourceQuantity> { ["memory"] = new(o.Memory), ["cpu"] = new(o.Cpu) } }
            : null,
        Scheduling = new V1Scheduling
        {
            NodeSelector = new Dictionary<string, string> { [settings.Pool.Label.Key] = settings.Pool.Label.Value },
            Tolerations =
            [
                new V1Toleration { Key = settings.Pool.Taint.Key, OperatorProperty = "Equal", Value = settings.Pool.Taint.Value, Effect = settings.Pool.Taint.Effect },
            ],
        },
    };

    /// <summary>Whether the cached class has the template's overhead and scheduling (the handler is compared separately: it is immutable).</summary>
    public static bool Matches(RuntimeClassEntry actual, RuntimeSettings settings)
    {
        var info = actual.Info;
        var selectorOk = info.NodeSelector.Count == 1
            && info.NodeSelector.TryGetValue(settings.Pool.Label.Key, out var v) && v == settings.Pool.Label.Value;
        var taint = settings.Pool.Taint;
        var tolerationOk = info.Tolerations.Count == 1
            && info.Tolerations[0] is { } t && t.Key == taint.Key && t.Operator == "Equal" && t.Value == taint.Value && t.Effect == taint.Effect;
        return selectorOk && tolerationOk && OverheadMatches(actual.OverheadPodFixed, settings.Overhead);
    }

    private static bool OverheadMatches(IReadOnlyDictionary<string, string> actual, ResourceOverhead? wanted)
    {
        if (wanted is null)
        {
            return actual.Count == 0;
        }

        return actual.Count == 2
            && actual.TryGetValue("memory", out var m) && SameQuantity(m, wanted.Memory)
            && actual.TryGetValue("cpu", out var c) && SameQuantity(c, wanted.Cpu);
    }

    private static bool SameQuantity(string a, string b)
    {
        try
        {
            return new ResourceQuantity(a).ToDecimal() == new ResourceQuantity(b).ToDecimal();
        }
        catch (FormatException)
        {
            return a == b;
        }
    }
}
