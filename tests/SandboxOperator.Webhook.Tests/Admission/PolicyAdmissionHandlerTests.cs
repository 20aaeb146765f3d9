using System.Text.Json;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator.Webhook.Tests.Admission;

/// <summary>Which reviews read the cluster live, what they decide on, and that an unusable state never allows.</summary>
public sealed class PolicyAdmissionHandlerTests
{
    private static readonly JsonElement Pod = JsonDocument.Parse("""{"metadata":{"name":"p","labels":{"app":"runner"}},"spec":{"containers":[{"name":"c","image":"i"}]}}""").RootElement.Clone();
    private static readonly JsonElement Other = JsonDocument.Parse("""{"metadata":{"name":"c"}}""").RootElement.Clone();

    private sealed class Source(IClusterState state, string? stale = null) : IClusterStateSource
    {
        public IClusterState Current => state;
        public bool Synced => true;
        public Task WhenSynced => Task.CompletedTask;
        public string? StaleBecause => stale;
    }

    private sealed class Reader(IReadOnlyList<AgentWorkload> workloads, IReadOnlyDictionary<string, string>? labels = null, Exception? failure = null, PodSpecView? pod = null, IReadOnlyList<SandboxException>? exceptions = null) : ILiveClusterReader
    {
        public List<string> Reads { get; } = [];

        public Task<IReadOnlyDictionary<string, string>?> NamespaceLabelsAsync(string name, CancellationToken cancellationToken)
        {
            lock (Reads) { Reads.Add("namespace " + name); }
            return failure is null ? Task.FromResult(labels) : Task.FromException<IReadOnlyDictionary<string, string>?>(failure);
        }

        public Task<IReadOnlyList<AgentWorkload>> WorkloadsInAsync(string @namespace, CancellationToken cancellationToken)
        {
            lock (Reads) { Reads.Add("workloads " + @namespace); }
            return failure is null ? Task.FromResult(workloads) : Task.FromException<IReadOnlyList<AgentWorkload>>(failure);
        }

        public Task<IReadOnlyList<SandboxException>> ExceptionsInAsync(string @namespace, CancellationToken cancellationToken)
        {
            lock (Reads) { Reads.Add("exceptions " + @namespace); }
            return failure is null ? Task.FromResult(exceptions ?? []) : Task.FromException<IReadOnlyList<SandboxException>>(failure);
        }

        public Task<PodSpecView?> PodAsync(string @namespace, string name, CancellationToken cancellationToken)
        {
            lock (Reads) { Reads.Add($"pod {@namespace}/{name}"); }
            return failure is null ? Task.FromResult(pod) : Task.FromException<PodSpecView?>(failure);
        }
    }

    private static readonly ClusterSnapshot Known = new(namespaces: [new("tools", new Dictionary<string, string>())]);
    private static readonly AgentWorkload Runner = new("tools", "runner", new AgentWorkloadSpec { Type = WorkloadType.ExecTool, Selector = new LabelSelector { MatchLabels = new() { ["app"] = "runner" } } });

    private static AdmissionCall Call(string kind, AdmissionOperation operation = AdmissionOperation.Create, string ns = "tools", string group = "") =>
        new(WebhookKind.Mutate, "u", new AdmissionRequest(operation, group, kind, ns, "p", kind == "Pod" ? Pod : Other), "p");

    [Fact]
    public async Task A_pod_is_decided_on_the_workloads_read_live_and_reads_an_unknown_namespace()
    {
        var reader = new Reader([Runner], new Dictionary<string, string> { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue });
        var handler = new PolicyAdmissionHandler(PolicyConfig.Default, new Source(Known), reader);

        var known = await handler.HandleAsync(Call("Pod"), default);
        Assert.Equal(("runner", RiskTier.High), (known.Decision!.Workload, known.Decision.Tier));
        Assert.Equal(["workloads tools"], reader.Reads);

        reader.Reads.Clear();
        var unknown = await handler.HandleAsync(Call("Pod", ns: "fresh"), default);
        Assert.Equal(["namespace fresh", "workloads fresh"], reader.Reads.Order(StringComparer.Ordinal));
        Assert.Contains("namespace fresh enforces Kata", unknown.Decision!.Reasons);
    }

    private static readonly SandboxException RunnerInGVisor = new("tools", "runner-in-gvisor", new SandboxExceptionSpec
    {
        Selector = new LabelSelector { MatchLabels = new() { ["app"] = "runner" } },
        Grant = ExceptionGrant.RunInGVisor,
        Reason = "needs /dev/fuse",
        Owner = "team-agents",
        ExpiresAt = DateTimeOffset.UtcNow.AddDays(30),
    });

    [Fact]
    public async Task An_exception_the_cache_still_holds_after_its_deletion_grants_nothing_and_one_read_live_does()
    {
        // The cache holds an exception that lets the runner's High pod run in gVisor; the exceptions watch has not
        // delivered its deletion yet.
        var cache = new ClusterSnapshot(namespaces: [new("tools", new Dictionary<string, string>())], exceptions: [RunnerInGVisor]);

        var deleted = new Reader([Runner], exceptions: []);
        var afterDeletion = await new PolicyAdmissionHandler(PolicyConfig.Default, new Source(cache), deleted).HandleAsync(Call("Pod"), default);
        Assert.Contains("exceptions tools", deleted.Reads);
        Assert.Equal((RiskTier.High, "kata"), (afterDeletion.Decision!.Tier, afterDeletion.Decision.RuntimeClassName));

        var present = new Reader([Runner], exceptions: [RunnerInGVisor]);
        var granted = await new PolicyAdmissionHandler(PolicyConfig.Default, new Source(cache), present).HandleAsync(Call("Pod"), default);
        Assert.Equal((RiskTier.Medium, "gvisor"), (granted.Decision!.Tier, granted.Decision.RuntimeClassName));

        // Without exceptions in the cache there is nothing to confirm, and nothing is read: one the cache has not seen
        // yet does not apply (stricter).
        var none = new Reader([Runner], exceptions: [RunnerInGVisor]);
        var strict = await new PolicyAdmissionHandler(PolicyConfig.Default, new Source(Known), none).HandleAsync(Call("Pod"), default);
        Assert.DoesNotContain("exceptions tools", none.Reads);
        Assert.Equal(RiskTier.High, strict.Decision!.Tier);
    }

    [Theory]
    [InlineData("ConfigMap", AdmissionOperation.Create, "")]
    [InlineData("Pod", AdmissionOperation.Delete, "")]
    [InlineData("Pod", AdmissionOperation.Create, "evil.example")]
    [InlineData("Namespace", AdmissionOperation.Update, "")]
    public async Task Reviews_that_read_no_state_are_decided_without_reads_even_when_the_state_is_stale(string kind, AdmissionOperation operation, string group)
    {
        var reader = new Reader([]);
        var handler = new PolicyAdmissionHandler(PolicyConfig.Default, new Source(Known, stale: "the nodes watch has been broken for 99 s"), reader);

        var outcome = await handler.HandleAsync(Call(kind, operation, group: group), default);

        Assert.Empty(reader.Reads);
        Assert.False(outcome.IsError);
    }

    [Fact]
    public async Task A_stale_state_or_a_failed_read_denies_with_503_and_never_allows()
    {
        var stale = await new PolicyAdmissionHandler(PolicyConfig.Default, new Source(Known, stale: "the nodes watch has been broken for 99 s"), new Reader([]))
            .HandleAsync(Call("Deployment", group: "apps"), default);
        Assert.Equal((false, 503, true), (stale.Allowed, stale.Code, stale.IsError));
        Assert.Contains("the nodes watch has been broken for 99 s; retry shortly", stale.Message, StringComparison.Ordinal);

        var failed = await new PolicyAdmissionHandler(PolicyConfig.Default, new Source(Known), new Reader([], failure: new HttpRequestException("connection refused")))
            .HandleAsync(Call("Pod"), default);
        Assert.Equal((false, 503), (failed.Allowed, failed.Code));
        Assert.Contains("(HttpRequestException); retry shortly", failed.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ConfigMap", "")]
    [InlineData("Pod", "evil.example")]
    public async Task A_kind_the_policy_does_not_judge_is_denied_rather_than_admitted_unchecked(string kind, string group)
    {
        var outcome = await new PolicyAdmissionHandler(PolicyConfig.Default, new Source(Known), new Reader([])).HandleAsync(Call(kind, group: group), default);

        Assert.Equal((false, 403), (outcome.Allowed, outcome.Code));
        Assert.Contains("does not judge", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binding_of_a_pod_the_cache_has_not_seen_is_decided_on_the_pod_read_live()
    {
        var nodes = new ClusterSnapshot(
            namespaces: [new("tools", new Dictionary<string, string>())],
            nodes: [new NodeInfo("kata-1", new Dictionary<string, string> { ["agentsandbox.io/pool"] = "kata" }, [new NodeTaint("agentsandbox.io/pool", "kata", "NoSchedule")])]);
        var binding = JsonDocument.Parse("""{"metadata":{"name":"p"},"target":{"kind":"Node","name":"kata-1"}}""").RootElement.Clone();
        var call = new AdmissionCall(WebhookKind.Validate, "u", new AdmissionRequest(AdmissionOperation.Create, "", "Binding", "tools", "p", binding, SubResource: "binding"), "p");
        var reader = new Reader([], pod: new PodSpecView { Name = "p" });

        var outcome = await new PolicyAdmissionHandler(PolicyConfig.Default, new Source(nodes), reader).HandleAsync(call, default);

        Assert.Contains("pod tools/p", reader.Reads);
        Assert.Equal((false, 403), (outcome.Allowed, outcome.Code));
        Assert.Contains("could land on the kata pool", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutate_called_again_for_a_pod_that_holds_the_caches_decision_reads_nothing_and_validate_still_reads()
    {
        var cache = new ClusterSnapshot(namespaces: [new("tools", new Dictionary<string, string>())], workloads: [Runner]);
        var first = AdmissionEvaluator.Evaluate(new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "tools", "p", Pod), PolicyConfig.Default, cache, TimeProvider.System.GetUtcNow());
        var mutated = JsonSerializer.SerializeToElement(Policy.Json.JsonPatch.Apply(System.Text.Json.Nodes.JsonNode.Parse(Pod.GetRawText()), first.MutationPatch));
        var reader = new Reader([Runner]);
        var handler = new PolicyAdmissionHandler(PolicyConfig.Default, new Source(cache), reader);

        var again = await handler.HandleAsync(new AdmissionCall(WebhookKind.Mutate, "u", new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "tools", "p", mutated), "p"), default);
        Assert.Empty(reader.Reads);
        Assert.Equal((true, null), (again.Allowed, again.Patch));

        var validated = await handler.HandleAsync(new AdmissionCall(WebhookKind.Validate, "u", new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "tools", "p", mutated, MutationApplied: true), "p"), default);
        Assert.Equal(["workloads tools"], reader.Reads);
        Assert.True(validated.Allowed, validated.Message);

        // A first call, on a pod without the operator's labels, reads.
        reader.Reads.Clear();
        await handler.HandleAsync(Call("Pod"), default);
        Assert.Equal(["workloads tools"], reader.Reads);
    }

    [Fact]
    public async Task Without_a_live_reader_the_static_state_is_authoritative()
    {
        var outcome = await new PolicyAdmissionHandler(PolicyConfig.Default, new Source(new ClusterSnapshot(workloads: [Runner]))).HandleAsync(Call("Pod"), default);
        Assert.Equal("runner", outcome.Decision!.Workload);
    }
}
