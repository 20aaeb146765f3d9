using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Decisions;

/// <summary>Kubernetes label selector semantics: an empty selector matches everything, a null one nothing.</summary>
public static class LabelSelectorMatcher
{
    public static bool Matches(LabelSelector? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return false;
        }

        if (selector.MatchLabels is { } ml)
        {
            foreach (var (k, v) in ml)
            {
                if (!labels.TryGetValue(k, out var actual) || actual != v)
                {
                    return false;
                }
            }
        }

        if (selector.MatchExpressions is { } exprs)
        {
            foreach (var e in exprs)
            {
                var has = labels.TryGetValue(e.Key, out var value);
                var ok = e.Operator switch
                {
                    "In" => has && e.Values is not null && e.Values.Contains(value!),
                    "NotIn" => !has || e.Values is null || !e.Values.Contains(value!),
                    "Exists" => has,
                    "DoesNotExist" => !has,
                    _ => false,
                };
                if (!ok)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
