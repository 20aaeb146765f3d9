using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Tests.Api;

public class CrdGeneratorTests
{
    [Fact]
    public void Committed_crd_matches_the_generated_one()
    {
        var path = Path.Combine(TestData.RepoRoot(), "crds", "agentworkloads.agentsandbox.io.yaml");
        Assert.True(File.Exists(path), $"{path} is missing: run `dotnet run --project src/SandboxOperator.Cli -- crd > crds/agentworkloads.agentsandbox.io.yaml`");
        Assert.True(File.ReadAllText(path) == CrdGenerator.GenerateYaml(),
            "crds/agentworkloads.agentsandbox.io.yaml differs from the C# types: regenerate it with `dotnet run --project src/SandboxOperator.Cli -- crd > crds/agentworkloads.agentsandbox.io.yaml` and `hack/sync-chart-files.sh`");
    }

    [Fact]
    public void Committed_exception_crd_matches_the_generated_one()
    {
        var path = Path.Combine(TestData.RepoRoot(), "crds", "sandboxexceptions.agentsandbox.io.yaml");
        Assert.True(File.Exists(path) && File.ReadAllText(path) == CrdGenerator.GenerateExceptionYaml(),
            "crds/sandboxexceptions.agentsandbox.io.yaml differs from the C# types: regenerate it with `dotnet run --project src/SandboxOperator.Cli -- crd --kind SandboxException > crds/sandboxexceptions.agentsandbox.io.yaml` and `hack/sync-chart-files.sh`");
    }

    [Fact]
    public void Exception_crd_shows_owner_and_expiry_and_requires_reason_owner_and_expiry()
    {
        var crd = YamlDotNetLoad(CrdGenerator.GenerateExceptionYaml());
        var spec = (Dictionary<object, object>)crd["spec"];
        var names = (Dictionary<object, object>)spec["names"];
        Assert.Equal("SandboxException", names["kind"]);
        Assert.Equal("sandboxexceptions", names["plural"]);
        Assert.Equal("Namespaced", spec["scope"]);
        var version = (Dictionary<object, object>)((List<object>)spec["versions"])[0];
        Assert.False(version.ContainsKey("subresources"));
        var columns = ((List<object>)version["additionalPrinterColumns"]).Cast<Dictionary<object, object>>().ToDictionary(c => (string)c["name"], c => (string)c["jsonPath"]);
        Assert.Equal(".spec.owner", columns["Owner"]);
        Assert.Equal(".spec.expiresAt", columns["Expires"]);
        Assert.Equal(".spec.grant", columns["Grant"]);

        var schema = (Dictionary<object, object>)((Dictionary<object, object>)version["schema"])["openAPIV3Schema"];
        var specSchema = Props(schema)["spec"];
        Assert.Equal(new List<object> { "selector", "grant", "reason", "owner", "expiresAt" }, specSchema["required"]);
        var fields = Props(specSchema);
        Assert.Equal(["selector", "grant", "pool", "reason", "owner", "expiresAt"], fields.Keys);
        Assert.Equal(SandboxExceptionReader.SpecFields, fields.Keys);
        Assert.Equal(new List<object> { "RunInGVisor", "TolerateExtraPool" }, fields["grant"]["enum"]);
        Assert.Equal(new List<object> { "Kata", "GVisor" }, fields["pool"]["enum"]);
        Assert.Equal("1", fields["reason"]["minLength"].ToString());
        Assert.Equal("1", fields["owner"]["minLength"].ToString());
        Assert.Equal("date-time", fields["expiresAt"]["format"]);
        Assert.False(Props(schema).ContainsKey("status"));
    }

    [Fact]
    public void Schema_carries_enums_descriptions_and_the_fixed_names()
    {
        var yaml = CrdGenerator.GenerateYaml();
        var crd = YamlDotNetLoad(yaml);
        var spec = (Dictionary<object, object>)crd["spec"];
        var names = (Dictionary<object, object>)spec["names"];
        Assert.Equal("agentworkloads", names["plural"]);
        Assert.Equal(new List<object> { "aw" }, names["shortNames"]);
        Assert.Equal(new List<object> { "agentsandbox" }, names["categories"]);
        Assert.Equal("Namespaced", spec["scope"]);
        var version = (Dictionary<object, object>)((List<object>)spec["versions"])[0];
        Assert.Equal("v1alpha1", version["name"]);
        Assert.True(((Dictionary<object, object>)version["subresources"]).ContainsKey("status"));
        var columns = ((List<object>)version["additionalPrinterColumns"]).Cast<Dictionary<object, object>>().Select(c => (string)c["name"]).ToList();
        Assert.Equal(["Type", "Tier", "Runtime", "Ready", "Age"], columns);

        var schema = (Dictionary<object, object>)((Dictionary<object, object>)version["schema"])["openAPIV3Schema"];
        var specSchema = Props(schema)["spec"];
        Assert.Equal(new List<object> { "type" }, specSchema["required"]);
        var type = (Dictionary<object, object>)Props(specSchema)["type"];
        Assert.Equal(new List<object> { "MCPServer", "Agent", "ExecTool", "Tool", "Internal" }, type["enum"]);
        Assert.False(string.IsNullOrWhiteSpace((string)type["description"]));
        var traits = Props(Props(specSchema)["traits"]);
        Assert.Equal("boolean", traits["executesUntrustedCode"]["type"]);
        Assert.Contains("Forces High", (string)traits["runsThirdPartySkills"]["description"], StringComparison.Ordinal);
        var status = Props(Props(schema)["status"]);
        Assert.Equal(new List<object> { "Runc", "GVisor", "Kata" }, status["runtime"]["enum"]);
        Assert.Equal("map", status["conditions"]["x-kubernetes-list-type"]);
    }

    private static Dictionary<string, Dictionary<object, object>> Props(Dictionary<object, object> schema) =>
        ((Dictionary<object, object>)schema["properties"]).ToDictionary(kv => (string)kv.Key, kv => (Dictionary<object, object>)kv.Value);

    private static Dictionary<object, object> YamlDotNetLoad(string yaml)
    {
        var raw = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(yaml);
        return Normalize(raw);
    }

    private static Dictionary<object, object> Normalize(Dictionary<object, object> d) => d.ToDictionary(kv => kv.Key, kv => NormalizeValue(kv.Value));

    private static object NormalizeValue(object v) => v switch
    {
        Dictionary<object, object> d => Normalize(d),
        List<object> l => l.Select(NormalizeValue).ToList(),
        "true" => true,
        _ => v,
    };
}
