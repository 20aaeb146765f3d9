using System.Collections.Concurrent;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// Shares equal strings (and other immutable values) that recur across cached objects — namespaces, label keys and
/// values, RuntimeClass and node names, tolerations — so 50,000 pods do not hold 50,000 copies of each.
/// </summary>
/// <remarks>Bounded: when it holds <c>capacity</c> entries it starts afresh, so churn (e.g. pod-template-hash labels) cannot grow it without limit.</remarks>
public sealed class ValuePool<T>(int capacity = 65_536)
    where T : notnull
{
    private ConcurrentDictionary<T, T> _values = new();

    public T Share(T value)
    {
        var values = _values;
        if (values.TryGetValue(value, out var shared))
        {
            return shared;
        }

        if (values.Count >= capacity)
        {
            _values = values = new ConcurrentDictionary<T, T>();
        }

        return values.GetOrAdd(value, value);
    }
}
