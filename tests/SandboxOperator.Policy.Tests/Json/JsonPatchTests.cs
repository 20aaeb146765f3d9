using System.Text.Json.Nodes;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Tests.Json;

public class JsonPatchTests
{
    [Fact]
    public void Applies_add_replace_remove_and_test_without_touching_the_input()
    {
        var doc = JsonNode.Parse("""{"metadata":{"labels":{"a/b":"1","x~y":"2"}},"spec":{"list":[1,2]}}""");
        var patched = JsonPatch.Apply(doc, [
            PatchOperation.Add("/metadata/labels/agentsandbox.io~1tier", "high"),
            PatchOperation.Replace("/metadata/labels/a~1b", "9"),
            new PatchOperation("remove", "/metadata/labels/x~0y", null),
            PatchOperation.Add("/spec/list/-", 3),
            PatchOperation.Add("/spec/list/0", 0),
            new PatchOperation("test", "/spec/list/3", 3),
        ]);
        Assert.Equal("""{"metadata":{"labels":{"a/b":"9","agentsandbox.io/tier":"high"}},"spec":{"list":[0,1,2,3]}}""", patched!.ToJsonString());
        Assert.Equal("""{"metadata":{"labels":{"a/b":"1","x~y":"2"}},"spec":{"list":[1,2]}}""", doc!.ToJsonString());
    }

    [Theory]
    [InlineData("replace", "/metadata/missing", "cannot replace /metadata/missing: the target does not exist")]
    [InlineData("add", "/nope/deeper", "cannot apply /nope/deeper: /nope does not exist")]
    [InlineData("add", "/spec/list/7", "cannot apply /spec/list/7: index 7 is out of range")]
    [InlineData("test", "/spec/list/0", "test failed at /spec/list/0")]
    public void Failures_name_the_path(string op, string path, string expected)
    {
        var doc = JsonNode.Parse("""{"metadata":{},"spec":{"list":[1]}}""");
        var ex = Assert.Throws<InvalidOperationException>(() => JsonPatch.Apply(doc, [new PatchOperation(op, path, 42)]));
        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public void The_reused_serializer_buffer_gives_exact_bytes_after_a_larger_patch()
    {
        var small = new[] { PatchOperation.Add("/spec/runtimeClassName", "kata") };
        var large = Enumerable.Range(0, 200).Select(i => PatchOperation.Add($"/metadata/labels/k{i}", "<value & \"quoted\">")).ToArray();
        const string expectedSmall = """[{"op":"add","path":"/spec/runtimeClassName","value":"kata"}]""";

        Assert.Equal(expectedSmall, JsonPatch.ToJson(small));
        Assert.StartsWith("""[{"op":"add","path":"/metadata/labels/k0","value":"<value & \"quoted\">"}""", JsonPatch.ToJson(large), StringComparison.Ordinal);
        Assert.Equal(expectedSmall, JsonPatch.ToJson(small));
    }

    [Fact]
    public void A_prepared_value_is_written_and_applied_exactly_as_its_node()
    {
        JsonNode Node() => new JsonObject { ["key"] = "agentsandbox.io/pool", ["values"] = new JsonArray("kata", "<é & \"q\">", 1.5, null), ["empty"] = new JsonObject() };
        var prepared = new PreparedJsonValue(Node());
        var withPrepared = new[] { PatchOperation.Add("/spec/x", prepared), PatchOperation.Add("/spec/y", new PreparedJsonValue(JsonValue.Create("v\u00e9")!)) };
        var withNodes = new[] { PatchOperation.Add("/spec/x", Node()), PatchOperation.Add("/spec/y", JsonValue.Create("v\u00e9")) };

        Assert.Equal(JsonPatch.ToJson(withNodes), JsonPatch.ToJson(withPrepared));
        var applied = JsonPatch.Apply(new JsonObject { ["spec"] = new JsonObject() }, withPrepared)!;
        Assert.True(JsonNode.DeepEquals(Node(), applied["spec"]!["x"]));

        // Applying copies the value: the shared node stays as it was.
        applied["spec"]!["x"]!["key"] = "changed";
        Assert.Equal("agentsandbox.io/pool", (string?)prepared.Node["key"]);
        Assert.Equal(PatchOperation.Add("/spec/x", prepared.Node), withPrepared[0]);
    }
}
