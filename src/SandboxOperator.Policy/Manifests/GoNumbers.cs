namespace SandboxOperator.Policy.Manifests;

/// <summary>
/// Go's <c>strconv.ParseInt(s, 0, 64)</c> and <c>strconv.ParseUint(s, 0, 64)</c>, which go-yaml v2 uses to read
/// integers: base prefixes <c>0x</c>, <c>0o</c>, <c>0b</c> (either case) and a bare leading <c>0</c> for octal.
/// </summary>
/// <remarks>Callers remove underscores first, as go-yaml does; these functions accept none.</remarks>
internal static class GoNumbers
{
    /// <summary>A signed 64-bit integer with an optional sign; false on a syntax error or overflow.</summary>
    public static bool TryParseInt(string s, out long value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return false;
        }

        var negative = s[0] == '-';
        var digits = s[0] is '+' or '-' ? s[1..] : s;
        if (!TryParseUInt(digits, out var magnitude))
        {
            return false;
        }

        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return false;
            }

            value = magnitude == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)magnitude;
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            return false;
        }

        value = (long)magnitude;
        return true;
    }

    /// <summary>An unsigned 64-bit integer without a sign; false on a syntax error or overflow.</summary>
    public static bool TryParseUInt(string s, out ulong value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return false;
        }

        var radix = 10u;
        var start = 0;
        if (s[0] == '0')
        {
            (radix, start) = s.Length >= 3 && char.ToLowerInvariant(s[1]) is 'x' ? (16u, 2)
                : s.Length >= 3 && char.ToLowerInvariant(s[1]) is 'o' ? (8u, 2)
                : s.Length >= 3 && char.ToLowerInvariant(s[1]) is 'b' ? (2u, 2)
                : (8u, 1);
        }

        foreach (var c in s.AsSpan(start))
        {
            var d = c switch
            {
                >= '0' and <= '9' => (uint)(c - '0'),
                >= 'a' and <= 'z' => (uint)(c - 'a' + 10),
                >= 'A' and <= 'Z' => (uint)(c - 'A' + 10),
                _ => uint.MaxValue,
            };
            if (d >= radix)
            {
                return false;
            }

            if (value > (ulong.MaxValue - d) / radix)
            {
                return false;
            }

            value = (value * radix) + d;
        }

        return true;
    }
}
