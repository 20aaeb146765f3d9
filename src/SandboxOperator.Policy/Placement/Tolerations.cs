using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Placement;

/// <summary>Kubernetes toleration matching, exactly as the scheduler applies it.</summary>
public static class Tolerations
{
    /// <summary>
    /// True when <paramref name="t"/> tolerates the taint: the effect matches (an empty effect matches all),
    /// and either the operator is <c>Exists</c> with an empty key (tolerates everything) or the same key, or the
    /// operator is <c>Equal</c>/empty with the same key and value. Operators are case-sensitive, as in Kubernetes.
    /// </summary>
    public static bool Tolerates(Toleration t, TaintRef taint)
    {
        if (t.Effect.Length > 0 && t.Effect != taint.Effect)
        {
            return false;
        }

        if (t.Operator == "Exists")
        {
            return t.Key.Length == 0 || t.Key == taint.Key;
        }

        return t.Key == taint.Key && t.Value == taint.Value;
    }

    /// <summary>The index of the first of <paramref name="tolerations"/> that tolerates the taint, or -1. Allocates nothing.</summary>
    public static int IndexOfTolerating(IReadOnlyList<Toleration> tolerations, TaintRef taint)
    {
        for (var i = 0; i < tolerations.Count; i++)
        {
            if (Tolerates(tolerations[i], taint))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A short rendering for messages, e.g. <c>{operator: Exists}</c> or <c>agentsandbox.io/pool=kata:NoSchedule</c>.</summary>
    public static string Describe(Toleration t)
    {
        if (t.Operator == "Exists")
        {
            var key = t.Key.Length == 0 ? "" : $"key: {t.Key}, ";
            var effect = t.Effect.Length == 0 ? "" : $", effect: {t.Effect}";
            return $"{{{key}operator: Exists{effect}}}";
        }

        return $"{t.Key}={t.Value}:{(t.Effect.Length == 0 ? "*" : t.Effect)}";
    }
}
