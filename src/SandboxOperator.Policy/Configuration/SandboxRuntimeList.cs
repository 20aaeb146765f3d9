using System.Collections;

namespace SandboxOperator.Policy.Configuration;

/// <summary>
/// The sandbox runtimes of a <see cref="PolicyConfig"/>, strongest first (Kata, then gVisor). A struct
/// with a struct enumerator, so that <c>foreach</c> over it on the admission path allocates nothing;
/// LINQ over it works as over any list.
/// </summary>
public readonly struct SandboxRuntimeList(RuntimeSettings kata, RuntimeSettings gVisor) : IReadOnlyList<RuntimeSettings>
{
    public int Count => 2;

    public RuntimeSettings this[int index] => index switch
    {
        0 => kata,
        1 => gVisor,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "there are two sandbox runtimes"),
    };

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<RuntimeSettings> IEnumerable<RuntimeSettings>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator(SandboxRuntimeList list) : IEnumerator<RuntimeSettings>
    {
        private int _index = -1;

        public readonly RuntimeSettings Current => list[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < list.Count;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}
