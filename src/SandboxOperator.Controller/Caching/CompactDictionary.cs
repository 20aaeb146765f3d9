using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// A small read-only string map stored as two arrays (linear lookup): far smaller than a Dictionary for the handful
/// of labels or selector entries a pod carries. Keys are unique; order is insertion order.
/// </summary>
public sealed class CompactDictionary : IReadOnlyDictionary<string, string>
{
    public static readonly CompactDictionary Empty = new([], []);

    private readonly string[] _keys;
    private readonly string[] _values;

    private CompactDictionary(string[] keys, string[] values)
    {
        _keys = keys;
        _values = values;
    }

    /// <summary>Copies <paramref name="source"/>, sharing its strings through <paramref name="pool"/>.</summary>
    public static CompactDictionary From(IReadOnlyDictionary<string, string>? source, ValuePool<string> pool)
    {
        if (source is null || source.Count == 0)
        {
            return Empty;
        }

        var keys = new string[source.Count];
        var values = new string[source.Count];
        var i = 0;
        foreach (var (k, v) in source)
        {
            keys[i] = pool.Share(k);
            values[i] = pool.Share(v);
            i++;
        }

        return new CompactDictionary(keys, values);
    }

    public int Count => _keys.Length;

    public IEnumerable<string> Keys => _keys;

    public IEnumerable<string> Values => _values;

    public string this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);

    public bool ContainsKey(string key) => Array.IndexOf(_keys, key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            if (string.Equals(_keys[i], key, StringComparison.Ordinal))
            {
                value = _values[i];
                return true;
            }
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            yield return new KeyValuePair<string, string>(_keys[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
