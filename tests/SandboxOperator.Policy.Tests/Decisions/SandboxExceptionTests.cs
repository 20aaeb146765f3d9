using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>SandboxExceptions: what they weaken, for whom, until when, and who may grant them.</summary>
public class SandboxExceptionTests
{
    private static readonly DateTimeOffset Expiry = Now.AddDays(10);
    private const string AgentLabels = """{"app":"agent"}""";
    private const string GVisorSpec = """{"runtimeClassName":"gvisor","containers":[{"name":"app","image":"nginx"}]}""";
    private const string GVisorPoolToleration = """{"tolerations":[{"key":"agentsandbox.io/pool","value":"gvisor","effect":"NoSchedule"}],"containers":[{"name":"app","image":"nginx"}]}""";
    private static readonly RequestUser Admin = new("alice", ["system:authenticated", "system:masters"]);
    private static readonly RequestUser Developer = new("bob", ["system:authenticated", "developers"]);

    private static SandboxException Exception(string name = "legacy-agent", ExceptionGrant grant = ExceptionGrant.RunInGVisor, string? pool = null, DateTimeOffset? expiresAt = null, string matchApp = "agent", string ns = "default") =>
        new(ns, name, new SandboxExceptionSpec
        {
            Selector = new LabelSelector { MatchLabels = new() { ["app"] = matchApp } },
            Grant = grant,
            Pool = pool,
            Reason = "needs /dev/fuse until the Kata image ships it",
            Owner = "team-agents",
            ExpiresAt = expiresAt ?? Expiry,
        });

    private static ClusterSnapshot State(params SandboxException[] exceptions) =>
        new(workloads: [Workload("agent", WorkloadType.Agent, matchApp: "agent"), Workload("mcp", WorkloadType.MCPServer, matchApp: "mcp")], exceptions: exceptions);

    [Fact]
    public void Without_an_exception_a_High_pod_in_gVisor_is_denied()
    {
        var d = Evaluate(Pod(labels: AgentLabels, spec: GVisorSpec), State());
        Assert.False(d.Allowed);
        Assert.Contains("AgentWorkload agent is High and needs runtimeClassName \"kata\"", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_active_RunInGVisor_exception_admits_the_gVisor_pod_and_says_why()
    {
        var d = Evaluate(Pod(labels: AgentLabels, spec: GVisorSpec), State(Exception()));
        Assert.True(d.Allowed, d.Message);
        Assert.Equal(RiskTier.Medium, d.Tier);
        Assert.Equal(SandboxRuntime.GVisor, d.Runtime);
        Assert.Contains("SandboxException legacy-agent (owner team-agents, until 2026-06-11T12:00:00Z): runs in gVisor instead of Kata: needs /dev/fuse until the Kata image ships it", d.Reasons);
        var mutated = Mutated(Pod(labels: AgentLabels, spec: GVisorSpec), d);
        Assert.Equal("medium", (string?)mutated["metadata"]!["labels"]![WellKnown.TierLabel]);
        Assert.Equal("gvisor", (string?)mutated["metadata"]!["labels"]![WellKnown.RuntimeLabel]);
    }

    [Fact]
    public void A_pod_without_a_class_is_mutated_to_gVisor_under_the_exception()
    {
        var d = Evaluate(Pod(labels: AgentLabels), State(Exception()));
        Assert.True(d.Allowed, d.Message);
        Assert.Equal("gvisor", (string?)Mutated(Pod(labels: AgentLabels), d)["spec"]!["runtimeClassName"]);
    }

    [Fact]
    public void At_expiresAt_the_exception_stops_and_the_pod_is_denied_with_a_warning_naming_it()
    {
        var pod = Pod(labels: AgentLabels, spec: GVisorSpec);
        Assert.True(Evaluate(pod, State(Exception()), now: Expiry.AddSeconds(-1)).Allowed);
        var d = Evaluate(pod, State(Exception()), now: Expiry);
        Assert.False(d.Allowed);
        Assert.Equal(RiskTier.High, d.Tier);
        Assert.Contains("SandboxException legacy-agent (run in gVisor instead of Kata, owner team-agents) expired at 2026-06-11T12:00:00Z and no longer applies", d.Warnings);
    }

    [Fact]
    public void An_already_admitted_pod_turns_non_compliant_at_expiry()
    {
        var admitted = Mutated(Pod(labels: AgentLabels), Evaluate(Pod(labels: AgentLabels), State(Exception())));
        Assert.True(Evaluate(admitted, State(Exception()), mutationApplied: true, now: Expiry.AddMinutes(-1)).Allowed);
        var after = Evaluate(admitted, State(Exception()), mutationApplied: true, now: Expiry.AddMinutes(1));
        Assert.False(after.Allowed);
        Assert.Contains(after.Violations, v => v.Rule == "runtime-too-weak");
        Assert.Contains(after.Violations, v => v.Message.Contains(WellKnown.TierLabel, StringComparison.Ordinal));
    }

    [Fact]
    public void An_exception_more_than_90_days_ahead_is_not_trusted()
    {
        var d = Evaluate(Pod(labels: AgentLabels, spec: GVisorSpec), State(Exception(expiresAt: Now.AddDays(91))));
        Assert.False(d.Allowed);
        Assert.Contains("SandboxException legacy-agent is ignored: its expiresAt 2026-08-31T12:00:00Z is more than 90 days ahead", d.Warnings);
        Assert.True(Evaluate(Pod(labels: AgentLabels, spec: GVisorSpec), State(Exception(expiresAt: Now.AddDays(90)))).Allowed);
    }

    [Fact]
    public void Pods_the_selector_does_not_match_and_other_namespaces_are_untouched()
    {
        Assert.False(Evaluate(Pod(labels: AgentLabels, spec: GVisorSpec), State(Exception(matchApp: "other"))).Allowed);
        Assert.False(Evaluate(Pod(labels: AgentLabels, spec: GVisorSpec), State(Exception(ns: "elsewhere"))).Allowed);
    }

    [Fact]
    public void An_empty_selector_covers_no_pod()
    {
        var empty = Exception() with { Spec = new SandboxExceptionSpec { Selector = new LabelSelector(), Grant = ExceptionGrant.RunInGVisor, Reason = "r", Owner = "o", ExpiresAt = Expiry } };
        Assert.False(Evaluate(Pod(labels: AgentLabels, spec: GVisorSpec), State(empty)).Allowed);
    }

    [Fact]
    public void RunInGVisor_never_changes_a_Medium_or_Low_pod()
    {
        var state = new ClusterSnapshot(workloads: [Workload("agent", WorkloadType.Internal, matchApp: "agent")], exceptions: [Exception()]);
        var d = Evaluate(Pod(labels: AgentLabels), state);
        Assert.Equal(RiskTier.Low, d.Tier);
        Assert.DoesNotContain(d.Reasons, r => r.Contains("SandboxException", StringComparison.Ordinal));
    }

    [Fact]
    public void MCP_servers_stay_in_Kata_unless_the_configuration_allows_it()
    {
        var pod = Pod(labels: """{"app":"mcp"}""", spec: GVisorSpec);
        var state = State(Exception(matchApp: "mcp"));
        var d = Evaluate(pod, state);
        Assert.False(d.Allowed);
        Assert.Contains("MCP server pods must run in Kata", d.Message, StringComparison.Ordinal);
        Assert.Contains(d.Warnings, w => w.Contains("MCP server pods stay in Kata unless the policy sets exceptions.allowMcpServers", StringComparison.Ordinal));

        var labelled = Pod(labels: """{"app":"mcp","agentsandbox.io/workload-type":"mcp-server"}""", spec: GVisorSpec);
        Assert.False(Evaluate(labelled, new ClusterSnapshot(exceptions: [Exception(matchApp: "mcp")])).Allowed);

        var allow = PolicyConfig.Default with { ExceptionsMayReleaseMcpServers = true };
        Assert.True(Evaluate(pod, state, allow).Allowed);
        Assert.True(Evaluate(labelled, new ClusterSnapshot(exceptions: [Exception(matchApp: "mcp")]), allow).Allowed);
    }

    [Fact]
    public void TolerateExtraPool_waives_separation_from_that_pool_only_until_expiry()
    {
        var pod = Pod(labels: """{"app":"shipper"}""", spec: GVisorPoolToleration);
        var denied = Evaluate(pod, State());
        Assert.False(denied.Allowed);
        Assert.Contains("could land on the gvisor pool", denied.Message, StringComparison.Ordinal);

        var extra = Exception(grant: ExceptionGrant.TolerateExtraPool, pool: "GVisor", matchApp: "shipper");
        var allowed = Evaluate(pod, State(extra));
        Assert.True(allowed.Allowed, allowed.Message);
        Assert.Null(allowed.Tier);

        Assert.False(Evaluate(pod, State(Exception(grant: ExceptionGrant.TolerateExtraPool, pool: "Kata", matchApp: "shipper"))).Allowed);
        Assert.False(Evaluate(pod, State(extra), now: Expiry).Allowed);
    }

    [Fact]
    public void TolerateExtraPool_on_a_managed_pod_is_named_in_its_reasons()
    {
        var d = Evaluate(Pod(labels: AgentLabels), State(Exception(grant: ExceptionGrant.TolerateExtraPool, pool: "GVisor")));
        Assert.True(d.Allowed, d.Message);
        Assert.Equal(RiskTier.High, d.Tier);
        Assert.Contains(d.Reasons, r => r == "SandboxException legacy-agent (owner team-agents, until 2026-06-11T12:00:00Z): may be placed on the GVisor pool: needs /dev/fuse until the Kata image ships it");
    }

    [Fact]
    public void A_binding_onto_a_tolerated_pool_node_is_allowed()
    {
        var gvisorNode = new NodeInfo("gv-1", new Dictionary<string, string> { ["agentsandbox.io/pool"] = "gvisor" }, [new NodeTaint("agentsandbox.io/pool", "gvisor", "NoSchedule")]);
        var pod = Policy.Pods.PodSpecReader.Read(JsonSerializer.SerializeToElement(Pod("p", labels: """{"app":"agent"}"""))).View!;
        var binding = JsonSerializer.SerializeToElement(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Binding", ["metadata"] = new JsonObject { ["name"] = "p" }, ["target"] = new JsonObject { ["kind"] = "Node", ["name"] = "gv-1" } });
        var request = new AdmissionRequest(AdmissionOperation.Create, "", "Binding", "default", "p", binding);
        ClusterSnapshot With(params SandboxException[] e) => new(nodes: [gvisorNode], pods: [("default", pod)], exceptions: e);

        Assert.False(AdmissionEvaluator.Evaluate(request, PolicyConfig.Default, With(), Now).Allowed);
        Assert.True(AdmissionEvaluator.Evaluate(request, PolicyConfig.Default, With(Exception(grant: ExceptionGrant.TolerateExtraPool, pool: "GVisor")), Now).Allowed);
    }

    [Fact]
    public void NextExpiry_is_the_earliest_expiry_still_ahead()
    {
        var all = new[] { Exception("a", expiresAt: Now.AddDays(-1)), Exception("b", expiresAt: Now.AddDays(3)), Exception("c", expiresAt: Now.AddHours(5)) };
        Assert.Equal(Now.AddHours(5), ExceptionGrants.NextExpiry(all, Now));
        Assert.Null(ExceptionGrants.NextExpiry(all, Now.AddDays(3)));
    }

    // The guard: who may create or extend an exception, and for how long.
    private static JsonObject Manifest(string expiresAt = "2026-06-11T12:00:00Z", string grant = "RunInGVisor", string? pool = null, string reason = "legacy image", string owner = "team-agents")
    {
        var spec = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "agent" } },
            ["grant"] = grant,
            ["reason"] = reason,
            ["owner"] = owner,
            ["expiresAt"] = expiresAt,
        };
        if (pool is not null)
        {
            spec["pool"] = pool;
        }

        return new JsonObject { ["apiVersion"] = WellKnown.ApiVersion, ["kind"] = WellKnown.ExceptionKind, ["metadata"] = new JsonObject { ["name"] = "legacy-agent", ["namespace"] = "agents" }, ["spec"] = spec };
    }

    [Fact]
    public void Only_configured_groups_may_create_an_exception()
    {
        var denied = Evaluate(Manifest(), user: Developer);
        Assert.False(denied.Allowed);
        Assert.Equal(403, denied.StatusCode);
        Assert.Equal("creating SandboxException legacy-agent weakens the sandbox of namespace agents and needs membership in one of: system:masters (the policy's exceptions.adminGroups)", denied.Message);

        Assert.True(Evaluate(Manifest(), user: Admin).Allowed);
        var config = PolicyConfig.Default with { ExceptionAdminGroups = new HashSet<string> { "developers" } };
        Assert.True(Evaluate(Manifest(), config: config, user: Developer).Allowed);
        Assert.False(Evaluate(Manifest(), config: config, user: Admin).Allowed);
    }

    [Fact]
    public void The_guard_denies_even_in_audit_mode()
    {
        var audit = PolicyConfig.Default with { Mode = EnforcementMode.Audit };
        Assert.False(Evaluate(Manifest(), config: audit, user: Developer).Allowed);
    }

    [Theory]
    [InlineData("2026-08-30T12:00:00Z", null)]
    [InlineData("2026-08-30T12:00:01Z", "spec.expiresAt 2026-08-30T12:00:01Z is more than 90 days ahead: the latest allowed now is 2026-08-30T12:00:00Z; extend the exception again before it expires")]
    [InlineData("2026-06-01T12:00:00Z", "spec.expiresAt 2026-06-01T12:00:00Z is not in the future (now 2026-06-01T12:00:00Z)")]
    [InlineData("2026-06-01T14:00:00+02:00", "spec.expiresAt 2026-06-01T12:00:00Z is not in the future (now 2026-06-01T12:00:00Z)")]
    [InlineData("2026-06-01T14:00:00.5+02:00", null)]
    public void ExpiresAt_must_be_ahead_by_at_most_90_days(string expiresAt, string? message)
    {
        var d = Evaluate(Manifest(expiresAt), user: Admin);
        Assert.Equal(message is null, d.Allowed);
        Assert.Equal(message, d.Message);
    }

    [Fact]
    public void Extending_needs_the_group_but_a_metadata_only_update_of_an_expired_exception_does_not()
    {
        var old = Manifest();
        var extended = Manifest("2026-07-01T00:00:00Z");
        Assert.False(Evaluate(extended, op: AdmissionOperation.Update, old: old, user: Developer).Allowed);
        Assert.True(Evaluate(extended, op: AdmissionOperation.Update, old: old, user: Admin).Allowed);

        var relabelled = Manifest();
        relabelled["metadata"]!["labels"] = new JsonObject { ["cleanup"] = "yes" };
        Assert.True(Evaluate(relabelled, op: AdmissionOperation.Update, old: old, user: Developer, now: Now.AddDays(30)).Allowed);
    }

    [Fact]
    public void Widening_the_selector_is_a_change_of_spec()
    {
        var widened = Manifest();
        widened["spec"]!["selector"] = new JsonObject { ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "app", ["operator"] = "Exists" }) };
        Assert.False(Evaluate(widened, op: AdmissionOperation.Update, old: Manifest(), user: Developer).Allowed);
    }

    [Fact]
    public void RunInGVisor_warns_that_MCP_servers_are_not_released()
    {
        Assert.Contains("RunInGVisor does not apply to MCP server pods: they stay in Kata unless the policy sets exceptions.allowMcpServers", Evaluate(Manifest(), user: Admin).Warnings);
        Assert.Empty(Evaluate(Manifest(), config: PolicyConfig.Default with { ExceptionsMayReleaseMcpServers = true }, user: Admin).Warnings);
    }

    [Theory]
    [InlineData("TolerateExtraPool", null, "spec.pool: Required value with grant TolerateExtraPool: Kata or GVisor")]
    [InlineData("RunInGVisor", "GVisor", "spec.pool: must be empty with grant RunInGVisor: an exception grants one weakening")]
    [InlineData("TolerateExtraPool", "Runc", "spec.pool: Unsupported value \"Runc\": supported values: Kata, GVisor")]
    [InlineData("Everything", null, "spec.grant: Unsupported value \"Everything\": supported values: RunInGVisor, TolerateExtraPool")]
    public void Unreadable_exceptions_are_refused_with_400_naming_the_field(string grant, string? pool, string error)
    {
        var d = Evaluate(Manifest(grant: grant, pool: pool), user: Admin);
        Assert.False(d.Allowed);
        Assert.Equal(400, d.StatusCode);
        Assert.Equal($"cannot read the SandboxException: {error}", d.Message);
    }

    [Theory]
    [InlineData("reason", "spec.reason: must not be empty: why the weakening is needed")]
    [InlineData("owner", "spec.owner: must not be empty: who answers for the exception")]
    public void Reason_and_owner_are_mandatory(string field, string error)
    {
        var m = Manifest();
        m["spec"]![field] = " ";
        Assert.Contains(error, Evaluate(m, user: Admin).Message, StringComparison.Ordinal);
        m["spec"]!.AsObject().Remove(field);
        Assert.Contains($"spec.{field}: Required value", Evaluate(m, user: Admin).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-06-11")]
    [InlineData("2026-06-11T12:00:00")]
    [InlineData("2026-06-11T12:00Z")]
    [InlineData("2026-06-11 12:00:00Z")]
    [InlineData("next week")]
    public void ExpiresAt_must_be_an_RFC3339_time_with_a_zone(string expiresAt)
    {
        var d = Evaluate(Manifest(expiresAt), user: Admin);
        Assert.Equal(400, d.StatusCode);
        Assert.Contains($"spec.expiresAt: \"{expiresAt}\" is not an RFC 3339 time with a zone", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reader_rejects_unknown_spec_fields_in_manifests()
    {
        var m = Manifest();
        m["spec"]!["permanent"] = true;
        var (e, errors) = SandboxExceptionReader.Read(JsonSerializer.SerializeToElement(m));
        Assert.Null(e);
        Assert.Equal("spec.permanent: unknown field (known fields: selector, grant, pool, reason, owner, expiresAt)", Assert.Single(errors).ToString());
    }
}
