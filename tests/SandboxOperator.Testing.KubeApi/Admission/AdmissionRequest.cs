using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi.Admission;

/// <summary>What the server knows about a write when it asks webhooks: the input of an AdmissionReview.</summary>
internal sealed record AdmissionRequest(
    ResourceType Type,
    string? Subresource,
    AdmissionOperations Operation,
    string Name,
    string? Namespace,
    JsonObject Object,
    JsonObject? OldObject,
    bool DryRun,
    JsonObject Options)
{
    /// <summary>The resource the webhook rules see: <c>plural</c> or <c>plural/subresource</c>.</summary>
    public string Resource => Subresource is null ? Type.Plural : $"{Type.Plural}/{Subresource}";

    /// <summary>
    /// The <c>admission.k8s.io/v1 AdmissionReview</c> sent to webhooks, with a fresh <c>request.uid</c>. As on a real
    /// server, <c>request.name</c> is omitted while empty (CREATE with <c>generateName</c>).
    /// </summary>
    public JsonObject ToReview(string uid)
    {
        JsonObject Kind() => new() { ["group"] = Type.Group, ["version"] = Type.Version, ["kind"] = Type.Kind };
        JsonObject Resource() => new() { ["group"] = Type.Group, ["version"] = Type.Version, ["resource"] = Type.Plural };
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = Kind(),
            ["resource"] = Resource(),
            ["requestKind"] = Kind(),
            ["requestResource"] = Resource(),
            ["operation"] = Operation == AdmissionOperations.Create ? "CREATE" : "UPDATE",
            ["userInfo"] = new JsonObject
            {
                ["username"] = KubeApiServer.UserName,
                ["groups"] = new JsonArray("system:masters", "system:authenticated"),
            },
            ["object"] = Object.DeepClone(),
            ["oldObject"] = OldObject?.DeepClone(),
            ["dryRun"] = DryRun,
            ["options"] = Options.DeepClone(),
        };
        if (Subresource is not null)
        {
            request["subResource"] = Subresource;
            request["requestSubResource"] = Subresource;
        }

        if (Name.Length > 0)
        {
            request["name"] = Name;
        }

        if (Namespace is not null)
        {
            request["namespace"] = Namespace;
        }

        return new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["request"] = request };
    }
}
