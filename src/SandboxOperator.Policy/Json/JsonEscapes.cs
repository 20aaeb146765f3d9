using System.Text;

namespace SandboxOperator.Policy.Json;

/// <summary>
/// Decoding of the escapes in the content of a JSON string (the bytes between its quotes) that
/// <see cref="JsonSyntax.ScanString"/> has already found well formed.
/// </summary>
/// <remarks>
/// A <c>\u</c> escape of a UTF-16 surrogate decodes only as half of a high-low pair written as two
/// consecutive escapes. An unpaired one is refused rather than replaced: Go's decoder, which the API
/// server uses, reads it as U+FFFD, so any other reading would differ from the object that is stored.
/// </remarks>
internal static class JsonEscapes
{
    /// <summary>False when the content has a <c>\u</c> escape of an unpaired surrogate.</summary>
    public static bool SurrogatesArePaired(ReadOnlySpan<byte> content)
    {
        var i = 0;
        while (true)
        {
            var next = content[i..].IndexOf((byte)'\\');
            if (next < 0)
            {
                return true;
            }

            i += next;
            if (content[i + 1] != (byte)'u')
            {
                i += 2;
                continue;
            }

            var unit = Hex4(content, i + 2);
            if (!char.IsSurrogate((char)unit))
            {
                i += 6;
                continue;
            }

            if (!IsPairAt(content, i, unit))
            {
                return false;
            }

            i += 12;
        }
    }

    /// <summary>
    /// Decodes <paramref name="content"/> into <paramref name="destination"/> (never longer than the
    /// content) as UTF-8; false for an unpaired surrogate escape.
    /// </summary>
    public static bool TryUnescape(ReadOnlySpan<byte> content, Span<byte> destination, out int written)
    {
        var w = 0;
        var i = 0;
        while (i < content.Length)
        {
            var next = content[i..].IndexOf((byte)'\\');
            var plain = next < 0 ? content.Length - i : next;
            content.Slice(i, plain).CopyTo(destination[w..]);
            w += plain;
            i += plain;
            if (i == content.Length)
            {
                break;
            }

            var escape = content[i + 1];
            if (escape != (byte)'u')
            {
                destination[w++] = escape switch
                {
                    (byte)'b' => (byte)'\b',
                    (byte)'f' => (byte)'\f',
                    (byte)'n' => (byte)'\n',
                    (byte)'r' => (byte)'\r',
                    (byte)'t' => (byte)'\t',
                    _ => escape, // \" \\ \/
                };
                i += 2;
                continue;
            }

            var unit = Hex4(content, i + 2);
            Rune rune;
            if (!char.IsSurrogate((char)unit))
            {
                rune = new Rune(unit);
                i += 6;
            }
            else if (IsPairAt(content, i, unit))
            {
                rune = new Rune((char)unit, (char)Hex4(content, i + 8));
                i += 12;
            }
            else
            {
                written = 0;
                return false;
            }

            w += rune.EncodeToUtf8(destination[w..]);
        }

        written = w;
        return true;
    }

    /// <summary>Whether the surrogate <paramref name="unit"/> escaped at <paramref name="i"/> is a high one followed by an escaped low one.</summary>
    private static bool IsPairAt(ReadOnlySpan<byte> content, int i, int unit) =>
        char.IsHighSurrogate((char)unit)
        && i + 12 <= content.Length
        && content[i + 6] == (byte)'\\'
        && content[i + 7] == (byte)'u'
        && char.IsLowSurrogate((char)Hex4(content, i + 8));

    private static int Hex4(ReadOnlySpan<byte> content, int start)
    {
        var value = 0;
        for (var k = start; k < start + 4; k++)
        {
            var b = content[k];
            value = (value << 4) | (b <= (byte)'9' ? b - '0' : (b | 0x20) - 'a' + 10);
        }

        return value;
    }
}
