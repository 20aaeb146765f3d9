using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>
/// <see cref="PolicyFields.Object"/> lists everything the policy reads: an object pruned to it gets the
/// same decision, messages, warnings and patches as the whole object, for Pods, Deployments, CronJobs
/// and Namespaces, on CREATE and UPDATE, before and after mutation, with noise the policy does not
/// read and with read fields of the wrong JSON type.
/// </summary>
public class PolicyFieldsTests
{
    private static readonly RequestUser Developer = new("dev@example.com", ["system:authenticated", "developers"]);
    private static readonly RequestUser Admin = new("root", ["system:masters"]);

    /// <summary>The cluster <see cref="MutationPropertyTests"/> evaluates its generated pods against.</summary>
    private static readonly ClusterSnapshot GeneratedPodsState = Cluster(
        [Workload("a", WorkloadType.Agent, matchApp: "a"), Workload("t", WorkloadType.Tool, matchApp: "t"), Workload("i", WorkloadType.Internal, matchApp: "i")],
        namespaces: new() { ["enforced"] = new() { [WellKnown.EnforceLabel] = "kata" } });

    private static readonly (string ApiVersion, string Kind, string[] Path)[] Forms =
    [
        ("v1", "Pod", []),
        ("apps/v1", "Deployment", ["spec", "template"]),
        ("batch/v1", "CronJob", ["spec", "jobTemplate", "spec", "template"]),
    ];

    [Fact]
    public void Samples_and_violation_examples_decide_the_same_when_pruned()
    {
        var root = RepoRoot();
        var files = Directory.GetFiles(Path.Combine(root, "config", "samples"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        files.Add(Path.Combine(root, "config", "examples", "violations.yaml"));
        var docs = new List<ManifestDocument>();
        foreach (var file in files)
        {
            var (parsed, errors) = ManifestParser.Parse(File.ReadAllText(file), Path.GetFileName(file));
            Assert.Empty(errors);
            docs.AddRange(parsed);
        }

        var set = ManifestSet.From(docs);
        var compare = new Comparison();
        foreach (var target in set.Targets.Where(t => PodTemplates.PathTo(t.Group, t.Kind) is not null))
        {
            var name = $"{target.Location} {target.Kind} {target.Name}";
            var obj = target.Object;
            CheckAllOperations(compare, name, obj, Baseline(obj), set.State);
            CheckAllOperations(compare, name + " with noise", WithNoise(obj, new Random(1)), obj, set.State);
            foreach (var (form, pod) in Forms.Select(f => (f, AsForm(PodOf(obj), f))))
            {
                CheckAllOperations(compare, $"{name} as {form.Kind}", pod, Baseline(pod), set.State);
                CheckAllOperations(compare, $"{name} as {form.Kind} with noise", WithNoise(pod, new Random(2)), pod, set.State);
            }
        }

        compare.AssertSame();
        Assert.True(set.Targets.Count >= 10, $"only {set.Targets.Count} targets in the samples");
        Assert.True(compare.Denied403 > 20 && compare.Patched > 10, compare.Summary);
    }

    [Fact]
    public void Objects_of_the_existing_decision_tests_decide_the_same_when_pruned()
    {
        var compare = new Comparison();
        foreach (var row in PodValidationTests.Cases)
        {
            CheckPodInEveryForm(compare, "validation: " + row[0], (JsonObject)row[1], (ClusterSnapshot)row[2]);
        }

        foreach (var row in BypassTests.Denied)
        {
            CheckPodInEveryForm(compare, "bypass: " + row[0], (JsonObject)row[1], (ClusterSnapshot)row[2]);
        }

        foreach (var row in PodMutatorTests.Cases)
        {
            CheckPodInEveryForm(compare, "mutation: " + row[0], (JsonObject)row[1], (ClusterSnapshot)row[2]);
        }

        compare.AssertSame();
        Assert.True(compare.Denied403 > 100 && compare.Patched > 20 && compare.PreExisting > 20, compare.Summary);
    }

    [Fact]
    public void Generated_pods_decide_the_same_when_pruned()
    {
        var compare = new Comparison();
        JsonObject? previous = null;
        foreach (var row in MutationPropertyTests.Pods())
        {
            var pod = (JsonObject)row[1];
            CheckPodInEveryForm(compare, $"generated #{row[0]}", pod, GeneratedPodsState, otherOld: previous);
            previous = pod;
        }

        compare.AssertSame();
        Assert.True(compare.Denied403 > 100 && compare.Patched > 100, compare.Summary);
    }

    [Fact]
    public void Pods_with_noise_the_policy_does_not_read_decide_the_same_when_pruned()
    {
        var compare = new Comparison();
        var random = new Random(31337);
        var sources = MutationPropertyTests.Pods().Select(r => (Name: $"generated #{r[0]}", Pod: (JsonObject)r[1], State: GeneratedPodsState))
            .Concat(PodValidationTests.Cases.Select(r => (Name: "validation: " + r[0], Pod: (JsonObject)r[1], State: (ClusterSnapshot)r[2])))
            .Append(("rich pod", RichPod(), GeneratedPodsState))
            .Concat(NotableValues.Select(v => ($"rich pod with {v.Path} = {v.Json}", RichPodWith(v.Path, v.Json), GeneratedPodsState)));
        foreach (var (name, pod, state) in sources)
        {
            foreach (var form in Forms)
            {
                var clean = AsForm(pod, form);
                var noisy = WithNoise(clean, random);
                Assert.NotEqual(clean.ToJsonString(), noisy.ToJsonString());
                CheckAllOperations(compare, $"{name} as {form.Kind} with noise", noisy, clean, state);
                CheckAllOperations(compare, $"{name} as {form.Kind} with noise, old noisy too", noisy, WithNoise(clean, random), state);
            }
        }

        compare.AssertSame();
        Assert.True(compare.Denied403 > 100 && compare.Patched > 100, compare.Summary);
    }

    /// <summary>Values of read fields that change decisions, set on <see cref="RichPod"/>.</summary>
    private static readonly (string Path, string Json)[] NotableValues =
    [
        ("spec.ephemeralContainers[0].securityContext.seccompProfile.type", "\"Unconfined\""),
        ("spec.initContainers[0].securityContext.seccompProfile", "{\"type\":\"Unconfined\"}"),
        ("spec.containers[1].securityContext", "{\"privileged\":true}"),
        ("spec.ephemeralContainers[0].securityContext.privileged", "true"),
        ("spec.securityContext.seccompProfile.type", "\"Unconfined\""),
        ("spec.volumes[1].hostPath", "{\"path\":\"/\"}"),
        ("spec.hostPID", "true"),
        ("spec.runtimeClassName", "\"kata\""),
        ("metadata.labels", "{\"agentsandbox.io/workload-type\":\"mcp-server\"}"),
        ("metadata.annotations", "null"),
        ("metadata.deletionTimestamp", "\"2025-01-01T00:00:00Z\""),
    ];

    /// <summary>Fields the policy reads, each set to a value of a type it does not accept.</summary>
    private static readonly (string Path, string Json)[] WrongTypes =
    [
        ("metadata", "5"), ("metadata", "\"meta\""), ("metadata", "[{\"name\":\"p\"}]"),
        ("metadata.name", "5"), ("metadata.generateName", "{}"),
        ("metadata.labels", "\"app=a\""), ("metadata.labels", "[\"app\"]"), ("metadata.labels.app", "1"), ("metadata.labels.app", "{\"x\":1}"),
        ("metadata.annotations", "true"), ("metadata.annotations.note", "[1]"), ("metadata.annotations.note", "null"),
        ("metadata.deletionTimestamp", "{\"at\":1}"),
        ("spec", "\"x\""), ("spec", "[{\"containers\":[]}]"), ("spec", "null"),
        ("spec.runtimeClassName", "5"), ("spec.runtimeClassName", "{\"name\":\"kata\"}"),
        ("spec.nodeName", "[]"), ("spec.nodeSelector", "\"pool=kata\""), ("spec.nodeSelector.zone", "3"),
        ("spec.hostNetwork", "\"true\""), ("spec.hostPID", "1"), ("spec.hostIPC", "{}"),
        ("spec.tolerations", "{\"key\":\"k\"}"), ("spec.tolerations", "\"all\""), ("spec.tolerations[0]", "\"Exists\""),
        ("spec.tolerations[0].key", "1"), ("spec.tolerations[0].operator", "[]"), ("spec.tolerations[0].value", "true"), ("spec.tolerations[0].effect", "{}"),
        ("spec.affinity", "[]"), ("spec.affinity.nodeAffinity", "\"x\""),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution", "1"),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", "{\"matchExpressions\":[]}"),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]", "\"t\""),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions", "\"e\""),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]", "2"),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key", "[]"),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator", "1"),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values", "\"a\""),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]", "1"),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[1].matchFields", "{}"),
        ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[1].matchFields[0].values", "{\"v\":1}"),
        ("spec.securityContext", "\"restricted\""), ("spec.securityContext.seccompProfile", "[]"), ("spec.securityContext.seccompProfile.type", "5"),
        ("spec.containers", "{\"name\":\"c\"}"), ("spec.containers", "null"), ("spec.containers[0]", "\"c\""), ("spec.containers[0].name", "7"),
        ("spec.containers[0].securityContext", "[]"), ("spec.containers[0].securityContext.privileged", "\"yes\""),
        ("spec.containers[0].securityContext.seccompProfile", "\"RuntimeDefault\""), ("spec.containers[0].securityContext.seccompProfile.type", "{}"),
        ("spec.initContainers", "5"), ("spec.initContainers[0].securityContext.privileged", "1"), ("spec.initContainers[0].name", "false"),
        ("spec.ephemeralContainers[0]", "[]"), ("spec.ephemeralContainers[0].securityContext", "\"privileged\""),
        ("spec.ephemeralContainers[0].securityContext.seccompProfile", "1"), ("spec.ephemeralContainers[0].securityContext.seccompProfile.type", "[]"),
        ("spec.volumes", "\"v\""), ("spec.volumes[0]", "3"), ("spec.volumes[0].name", "[]"), ("spec.volumes[0].hostPath", "\"/\""),
    ];

    [Fact]
    public void Read_fields_of_the_wrong_json_type_give_the_same_errors_when_pruned()
    {
        var compare = new Comparison();
        var random = new Random(99);
        var rich = RichPod();
        foreach (var (path, json) in WrongTypes)
        {
            var broken = (JsonObject)rich.DeepClone();
            Set(broken, path, JsonNode.Parse(json));
            foreach (var form in Forms)
            {
                var name = $"{path} = {json} as {form.Kind}";
                var obj = WithNoise(AsForm(broken, form), random);
                var good = AsForm(rich, form);
                CheckAllOperations(compare, name, obj, good, GeneratedPodsState);
                // An unreadable old object: the update is judged on the new one alone.
                Check(compare, name + " (as the old object)", good, AdmissionOperation.Update, obj, mutationApplied: true, GeneratedPodsState);
            }
        }

        // The pod template itself of the wrong type, or missing.
        var controllerBreaks = new (int Form, string Path, string Json)[]
        {
            (1, "spec", "\"x\""), (1, "spec.template", "5"), (1, "spec.template", "[]"), (1, "spec.template", "null"),
            (2, "spec.jobTemplate", "\"j\""), (2, "spec.jobTemplate.spec", "[]"), (2, "spec.jobTemplate.spec.template", "true"),
        };
        foreach (var (form, path, json) in controllerBreaks)
        {
            var obj = AsForm(rich, Forms[form]);
            Set(obj, path, JsonNode.Parse(json));
            CheckAllOperations(compare, $"{Forms[form].Kind} {path} = {json}", WithNoise(obj, random), AsForm(rich, Forms[form]), GeneratedPodsState);
        }

        compare.AssertSame();
        Assert.True(compare.Unreadable400 > WrongTypes.Length * Forms.Length * 3, compare.Summary);
    }

    [Fact]
    public void Namespace_updates_decide_the_same_when_pruned()
    {
        var compare = new Comparison();
        string[] labelSets =
        [
            "{}", """{"agentsandbox.io/enforce":"kata"}""", """{"agentsandbox.io/enforce":"gvisor"}""", """{"agentsandbox.io/enforce":"Kata"}""",
            """{"agentsandbox.io/mode":"audit"}""", """{"agentsandbox.io/mode":"enforce"}""", """{"agentsandbox.io/enforce":"kata","team":"a"}""", "null",
            "\"enforce=kata\"", """{"agentsandbox.io/enforce":1}""",
        ];
        var random = new Random(5);
        var configs = new[] { PolicyConfig.Default, PolicyConfig.Default with { Mode = EnforcementMode.Audit } };
        foreach (var before in labelSets)
        {
            foreach (var after in labelSets)
            {
                foreach (var user in new[] { Developer, Admin })
                {
                    foreach (var config in configs)
                    {
                        var name = $"namespace {before} -> {after} by {user.Username} in {config.Mode}";
                        Check(compare, name, Namespace(after, random), AdmissionOperation.Update, Namespace(before, random), mutationApplied: false, ClusterSnapshot.Empty, config, user);
                        Check(compare, name + " (create)", Namespace(after, random), AdmissionOperation.Create, null, mutationApplied: false, ClusterSnapshot.Empty, config, user);
                    }
                }
            }
        }

        // A namespace is read by the pod reader, so its spec and metadata fields can also be unreadable.
        foreach (var (path, json) in new[] { ("metadata", "\"m\""), ("spec.hostNetwork", "\"yes\""), ("spec.containers", "{}"), ("metadata.annotations", "[]"), ("spec", "7") })
        {
            var broken = Namespace("""{"agentsandbox.io/enforce":"kata"}""", random);
            Set(broken, path, JsonNode.Parse(json));
            Check(compare, $"namespace {path} = {json}", broken, AdmissionOperation.Update, Namespace("{}", random), mutationApplied: false, ClusterSnapshot.Empty, user: Developer);
            Check(compare, $"namespace {path} = {json} (old)", Namespace("{}", random), AdmissionOperation.Update, broken, mutationApplied: false, ClusterSnapshot.Empty, user: Developer);
        }

        compare.AssertSame();
        Assert.True(compare.Denied403 > 20 && compare.Unreadable400 > 20, compare.Summary);
    }

    [Fact]
    public void Agent_workloads_decide_the_same_when_pruned()
    {
        var compare = new Comparison();
        string[] specs =
        [
            """{"type":"Agent"}""",
            """{"type":"Tool","riskTier":"High"}""",
            """{"type":"MCPServer","riskTier":"Low"}""",
            """{"type":"Internal","riskTier":"Medium","traits":{"executesUntrustedCode":true}}""",
            """{"type":"ExecTool","riskTier":"Medium","selector":{"matchLabels":{"app":"x"},"matchExpressions":[{"key":"k","operator":"In","values":["a"]}]}}""",
            """{"type":"Tool","traits":{"runsThirdPartySkills":false,"processesUntrustedContent":true}}""",
            // Read fields of the wrong type or value: refused the same way.
            """{"type":"Mcp"}""", """{"type":5}""", """{"riskTier":"Extreme","type":"Tool"}""", """{"type":"Tool","traits":"all"}""",
            """{"type":"Tool","traits":{"executesUntrustedCode":"yes"}}""", """{"type":"Tool","selector":[]}""",
            """{"type":"Tool","selector":{"matchExpressions":[{"key":"k","operator":"In"}]}}""", "\"spec\"", "null",
        ];
        var random = new Random(11);
        foreach (var spec in specs)
        {
            foreach (var config in new[] { PolicyConfig.Default, PolicyConfig.Default with { Mode = EnforcementMode.Audit } })
            {
                var workload = AgentWorkloadObject(spec, random);
                var other = AgentWorkloadObject(specs[random.Next(specs.Length)], random);
                Check(compare, $"AgentWorkload {spec} in {config.Mode}", workload, AdmissionOperation.Create, null, mutationApplied: false, ClusterSnapshot.Empty, config);
                Check(compare, $"AgentWorkload {spec} in {config.Mode}", workload, AdmissionOperation.Update, other, mutationApplied: false, ClusterSnapshot.Empty, config);
            }
        }

        compare.AssertSame();
        Assert.True(compare.Unreadable400 >= 16, compare.Summary);
    }

    [Fact]
    public void Sandbox_exceptions_decide_the_same_when_pruned()
    {
        var compare = new Comparison();
        const string Selector = "\"selector\":{\"matchLabels\":{\"app\":\"x\"}}";
        string[] specs =
        [
            "{" + Selector + ",\"grant\":\"RunInGVisor\",\"reason\":\"r\",\"owner\":\"o\",\"expiresAt\":\"2026-06-20T00:00:00Z\"}",
            "{" + Selector + ",\"grant\":\"TolerateExtraPool\",\"pool\":\"GVisor\",\"reason\":\"r\",\"owner\":\"o\",\"expiresAt\":\"2026-06-20T00:00:00Z\"}",
            "{" + Selector + ",\"grant\":\"RunInGVisor\",\"reason\":\"r\",\"owner\":\"o\",\"expiresAt\":\"2027-06-20T00:00:00Z\"}",
            "{" + Selector + ",\"grant\":\"RunInGVisor\",\"pool\":\"Kata\",\"reason\":\"r\",\"owner\":\"o\",\"expiresAt\":\"2026-06-20T00:00:00Z\"}",
            "{" + Selector + ",\"grant\":\"RunInGVisor\",\"reason\":\" \",\"owner\":\"o\",\"expiresAt\":\"soon\"}",
            "{\"grant\":\"Forever\"}", "null",
        ];
        var random = new Random(13);
        foreach (var spec in specs)
        {
            foreach (var user in new[] { new RequestUser("alice", ["system:masters"]), new RequestUser("bob", ["developers"]) })
            {
                var exception = SandboxExceptionObject(spec, random);
                var other = SandboxExceptionObject(specs[random.Next(specs.Length)], random);
                Check(compare, $"SandboxException {spec} by {user.Username}", exception, AdmissionOperation.Create, null, mutationApplied: false, ClusterSnapshot.Empty, user: user);
                Check(compare, $"SandboxException {spec} by {user.Username}", exception, AdmissionOperation.Update, other, mutationApplied: false, ClusterSnapshot.Empty, user: user);
            }
        }

        compare.AssertSame();
        Assert.True(compare.Denied403 >= 4 && compare.Unreadable400 >= 6, compare.Summary);
    }

    /// <summary>A SandboxException as the API server sends it, with fields the policy does not read.</summary>
    private static JsonObject SandboxExceptionObject(string spec, Random random)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = "agentsandbox.io/v1alpha1",
            ["kind"] = "SandboxException",
            ["metadata"] = JsonNode.Parse("""{"name":"e","namespace":"default","uid":"2a0c","resourceVersion":"7","generation":1,"managedFields":[{"manager":"kubectl","operation":"Apply"}]}"""),
            ["spec"] = JsonNode.Parse(spec),
        };
        if (random.Next(2) == 0)
        {
            obj["metadata"]!["annotations"] = new JsonObject { ["kubectl.kubernetes.io/last-applied-configuration"] = "{}" };
        }

        return obj;
    }

    /// <summary>An AgentWorkload as the API server sends it, with fields the policy does not read.</summary>
    private static JsonObject AgentWorkloadObject(string spec, Random random)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = "agentsandbox.io/v1alpha1",
            ["kind"] = "AgentWorkload",
            ["metadata"] = JsonNode.Parse("""{"name":"w","namespace":"default","uid":"1f0c","resourceVersion":"42","generation":3,"managedFields":[{"manager":"kubectl","operation":"Apply"}]}"""),
            ["spec"] = JsonNode.Parse(spec),
        };
        if (random.Next(2) == 0)
        {
            obj["status"] = JsonNode.Parse("""{"riskTier":"Low","conditions":[{"type":"Ready","status":"True"}]}""");
            obj["metadata"]!["annotations"] = new JsonObject { ["kubectl.kubernetes.io/last-applied-configuration"] = "{}" };
        }

        return obj;
    }

    [Fact]
    public void Pruning_a_realistic_pod_drops_managed_fields_env_probes_and_status()
    {
        var pod = WithNoise(RichPod(), new Random(7));
        var text = pod.ToJsonString();
        var pruned = PrunedText(text);

        Assert.True(pruned.Length * 3 < text.Length, $"pruned to {pruned.Length} of {text.Length} bytes");
        foreach (var dropped in new[] { "managedFields", "\"env\"", "livenessProbe", "readinessProbe", "startupProbe", "\"claims\"", "\"status\"", "\"image\"", "mountPath", "subPath", "\"uid\"", "tolerationSeconds", "runAsUser", "podAntiAffinity", "\"configMap\"" })
        {
            Assert.DoesNotContain(dropped, pruned, StringComparison.Ordinal);
            Assert.Contains(dropped, text, StringComparison.Ordinal);
        }

        foreach (var kept in new[] { "\"runtimeClassName\":\"gvisor\"", "\"name\":\"app\"", "\"privileged\":false", "\"hostPath\":{\"path\":\"/var/log\",\"type\":\"Directory\"}", "\"values\":[\"a\",\"b\"]", "agentsandbox.io/reasons", "\"nvidia.com/gpu\":\"1\"", "\"mountPropagation\":\"Bidirectional\"", "\"kind\":\"ReplicaSet\"" })
        {
            Assert.Contains(kept, pruned, StringComparison.Ordinal);
        }

        var compare = new Comparison();
        CheckAllOperations(compare, "realistic pod", pod, RichPod(), GeneratedPodsState);
        compare.AssertSame();
    }

    // ---- One declaration: the reader can read nothing else ----

    /// <summary>Every node of <see cref="PolicyFields.Pod"/>, as the property path that leads to it (<c>[]</c> for array items).</summary>
    public static TheoryData<string> DeclaredFields()
    {
        var data = new TheoryData<string>();
        Walk(PolicyFields.Pod, "");
        return data;

        void Walk(JsonFieldSet node, string path)
        {
            if (node.Items is { } items)
            {
                Walk(items, path + "[]");
                return;
            }

            foreach (var (name, child) in node.Properties)
            {
                var at = path.Length == 0 ? name : path + "." + name;
                data.Add(at);
                Walk(child, at);
            }
        }
    }

    [Theory]
    [MemberData(nameof(DeclaredFields))]
    public void Reading_with_any_declared_field_left_out_throws_instead_of_seeing_it_absent(string field)
    {
        // A pod that sets every field the policy reads, also the ones RichPod leaves out.
        var pod = RichPod();
        pod["metadata"]!["deletionTimestamp"] = "2026-01-01T00:00:00Z";
        pod["spec"]!["nodeName"] = "node-1";
        pod["spec"]!["initContainers"]![0]!["securityContext"]!["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" };
        var element = JsonSerializer.SerializeToElement(pod);
        Assert.NotNull(PodSpecReader.Read(element).View);

        var reduced = Without(PolicyFields.Pod, field.Split('.'));
        var e = Assert.Throws<UndeclaredFieldException>(() => PodSpecReader.Read(element, fields: reduced));
        Assert.Contains($"\"{field.Split('.')[^1].Replace("[]", "", StringComparison.Ordinal)}\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_declaration_holds_the_pod_at_every_path_a_covered_kind_keeps_it()
    {
        foreach (var path in PodTemplates.Paths)
        {
            var node = PolicyFields.Object;
            foreach (var segment in path)
            {
                node = node.Find(Encoding.UTF8.GetBytes(segment))!;
                Assert.NotNull(node);
            }

            foreach (var (name, _) in PolicyFields.Pod.Properties)
            {
                Assert.NotNull(node.Find(Encoding.UTF8.GetBytes(name)));
            }

            Assert.Same(node, PolicyFields.PodAt(path));
        }
    }

    /// <summary><paramref name="set"/> without the node at <paramref name="path"/> (segments ending in <c>[]</c> step into array items).</summary>
    private static JsonFieldSet Without(JsonFieldSet set, string[] path)
    {
        var (segment, rest) = (path[0], path[1..]);
        var isArray = segment.EndsWith("[]", StringComparison.Ordinal);
        var name = isArray ? segment[..^2] : segment;
        var kept = new List<(string, JsonFieldSet)>();
        foreach (var (n, child) in set.Properties)
        {
            if (n != name)
            {
                kept.Add((n, child));
            }
            else if (rest.Length > 0)
            {
                kept.Add((n, isArray ? JsonFieldSet.ArrayOf(Without(child.Items!, rest)) : Without(child, rest)));
            }
        }

        return JsonFieldSet.Object([.. kept]);
    }

    // ---- Comparing decisions ----

    private static void CheckPodInEveryForm(Comparison compare, string name, JsonObject pod, ClusterSnapshot state, JsonObject? otherOld = null)
    {
        foreach (var form in Forms)
        {
            var obj = AsForm(pod, form);
            CheckAllOperations(compare, $"{name} as {form.Kind}", obj, otherOld is null ? Baseline(obj) : AsForm(otherOld, form), state);
        }
    }

    /// <summary>CREATE, UPDATE from itself and UPDATE from <paramref name="otherOld"/>, each before and after mutation.</summary>
    private static void CheckAllOperations(Comparison compare, string name, JsonObject obj, JsonObject otherOld, IClusterState state)
    {
        foreach (var applied in new[] { false, true })
        {
            Check(compare, name, obj, AdmissionOperation.Create, null, applied, state);
            Check(compare, name, obj, AdmissionOperation.Update, obj, applied, state);
            Check(compare, name, obj, AdmissionOperation.Update, otherOld, applied, state);
        }
    }

    private static void Check(Comparison compare, string name, JsonObject obj, AdmissionOperation op, JsonObject? old, bool mutationApplied, IClusterState state, PolicyConfig? config = null, RequestUser? user = null)
    {
        var apiVersion = obj["apiVersion"]!.GetValue<string>();
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        var kind = obj["kind"]!.GetValue<string>();
        var meta = obj["metadata"] as JsonObject;
        var ns = meta?["namespace"] is JsonValue nsValue && nsValue.TryGetValue<string>(out var n) ? n : "default";
        var objName = meta?["name"] is JsonValue nameValue && nameValue.TryGetValue<string>(out var nm) ? nm : null;

        AdmissionRequest Request(bool prune) => new(op, group, kind, ns, objName, Element(obj, prune), old is null ? null : Element(old, prune), User: user, MutationApplied: mutationApplied);

        var full = AdmissionEvaluator.Evaluate(Request(prune: false), config ?? PolicyConfig.Default, state, TestData.Now);
        var pruned = AdmissionEvaluator.Evaluate(Request(prune: true), config ?? PolicyConfig.Default, state, TestData.Now);
        compare.Add($"{name} [{op}{(old is null ? "" : old == obj ? " from itself" : " from another")}, mutationApplied={mutationApplied}]", full, pruned);
    }

    private static JsonElement Element(JsonObject obj, bool prune)
    {
        var text = obj.ToJsonString();
        return JsonDocument.Parse(prune ? PrunedText(text) : text).RootElement;
    }

    private static string PrunedText(string text)
    {
        var input = Encoding.UTF8.GetBytes(text);
        var output = new byte[input.Length];
        var error = JsonPruner.Prune(input, PolicyFields.Object, output, 64, out var written);
        Assert.True(error is null, $"pruning refused {text}: {error?.Kind} {error?.Message}");
        return Encoding.UTF8.GetString(output, 0, written);
    }

    private static string Render(AdmissionDecision d)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Allowed={d.Allowed} Mode={d.Mode} Covered={d.Covered} StatusCode={d.StatusCode}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Message={d.Message}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Tier={d.Tier} Runtime={d.Runtime} RuntimeClassName={d.RuntimeClassName} Workload={d.Workload}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Reasons={string.Join(" | ", d.Reasons)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Warnings={string.Join(" | ", d.Warnings)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"MutationWarnings={string.Join(" | ", d.MutationWarnings)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Violations={string.Join(" | ", d.Violations.Select(v => $"{v.Key}: {v.Message}"))}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Patch={JsonPatch.ToJson(d.Patch)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"MutationPatch={JsonPatch.ToJson(d.MutationPatch)}");
        return sb.ToString();
    }

    /// <summary>Collects every decision that differs, so one run reports them all.</summary>
    private sealed class Comparison
    {
        private readonly List<string> _differences = [];
        private int _count;

        public int Denied403 { get; private set; }
        public int Unreadable400 { get; private set; }
        public int Patched { get; private set; }
        public int PreExisting { get; private set; }

        public string Summary => $"{_count} comparisons: {Denied403} denied (403), {Unreadable400} unreadable (400), {Patched} patched, {PreExisting} with pre-existing violations";

        public void Add(string name, AdmissionDecision full, AdmissionDecision pruned)
        {
            _count++;
            var (a, b) = (Render(full), Render(pruned));
            if (a != b)
            {
                _differences.Add($"{name}\n--- whole object:\n{a}--- pruned object:\n{b}");
            }

            Denied403 += full.StatusCode == 403 ? 1 : 0;
            Unreadable400 += full.StatusCode == 400 ? 1 : 0;
            Patched += full.MutationPatch.Count > 0 ? 1 : 0;
            PreExisting += full.Warnings.Any(w => w.StartsWith("pre-existing", StringComparison.Ordinal)) ? 1 : 0;
        }

        public void AssertSame()
        {
            Assert.True(_count > 0, "nothing was compared");
            Assert.True(_differences.Count == 0, $"{_differences.Count} of {_count} decisions differ when the object is pruned; the first ones:\n\n{string.Join("\n\n", _differences.Take(5))}");
        }
    }

    // ---- Objects ----

    /// <summary>The pod part (metadata and spec) of a Pod or of a controller's template.</summary>
    private static JsonObject PodOf(JsonObject obj)
    {
        var kind = obj["kind"]!.GetValue<string>();
        JsonNode? node = obj;
        var path = kind switch { "Pod" => Array.Empty<string>(), "CronJob" => new[] { "spec", "jobTemplate", "spec", "template" }, _ => new[] { "spec", "template" } };
        foreach (var segment in path)
        {
            node = node![segment];
        }

        var pod = (JsonObject)node!.DeepClone();
        var meta = pod["metadata"] as JsonObject ?? [];
        pod["metadata"] = meta;
        meta["name"] ??= obj["metadata"]?["name"]?.DeepClone();
        meta["namespace"] ??= obj["metadata"]?["namespace"]?.DeepClone();
        pod["apiVersion"] = "v1";
        pod["kind"] = "Pod";
        return pod;
    }

    /// <summary>The pod as a Pod, Deployment or CronJob: its metadata and spec become the template's, whatever their types.</summary>
    private static JsonObject AsForm(JsonObject pod, (string ApiVersion, string Kind, string[] Path) form)
    {
        if (form.Path.Length == 0)
        {
            var copy = (JsonObject)pod.DeepClone();
            copy["apiVersion"] = form.ApiVersion;
            copy["kind"] = form.Kind;
            return copy;
        }

        var template = new JsonObject();
        foreach (var key in new[] { "metadata", "spec" })
        {
            if (pod.TryGetPropertyValue(key, out var value))
            {
                template[key] = value?.DeepClone();
            }
        }

        if (template["metadata"] is JsonObject tm)
        {
            tm.Remove("namespace");
        }

        JsonNode node = template;
        foreach (var segment in form.Path.Reverse())
        {
            node = new JsonObject { [segment] = node };
        }

        var obj = (JsonObject)node;
        var podMeta = pod["metadata"] as JsonObject;
        obj["apiVersion"] = form.ApiVersion;
        obj["kind"] = form.Kind;
        obj["metadata"] = new JsonObject
        {
            ["name"] = podMeta?["name"] is JsonValue name && name.TryGetValue<string>(out var s) ? s : "c",
            ["namespace"] = podMeta?["namespace"] is JsonValue ns && ns.TryGetValue<string>(out var n) ? n : "default",
        };
        return obj;
    }

    /// <summary>An older version of the same kind of object: a plain pod without labels or extras.</summary>
    private static JsonObject Baseline(JsonObject obj)
    {
        var kind = obj["kind"]!.GetValue<string>();
        var meta = obj["metadata"] as JsonObject;
        var plain = Pod(
            meta?["name"] is JsonValue name && name.TryGetValue<string>(out var s) ? s : "p",
            meta?["namespace"] is JsonValue ns && ns.TryGetValue<string>(out var n) ? n : "default");
        var form = Forms.FirstOrDefault(f => f.Kind == kind);
        if (form.Kind is null)
        {
            // Another controller kind: keep its wrapping, replace its template.
            var copy = (JsonObject)obj.DeepClone();
            copy["spec"]!["template"] = new JsonObject { ["metadata"] = new JsonObject(), ["spec"] = plain["spec"]!.DeepClone() };
            return copy;
        }

        return AsForm(plain, form);
    }

    private static JsonObject Namespace(string labels, Random random)
    {
        var meta = new JsonObject { ["name"] = "agents" };
        if (labels != "null")
        {
            meta["labels"] = JsonNode.Parse(labels);
        }

        var ns = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = meta, ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") } };
        return random.Next(2) == 0 ? ns : WithNoise(ns, random);
    }

    /// <summary>A pod using every field the policy reads, with values it accepts.</summary>
    private static JsonObject RichPod() => (JsonObject)JsonNode.Parse("""
        {
          "apiVersion": "v1",
          "kind": "Pod",
          "metadata": {
            "name": "rich",
            "generateName": "rich-",
            "namespace": "default",
            "labels": {"app": "t", "tier": "backend"},
            "annotations": {"note": "hello", "agentsandbox.io/reasons": "old reasons"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rich-1", "uid": "u-1", "controller": true}]
          },
          "spec": {
            "runtimeClassName": "gvisor",
            "nodeSelector": {"zone": "a"},
            "hostNetwork": false,
            "hostPID": false,
            "hostIPC": false,
            "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "affinity": {
              "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                  "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]},
                    {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["x"]}]}
                  ]
                }
              }
            },
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [{"name": "init", "securityContext": {"privileged": false},
              "resources": {"limits": {"cpu": "1", "nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}},
              "volumeMounts": [{"name": "cfg", "mountPath": "/c", "mountPropagation": "Bidirectional"}]}],
            "containers": [
              {"name": "app", "securityContext": {"privileged": false, "seccompProfile": {"type": "RuntimeDefault"}},
               "resources": {"limits": {"memory": "1Gi", "amd.com/gpu": 1}, "requests": {"memory": "1Gi", "amd.com/gpu": 1}},
               "volumeMounts": [{"name": "logs", "mountPath": "/l", "mountPropagation": "Bidirectional"}]},
              {"name": "sidecar"}
            ],
            "ephemeralContainers": [{"name": "debug", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
              "resources": {"limits": {"gpu.intel.com/i915": "1"}, "requests": {"gpu.intel.com/i915": "1"}},
              "volumeMounts": [{"name": "cfg", "mountPath": "/c", "mountPropagation": "Bidirectional"}]}],
            "volumes": [{"name": "logs", "hostPath": {"path": "/var/log", "type": "Directory"}}, {"name": "cfg"}]
          }
        }
        """)!;

    private static JsonObject RichPodWith(string path, string json)
    {
        var pod = RichPod();
        Set(pod, path, JsonNode.Parse(json));
        return pod;
    }

    /// <summary>
    /// Adds what real objects carry and the policy does not read: server-set metadata, managedFields,
    /// env, probes, resources, status, unknown fields, and extra fields next to read ones. Objects of
    /// the wrong type are left as they are.
    /// </summary>
    private static JsonObject WithNoise(JsonObject obj, Random random)
    {
        var copy = (JsonObject)obj.DeepClone();
        AddPodNoise(copy, random);
        copy["status"] = JsonNode.Parse("""{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2025-01-01T00:00:00Z"}],"podIP":"10.0.0.7","containerStatuses":[{"name":"app","ready":true,"restartCount":0,"image":"nginx"}]}""");
        copy["futureTopLevel"] = new JsonObject { ["x"] = new JsonArray(1, "two", null) };
        if (copy["spec"] is JsonObject spec)
        {
            spec["replicas"] = 3;
            spec["selector"] = JsonNode.Parse("""{"matchLabels":{"app":"x"},"matchExpressions":[{"key":"k","operator":"Exists"}]}""");
            spec["strategy"] = JsonNode.Parse("""{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}}""");
            spec["schedule"] = "*/5 * * * *";
            if (spec["template"] is JsonObject template)
            {
                AddPodNoise(template, random);
            }

            if (spec["jobTemplate"] is JsonObject jobTemplate)
            {
                jobTemplate["metadata"] = JsonNode.Parse("""{"labels":{"job":"x"},"creationTimestamp":null}""");
                if (jobTemplate["spec"] is JsonObject jobSpec)
                {
                    jobSpec["backoffLimit"] = 6;
                    jobSpec["completions"] = 1;
                    if (jobSpec["template"] is JsonObject jobPod)
                    {
                        AddPodNoise(jobPod, random);
                    }
                }
            }
        }

        return copy;
    }

    private static void AddPodNoise(JsonObject pod, Random random)
    {
        if (pod["metadata"] is JsonObject meta)
        {
            meta["uid"] = $"{random.Next():x8}-0000-4000-8000-{random.Next():x12}";
            meta["resourceVersion"] = random.Next(1_000_000).ToString(CultureInfo.InvariantCulture);
            meta["generation"] = 4;
            meta["creationTimestamp"] = "2025-01-01T00:00:00Z";
            meta["finalizers"] = new JsonArray("example.com/cleanup");
            meta["ownerReferences"] ??= JsonNode.Parse("""[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u","controller":true,"blockOwnerDeletion":true}]""");
            meta["managedFields"] = JsonNode.Parse("""
                [{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1",
                  "fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{},"f:image":{},"f:securityContext":{"f:privileged":{}}}},"f:runtimeClassName":{},"f:hostNetwork":{}}}},
                 {"manager":"kube-scheduler","operation":"Update","subresource":"status","fieldsV1":{"f:status":{"f:conditions":{}}}}]
                """);
            meta["selfLink"] = "/api/v1/namespaces/default/pods/x";
        }

        if (pod["spec"] is not JsonObject spec)
        {
            return;
        }

        spec["dnsPolicy"] = "ClusterFirst";
        spec["restartPolicy"] = "Always";
        spec["serviceAccountName"] = "default";
        spec["terminationGracePeriodSeconds"] = 30;
        spec["priority"] = 0;
        spec["topologySpreadConstraints"] = JsonNode.Parse("""[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":"x"}}}]""");
        spec["futureField"] = JsonNode.Parse("""{"nested":{"hostNetwork":true,"privileged":true,"runtimeClassName":"runc"}}""");
        if (spec["securityContext"] is JsonObject psc)
        {
            psc["runAsNonRoot"] = true;
            psc["fsGroup"] = 2000;
            psc["sysctls"] = JsonNode.Parse("""[{"name":"net.core.somaxconn","value":"1024"}]""");
            if (psc["seccompProfile"] is JsonObject psp)
            {
                psp["localhostProfile"] = "profiles/ignored.json";
            }
        }

        foreach (var key in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            if (spec[key] is not JsonArray containers)
            {
                continue;
            }

            foreach (var c in containers.OfType<JsonObject>())
            {
                c["image"] = "registry.example.com/app:1.2.3";
                c["imagePullPolicy"] = "IfNotPresent";
                c["command"] = new JsonArray("/bin/app", "--serve");
                c["env"] = JsonNode.Parse("""[{"name":"MODE","value":"prod"},{"name":"POD","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"SECRET","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]""");
                c["envFrom"] = JsonNode.Parse("""[{"configMapRef":{"name":"cfg"}}]""");
                c["ports"] = JsonNode.Parse("""[{"containerPort":8080,"protocol":"TCP","name":"http"}]""");
                c["resources"] ??= JsonNode.Parse("""{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}}""");
                if (c["resources"] is JsonObject res)
                {
                    res["claims"] = JsonNode.Parse("""[{"name":"gpu-claim"}]""");
                }

                c["readinessProbe"] = JsonNode.Parse("""{"httpGet":{"path":"/ready","port":8080},"periodSeconds":5}""");
                c["livenessProbe"] = JsonNode.Parse("""{"exec":{"command":["cat","/tmp/healthy"]},"initialDelaySeconds":3}""");
                c["startupProbe"] = JsonNode.Parse("""{"tcpSocket":{"port":8080},"failureThreshold":30}""");
                c["volumeMounts"] ??= JsonNode.Parse("""[{"name":"logs","mountPath":"/var/log/app","readOnly":true}]""");
                foreach (var m in (c["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    m["subPath"] = "app";
                    m["readOnly"] = true;
                }

                c["terminationMessagePath"] = "/dev/termination-log";
                c["futureContainerField"] = new JsonObject { ["privileged"] = true };
                if (c["securityContext"] is JsonObject sc)
                {
                    sc["runAsUser"] = 1000;
                    sc["allowPrivilegeEscalation"] = false;
                    sc["capabilities"] = JsonNode.Parse("""{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}""");
                    if (sc["seccompProfile"] is JsonObject sp)
                    {
                        sp["localhostProfile"] = "profiles/ignored.json";
                    }
                }
            }
        }

        if (spec["tolerations"] is JsonArray tolerations)
        {
            foreach (var t in tolerations.OfType<JsonObject>())
            {
                t["tolerationSeconds"] = 300;
                t["futureTolerationField"] = "x";
            }
        }

        if (spec["affinity"] is JsonObject affinity)
        {
            affinity["podAntiAffinity"] = JsonNode.Parse("""{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{"topologyKey":"kubernetes.io/hostname"}}]}""");
            if (affinity["nodeAffinity"] is JsonObject nodeAffinity)
            {
                nodeAffinity["preferredDuringSchedulingIgnoredDuringExecution"] = JsonNode.Parse("""[{"weight":1,"preference":{"matchExpressions":[{"key":"agentsandbox.io/pool","operator":"In","values":["kata"]}]}}]""");
                if (nodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"] is JsonObject required
                    && required["nodeSelectorTerms"] is JsonArray terms)
                {
                    required["futureRequiredField"] = 1;
                    foreach (var term in terms.OfType<JsonObject>())
                    {
                        term["futureTermField"] = new JsonArray("x");
                        foreach (var requirement in new[] { term["matchExpressions"], term["matchFields"] }.OfType<JsonArray>().SelectMany(a => a.OfType<JsonObject>()))
                        {
                            requirement["futureRequirementField"] = true;
                        }
                    }
                }
            }
        }

        if (spec["volumes"] is JsonArray volumes)
        {
            foreach (var v in volumes.OfType<JsonObject>())
            {
                if (v["hostPath"] is null && !v.ContainsKey("hostPath"))
                {
                    v["configMap"] = JsonNode.Parse("""{"name":"cfg","defaultMode":420}""");
                }
                else
                {
                    v["futureVolumeField"] = 1;
                }
            }

            volumes.Add(JsonNode.Parse("""{"name":"scratch","emptyDir":{"sizeLimit":"1Gi"}}"""));
        }
    }

    /// <summary>Sets the value at a dotted path with [index] steps (the containers along it must exist).</summary>
    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        var steps = new List<object>();
        foreach (var part in path.Split('.'))
        {
            var name = part;
            var indexes = new List<int>();
            while (name.EndsWith(']'))
            {
                var open = name.LastIndexOf('[');
                indexes.Insert(0, int.Parse(name[(open + 1)..^1], CultureInfo.InvariantCulture));
                name = name[..open];
            }

            steps.Add(name);
            steps.AddRange(indexes.Cast<object>());
        }

        JsonNode node = root;
        for (var i = 0; i < steps.Count - 1; i++)
        {
            node = steps[i] is string key ? node[key]! : node[(int)steps[i]]!;
        }

        if (steps[^1] is string last)
        {
            node[last] = value;
        }
        else
        {
            node[(int)steps[^1]] = value;
        }
    }
}
