namespace SandboxOperator.Policy.Configuration;

/// <summary>
/// The RuntimeClass handlers that count as one sandbox runtime: exact names (<c>kata-qemu</c>) and prefixes ending in
/// <c>*</c> (<c>kata-qemu-*</c> for <c>kata-qemu-tdx</c>, <c>kata-qemu-snp</c>, ...). kata-deploy installs a handler per
/// hypervisor and confidential-computing flavour, and installs <c>kata</c> itself in many setups; gVisor is
/// <c>runsc</c>, sometimes <c>gvisor</c>.
/// </summary>
/// <remarks>
/// Compared by value, in order. A bare <c>*</c> is never valid: it would accept runc. <see cref="Matches"/> allocates
/// nothing: it runs on the admission path for every pod whose RuntimeClass is known.
/// </remarks>
public sealed class HandlerPatterns : IEquatable<HandlerPatterns>
{
    private readonly string[] _patterns;

    public HandlerPatterns(IEnumerable<string> patterns) => _patterns = [.. patterns];

    /// <summary>kata-deploy's handlers: kata-qemu and its variants, Cloud Hypervisor, Firecracker, Dragonball, StratoVirt, peer pods.</summary>
    public static HandlerPatterns DefaultKata { get; } = new(
        ["kata", "kata-qemu", "kata-qemu-*", "kata-clh", "kata-clh-*", "kata-cloud-hypervisor", "kata-dragonball", "kata-fc", "kata-stratovirt", "kata-remote"]);

    public static HandlerPatterns DefaultGVisor { get; } = new(["runsc", "gvisor"]);

    public IReadOnlyList<string> Patterns => _patterns;

    /// <summary>Whether <paramref name="handler"/> is one of the names or starts with one of the prefixes.</summary>
    public bool Matches(string handler)
    {
        foreach (var p in _patterns)
        {
            if (p.EndsWith('*') ? handler.AsSpan().StartsWith(p.AsSpan(0, p.Length - 1), StringComparison.Ordinal) : handler == p)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An entry of each list that accept a handler in common, or null: a handler cannot belong to two runtimes.</summary>
    public (string Mine, string Theirs)? Overlap(HandlerPatterns other)
    {
        foreach (var a in Patterns)
        {
            foreach (var b in other.Patterns)
            {
                var (pa, pb) = (a.TrimEnd('*'), b.TrimEnd('*'));
                var shared = (a.EndsWith('*'), b.EndsWith('*')) switch
                {
                    (false, false) => a == b,
                    (true, false) => b.StartsWith(pa, StringComparison.Ordinal),
                    (false, true) => a.StartsWith(pb, StringComparison.Ordinal),
                    _ => pa.StartsWith(pb, StringComparison.Ordinal) || pb.StartsWith(pa, StringComparison.Ordinal),
                };
                if (shared)
                {
                    return (a, b);
                }
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="pattern"/> is a handler name (an RFC 1123 label) or such a prefix followed by <c>*</c>.</summary>
    public static bool IsValid(string pattern)
    {
        var name = pattern.EndsWith('*') ? pattern[..^1] : pattern;
        if (name.Length == 0 || name.Length > 63 || name.Contains('*', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return name[0] != '-' && (pattern.EndsWith('*') || name[^1] != '-');
    }

    public bool Equals(HandlerPatterns? other) => other is not null && Patterns.SequenceEqual(other.Patterns, StringComparer.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as HandlerPatterns);

    public override int GetHashCode() => Patterns.Aggregate(0, (h, p) => HashCode.Combine(h, StringComparer.Ordinal.GetHashCode(p)));

    public override string ToString() => string.Join(", ", Patterns);
}
