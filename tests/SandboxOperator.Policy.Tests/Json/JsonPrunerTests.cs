using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Tests.Json;

/// <summary>
/// Pruning JSON to a field set: exact output for small schemas, what is refused (and where), and a
/// randomized comparison with a pruning done independently on parsed documents.
/// </summary>
public class JsonPrunerTests
{
    private static readonly JsonFieldSet All = JsonFieldSet.All;

    private static JsonFieldSet Obj(params (string Name, JsonFieldSet Value)[] properties) => JsonFieldSet.Object(properties);

    private static JsonFieldSet Keep(params string[] names) => JsonFieldSet.Object([.. names.Select(n => (n, All))]);

    /// <summary>
    /// Prunes and parses into a buffer exactly as long as the input, so any output longer than the input fails;
    /// the output is the parsed document's text.
    /// </summary>
    private static (string? Output, JsonPruneError? Error) Prune(string json, JsonFieldSet keep, int maxDepth = 64)
    {
        var input = Encoding.UTF8.GetBytes(json);
        var error = JsonPruner.Parse(input, keep, new byte[input.Length], maxDepth, out var document);
        using (document)
        {
            return (document?.RootElement.GetRawText(), error);
        }
    }

    private static string Pruned(string json, JsonFieldSet keep, int maxDepth = 64)
    {
        var (output, error) = Prune(json, keep, maxDepth);
        Assert.True(error is null, $"refused: {error?.Kind} {error?.Message}");
        return output!;
    }

    private static JsonPruneError Refused(string json, JsonFieldSet keep, int maxDepth = 64)
    {
        var (output, error) = Prune(json, keep, maxDepth);
        Assert.True(error is not null, $"accepted, giving {output}");
        return error!;
    }

    // ---- What is kept, and how it is written ----

    [Fact]
    public void Only_the_listed_properties_are_kept_in_the_inputs_order()
    {
        Assert.Equal("""{"b":2,"d":4}""", Pruned("""{"a":1,"b":2,"c":3,"d":4,"e":5}""", Keep("d", "b")));
    }

    [Fact]
    public void An_object_whose_listed_properties_are_all_absent_becomes_empty()
    {
        Assert.Equal("{}", Pruned("""{"x":1,"y":{"z":[1,2]}}""", Keep("a")));
        Assert.Equal("""{"a":{}}""", Pruned("""{"a":{"b":1,"c":2}}""", Obj(("a", Obj()))));
        Assert.Equal("{}", Pruned("{}", Keep("a")));
        Assert.Equal("[]", Pruned("[]", JsonFieldSet.ArrayOf(Keep("a"))));
    }

    [Fact]
    public void Nested_objects_are_pruned_at_every_level()
    {
        var keep = Obj(("metadata", Keep("name")), ("spec", Obj(("securityContext", Keep("privileged")))));
        var json = """{"apiVersion":"v1","metadata":{"name":"p","uid":"u-1","managedFields":[{"manager":"kubectl"}]},"spec":{"replicas":3,"securityContext":{"runAsUser":0,"privileged":true}},"status":{"phase":"Running"}}""";
        Assert.Equal("""{"metadata":{"name":"p"},"spec":{"securityContext":{"privileged":true}}}""", Pruned(json, keep));
    }

    [Fact]
    public void Every_element_of_an_array_is_pruned_through_the_item_schema()
    {
        var keep = Obj(("containers", JsonFieldSet.ArrayOf(Obj(("name", All), ("securityContext", Keep("privileged"))))));
        var json = """{"containers":[{"name":"a","image":"x","env":[{"name":"K","value":"V"}]},{"image":"y","securityContext":{"privileged":false,"runAsUser":1},"name":"b"},{}]}""";
        Assert.Equal("""{"containers":[{"name":"a"},{"securityContext":{"privileged":false},"name":"b"},{}]}""", Pruned(json, keep));
    }

    [Fact]
    public void Arrays_of_arrays_are_pruned_element_by_element()
    {
        var keep = JsonFieldSet.ArrayOf(JsonFieldSet.ArrayOf(Keep("k")));
        Assert.Equal("""[[{"k":1},{}],[],[{"k":[2]}]]""", Pruned("""[[{"k":1,"x":0},{"y":0}],[],[{"k":[2],"z":{"a":1}}]]""", keep));
    }

    [Fact]
    public void Kept_values_are_copied_byte_for_byte_while_the_structure_around_them_is_written_compactly()
    {
        var json = "{ \"keep\" : { \"x\" : [ 1 , \"a\\u0041\\n\" ]\n } ,\r\n \"drop\" : [ 1, 2 ] , \"s\" : \"t\\\"u\\/\\u00e9\" , \"n\" : -1.50E+3 , \"b\" :\ttrue , \"z\" : null }";
        Assert.Equal("{\"keep\":{ \"x\" : [ 1 , \"a\\u0041\\n\" ]\n },\"s\":\"t\\\"u\\/\\u00e9\",\"n\":-1.50E+3,\"b\":true,\"z\":null}", Pruned(json, Keep("keep", "s", "n", "b", "z")));
    }

    [Fact]
    public void Keeping_everything_copies_the_root_value_without_its_surrounding_whitespace()
    {
        var json = "{ \"a\" : [ 1 , { \"b\" : \"\\u0063\" } ] ,\n\"c\":{} }";
        Assert.Equal(json, Pruned(" \n\t" + json + " \r\n", All));
        Assert.Equal("\"x\\ty\"", Pruned("  \"x\\ty\"  ", All));
        Assert.Equal("12.5e-1", Pruned(" 12.5e-1 ", All));
    }

    [Fact]
    public void Structured_arrays_are_written_compactly_around_elements_kept_whole()
    {
        var keep = Obj(("items", JsonFieldSet.ArrayOf(All)));
        Assert.Equal("""{"items":[1,{ "a" : 1 },[ 2 ],"s"]}""", Pruned("""{ "items" : [ 1 , { "a" : 1 } , [ 2 ] , "s" ] }""", keep));
    }

    [Theory]
    [InlineData("""{"spec":"oops","other":1}""", """{"spec":"oops"}""")]
    [InlineData("""{"spec":42}""", """{"spec":42}""")]
    [InlineData("""{"spec":null}""", """{"spec":null}""")]
    [InlineData("""{"spec":true}""", """{"spec":true}""")]
    [InlineData("""{"spec":[ {"containers":1, "x":2} ]}""", """{"spec":[ {"containers":1, "x":2} ]}""")]
    [InlineData("""{"spec":{"containers":{"name":"a", "image":"x"}}}""", """{"spec":{"containers":{"name":"a", "image":"x"}}}""")]
    [InlineData("""{"spec":{"containers":"a"}}""", """{"spec":{"containers":"a"}}""")]
    [InlineData("""{"spec":{"containers":[{"name":"a","image":"x"}, "str", 5, null, [1, {"image":"y"}]]}}""", """{"spec":{"containers":[{"name":"a"},"str",5,null,[1, {"image":"y"}]]}}""")]
    public void A_value_of_an_unexpected_json_type_is_kept_whole(string json, string expected)
    {
        var keep = Obj(("spec", Obj(("containers", JsonFieldSet.ArrayOf(Keep("name"))))));
        Assert.Equal(expected, Pruned(json, keep));
    }

    [Fact]
    public void A_root_of_an_unexpected_type_is_kept_whole()
    {
        Assert.Equal("""[ {"a":1, "b":2} ]""", Pruned(""" [ {"a":1, "b":2} ] """, Keep("a")));
        Assert.Equal("""{ "a" : 1 }""", Pruned("""{ "a" : 1 }""", JsonFieldSet.ArrayOf(Keep("a"))));
        Assert.Equal("\"text\"", Pruned("\"text\"", Keep("a")));
    }

    // ---- Names compared after unescaping ----

    [Theory]
    [InlineData("""{"spe\u0063":{"na\u006De":"x","other":1},"\u0073tatus":2}""", """{"spe\u0063":{"na\u006De":"x"}}""")]
    [InlineData("""{"\u0073\u0070\u0065\u0063":{"name":"x"}}""", """{"\u0073\u0070\u0065\u0063":{"name":"x"}}""")]
    [InlineData("""{"SPEC":{"name":"x"},"spec ":1,"spec":{"name":"y"}}""", """{"spec":{"name":"y"}}""")]
    [InlineData("""{"spec":{"name":"x"},"a\/b":1,"caf\u00e9":2,"\ud83d\ude00":3,"":4}""", """{"spec":{"name":"x"},"a\/b":1,"caf\u00e9":2,"\ud83d\ude00":3,"":4}""")]
    [InlineData("""{"spec":{"name":"x"},"a/b":1,"café":2,"😀":3,"\"q\"":5}""", """{"spec":{"name":"x"},"a/b":1,"café":2,"😀":3,"\"q\"":5}""")]
    public void Escaped_property_names_match_the_schema_names_they_spell_and_keep_their_spelling(string json, string expected)
    {
        var keep = Obj(("spec", Keep("name")), ("a/b", All), ("café", All), ("😀", All), ("", All), ("\"q\"", All));
        Assert.Equal(expected, Pruned(json, keep));
    }

    // ---- Duplicate keys ----

    [Theory]
    [InlineData("""{"spec":1,"spec":2}""", "", "spec")]
    [InlineData("""{"spec":1,"spe\u0063":2}""", "", "spec")]
    [InlineData("""{"\u0073pec":1,"spec":2}""", "", "spec")]
    [InlineData("""{"spec":{"name":"a","other":1,"na\u006de":"b"}}""", "spec", "name")]
    [InlineData("""{"spec":{"name":"a"},"labels":{"x":{"y":1,"z":{},"y":2}}}""", "labels.x", "y")]
    [InlineData("""{"items":[{"name":"a"},{"name":"a","name":"b"}]}""", "items[1]", "name")]
    [InlineData("""{"items":[1,[{"q":[{"w":1,"w":2}]}]]}""", "items[1][0].q[0]", "w")]
    [InlineData("""{"café":1,"caf\u00e9":2}""", "", "café")]
    public void A_kept_object_that_names_a_property_twice_is_refused_at_that_object(string json, string path, string key)
    {
        var keep = Obj(("spec", Keep("name")), ("labels", All), ("items", JsonFieldSet.ArrayOf(All)), ("café", All));
        var error = Refused(json, keep);
        Assert.Equal(JsonPruneErrorKind.DuplicateKey, error.Kind);
        Assert.Equal(path, error.Path);
        Assert.Equal($"Duplicate key \"{key}\"", error.Detail);
    }

    [Fact]
    public void A_duplicate_deep_in_the_kept_part_is_reported_with_its_dotted_path()
    {
        var keep = Obj(("request", Obj(("object", Obj(("metadata", Obj(("labels", All))))))));
        var error = Refused("""{"request":{"uid":"1","object":{"metadata":{"name":"p","labels":{"app":"a","tier":"x","app":"b"}}}}}""", keep);
        Assert.Equal(JsonPruneErrorKind.DuplicateKey, error.Kind);
        Assert.Equal("request.object.metadata.labels", error.Path);
        Assert.Equal("Duplicate key \"app\" (at request.object.metadata.labels)", error.Message);
    }

    [Theory]
    [InlineData(17, "k2")]
    [InlineData(20, "k2")]
    [InlineData(20, "k\\u0032")]
    [InlineData(20, "k18")]
    [InlineData(40, "k0")]
    public void A_duplicate_of_a_kept_property_in_a_large_object_is_refused(int position, string spelling)
    {
        // position - 1 distinct properties, then the repeated one, then a few more.
        var props = Enumerable.Range(0, position - 1).Select(i => $"\"k{i}\":{i}").ToList();
        props.Add($"\"{spelling}\":\"again\"");
        props.AddRange(Enumerable.Range(100, 5).Select(i => $"\"k{i}\":{i}"));
        var big = "{" + string.Join(",", props) + "}";
        var expectedKey = spelling.Replace("\\u0032", "2", StringComparison.Ordinal);

        var atRoot = Refused(big, Keep(expectedKey));
        Assert.Equal(JsonPruneErrorKind.DuplicateKey, atRoot.Kind);
        Assert.Equal("", atRoot.Path);
        Assert.Equal($"Duplicate key \"{expectedKey}\"", atRoot.Detail);

        var nested = Refused("""{"metadata":{"name":"n","labels":""" + big + "}}", Obj(("metadata", Keep("labels"))));
        Assert.Equal(JsonPruneErrorKind.DuplicateKey, nested.Kind);
        Assert.Equal("metadata.labels", nested.Path);

        var inArray = Refused($$"""{"items":[{},{{big}}]}""", Obj(("items", JsonFieldSet.ArrayOf(Keep("k3", expectedKey)))));
        Assert.Equal(JsonPruneErrorKind.DuplicateKey, inArray.Kind);
        Assert.Equal("items[1]", inArray.Path);
    }

    [Theory]
    [InlineData("""{"keep":1,"drop":2,"drop":3}""")]
    [InlineData("""{"spec":{"name":"n","image":"a","image":"b"}}""")]
    [InlineData("""{"items":[{"name":"n","x":1,"\u0078":2}]}""")]
    public void A_repeated_dropped_property_of_a_kept_object_is_accepted_and_left_out(string json)
    {
        // Nothing reads a dropped property, so its repetition cannot make two readings of the kept part differ.
        var keep = Obj(("keep", All), ("spec", Keep("name")), ("items", JsonFieldSet.ArrayOf(Keep("name"))));
        var output = Pruned(json, keep);
        Assert.DoesNotContain("drop", output, StringComparison.Ordinal);
        Assert.DoesNotContain("image", output, StringComparison.Ordinal);
        Assert.DoesNotContain("x", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_large_object_without_duplicates_is_pruned_normally()
    {
        var props = Enumerable.Range(0, 50).Select(i => $"\"k{i}\":{{\"v\":{i},\"w\":[{i}]}}");
        var json = "{" + string.Join(",", props) + ",\"k\\u0035\\u0030\":true}";
        Assert.Equal("""{"k3":{"v":3},"k49":{"v":49},"k\u0035\u0030":true}""", Pruned(json, Obj(("k49", Keep("v")), ("k3", Keep("v")), ("k50", All))));

        // Large objects nested in large objects, each checked on its own.
        var inner = "{" + string.Join(",", Enumerable.Range(0, 20).Select(i => $"\"k{i}\":{i}")) + "}";
        var outer = "{" + string.Join(",", Enumerable.Range(0, 20).Select(i => $"\"k{i}\":{inner}")) + "}";
        Assert.Equal(outer, Pruned(outer, All));
    }

    [Theory]
    [InlineData("""{"keep":1,"drop":{"x":1,"x":2}}""")]
    [InlineData("""{"drop":[{"a":1},{"b":{"c":1,"c":2}}],"keep":1}""")]
    [InlineData("""{"keep":1,"spec":{"drop":{"y":1,"y":2},"name":"n"}}""")]
    [InlineData("""{"keep":1,"items":[{"drop":{"z":1,"\u007a":2},"name":"n"}]}""")]
    public void Duplicates_inside_a_dropped_value_are_accepted(string json)
    {
        var keep = Obj(("keep", All), ("spec", Keep("name")), ("items", JsonFieldSet.ArrayOf(Keep("name"))));
        var output = Pruned(json, keep);
        Assert.DoesNotContain("drop", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicates_inside_a_large_dropped_value_are_accepted()
    {
        var big = "{" + string.Join(",", Enumerable.Range(0, 30).Select(i => $"\"k{i % 20}\":{i}")) + "}";
        Assert.Equal("""{"keep":1}""", Pruned($$"""{"keep":1,"drop":{{big}}}""", Keep("keep")));
    }

    // ---- Unpaired surrogate escapes ----

    [Theory]
    [InlineData("""{"name":"\uD800"}""", "name")]
    [InlineData("""{"name":"\uDC00"}""", "name")]
    [InlineData("""{"name":"abc\uD83D"}""", "name")]
    [InlineData("""{"name":"\uD83Dx"}""", "name")]
    [InlineData("""{"name":"\uD83D\u0041"}""", "name")]
    [InlineData("""{"name":"\uDE00\uD83D"}""", "name")]
    [InlineData("""{"name":"\uD83D\uD83D"}""", "name")]
    [InlineData("""{"metadata":{"labels":{"a":"ok","b":"\udfff"}}}""", "metadata.labels.b")]
    [InlineData("""{"items":["ok","\uD800"]}""", "items[1]")]
    [InlineData("""{"items":[{"x":{"y":["\uD800"]}}]}""", "items[0].x.y[0]")]
    public void An_unpaired_surrogate_escape_in_a_kept_value_is_refused(string json, string path)
    {
        var keep = Obj(("name", All), ("metadata", Obj(("labels", All))), ("items", JsonFieldSet.ArrayOf(All)));
        var error = Refused(json, keep);
        Assert.Equal(JsonPruneErrorKind.InvalidEscape, error.Kind);
        Assert.Equal(path, error.Path);
    }

    [Theory]
    [InlineData("""{"spec":{"a\uDC00b":1}}""")]
    [InlineData("""{"spec":{"x":{"\uD83D":1}}}""")]
    [InlineData("""{"spec":[{"\uDBFF":0}]}""")]
    public void An_unpaired_surrogate_escape_in_a_kept_property_name_is_refused(string json)
    {
        var error = Refused(json, Obj(("spec", All)));
        Assert.Equal(JsonPruneErrorKind.InvalidEscape, error.Kind);
    }

    [Theory]
    [InlineData("""{"keep":"ok","drop":"\uD800"}""")]
    [InlineData("""{"drop":{"x":["\uDFFF"],"\uD800":1},"keep":"ok"}""")]
    [InlineData("""{"keep":"ok","spec":{"drop":"\uDE00\uD83D","name":"n"}}""")]
    public void An_unpaired_surrogate_escape_in_a_dropped_value_is_accepted(string json)
    {
        var output = Pruned(json, Obj(("keep", All), ("spec", Keep("name"))));
        Assert.DoesNotContain("\\u", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"\uD83D\uDE00"}""")]
    [InlineData("""{"name":"a\ud83d\ude00b\uDBFF\uDFFF"}""")]
    [InlineData("""{"name":{"\uD83D\uDE00":"\uD800\uDC00"}}""")]
    [InlineData("""{"name":"\\uD800"}""")]
    [InlineData("""{"name":"\u00e9\u0000\uFFFF"}""")]
    public void Valid_surrogate_pairs_and_other_escapes_are_accepted_and_copied_as_written(string json)
    {
        Assert.Equal(json, Pruned(json, Keep("name")));
    }

    // ---- Syntax and depth ----

    [Theory]
    [InlineData("""{"drop":[tru]}""")]
    [InlineData("""{"drop":{"x":1,}}""")]
    [InlineData("""{"drop":[1 2],"keep":1}""")]
    [InlineData("""{"drop":"unterminated}""")]
    [InlineData("""{"drop":'x'}""")]
    [InlineData("""{"drop":"\x"}""")]
    [InlineData("""{"drop":"\u12"}""")]
    [InlineData("""{"drop":01}""")]
    [InlineData("{\"drop\":\"a\nb\"}")]
    [InlineData("""{"drop":{"a" 1}}""")]
    [InlineData("""{"drop":[1,2,]}""")]
    [InlineData("""{"keep":1,}""")]
    [InlineData("""{"keep":1""")]
    [InlineData("""{"keep" 1}""")]
    [InlineData("""{"keep":1} x""")]
    [InlineData("""{"keep":1}{}""")]
    [InlineData("""{"keep":1 /* comment */}""")]
    [InlineData("""{keep:1}""")]
    [InlineData("""{"keep":[1,2""")]
    [InlineData("""{"keep":nul}""")]
    [InlineData("""{"keep":+1}""")]
    [InlineData("""{"keep":1.}""")]
    [InlineData("""{"keep":NaN}""")]
    [InlineData("""}""")]
    [InlineData("""{"keep":1]""")]
    public void Text_that_is_not_json_is_refused_even_inside_dropped_values(string json)
    {
        var error = Refused(json, Keep("keep"));
        Assert.Equal(JsonPruneErrorKind.Syntax, error.Kind);
        Assert.False(string.IsNullOrWhiteSpace(error.Detail));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r\n\t")]
    public void Empty_input_is_refused(string json)
    {
        Assert.Equal(JsonPruneErrorKind.Syntax, Refused(json, All).Kind);
        Assert.Equal(JsonPruneErrorKind.Syntax, Refused(json, Keep("a")).Kind);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_accepted_and_beyond_it_refused_even_inside_dropped_values()
    {
        var keep = Obj(("a", Obj(("b", All))));
        Assert.Equal("""{"a":{"b":{}}}""", Pruned("""{"a":{"b":{}}}""", keep, maxDepth: 3));
        Assert.Equal("""{"a":{"b":[]}}""", Pruned("""{"a":{"b":[]},"drop":[[]]}""", keep, maxDepth: 3));

        Assert.Equal(JsonPruneErrorKind.Syntax, Refused("""{"a":{"b":{"c":{}}}}""", keep, maxDepth: 3).Kind);
        Assert.Equal(JsonPruneErrorKind.Syntax, Refused("""{"a":{"b":[[]]}}""", keep, maxDepth: 3).Kind);
        Assert.Equal(JsonPruneErrorKind.Syntax, Refused("""{"a":{},"drop":[[[]]]}""", keep, maxDepth: 3).Kind);
        Assert.Equal(JsonPruneErrorKind.Syntax, Refused("""{"a":{"drop":{"x":[]}}}""", keep, maxDepth: 3).Kind);
    }

    [Fact]
    public void Deep_documents_within_a_large_limit_are_accepted()
    {
        const int depth = 200;
        var json = string.Concat(Enumerable.Repeat("[", depth)) + string.Concat(Enumerable.Repeat("]", depth));
        Assert.Equal(json, Pruned(json, All, maxDepth: depth));
        Assert.Equal(JsonPruneErrorKind.Syntax, Refused(json, All, maxDepth: depth - 1).Kind);
    }

    [Theory]
    [InlineData("""{"a":1}""", 3, "a")]
    [InlineData("""{"keep":[1,2,3],"drop":"a long value that is dropped"}""", 14, "keep[2]")]
    [InlineData("""{"keep":{"x":"0123456789"},"drop":1}""", 20, "keep.x")]
    [InlineData("""{"k":{"keep":[{"x":1},{"x":2}]}}""", 20, "k.keep[0].x")]
    public void A_kept_part_longer_than_the_output_buffer_is_refused_where_it_overflows(string json, int limit, string path)
    {
        var keep = Obj(("a", All), ("keep", JsonFieldSet.ArrayOf(All)), ("k", Obj(("keep", JsonFieldSet.ArrayOf(Keep("x"))))));
        var error = JsonPruner.Prune(Encoding.UTF8.GetBytes(json), keep, new byte[limit], 64, out _);
        Assert.NotNull(error);
        Assert.Equal(JsonPruneErrorKind.TooLarge, error.Kind);
        Assert.Equal(path, error.Path);
        Assert.Contains($"more than {limit} bytes", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kept_part_that_exactly_fills_the_output_buffer_is_accepted()
    {
        var input = Encoding.UTF8.GetBytes("""{"keep":[1,2],"drop":0}""");
        var output = new byte["""{"keep":[1,2]}""".Length];
        Assert.Null(JsonPruner.Prune(input, Obj(("keep", JsonFieldSet.ArrayOf(All))), output, 64, out var written));
        Assert.Equal("""{"keep":[1,2]}""", Encoding.UTF8.GetString(output, 0, written));
    }

    [Fact]
    public void A_refusal_leaves_nothing_behind_for_the_next_call_on_the_thread()
    {
        var big = "{" + string.Join(",", Enumerable.Range(0, 20).Select(i => $"\"k{i % 19}\":{i}")) + "}";
        Assert.Equal(JsonPruneErrorKind.DuplicateKey, Refused("""{"x":{"y":[{"z":""" + big + "}]}}", All).Kind);
        Assert.Equal(JsonPruneErrorKind.InvalidEscape, Refused("""{"x":{"y":["\uD800"]}}""", All).Kind);
        Assert.Equal(JsonPruneErrorKind.Syntax, Refused("""{"x":{"y":[{"z":""", All).Kind);
        Assert.Equal("""{"k1":1}""", Pruned("""{"k0":0,"k1":1}""", Keep("k1")));
        Assert.Equal("""{"x":1,"y":2}""", Pruned("""{"x":1,"y":2}""", All));
    }

    // ---- Randomized comparison with an independent pruning ----

    [Fact]
    public void Random_documents_pruned_to_random_schemas_match_a_pruning_of_the_parsed_document()
    {
        var random = new Random(424242);
        var checkedCases = 0;
        var nonTrivial = 0;
        for (var n = 0; n < 4000; n++)
        {
            var doc = RandomJson.Value(random, depth: 0);
            var text = RandomJson.Write(doc, random);
            var schema = RandomSchema.Make(random, depth: 0);
            var context = $"case #{n}\ninput:  {text}\nschema: {schema}";

            var (output, error) = Prune(text, schema.ToFieldSet());
            Assert.True(error is null, $"{context}\nrefused: {error?.Kind} {error?.Message}");
            Assert.True(Encoding.UTF8.GetByteCount(output!) <= Encoding.UTF8.GetByteCount(text), context);

            using (JsonDocument.Parse(output!))
            {
                // Parses as JSON on its own.
            }

            var expected = RandomSchema.Reference(JsonNode.Parse(text), schema);
            var actual = JsonNode.Parse(output!);
            Assert.True(JsonNode.DeepEquals(expected, actual), $"{context}\nexpected: {expected?.ToJsonString()}\nactual:   {output}");
            // DeepEquals ignores property order; the serialized forms do not.
            Assert.Equal(expected?.ToJsonString() ?? "null", actual?.ToJsonString() ?? "null");

            if (schema.IsAll)
            {
                Assert.Equal(text.Trim(' ', '\t', '\r', '\n'), output);
            }

            checkedCases++;
            nonTrivial += output!.Length < text.Trim(' ', '\t', '\r', '\n').Length ? 1 : 0;
        }

        Assert.Equal(4000, checkedCases);
        Assert.True(nonTrivial > 1000, $"only {nonTrivial} cases dropped anything: the generators do not exercise pruning");
    }

    [Fact]
    public void Random_duplicates_and_unpaired_surrogates_are_refused_exactly_when_they_land_in_the_kept_part()
    {
        var random = new Random(777);
        int refusedDup = 0, acceptedDup = 0, refusedEscape = 0, acceptedEscape = 0;
        for (var n = 0; n < 3000; n++)
        {
            var doc = RandomJson.Value(random, depth: 0);
            var schema = RandomSchema.Make(random, depth: 0);
            var kept = RandomSchema.KeptNodes(doc, schema);

            // A duplicate property in a random object.
            var objects = RandomJson.Objects(doc).Where(o => o.Properties.Count > 0).ToList();
            if (objects.Count > 0)
            {
                var large = objects.Where(o => o.Properties.Count > 16).ToList();
                var target = large.Count > 0 && random.Next(2) == 0 ? large[random.Next(large.Count)] : objects[random.Next(objects.Count)];
                var original = target.Properties[random.Next(target.Properties.Count)];
                var at = random.Next(target.Properties.Count + 1);
                target.Properties.Insert(at, (original.Name, new RandomJson.Scalar("\"dup\"")));
                var text = RandomJson.Write(doc, random);
                var (output, error) = Prune(text, schema.ToFieldSet());
                var context = $"case #{n}\ninput:  {text}\nschema: {schema}\nduplicate: {original.Name}";
                // Refused exactly when the repeated property itself is kept (its object kept and its name listed).
                if (kept.Contains(original.Value))
                {
                    Assert.True(error is { Kind: JsonPruneErrorKind.DuplicateKey }, $"{context}\nexpected a duplicate-key refusal, got {(error is null ? output : error.Kind + " " + error.Message)}");
                    Assert.Equal($"Duplicate key \"{original.Name}\"", error!.Detail);
                    refusedDup++;
                }
                else
                {
                    Assert.True(error is null, $"{context}\nexpected acceptance (the property is dropped), got {error?.Kind} {error?.Message}");
                    acceptedDup++;
                }

                target.Properties.RemoveAt(at);
            }

            // A lone surrogate in a random string value.
            var scalars = RandomJson.Scalars(doc).ToList();
            if (scalars.Count > 0)
            {
                var target = scalars[random.Next(scalars.Count)];
                var before = target.Text;
                target.Text = random.Next(2) == 0 ? "\"x\\uD800\"" : "\"\\uDC00y\"";
                var text = RandomJson.Write(doc, random);
                var (output, error) = Prune(text, schema.ToFieldSet());
                var context = $"case #{n}\ninput:  {text}\nschema: {schema}";
                if (kept.Contains(target))
                {
                    Assert.True(error is { Kind: JsonPruneErrorKind.InvalidEscape }, $"{context}\nexpected an escape refusal, got {(error is null ? output : error.Kind + " " + error.Message)}");
                    refusedEscape++;
                }
                else
                {
                    Assert.True(error is null, $"{context}\nexpected acceptance (the value is dropped), got {error?.Kind} {error?.Message}");
                    acceptedEscape++;
                }

                target.Text = before;
            }
        }

        Assert.True(refusedDup > 300 && acceptedDup > 300, $"duplicates: {refusedDup} refused, {acceptedDup} accepted");
        Assert.True(refusedEscape > 300 && acceptedEscape > 300, $"escapes: {refusedEscape} refused, {acceptedEscape} accepted");
    }

    /// <summary>A schema model of its own, turned into a <see cref="JsonFieldSet"/> only for the pruner.</summary>
    private sealed record RandomSchema(IReadOnlyList<(string Name, RandomSchema Value)>? Properties, RandomSchema? Items)
    {
        private static readonly string[] SchemaOnlyNames = ["k1", "k5", "k17", "k25"];

        public bool IsAll => Properties is null && Items is null;

        public static RandomSchema Make(Random random, int depth)
        {
            var roll = random.Next(10);
            if (depth >= 4 || roll < 3)
            {
                return new(null, null);
            }

            if (roll < 8)
            {
                var props = RandomJson.Names.Concat(SchemaOnlyNames).OrderBy(_ => random.Next()).Take(random.Next(8)).Select(n => (n, Make(random, depth + 1))).ToList();
                return new(props, null);
            }

            return new(null, Make(random, depth + 1));
        }

        public JsonFieldSet ToFieldSet() =>
            Properties is { } props ? JsonFieldSet.Object([.. props.Select(p => (p.Name, p.Value.ToFieldSet()))])
            : Items is { } items ? JsonFieldSet.ArrayOf(items.ToFieldSet())
            : JsonFieldSet.All;

        /// <summary>The pruning, done on a parsed document.</summary>
        public static JsonNode? Reference(JsonNode? node, RandomSchema schema)
        {
            if (schema.Properties is { } props && node is JsonObject obj)
            {
                var result = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    if (props.FirstOrDefault(p => p.Name == name) is { Value: { } child })
                    {
                        result[name] = Reference(value, child);
                    }
                }

                return result;
            }

            if (schema.Items is { } items && node is JsonArray arr)
            {
                var result = new JsonArray();
                foreach (var item in arr)
                {
                    result.Add(Reference(item, items));
                }

                return result;
            }

            return node?.DeepClone();
        }

        /// <summary>Every node of <paramref name="root"/> that appears, whole or pruned, in the output.</summary>
        public static HashSet<RandomJson.Node> KeptNodes(RandomJson.Node root, RandomSchema schema)
        {
            var kept = new HashSet<RandomJson.Node>(ReferenceEqualityComparer.Instance);
            Visit(root, schema);
            return kept;

            void Visit(RandomJson.Node node, RandomSchema? s)
            {
                kept.Add(node);
                switch (node)
                {
                    case RandomJson.Obj o:
                        foreach (var (name, value) in o.Properties)
                        {
                            if (s is null || s.IsAll || s.Properties is null)
                            {
                                Visit(value, null);
                            }
                            else if (s.Properties.FirstOrDefault(p => p.Name == name) is { Value: { } child })
                            {
                                Visit(value, child);
                            }
                        }

                        break;
                    case RandomJson.Arr a:
                        foreach (var item in a.Items)
                        {
                            Visit(item, s?.Items);
                        }

                        break;
                }
            }
        }

        public override string ToString() =>
            Properties is { } props ? "{" + string.Join(",", props.Select(p => JsonSerializer.Serialize(p.Name) + ":" + p.Value)) + "}"
            : Items is { } items ? "[" + items + "]"
            : "*";
    }
}
