using System.Text;
using System.Text.Json.Nodes;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Robustness;

/// <summary>One request body sent to one webhook path.</summary>
internal sealed record ReviewCase(string Name, string Path, byte[] Body)
{
    public override string ToString() => Name;
}

/// <summary>
/// Valid reviews that exercise every pod field the policy reads, and the malformed variants derived from
/// them by hand: wrong JSON types in each field, truncation, invalid UTF-8, duplicate keys, nesting over
/// the limit, huge arrays, unknown fields and a review envelope that is missing or mistyped.
/// </summary>
internal static class ReviewCorpus
{
    /// <summary>Values of every JSON type, put where the policy expects something else.</summary>
    public static readonly string[] WrongValues =
    [
        "42", "-1.5", "1e400", "\"x\"", "\"\"", "true", "null", "[]", "{}", "[1,{\"a\":\"b\"}]", "{\"a\":{\"b\":[]}}", "\"Unconfined\"",
    ];

    /// <summary>Paths (in a pod) of every field the policy reads, as JSON object keys and array indexes.</summary>
    public static readonly string[] PodFieldPaths =
    [
        "metadata", "metadata.labels", "metadata.labels.app", "metadata.annotations", "metadata.annotations.example.org/note",
        "metadata.name", "metadata.generateName", "spec",
        "spec.runtimeClassName", "spec.nodeName", "spec.nodeSelector", "spec.nodeSelector.agentsandbox.io/pool",
        "spec.tolerations", "spec.tolerations.0", "spec.tolerations.0.key", "spec.tolerations.0.operator", "spec.tolerations.0.value",
        "spec.tolerations.0.effect", "spec.tolerations.0.tolerationSeconds",
        "spec.affinity", "spec.affinity.nodeAffinity", "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.key",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.operator",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.values",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.values.0",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchFields",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchFields.0.key",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchFields.0.operator",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchFields.0.values",
        "spec.hostNetwork", "spec.hostPID", "spec.hostIPC",
        "spec.securityContext", "spec.securityContext.seccompProfile", "spec.securityContext.seccompProfile.type",
        "spec.securityContext.seccompProfile.localhostProfile",
        "spec.containers", "spec.containers.0", "spec.containers.0.name", "spec.containers.0.securityContext",
        "spec.containers.0.securityContext.privileged", "spec.containers.0.securityContext.seccompProfile",
        "spec.containers.0.securityContext.seccompProfile.type",
        "spec.initContainers", "spec.initContainers.0", "spec.initContainers.0.securityContext.privileged",
        "spec.initContainers.0.securityContext.seccompProfile.type",
        "spec.ephemeralContainers", "spec.ephemeralContainers.0", "spec.ephemeralContainers.0.securityContext.privileged",
        "spec.ephemeralContainers.0.securityContext.seccompProfile.type",
        "spec.volumes", "spec.volumes.0", "spec.volumes.1", "spec.volumes.1.hostPath", "spec.volumes.1.hostPath.path",
    ];

    /// <summary>A pod in which every field of <see cref="PodFieldPaths"/> is present and valid.</summary>
    public static JsonObject FullPod(string name = "full", string ns = "agents", string app = "research-agent")
    {
        var pod = JsonNode.Parse($$"""
        {
          "apiVersion": "v1", "kind": "Pod",
          "metadata": { "name": "{{name}}", "generateName": "full-", "namespace": "{{ns}}",
                        "labels": { "app": "{{app}}" }, "annotations": { "example.org/note": "n" } },
          "spec": {
            "runtimeClassName": "kata",
            "nodeName": "",
            "nodeSelector": { "agentsandbox.io/pool": "kata" },
            "tolerations": [ { "key": "agentsandbox.io/pool", "operator": "Equal", "value": "kata", "effect": "NoSchedule", "tolerationSeconds": 30 } ],
            "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [
              { "matchExpressions": [ { "key": "agentsandbox.io/pool", "operator": "In", "values": [ "kata" ] } ],
                "matchFields": [ { "key": "metadata.name", "operator": "NotIn", "values": [ "node-x" ] } ] } ] } } },
            "hostNetwork": false, "hostPID": false, "hostIPC": false,
            "securityContext": { "seccompProfile": { "type": "RuntimeDefault", "localhostProfile": null } },
            "containers": [ { "name": "main", "image": "registry.example/agent:1",
                              "securityContext": { "privileged": false, "seccompProfile": { "type": "RuntimeDefault" } } } ],
            "initContainers": [ { "name": "init", "image": "registry.example/init:1",
                                  "securityContext": { "privileged": false, "seccompProfile": { "type": "RuntimeDefault" } } } ],
            "ephemeralContainers": [ { "name": "debug", "image": "registry.example/debug:1",
                                       "securityContext": { "privileged": false, "seccompProfile": { "type": "RuntimeDefault" } } } ],
            "volumes": [ { "name": "tmp", "emptyDir": {} }, { "name": "host", "hostPath": { "path": "/var/empty" } } ]
          }
        }
        """)!.AsObject();
        return pod;
    }

    /// <summary>The valid reviews the fuzzer starts from: mutated pod, denied MCP pod, Deployment, audit-mode update.</summary>
    public static IReadOnlyList<ReviewCase> Seeds()
    {
        var mcp = Reviews.PodObject("mcp-1", "agents", new Dictionary<string, string> { ["agentsandbox.io/workload-type"] = "mcp-server" }, runtimeClassName: "gvisor");
        var agent = Reviews.PodObject("agent-1", "agents", new Dictionary<string, string> { ["app"] = "research-agent" }, containers: 2);
        var audited = FullPod("audited-1", "audited", "audited-agent");
        var auditedOld = audited.DeepClone().AsObject();
        auditedOld["spec"]!["hostNetwork"] = true;
        return
        [
            new("seed: full pod CREATE", "/mutate", Bytes(Reviews.Request(Reviews.Pod, "CREATE", "agents", FullPod()))),
            new("seed: agent pod CREATE", "/mutate", Bytes(Reviews.Request(Reviews.Pod, "CREATE", "agents", agent))),
            new("seed: MCP pod on gVisor", "/validate", Bytes(Reviews.Request(Reviews.Pod, "CREATE", "agents", mcp))),
            new("seed: Deployment", "/validate", Bytes(Reviews.Request(Reviews.Deployment, "CREATE", "agents", Reviews.DeploymentObject("d", "agents", FullPod())))),
            new("seed: audit-mode pod UPDATE", "/validate", Bytes(Reviews.Request(Reviews.Pod, "UPDATE", "audited", audited, auditedOld))),
        ];
    }

    /// <summary>The hand-written malformed corpus, for both webhooks.</summary>
    public static IEnumerable<ReviewCase> Malformed()
    {
        foreach (var path in new[] { "/mutate", "/validate" })
        {
            foreach (var c in MalformedFor(path))
            {
                yield return c with { Name = $"{path} {c.Name}" };
            }
        }
    }

    private static IEnumerable<ReviewCase> MalformedFor(string path)
    {
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", FullPod());
        var text = review.ToJsonString();

        // Wrong JSON types in every field of the pod the policy reads.
        foreach (var field in PodFieldPaths)
        {
            foreach (var value in WrongValues)
            {
                var copy = review.DeepClone().AsObject();
                if (Set(copy["request"]!["object"]!, field, JsonNode.Parse(value)))
                {
                    yield return new($"object.{field} = {value}", path, Bytes(copy));
                }
            }
        }

        // The envelope: request, uid, kind, operation and friends missing or of the wrong type.
        string[] envelope = ["apiVersion", "kind", "request", "request.uid", "request.kind", "request.kind.kind", "request.kind.group", "request.operation",
            "request.namespace", "request.name", "request.subResource", "request.userInfo", "request.userInfo.username", "request.userInfo.groups",
            "request.userInfo.groups.0", "request.object", "request.oldObject", "request.dryRun", "request.options"];
        foreach (var field in envelope)
        {
            var removed = review.DeepClone().AsObject();
            Remove(removed, field);
            yield return new($"{field} missing", path, Bytes(removed));
            foreach (var value in WrongValues)
            {
                var copy = review.DeepClone().AsObject();
                Set(copy, field, JsonNode.Parse(value));
                yield return new($"{field} = {value}", path, Bytes(copy));
            }
        }

        yield return new("operation lower case", path, Bytes(With(review, r => r["request"]!["operation"] = "create")));
        yield return new("uid empty", path, Bytes(With(review, r => r["request"]!["uid"] = "")));
        yield return new("apiVersion v1beta1", path, Bytes(With(review, r => r["apiVersion"] = "admission.k8s.io/v1beta1")));

        // Truncation at every 97th byte and at the last byte.
        for (var cut = 0; cut < text.Length; cut += 97)
        {
            yield return new($"truncated at {cut}", path, Encoding.UTF8.GetBytes(text[..cut]));
        }

        yield return new("truncated by one byte", path, Encoding.UTF8.GetBytes(text[..^1]));
        yield return new("not an object", path, "[]"u8.ToArray());
        yield return new("a bare string", path, "\"AdmissionReview\""u8.ToArray());
        yield return new("whitespace only", path, "   \n"u8.ToArray());
        yield return new("trailing garbage", path, Encoding.UTF8.GetBytes(text + "}"));
        yield return new("two documents", path, Encoding.UTF8.GetBytes(text + text));
        yield return new("comment", path, Encoding.UTF8.GetBytes("/* c */" + text));
        yield return new("trailing comma", path, Encoding.UTF8.GetBytes(text[..^1] + ",}"));
        yield return new("byte order mark", path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)]);
        yield return new("NUL bytes", path, [.. Encoding.UTF8.GetBytes(text[..^1]), 0, 0, (byte)'}']);

        // Invalid UTF-8 and unpaired surrogates, in a value the policy reads and in the uid.
        yield return new("invalid UTF-8 in a label", path, Replace(text, "research-agent", [0x72, 0xFF, 0xFE]));
        yield return new("overlong UTF-8 in the namespace", path, Replace(text, "\"namespace\":\"agents\"", [.. "\"namespace\":\"a"u8, 0xC0, 0xAF, .. "\""u8]));
        yield return new("invalid UTF-8 in the uid", path, Replace(text, "\"uid\":\"", [.. "\"uid\":\""u8, 0xED, 0xA0, 0x80]));
        yield return new("unpaired surrogate escape in a label", path, Encoding.UTF8.GetBytes(text.Replace("research-agent", "\\ud800", StringComparison.Ordinal)));
        yield return new("unpaired low surrogate in a key", path, Encoding.UTF8.GetBytes(text.Replace("\"app\"", "\"\\udc00\"", StringComparison.Ordinal)));
        yield return new("unpaired surrogate in the uid", path, Encoding.UTF8.GetBytes(text.Replace("\"uid\":\"", "\"uid\":\"\\ud83d", StringComparison.Ordinal)));

        // Duplicate keys, where a divergent reading would be a bypass.
        foreach (var (what, from, to) in DuplicateKeySites)
        {
            yield return new($"duplicate key {what}", path, Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal)));
        }

        // Nesting: at the limit inside an annotation value is fine to parse; beyond it is refused.
        yield return new("nesting 200 deep in an annotation", path, Encoding.UTF8.GetBytes(text.Replace("\"n\"", new string('[', 200) + new string(']', 200), StringComparison.Ordinal)));
        yield return new("nesting 5000 deep", path, Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)));
        yield return new("unclosed nesting 100000 deep", path, Encoding.UTF8.GetBytes(new string('{', 1) + new string('[', 100_000)));

        // Huge arrays and maps, under and over the body cap.
        yield return new("50,000 containers", path, Bytes(With(review, r =>
        {
            var list = new JsonArray();
            for (var i = 0; i < 50_000; i++)
            {
                list.Add(new JsonObject { ["name"] = $"c{i}", ["image"] = "i" });
            }

            r["request"]!["object"]!["spec"]!["containers"] = list;
        })));
        yield return new("100,000 tolerations", path, Bytes(With(review, r =>
        {
            var list = new JsonArray();
            for (var i = 0; i < 100_000; i++)
            {
                list.Add(new JsonObject { ["key"] = $"k{i}", ["operator"] = "Exists" });
            }

            r["request"]!["object"]!["spec"]!["tolerations"] = list;
        })));
        yield return new("100,000 labels", path, Bytes(With(review, r =>
        {
            var labels = r["request"]!["object"]!["metadata"]!["labels"]!.AsObject();
            for (var i = 0; i < 100_000; i++)
            {
                labels[$"l{i}"] = "v";
            }
        })));
        yield return new("1,000,000 element array of numbers", path, Encoding.UTF8.GetBytes(text.Replace("\"n\"", "[" + string.Join(',', Enumerable.Repeat('0', 1_000_000)) + "]", StringComparison.Ordinal)));
        yield return new("8 MiB string", path, Encoding.UTF8.GetBytes(text.Replace("\"n\"", "\"" + new string('a', 8 * 1024 * 1024) + "\"", StringComparison.Ordinal)));

        // Unknown fields anywhere are ignored, as the API server's decoder would have dropped them.
        yield return new("unknown fields everywhere", path, Bytes(With(review, r =>
        {
            r["surprise"] = new JsonObject { ["x"] = 1 };
            r["request"]!["surprise"] = new JsonArray(1, 2);
            r["request"]!["object"]!["spec"]!["surprise"] = "x";
            r["request"]!["object"]!["spec"]!["containers"]![0]!["securityContext"]!["surprise"] = true;
        })));
        yield return new("null object", path, Bytes(With(review, r => r["request"]!["object"] = null)));
        yield return new("null spec", path, Bytes(With(review, r => r["request"]!["object"]!["spec"] = null)));
        yield return new("null container", path, Bytes(With(review, r => r["request"]!["object"]!["spec"]!["containers"]![0] = null)));
        yield return new("null toleration", path, Bytes(With(review, r => r["request"]!["object"]!["spec"]!["tolerations"]![0] = null)));
        yield return new("null volume", path, Bytes(With(review, r => r["request"]!["object"]!["spec"]!["volumes"]![1] = null)));
        yield return new("null match expression", path, Bytes(With(review, r => r["request"]!["object"]!["spec"]!["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchExpressions"]![0] = null)));
        yield return new("UPDATE with a mistyped oldObject", path, Bytes(With(review, r =>
        {
            r["request"]!["operation"] = "UPDATE";
            r["request"]!["oldObject"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = "x" } };
        })));
        yield return new("Deployment with a mistyped template", path, Bytes(Reviews.Request(Reviews.Deployment, "CREATE", "agents",
            new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonArray() } } })));
        yield return new("number where the uid belongs (huge)", path, Bytes(With(review, r => r["request"]!["uid"] = JsonNode.Parse("123456789012345678901234567890e99999"))));
    }

    /// <summary>(what, text to find, replacement adding a second copy of the key with a different value).</summary>
    public static readonly (string What, string From, string To)[] DuplicateKeySites =
    [
        ("spec.runtimeClassName", "\"runtimeClassName\":\"kata\"", "\"runtimeClassName\":\"kata\",\"runtimeClassName\":\"runc\""),
        ("spec.hostPID", "\"hostPID\":false", "\"hostPID\":false,\"hostPID\":true"),
        ("containers[0].securityContext.privileged", "\"privileged\":false,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}}],\"initContainers\"", "\"privileged\":false,\"privileged\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}}],\"initContainers\""),
        ("metadata.labels.app", "\"app\":\"research-agent\"", "\"app\":\"research-agent\",\"app\":\"other\""),
        ("request.uid", "\"uid\":\"", "\"uid\":\"first\",\"uid\":\""),
        ("request.operation", "\"operation\":\"CREATE\"", "\"operation\":\"DELETE\",\"operation\":\"CREATE\""),
        ("request.namespace", "\"namespace\":\"agents\",\"operation\"", "\"namespace\":\"kube-system\",\"namespace\":\"agents\",\"operation\""),
        ("request.object", "\"object\":{", "\"object\":null,\"object\":{"),
        ("spec (whole)", "\"spec\":{\"runtimeClassName\"", "\"spec\":{},\"spec\":{\"runtimeClassName\""),
        ("escaped spelling of the same key", "\"hostNetwork\":false", "\"hostNetwork\":false,\"host\\u004eetwork\":true"),
    ];

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    private static JsonObject With(JsonObject review, Action<JsonObject> change)
    {
        var copy = review.DeepClone().AsObject();
        change(copy);
        return copy;
    }

    private static byte[] Replace(string text, string find, byte[] replacement)
    {
        var i = text.IndexOf(find, StringComparison.Ordinal);
        Assert.True(i >= 0, $"'{find}' not in the review");
        return [.. Encoding.UTF8.GetBytes(text[..i]), .. replacement, .. Encoding.UTF8.GetBytes(text[(i + find.Length)..])];
    }

    /// <summary>Sets the node at a dotted path (array indexes as numbers; a segment that is not found is taken as a key with dots).</summary>
    private static bool Set(JsonNode root, string path, JsonNode? value)
    {
        var (parent, last) = Resolve(root, path);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                return true;
            case JsonArray a when int.TryParse(last, out var i) && i < a.Count:
                a[i] = value;
                return true;
            default:
                return false;
        }
    }

    private static void Remove(JsonNode root, string path)
    {
        var (parent, last) = Resolve(root, path);
        if (parent is JsonObject o)
        {
            o.Remove(last);
        }
        else if (parent is JsonArray a && int.TryParse(last, out var i) && i < a.Count)
        {
            a.RemoveAt(i);
        }
    }

    private static (JsonNode? Parent, string Last) Resolve(JsonNode root, string path)
    {
        // Keys such as "example.org/note" contain dots: at each level the longest key present wins.
        var segments = path.Split('.');
        JsonNode? node = root;
        var i = 0;
        while (node is not null)
        {
            var rest = string.Join('.', segments[i..]);
            if (node is JsonObject whole && whole.ContainsKey(rest) || !rest.Contains('.', StringComparison.Ordinal))
            {
                return (node, rest);
            }

            var take = segments.Length - i - 1;
            JsonNode? child = null;
            for (; take >= 1 && child is null; take--)
            {
                var key = string.Join('.', segments[i..(i + take)]);
                child = node switch
                {
                    JsonObject o when o.ContainsKey(key) => o[key],
                    JsonArray a when int.TryParse(key, out var n) && n < a.Count => a[n],
                    _ => null,
                };
                if (child is not null)
                {
                    i += take;
                }
            }

            node = child;
        }

        return (null, "");
    }
}
