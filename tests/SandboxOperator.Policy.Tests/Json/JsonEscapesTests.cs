using System.Text;
using System.Text.Json;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Tests.Json;

/// <summary>Escape decoding, checked against <see cref="Utf8JsonReader.CopyString(Span{byte})"/> on random strings.</summary>
public sealed class JsonEscapesTests
{
    private static readonly string[] Pieces =
    [
        "a", "é", "😀", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0041", "\\u00e9", "\\u00E9", "\\u0000",
        "\\uffff", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\udbff\\udfff", "\\uD800", "\\uDC00", "\\uDBFF", "\\uDFFF", "\\\\uD800", "x\\\\",
    ];

    /// <summary>The reader's decoding of the string content, or null when it refuses it (an unpaired surrogate).</summary>
    private static byte[]? ReaderDecoding(string content)
    {
        var input = Encoding.UTF8.GetBytes("\"" + content + "\"");
        var reader = new Utf8JsonReader(input);
        reader.Read();
        var buffer = new byte[input.Length];
        try
        {
            return buffer.AsSpan(0, reader.CopyString(buffer)).ToArray();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    [Fact]
    public void Random_strings_decode_as_utf8jsonreader_decodes_them_and_unpaired_surrogates_are_refused_by_both()
    {
        var random = new Random(31);
        int decoded = 0, refused = 0;
        for (var n = 0; n < 5000; n++)
        {
            var content = string.Concat(Enumerable.Range(0, random.Next(8)).Select(_ => Pieces[random.Next(Pieces.Length)]));
            var raw = Encoding.UTF8.GetBytes(content);
            var expected = ReaderDecoding(content);
            var destination = new byte[raw.Length];
            var ok = JsonEscapes.TryUnescape(raw, destination, out var written);

            Assert.True(ok == (expected is not null), $"\"{content}\": reader {(expected is null ? "refuses" : "decodes")}, TryUnescape {(ok ? "decodes" : "refuses")}");
            Assert.Equal(ok, JsonEscapes.SurrogatesArePaired(raw));
            if (ok)
            {
                Assert.Equal(Convert.ToHexString(expected!), Convert.ToHexString(destination, 0, written));
                decoded++;
            }
            else
            {
                refused++;
            }
        }

        Assert.True(decoded > 1000 && refused > 1000, $"{decoded} decoded, {refused} refused");
    }
}
