using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Export;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Policy.Tests.Export;

public class PolicyExportTests
{
    private static readonly StructuralSchema ClusterPolicySchema = StructuralSchema.Load("kyverno.io_clusterpolicies_v1.json");
    private static readonly StructuralSchema VapSchema = StructuralSchema.Load("admissionregistration.k8s.io_v1_validatingadmissionpolicy.json", "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy");
    private static readonly StructuralSchema BindingSchema = StructuralSchema.Load("admissionregistration.k8s.io_v1_validatingadmissionpolicy.json", "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding");

    private static PolicyConfig Config(string yaml)
    {
        var (config, errors) = PolicyConfigLoader.Load(yaml);
        Assert.Empty(errors);
        return config!;
    }

    private static readonly PolicyConfig Guidance = Config("enforcedNamespaces: [openclaw, clawql]\n");

    public static TheoryData<string> Configurations => new()
    {
        "{}",
        "enforcedNamespaces: [openclaw, clawql]\n",
        "mode: Audit\nexcludedNamespaces: []\nenforcedNamespaces: [agents]\n",
        "runtimes:\n  kata:\n    runtimeClassName: kata-qemu\n    pool:\n      label: { key: sandbox.example.com/pool, value: vm }\n      taint: { key: sandbox.example.com/pool, value: vm, effect: NoExecute }\n",
        Classified,
    };

    /// <summary>The three presets, a Medium rule by labels and namespace, a core-group owner rule, and a Low rule (which needs no sandbox).</summary>
    private const string Classified = """
        classification:
          presets: [agent-sandbox, toolhive, mcp-lifecycle-operator]
          rules:
            - name: research-tools
              match:
                labels:
                  matchLabels: { team: research }
                  matchExpressions: [{ key: tier, operator: NotIn, values: [trusted] }]
                namespaces: [agents, labs]
              type: Tool
            - name: legacy-runners
              match:
                owners: [{ kind: ReplicationController }]
              type: ExecTool
            - name: internal-services
              match:
                namespaces: [platform]
              type: Internal
        """;

    private static JsonObject Fixture(string file, [CallerFilePath] string here = "")
    {
        var reading = ManifestParser.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, file)), file);
        Assert.Empty(reading.Errors);
        return Assert.Single(reading.Documents).Object;
    }

    [Fact]
    public void The_guidance_policy_is_reproduced_exactly_from_a_configuration_enforcing_openclaw_and_clawql()
    {
        var exported = KyvernoExport.Build(Guidance).Single(p => p.Name == "enforce-kata-for-mcp").Object;

        var expected = Fixture("enforce-kata-for-mcp.yaml");
        Assert.True(JsonNode.DeepEquals(expected, exported), $"expected\n{expected.ToJsonString()}\ngot\n{exported.ToJsonString()}");
    }

    [Fact]
    public void Without_enforced_namespaces_there_is_no_namespace_policy_and_the_rest_follow_the_configuration()
    {
        var custom = Config("runtimes:\n  kata:\n    runtimeClassName: kata-qemu\nmode: Audit\n");
        var policies = KyvernoExport.Build(custom);

        Assert.DoesNotContain(policies, p => p.Name == "enforce-kata-for-mcp");
        Assert.Equal(["enforce-kata-in-labelled-namespaces", "enforce-kata-for-mcp-pods", "sandbox-pool-placement", "sandbox-pool-separation", "seccomp-baseline"], policies.Select(p => p.Name));
        Assert.All(policies, p => Assert.Equal("Audit", (string?)p.Object["spec"]!["validationFailureAction"]));
        Assert.Equal("kata-qemu", (string?)policies[0].Object["spec"]!["rules"]![0]!["validate"]!["pattern"]!["spec"]!["runtimeClassName"]);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_Kyverno_policy_is_valid_against_the_published_ClusterPolicy_schema(string yaml)
    {
        foreach (var policy in KyvernoExport.Build(Config(yaml)))
        {
            var errors = ClusterPolicySchema.Validate(policy.Object);
            Assert.True(errors.Count == 0, $"{policy.Name}: {string.Join("; ", errors)}");
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_admission_policy_and_binding_is_valid_against_the_published_schema_and_every_binding_names_a_policy(string yaml)
    {
        var exported = AdmissionPolicyExport.Build(Config(yaml));
        var policies = exported.Where(p => p.Kind == "ValidatingAdmissionPolicy").ToList();
        var bindings = exported.Where(p => p.Kind == "ValidatingAdmissionPolicyBinding").ToList();

        Assert.Equal(exported.Count, policies.Count + bindings.Count);
        Assert.All(policies, p => Assert.Empty(VapSchema.Validate(p.Object)));
        Assert.All(bindings, b => Assert.Empty(BindingSchema.Validate(b.Object)));
        Assert.All(bindings, b => Assert.Contains((string?)b.Object["spec"]!["policyName"], policies.Select(p => p.Name)));
        Assert.All(policies, p => Assert.Contains(bindings, b => (string?)b.Object["spec"]!["policyName"] == p.Name));
    }

    [Fact]
    public void The_schema_check_can_fail_on_an_unknown_field_a_wrong_type_and_a_value_outside_an_enum()
    {
        var policy = KyvernoExport.Build(Guidance)[0].Object.DeepClone().AsObject();
        policy["spec"]!["validationFailureAction"] = "Block";
        policy["spec"]!["rules"]![0]!["matches"] = new JsonObject();
        policy["spec"]!["background"] = "yes";

        var errors = ClusterPolicySchema.Validate(policy);

        Assert.Contains(errors, e => e.StartsWith(".spec.validationFailureAction:", StringComparison.Ordinal));
        Assert.Contains(".spec.rules[0].matches: unknown field", errors);
        Assert.Contains(errors, e => e.StartsWith(".spec.background: must be boolean", StringComparison.Ordinal));
        var binding = AdmissionPolicyExport.Build(Guidance).First(p => p.Kind == "ValidatingAdmissionPolicyBinding").Object.DeepClone().AsObject();
        binding["spec"]!["validationActions"] = new JsonArray("Reject");
        Assert.NotEmpty(BindingSchema.Validate(binding));
    }

    [Fact]
    public void Every_policy_documents_what_it_cannot_do_that_the_operator_does()
    {
        foreach (var policy in KyvernoExport.Build(Guidance).Concat(AdmissionPolicyExport.Build(Guidance)).Where(p => !p.Kind.EndsWith("Binding", StringComparison.Ordinal)))
        {
            var text = string.Join(' ', policy.Documentation);
            Assert.Contains("no cross-object lookups", text, StringComparison.Ordinal);
            Assert.Contains("no mutation", text, StringComparison.Ordinal);
            Assert.Contains("no status", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_CEL_expression_compiles(string yaml)
    {
        var expressions = AdmissionPolicyExport.Build(Config(yaml)).Where(p => p.Kind == "ValidatingAdmissionPolicy").SelectMany(p => AdmissionPolicyExport.Expressions(p.Object)).ToList();

        Assert.True(expressions.Count >= 10, $"only {expressions.Count} expressions");
        Assert.All(expressions, e => CelProgram.Compile(e));
    }

    [Fact]
    public void The_CEL_compiler_refuses_what_is_not_CEL()
    {
        Assert.ThrowsAny<Exception>(() => CelProgram.Compile("variables.spec.("));
    }

    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", @"'it\'s'")]
    [InlineData(@"back\slash", @"'back\\slash'")]
    [InlineData("line\nbreak", @"'line\u000abreak'")]
    public void Configuration_values_become_CEL_string_literals_that_read_back_as_the_value(string value, string literal)
    {
        Assert.Equal(literal, AdmissionPolicyExport.Cel(value));
        Assert.Equal(value, CelProgram.Compile(AdmissionPolicyExport.Cel(value))([]));
    }

    private static JsonObject Policy(string name, PolicyConfig? config = null) =>
        AdmissionPolicyExport.Build(config ?? Guidance).Single(p => p.Name == "agentsandbox-" + name && p.Kind == "ValidatingAdmissionPolicy").Object;

    private static JsonObject Pod(string spec, string kind = "Pod", string labels = "{}")
    {
        var podSpec = JsonNode.Parse(spec)!.AsObject();
        JsonObject Template() => new() { ["metadata"] = new JsonObject { ["labels"] = JsonNode.Parse(labels) }, ["spec"] = podSpec };
        return kind switch
        {
            "Pod" => new JsonObject { ["kind"] = "Pod", ["metadata"] = new JsonObject { ["name"] = "p" }, ["spec"] = podSpec },
            "CronJob" => new JsonObject { ["kind"] = "CronJob", ["spec"] = new JsonObject { ["jobTemplate"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = Template() } } } },
            _ => new JsonObject { ["kind"] = kind, ["spec"] = new JsonObject { ["template"] = Template() } },
        };
    }

    private const string Containers = """ "containers":[{"name":"a"}] """;

    [Theory]
    [InlineData("Pod", "{" + Containers + "}", false)]
    [InlineData("Pod", """{"runtimeClassName":"kata",""" + Containers + "}", true)]
    [InlineData("Pod", """{"runtimeClassName":"gvisor",""" + Containers + "}", false)]
    [InlineData("Deployment", """{"runtimeClassName":"kata",""" + Containers + "}", true)]
    [InlineData("StatefulSet", "{" + Containers + "}", false)]
    [InlineData("CronJob", """{"runtimeClassName":"kata",""" + Containers + "}", true)]
    [InlineData("CronJob", "{" + Containers + "}", false)]
    public void Kata_in_enforced_namespaces_reads_the_pod_of_every_covered_kind(string kind, string spec, bool allowed)
    {
        Assert.Equal([allowed], CelProgram.Validate(Policy("kata-in-enforced-namespaces"), Pod(spec, kind)));
    }

    [Theory]
    [InlineData("Pod", """{"runtimeClassName":"gvisor",""" + Containers + "}", "{}", false)]
    [InlineData("Deployment", "{" + Containers + "}", """{"agentsandbox.io/workload-type":"mcp-server"}""", false)]
    [InlineData("Deployment", """{"runtimeClassName":"kata",""" + Containers + "}", """{"agentsandbox.io/workload-type":"mcp-server"}""", true)]
    [InlineData("Deployment", "{" + Containers + "}", """{"app":"web"}""", true)]
    [InlineData("Job", "{" + Containers + "}", "{}", true)]
    public void Kata_for_MCP_applies_to_bound_pods_and_to_templates_labelled_mcp_server(string kind, string spec, string labels, bool allowed)
    {
        Assert.Equal([allowed], CelProgram.Validate(Policy("kata-for-mcp"), Pod(spec, kind, labels)));
    }

    private const string KataToleration = """{"key":"agentsandbox.io/pool","operator":"Equal","value":"kata","effect":"NoSchedule"}""";
    private const string KataAffinity = """{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]},{"key":"agentsandbox.io/pool","operator":"In","values":["kata"]}]}]}}}""";

    [Theory]
    [InlineData("{" + Containers + "}", new[] { true, true, true, true })]
    [InlineData("""{"runtimeClassName":"kata","tolerations":[""" + KataToleration + """],"nodeSelector":{"agentsandbox.io/pool":"kata"},""" + Containers + "}", new[] { true, true, true, true })]
    [InlineData("""{"runtimeClassName":"kata","tolerations":[""" + KataToleration + """],"affinity":""" + KataAffinity + "," + Containers + "}", new[] { true, true, true, true })]
    [InlineData("""{"runtimeClassName":"kata","tolerations":[{"key":"agentsandbox.io/pool","operator":"Exists"}],"nodeSelector":{"agentsandbox.io/pool":"kata"},""" + Containers + "}", new[] { true, true, true, true })]
    [InlineData("""{"runtimeClassName":"kata","nodeSelector":{"agentsandbox.io/pool":"kata"},""" + Containers + "}", new[] { false, true, true, true })]
    [InlineData("""{"runtimeClassName":"kata","tolerations":[""" + KataToleration + "]," + Containers + "}", new[] { true, false, true, true })]
    [InlineData("""{"runtimeClassName":"kata","tolerations":[""" + KataToleration + """],"nodeSelector":{"agentsandbox.io/pool":"gvisor"},""" + Containers + "}", new[] { true, false, true, true })]
    [InlineData("""{"runtimeClassName":"gvisor","tolerations":[""" + KataToleration + """],"nodeSelector":{"agentsandbox.io/pool":"kata"},""" + Containers + "}", new[] { true, true, false, false })]
    public void Pool_placement_needs_the_pool_toleration_and_selection_for_each_sandbox_runtime(string spec, bool[] expected)
    {
        Assert.Equal(expected, CelProgram.Validate(Policy("sandbox-pool-placement"), Pod(spec)));
    }

    // Tolerations of the default pools (kata: agentsandbox.io/pool=kata:NoSchedule, gvisor: agentsandbox.io/pool=gvisor:NoSchedule).
    public static TheoryData<string, bool[]> Separation => new()
    {
        // No toleration, or one for another taint: allowed on every pool rule, whatever the runtime.
        { "{" + Containers + "}", [true, true] },
        { """{"tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute"}],""" + Containers + "}", [true, true] },
        // A Kata pod on its own pool; a gVisor pod on its own pool.
        { """{"runtimeClassName":"kata","tolerations":[""" + KataToleration + "]," + Containers + "}", [true, true] },
        { """{"runtimeClassName":"gvisor","tolerations":[{"key":"agentsandbox.io/pool","value":"gvisor","effect":"NoSchedule"}],""" + Containers + "}", [true, true] },
        // runc (no class) or gVisor tolerating the Kata taint: refused by the kata rule.
        { """{"tolerations":[""" + KataToleration + "]," + Containers + "}", [false, true] },
        { """{"runtimeClassName":"gvisor","tolerations":[""" + KataToleration + "]," + Containers + "}", [false, true] },
        // The pool key with Exists tolerates every pool: refused by each rule but the pod's own.
        { """{"tolerations":[{"key":"agentsandbox.io/pool","operator":"Exists"}],""" + Containers + "}", [false, false] },
        { """{"runtimeClassName":"kata","tolerations":[{"key":"agentsandbox.io/pool","operator":"Exists"}],""" + Containers + "}", [true, false] },
        // A toleration without a key (tolerates every taint), with and without an effect.
        { """{"tolerations":[{"operator":"Exists"}],""" + Containers + "}", [false, false] },
        { """{"runtimeClassName":"gvisor","tolerations":[{"operator":"Exists","effect":"NoSchedule"}],""" + Containers + "}", [false, true] },
        // Another effect does not tolerate a NoSchedule taint.
        { """{"tolerations":[{"key":"agentsandbox.io/pool","operator":"Exists","effect":"NoExecute"}],""" + Containers + "}", [true, true] },
        // The Kata taint's key with another value does not tolerate it.
        { """{"tolerations":[{"key":"agentsandbox.io/pool","value":"other","effect":"NoSchedule"}],""" + Containers + "}", [true, true] },
    };

    [Theory]
    [MemberData(nameof(Separation))]
    public void Pool_separation_refuses_a_pod_tolerating_another_runtimes_pool_in_CEL(string spec, bool[] allowed)
    {
        Assert.Equal(allowed, CelProgram.Validate(Policy("sandbox-pool-separation"), Pod(spec)));
        Assert.Equal(allowed, CelProgram.Validate(Policy("sandbox-pool-separation"), Pod(spec, "DaemonSet")));
    }

    [Theory]
    [MemberData(nameof(Separation))]
    public void Pool_separation_refuses_a_pod_tolerating_another_runtimes_pool_in_Kyverno(string spec, bool[] allowed)
    {
        var rules = KyvernoExport.Build(Guidance).Single(p => p.Name == "sandbox-pool-separation").Object["spec"]!["rules"]!.AsArray();

        Assert.Equal(["keep-other-pods-off-kata-pool", "keep-other-pods-off-gvisor-pool"], rules.Select(r => (string?)r!["name"]));
        Assert.Equal(allowed, rules.Select(r => !KyvernoConditions.Denies(r!.AsObject(), Pod(spec))));
    }

    [Fact]
    public void Pool_separation_leaves_out_the_excluded_and_infrastructure_namespaces_and_reads_a_custom_taint()
    {
        var config = Config("""
            excludedNamespaces: [kube-system]
            infrastructureNamespaces: [monitoring, kube-system]
            runtimes:
              kata:
                pool:
                  label: { key: it's/pool, value: vm }
                  taint: { key: it's/pool, value: vm, effect: NoExecute }
            """);
        var rule = KyvernoExport.Build(config).Single(p => p.Name == "sandbox-pool-separation").Object["spec"]!["rules"]![0]!.AsObject();
        var binding = AdmissionPolicyExport.Build(config).Single(p => p.Name == "agentsandbox-sandbox-pool-separation" && p.Kind.EndsWith("Binding", StringComparison.Ordinal)).Object;

        Assert.Equal("""["kube-system","monitoring"]""", rule["exclude"]!["any"]![0]!["resources"]!["namespaces"]!.ToJsonString());
        Assert.Equal("""[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kube-system","monitoring"]},{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kube-system"]}]""",
            binding["spec"]!["matchResources"]!["namespaceSelector"]!["matchExpressions"]!.ToJsonString());

        const string Tolerating = """{"tolerations":[{"key":"it's/pool","value":"vm","effect":"NoExecute"}],""" + Containers + "}";
        Assert.True(KyvernoConditions.Denies(rule, Pod(Tolerating)));
        Assert.False(KyvernoConditions.Denies(rule, Pod("""{"runtimeClassName":"kata","tolerations":[{"key":"it's/pool","value":"vm","effect":"NoExecute"}],""" + Containers + "}")));
        Assert.False(KyvernoConditions.Denies(rule, Pod("""{"tolerations":[{"key":"it's/pool","value":"vm","effect":"NoSchedule"}],""" + Containers + "}")));
        Assert.Equal([false, true], CelProgram.Validate(Policy("sandbox-pool-separation", config), Pod(Tolerating)));
    }

    [Fact]
    public void Each_classification_rule_that_needs_a_sandbox_becomes_a_Kyverno_policy_on_Pods_of_its_tier()
    {
        var policies = KyvernoExport.Build(Config(Classified)).Where(p => p.Name.StartsWith("classify-", StringComparison.Ordinal)).ToList();

        Assert.Equal(["classify-research-tools", "classify-legacy-runners", "classify-agent-sandbox", "classify-toolhive", "classify-mcp-lifecycle-operator"], policies.Select(p => p.Name));
        Assert.All(policies, p => Assert.Equal("none", (string?)p.Object["metadata"]!["annotations"]!["pod-policies.kyverno.io/autogen-controllers"]));
        JsonObject Rule(string name) => policies.Single(p => p.Name == name).Object["spec"]!["rules"]![0]!.AsObject();

        // High needs Kata; Medium gVisor or Kata.
        Assert.Equal("kata", (string?)Rule("classify-agent-sandbox")["validate"]!["pattern"]!["spec"]!["runtimeClassName"]);
        Assert.Equal("gvisor | kata", (string?)Rule("classify-research-tools")["validate"]!["pattern"]!["spec"]!["runtimeClassName"]);

        // Labels and namespaces are the match; owners a precondition.
        var research = Rule("classify-research-tools")["match"]!["any"]![0]!["resources"]!;
        Assert.Equal("""{"kinds":["Pod"],"namespaces":["agents","labs"],"selector":{"matchLabels":{"team":"research"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["trusted"]}]}}""", research.ToJsonString());
        Assert.Null(Rule("classify-research-tools")["preconditions"]);
        Assert.Equal("""{"matchLabels":{"toolhive":"true"}}""", Rule("classify-toolhive")["match"]!["any"]![0]!["resources"]!["selector"]!.ToJsonString());
    }

    public static TheoryData<string, string, bool> Owners => new()
    {
        { "classify-agent-sandbox", """[{"apiVersion":"agents.x-k8s.io/v1alpha1","kind":"Sandbox","name":"s","uid":"u"}]""", true },
        { "classify-agent-sandbox", """[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"r","uid":"u"},{"apiVersion":"agents.x-k8s.io/v1","kind":"Sandbox","name":"s","uid":"u"}]""", true },
        { "classify-agent-sandbox", """[{"apiVersion":"example.com/v1","kind":"Sandbox","name":"s","uid":"u"}]""", false },
        { "classify-agent-sandbox", """[{"apiVersion":"agents.x-k8s.io.evil/v1","kind":"Sandbox","name":"s","uid":"u"}]""", false },
        { "classify-agent-sandbox", "[]", false },
        { "classify-toolhive", """[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"t","uid":"u"}]""", true },
        { "classify-legacy-runners", """[{"apiVersion":"v1","kind":"ReplicationController","name":"r","uid":"u"}]""", true },
        { "classify-legacy-runners", """[{"apiVersion":"example.com/v1","kind":"ReplicationController","name":"r","uid":"u"}]""", false },
    };

    [Theory]
    [MemberData(nameof(Owners))]
    public void A_Kyverno_classification_policy_applies_to_the_owners_the_operator_matches(string policy, string ownerReferences, bool owned)
    {
        var config = Config(Classified);
        var rule = KyvernoExport.Build(config).Single(p => p.Name == policy).Object["spec"]!["rules"]![0]!.AsObject();
        var pod = JsonNode.Parse($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"agents","labels":{"toolhive":"true"},"ownerReferences":{{{ownerReferences}}}},"spec":{"containers":[{"name":"a","image":"x"}]}}""")!.AsObject();
        var view = SandboxOperator.Policy.Pods.PodSpecReader.Read(System.Text.Json.JsonSerializer.SerializeToElement(pod)).View!;
        var classification = config.Classification.Single(r => "classify-" + r.Name == policy);

        Assert.Equal(owned, SandboxOperator.Policy.Decisions.WorkloadClaims.Matches(classification, view, "agents"));
        Assert.Equal(owned, KyvernoConditions.Applies(rule, pod));
    }

    [Fact]
    public void Classification_rules_without_owners_become_admission_policies_on_Pods_and_the_others_are_named_as_not_exported()
    {
        var config = Config(Classified);
        var exported = AdmissionPolicyExport.Build(config);

        var classified = exported.Where(p => p.Kind == "ValidatingAdmissionPolicy" && p.Name.Contains("-classify-", StringComparison.Ordinal)).Select(p => p.Name);
        Assert.Equal(["agentsandbox-classify-research-tools", "agentsandbox-classify-mcp-lifecycle-operator"], classified);
        var binding = exported.Single(p => p.Name == "agentsandbox-classify-research-tools" && p.Kind.EndsWith("Binding", StringComparison.Ordinal)).Object["spec"]!["matchResources"]!;
        Assert.Equal("""{"matchLabels":{"team":"research"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["trusted"]}]}""", binding["objectSelector"]!.ToJsonString());
        Assert.Equal("""[{"key":"kubernetes.io/metadata.name","operator":"In","values":["agents","labs"]},{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kube-system"]}]""", binding["namespaceSelector"]!["matchExpressions"]!.ToJsonString());
        Assert.Equal("""[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]""", binding["resourceRules"]!.ToJsonString());

        var medium = Policy("classify-research-tools", config);
        Assert.Equal([true], CelProgram.Validate(medium, Pod("""{"runtimeClassName":"gvisor",""" + Containers + "}")));
        Assert.Equal([true], CelProgram.Validate(medium, Pod("""{"runtimeClassName":"kata",""" + Containers + "}")));
        Assert.Equal([false], CelProgram.Validate(medium, Pod("{" + Containers + "}")));
        Assert.Equal([false], CelProgram.Validate(Policy("classify-mcp-lifecycle-operator", config), Pod("""{"runtimeClassName":"gvisor",""" + Containers + "}")));

        var notExported = AdmissionPolicyExport.NotExpressed(config);
        Assert.Equal(3, notExported.Count);
        Assert.StartsWith("classification rule legacy-runners is not exported: it matches by owner (ReplicationController)", notExported[0], StringComparison.Ordinal);
        Assert.StartsWith("classification preset agent-sandbox is not exported: it matches by owner (Sandbox.agents.x-k8s.io)", notExported[1], StringComparison.Ordinal);
        Assert.StartsWith("classification preset toolhive is not exported", notExported[2], StringComparison.Ordinal);
        Assert.Empty(AdmissionPolicyExport.NotExpressed(Guidance));
    }

    [Theory]
    [InlineData("""{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"a"}]}""", true)]
    [InlineData("""{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"Unconfined"}}}]}""", false)]
    [InlineData("""{"securityContext":{"seccompProfile":{"type":"Unconfined"}},"containers":[{"name":"a"}]}""", false)]
    [InlineData("""{"containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"Localhost","localhostProfile":"p.json"}}}]}""", true)]
    [InlineData("""{"initContainers":[{"name":"i"}],"containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]}""", false)]
    [InlineData("""{"containers":[{"name":"a"}]}""", false)]
    [InlineData("""{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"a"}],"ephemeralContainers":[{"name":"debug","securityContext":{"seccompProfile":{"type":"Unconfined"}}}]}""", false)]
    public void Seccomp_baseline_needs_a_confined_profile_for_every_container(string spec, bool allowed)
    {
        Assert.Equal([allowed], CelProgram.Validate(Policy("seccomp-baseline"), Pod(spec, "DaemonSet")));
    }

    [Fact]
    public void Bindings_follow_the_mode_and_leave_out_the_excluded_namespaces()
    {
        var enforce = AdmissionPolicyExport.Build(Guidance).Single(p => p.Name == "agentsandbox-kata-in-enforced-namespaces" && p.Kind.EndsWith("Binding", StringComparison.Ordinal)).Object;
        var audit = AdmissionPolicyExport.Build(Config("mode: Audit\n")).First(p => p.Kind.EndsWith("Binding", StringComparison.Ordinal)).Object;

        Assert.Equal("""["Deny"]""", enforce["spec"]!["validationActions"]!.ToJsonString());
        Assert.Equal("""[{"key":"kubernetes.io/metadata.name","operator":"In","values":["clawql","openclaw"]},{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kube-system"]}]""",
            enforce["spec"]!["matchResources"]!["namespaceSelector"]!["matchExpressions"]!.ToJsonString());
        Assert.Equal("""["Warn","Audit"]""", audit["spec"]!["validationActions"]!.ToJsonString());
    }
}
