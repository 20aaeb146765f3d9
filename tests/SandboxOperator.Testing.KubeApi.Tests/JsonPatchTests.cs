using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class JsonPatchTests
{
    [Theory]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"foo":"bar","baz":"qux"}""")]
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc"]}]""", """{"foo":["bar",["abc"]]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"copy","from":"/a","path":"/c"},{"op":"replace","path":"/c/b","value":2}]""", """{"a":{"b":1},"c":{"b":2}}""")]
    [InlineData("""{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""")]
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"replace","path":"/~1","value":1},{"op":"replace","path":"/~01","value":2}]""", """{"/":1,"~1":2}""")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"replace","path":"","value":{"baz":1}}]""", """{"baz":1}""")]
    [InlineData("""{"a":null}""", """[{"op":"test","path":"/a","value":null}]""", """{"a":null}""")]
    public void Applies_rfc_6902_examples(string document, string patch, string expected)
    {
        var result = JsonPatch.Apply(JsonNode.Parse(document), patch);

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result.Value), result.Value?.ToJsonString());
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/baz","value":"bar"}]""", 422)]
    [InlineData("""[{"op":"remove","path":"/missing"}]""", 422)]
    [InlineData("""[{"op":"replace","path":"/missing","value":1}]""", 422)]
    [InlineData("""[{"op":"add","path":"/missing/child","value":1}]""", 422)]
    [InlineData("""[{"op":"add","path":"/arr/5","value":1}]""", 422)]
    [InlineData("""[{"op":"add","path":"/arr/01","value":1}]""", 422)]
    [InlineData("""[{"op":"move","from":"/obj","path":"/obj/inner"}]""", 422)]
    [InlineData("""[{"op":"bogus","path":"/baz"}]""", 400)]
    [InlineData("""[{"op":"add","path":"/x"}]""", 400)]
    [InlineData("""[{"op":"add","path":"x","value":1}]""", 400)]
    [InlineData("""[{"op":"add","path":"/~2","value":1}]""", 400)]
    [InlineData("""[{"op":"copy","path":"/x"}]""", 400)]
    [InlineData("""[{"op":"move","from":"bad","path":"/x"}]""", 400)]
    [InlineData("""[{"op":"copy","from":"/missing","path":"/x"}]""", 422)]
    [InlineData("""[5]""", 400)]
    [InlineData("""{"op":"add"}""", 400)]
    [InlineData("""[{"op":"add""", 400)]
    public void Rejects_patches_that_do_not_apply_and_leaves_the_input_alone(string patch, int code)
    {
        var document = JsonNode.Parse("""{"baz":"qux","arr":[1],"obj":{}}""");

        var result = JsonPatch.Apply(document, patch);

        Assert.False(result.IsSuccess);
        Assert.Equal(code, result.Error.Code);
        Assert.Equal("""{"baz":"qux","arr":[1],"obj":{}}""", document!.ToJsonString());
    }

    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Merge_patch_follows_rfc_7386(string target, string patch, string expected)
    {
        var result = JsonMergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result?.ToJsonString());
    }
}
