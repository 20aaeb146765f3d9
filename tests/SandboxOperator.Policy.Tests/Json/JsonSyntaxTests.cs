using System.Text;
using System.Text.Json;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Tests.Json;

/// <summary>
/// The pruner's own JSON scanning, checked against <see cref="Utf8JsonReader"/>: the same texts must be
/// refused as not JSON, kept parts and dropped parts alike, and the messages must say where and why.
/// </summary>
public sealed class JsonSyntaxTests
{
    private static readonly JsonFieldSet All = JsonFieldSet.All;

    private static JsonPruneError? Prune(byte[] input, JsonFieldSet keep, int maxDepth = 64) =>
        JsonPruner.Prune(input, keep, new byte[input.Length], maxDepth, out _);

    private static bool ReaderAccepts(byte[] input, int maxDepth)
    {
        try
        {
            var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = maxDepth });
            while (reader.Read())
            {
                // Reads every token; a syntax error throws.
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // ---- Agreement with Utf8JsonReader ----

    [Fact]
    public void Mutated_documents_are_refused_as_not_json_exactly_when_utf8jsonreader_refuses_them()
    {
        var random = new Random(20261123);
        int accepted = 0, refused = 0, otherRefusals = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var text = new StringBuilder(RandomJson.Write(RandomJson.Value(random, depth: 0), random));
            var mutations = random.Next(4);
            for (var m = 0; m < mutations; m++)
            {
                Mutate(random, text);
            }

            var input = Encoding.UTF8.GetBytes(text.ToString());
            var maxDepth = random.Next(3) == 0 ? random.Next(1, 5) : 64;
            var keep = random.Next(4) == 0 ? All : RandomKeep(random, depth: 0);
            var expectedValid = ReaderAccepts(input, maxDepth);
            var error = Prune(input, keep, maxDepth);
            var context = $"case #{n}, max depth {maxDepth}: {text}";
            if (error is { Kind: not JsonPruneErrorKind.Syntax })
            {
                // A duplicate or an unpaired surrogate in the kept part, found before any syntax error.
                otherRefusals++;
                continue;
            }

            Assert.True(expectedValid == (error is null), $"{context}\nUtf8JsonReader {(expectedValid ? "accepts" : "refuses")}, the pruner {(error is null ? "accepts" : "refuses: " + error.Message)}");
            if (expectedValid)
            {
                accepted++;
            }
            else
            {
                refused++;
            }
        }

        Assert.True(accepted > 4000 && refused > 4000, $"{accepted} accepted, {refused} refused: the mutations do not exercise both sides");
        Assert.True(otherRefusals < 2000, $"{otherRefusals} cases ended on duplicates or escapes");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("-0.0e+0")]
    [InlineData("1E-2")]
    [InlineData("12345678901234567890123")]
    [InlineData("\"\"")]
    [InlineData("\"\\u0000\\uFFFF\\/\"")]
    [InlineData(" \t\r\n[ ] ")]
    [InlineData("{\"a\" : [ 1 , { } , [ ] , \"\" ] }")]
    [InlineData("\"\u007f\"")]
    [InlineData("-")]
    [InlineData("-a")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData("01")]
    [InlineData("-01")]
    [InlineData("1.5.2")]
    [InlineData("0x10")]
    [InlineData("Infinity")]
    [InlineData("truee")]
    [InlineData("nul")]
    [InlineData("\"\\U0041\"")]
    [InlineData("\"\\u00G1\"")]
    [InlineData("\"\\u00")]
    [InlineData("\"\\")]
    [InlineData("\"a\tb\"")]
    [InlineData("\"\u001f\"")]
    [InlineData("\ufeff{}")]
    [InlineData("{}\u0000")]
    [InlineData("[1,]")]
    [InlineData("[,1]")]
    [InlineData("{,}")]
    [InlineData("{\"a\":1,,\"b\":2}")]
    [InlineData("{\"a\"}")]
    [InlineData("{\"a\":}")]
    [InlineData("{1:1}")]
    [InlineData("[}")]
    [InlineData("{]")]
    [InlineData("[1 2]")]
    [InlineData("\f[]")]
    [InlineData("[]\v")]
    public void Edge_cases_of_the_grammar_are_judged_as_utf8jsonreader_judges_them(string text)
    {
        var input = Encoding.UTF8.GetBytes(text);
        var expected = ReaderAccepts(input, 64);
        var dropping = JsonFieldSet.Object(("keep", All));
        var wrapped = Encoding.UTF8.GetBytes("{\"drop\":" + text + ",\"keep\":1}");
        var expectedWrapped = ReaderAccepts(wrapped, 64);

        Assert.Equal(expected, Prune(input, All) is null);
        Assert.Equal(expectedWrapped, Prune(wrapped, dropping) is null);
    }

    // ---- Messages ----

    [Theory]
    [InlineData("{\"keep\":1,}", "line 1, column 11: expected a property name in double quotes, found '}' (at keep)")]
    [InlineData("{\"keep\":1 \"x\":2}", "line 1, column 11: expected ',' or '}' after the property value, found '\"' (at keep)")]
    [InlineData("{\"keep\":[1,2", "line 1, column 13: expected ',' or ']' after the array element, found the end of the text (at keep[1])")]
    [InlineData("{\"keep\" 1}", "line 1, column 9: expected ':' after the property name, found '1' (at keep)")]
    [InlineData("{\"keep\":1} x", "line 1, column 12: unexpected text after the JSON value, found 'x'")]
    [InlineData("{\"keep\":nul}", "line 1, column 9: invalid literal (expected true, false or null), found 'n' (at keep)")]
    [InlineData("{\"keep\":-x}", "line 1, column 10: invalid number, found 'x' (at keep)")]
    [InlineData("{\"keep\":\"a\\qb\"}", "line 1, column 11: invalid escape in a string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found '\\' (at keep)")]
    [InlineData("{\"keep\":\"a\u0001\"}", "line 1, column 11: a control character inside a string must be written as an escape, found U+0001 (at keep)")]
    [InlineData("{\"keep\":\"abc", "line 1, column 13: the string has no closing '\"', found the end of the text (at keep)")]
    [InlineData("{\n  \"drop\": {\n    \"é\": [tru]\n  },\n  \"keep\": 1\n}", "line 3, column 11: invalid literal (expected true, false or null), found 't' (at drop)")]
    [InlineData("  ", "line 1, column 3: the text is empty: expected a JSON value")]
    [InlineData("{\"keep\":{\"a\":{\"b\":{}}}}", "line 1, column 19: nesting exceeds the maximum depth of 3 (at keep.a.b)")]
    [InlineData("{\"drop\":[[[[]]]]}", "line 1, column 11: nesting exceeds the maximum depth of 3 (at drop)")]
    public void A_syntax_error_names_the_line_and_column_what_was_expected_and_what_was_found(string text, string message)
    {
        var error = Prune(Encoding.UTF8.GetBytes(text), JsonFieldSet.Object(("keep", All)), maxDepth: 3);
        Assert.NotNull(error);
        Assert.Equal(JsonPruneErrorKind.Syntax, error.Kind);
        Assert.Equal(message, error.Message);
    }

    // ---- Generators ----

    private const string Structural = "{}[],:\"";

    /// <summary>Single characters that make or break JSON syntax.</summary>
    private const string Alphabet = "{}[]:,\"\\/ \t\n0123456789-+.eEtrufalsnxuA\u0001\u001f\u007fé";

    /// <summary>
    /// Inserts, deletes or replaces one character; half the time next to a structural character, where
    /// most grammar rules apply (a comma before a closing bracket, a missing colon, ...).
    /// </summary>
    private static void Mutate(Random random, StringBuilder text)
    {
        var at = random.Next(text.Length + 1);
        var c = Alphabet[random.Next(Alphabet.Length)];
        if (random.Next(2) == 0)
        {
            var structural = Enumerable.Range(0, text.Length).Where(i => Structural.Contains(text[i], StringComparison.Ordinal)).ToList();
            if (structural.Count > 0)
            {
                at = structural[random.Next(structural.Count)] + random.Next(2);
                c = Structural[random.Next(Structural.Length)];
            }
        }
        switch (random.Next(3))
        {
            case 0:
                text.Insert(at, c);
                break;
            case 1 when at < text.Length && !char.IsSurrogate(text[at]):
                text.Remove(at, 1);
                break;
            case 2 when at < text.Length && !char.IsSurrogate(text[at]):
                text[at] = c;
                break;
        }
    }

    /// <summary>A field set whose root is an object, so that most documents have kept and dropped parts.</summary>
    private static JsonFieldSet RandomKeep(Random random, int depth)
    {
        var roll = depth == 0 ? 5 : random.Next(10);
        if (depth >= 3 || roll < 3)
        {
            return All;
        }

        if (roll < 8)
        {
            var names = RandomJson.Names.OrderBy(_ => random.Next()).Take(random.Next(6));
            return JsonFieldSet.Object([.. names.Select(n => (n, RandomKeep(random, depth + 1)))]);
        }

        return JsonFieldSet.ArrayOf(RandomKeep(random, depth + 1));
    }

    [Fact]
    public void The_generators_produce_documents_that_utf8jsonreader_accepts_before_mutation()
    {
        var random = new Random(5);
        for (var n = 0; n < 500; n++)
        {
            var text = RandomJson.Write(RandomJson.Value(random, depth: 0), random);
            var input = Encoding.UTF8.GetBytes(text);
            Assert.True(ReaderAccepts(input, 64), text);
            Assert.Null(Prune(input, RandomKeep(random, 0)) is { Kind: JsonPruneErrorKind.Syntax } e ? e.Message : null);
        }
    }
}
