using System.Text.Json;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Tests.Api;

public class AgentWorkloadReaderTests
{
    private static (AgentWorkload? W, IReadOnlyList<FieldError> E) Read(string json) => AgentWorkloadReader.Read(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Reads_a_full_workload()
    {
        var (w, e) = Read("""{"metadata":{"name":"x","namespace":"agents","generation":3},"spec":{"type":"Agent","riskTier":"High","traits":{"runsThirdPartySkills":true},"selector":{"matchLabels":{"app":"x"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["a"]}]}}}""");
        Assert.Empty(e);
        Assert.Equal("agents", w!.Namespace);
        Assert.Equal(3, w.Generation);
        Assert.Equal(WorkloadType.Agent, w.Spec.Type);
        Assert.True(w.Spec.Traits!.RunsThirdPartySkills);
        Assert.Equal("NotIn", w.Spec.Selector!.MatchExpressions![0].Operator);
    }

    [Fact]
    public void Defaults_to_the_default_namespace()
    {
        var (w, _) = Read("""{"metadata":{"name":"x"},"spec":{"type":"Tool"}}""");
        Assert.Equal("default", w!.Namespace);
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Mcp"}}""", "spec.type: Unsupported value \"Mcp\": supported values: MCPServer, Agent, ExecTool, Tool, Internal")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{}}""", "spec.type: Required value: one of MCPServer, Agent, ExecTool, Tool, Internal")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","riskTier":"high"}}""", "spec.riskTier: Unsupported value \"high\": supported values: Low, Medium, High")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","traits":{"executesUntrustedCode":"yes"}}}""", "spec.traits.executesUntrustedCode: must be a boolean (true or false), got string \"yes\"")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","localDevelopment":{"allowedHosts":"a.example"}}}""", "spec.localDevelopment.allowedHosts: must be a list of strings, got string \"a.example\"")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","localDevelopment":{"allowedExecutables":["/bin/sh",3]}}}""", "spec.localDevelopment.allowedExecutables[1]: must be a string, got number 3")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","localDevelopment":{"egressProxyPort":70000}}}""", "spec.localDevelopment.egressProxyPort: must be a port number from 1 to 65535, got number 70000")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","localDevelopment":{"workdir":"/w"}}}""", "spec.localDevelopment.workdir: unknown field (known fields: workspace, allowedHosts, egressProxyPort, allowedExecutables)")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","trait":{}}}""", "spec.trait: unknown field (known fields: type, riskTier, traits, selector, localDevelopment)")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","selector":{"matchExpressions":[{"key":"a","operator":"Equals","values":["b"]}]}}}""", "spec.selector.matchExpressions[0].operator: Unsupported value \"Equals\": supported values: In, NotIn, Exists, DoesNotExist")]
    [InlineData("""{"metadata":{"name":"x"},"spec":{"type":"Tool","selector":{"matchExpressions":[{"key":"a","operator":"In"}]}}}""", "spec.selector.matchExpressions[0].values: must be non-empty when operator is In")]
    [InlineData("""{"spec":{"type":"Tool"}}""", "metadata.name: Required value")]
    [InlineData("""{"metadata":{"name":"x"}}""", "spec: Required value")]
    public void Schema_errors_name_the_field_and_allowed_values(string json, string expected)
    {
        var (w, e) = Read(json);
        Assert.Null(w);
        Assert.Contains(e, x => x.ToString() == expected);
    }
}
