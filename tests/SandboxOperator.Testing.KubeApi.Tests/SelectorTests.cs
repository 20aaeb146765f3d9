using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class SelectorTests
{
    private static readonly JsonObject Labelled = JsonNode.Parse("""{"metadata":{"name":"p","namespace":"ns","labels":{"app":"web","tier":"1","example.com/role":"x"}},"spec":{"nodeName":"n1"}}""")!.AsObject();

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app = web", true)]
    [InlineData("app==web", true)]
    [InlineData("app!=web", false)]
    [InlineData("missing!=web", true)]
    [InlineData("app in (db, web)", true)]
    [InlineData("app in (db)", false)]
    [InlineData("app notin (db)", true)]
    [InlineData("missing notin (db)", true)]
    [InlineData("app", true)]
    [InlineData("missing", false)]
    [InlineData("!missing", true)]
    [InlineData("!app", false)]
    [InlineData("example.com/role=x,app in (web),!missing", true)]
    [InlineData("tier>0", true)]
    [InlineData("tier<1", false)]
    public void Label_selector_matches_like_the_api_server(string selector, bool expected)
    {
        var parsed = LabelSelector.Parse(selector);

        Assert.True(parsed.IsSuccess, parsed.Error?.Message);
        Assert.Equal(expected, parsed.Value.Matches(Labelled));
    }

    [Theory]
    [InlineData("app in (web")]
    [InlineData("app!")]
    [InlineData("=web")]
    [InlineData("app=a=b")]
    [InlineData("app in web")]
    [InlineData("tier>x")]
    [InlineData("a,,b")]
    public void Label_selector_syntax_errors_are_400(string selector)
    {
        var parsed = LabelSelector.Parse(selector);

        Assert.False(parsed.IsSuccess);
        Assert.Equal(400, parsed.Error.Code);
    }

    [Theory]
    [InlineData("metadata.name=p", true)]
    [InlineData("metadata.name==p,metadata.namespace=ns", true)]
    [InlineData("metadata.namespace!=ns", false)]
    [InlineData("spec.nodeName=n1", true)]
    [InlineData("status.phase=", true)]
    [InlineData("status.phase!=", false)]
    public void Field_selector_matches_dotted_paths(string selector, bool expected)
    {
        var parsed = FieldSelector.Parse(selector);

        Assert.True(parsed.IsSuccess, parsed.Error?.Message);
        Assert.Equal(expected, parsed.Value.Matches(Labelled));
    }
}
