using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Webhook.Tests.Support;

/// <summary>AdmissionReview requests shaped exactly as the API server sends them, and their parsed responses.</summary>
internal static class Reviews
{
    public static readonly (string Group, string Version, string Kind, string Resource) Pod = ("", "v1", "Pod", "pods");
    public static readonly (string Group, string Version, string Kind, string Resource) Deployment = ("apps", "v1", "Deployment", "deployments");
    public static readonly (string Group, string Version, string Kind, string Resource) CronJob = ("batch", "v1", "CronJob", "cronjobs");
    public static readonly (string Group, string Version, string Kind, string Resource) ConfigMap = ("", "v1", "ConfigMap", "configmaps");

    public static string Uid() => Guid.NewGuid().ToString();

    public static JsonObject Request(
        (string Group, string Version, string Kind, string Resource) kind,
        string operation,
        string @namespace,
        JsonNode? obj,
        JsonNode? oldObject = null,
        string? name = null,
        bool dryRun = false,
        string user = "alice@example.com",
        string? uid = null,
        string[]? groups = null)
    {
        name ??= (string?)obj?["metadata"]?["name"] ?? (string?)oldObject?["metadata"]?["name"];
        JsonObject Gvk() => new() { ["group"] = kind.Group, ["version"] = kind.Version, ["kind"] = kind.Kind };
        JsonObject Gvr() => new() { ["group"] = kind.Group, ["version"] = kind.Version, ["resource"] = kind.Resource };
        var optionsKind = operation switch { "CREATE" => "CreateOptions", "UPDATE" => "UpdateOptions", "DELETE" => "DeleteOptions", _ => null };
        return new JsonObject
        {
            ["kind"] = "AdmissionReview",
            ["apiVersion"] = "admission.k8s.io/v1",
            ["request"] = new JsonObject
            {
                ["uid"] = uid ?? Uid(),
                ["kind"] = Gvk(),
                ["resource"] = Gvr(),
                ["requestKind"] = Gvk(),
                ["requestResource"] = Gvr(),
                ["name"] = name,
                ["namespace"] = @namespace,
                ["operation"] = operation,
                ["userInfo"] = new JsonObject
                {
                    ["username"] = user,
                    ["uid"] = "0b6e3c6c-4d2c-4a57-9d35-6f2b8c7a9e10",
                    ["groups"] = new JsonArray([.. (groups ?? ["system:authenticated", "developers"]).Select(g => (JsonNode)g)]),
                },
                ["object"] = obj?.DeepClone(),
                ["oldObject"] = oldObject?.DeepClone(),
                ["dryRun"] = dryRun,
                ["options"] = optionsKind is null ? null : new JsonObject { ["kind"] = optionsKind, ["apiVersion"] = "meta.k8s.io/v1", ["fieldManager"] = "kubectl-client-side-apply" },
            },
        };
    }

    public static JsonObject PodObject(string name, string @namespace, IDictionary<string, string>? labels = null, string? runtimeClassName = null, int containers = 1)
    {
        var list = new JsonArray();
        for (var i = 0; i < containers; i++)
        {
            list.Add(new JsonObject
            {
                ["name"] = $"c{i}",
                ["image"] = $"registry.example/app-{i}:1.0",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "128Mi" } },
            });
        }

        var spec = new JsonObject { ["containers"] = list };
        if (runtimeClassName is not null)
        {
            spec["runtimeClassName"] = runtimeClassName;
        }

        var meta = new JsonObject { ["name"] = name, ["namespace"] = @namespace };
        if (labels is not null)
        {
            var l = new JsonObject();
            foreach (var (k, v) in labels)
            {
                l[k] = v;
            }

            meta["labels"] = l;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec };
    }

    public static JsonObject DeploymentObject(string name, string @namespace, JsonObject pod)
    {
        var template = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = pod["metadata"]?["labels"]?.DeepClone() }, ["spec"] = pod["spec"]!.DeepClone() };
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["spec"] = new JsonObject { ["replicas"] = 1, ["selector"] = new JsonObject { ["matchLabels"] = pod["metadata"]?["labels"]?.DeepClone() }, ["template"] = template },
        };
    }
}

/// <summary>The fields of an AdmissionReview response the tests check.</summary>
internal sealed record ReviewResponse(
    string Uid, bool Allowed, int? Code, string? Message, string? PatchType, byte[]? Patch,
    IReadOnlyList<string> Warnings, IReadOnlyDictionary<string, string> AuditAnnotations)
{
    public static ReviewResponse Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("admission.k8s.io/v1", root.GetProperty("apiVersion").GetString());
        Assert.Equal("AdmissionReview", root.GetProperty("kind").GetString());
        var r = root.GetProperty("response");
        int? code = null;
        string? message = null;
        if (r.TryGetProperty("status", out var status))
        {
            code = status.GetProperty("code").GetInt32();
            message = status.GetProperty("message").GetString();
        }

        var warnings = r.TryGetProperty("warnings", out var w) ? w.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
        var annotations = r.TryGetProperty("auditAnnotations", out var a)
            ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)
            : new Dictionary<string, string>();
        return new ReviewResponse(
            r.GetProperty("uid").GetString()!,
            r.GetProperty("allowed").GetBoolean(),
            code, message,
            r.TryGetProperty("patchType", out var pt) ? pt.GetString() : null,
            r.TryGetProperty("patch", out var p) ? p.GetBytesFromBase64() : null,
            warnings, annotations);
    }
}
