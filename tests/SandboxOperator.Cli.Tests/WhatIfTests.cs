using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Cli.Tests;

/// <summary>The what-if comparison (<see cref="WhatIf"/>, <see cref="WhatIfTally"/>) on objects shaped as the API server returns them.</summary>
public sealed class WhatIfTests
{
    private static readonly PolicyConfig Current = PolicyConfig.Default;
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ClusterSnapshot State = new(
        workloads: [new AgentWorkload("apps", "coder", new AgentWorkloadSpec { Type = WorkloadType.Agent, Selector = new LabelSelector { MatchLabels = new() { ["app"] = "coder" } } })],
        runtimeClasses: [new RuntimeClassInfo("kata", "kata-qemu", new Dictionary<string, string>(), []), new RuntimeClassInfo("kata-clh", "kata-clh", new Dictionary<string, string>(), [])]);

    private static JsonObject PodSpec(bool privileged = false)
    {
        var container = new JsonObject { ["name"] = "c", ["image"] = "x" };
        if (privileged)
        {
            container["securityContext"] = new JsonObject { ["privileged"] = true };
        }

        return new JsonObject { ["containers"] = new JsonArray(container) };
    }

    private static JsonObject Meta(string ns, string name, string app, string? ownerKind = null, string? owner = null)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = app } };
        if (ownerKind is not null)
        {
            meta["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "x/v1", ["kind"] = ownerKind, ["name"] = owner, ["uid"] = "u", ["controller"] = true });
        }

        return meta;
    }

    private static JsonObject Template(string app, bool privileged = false) =>
        new() { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = app } }, ["spec"] = PodSpec(privileged) };

    private static ManifestDocument Deployment(string ns, string name, string app, bool privileged = false) => new("cluster", 0, new JsonObject
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = Meta(ns, name, app),
        ["spec"] = new JsonObject { ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = app } }, ["template"] = Template(app, privileged) },
    });

    /// <summary>A ReplicaSet, Job or Pod with a controller ownerReference, as its controller creates it.</summary>
    private static ManifestDocument Owned(string kind, string ns, string name, string ownerKind, string owner, string app, string? phase = null)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = kind switch { "Pod" => "v1", "Job" => "batch/v1", _ => "apps/v1" },
            ["kind"] = kind,
            ["metadata"] = Meta(ns, name, app, ownerKind, owner),
            ["spec"] = kind == "Pod" ? PodSpec() : new JsonObject { ["template"] = Template(app) },
        };
        if (phase is not null)
        {
            obj["status"] = new JsonObject { ["phase"] = phase };
        }

        return new ManifestDocument("cluster", 0, obj);
    }

    private static ManifestDocument BarePod(string ns, string name, string app) =>
        new("cluster", 0, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = Meta(ns, name, app), ["spec"] = PodSpec() });

    public static TheoryData<string, ManifestDocument, PolicyConfig, bool, bool, bool, string[]> Comparisons() => new()
    {
        {
            "same configuration", Deployment("apps", "web", "web"), Current, false, false, false, []
        },
        {
            "namespace enforced into Kata", Deployment("apps", "web", "web"), Current with { EnforcedNamespaces = new HashSet<string> { "apps" } }, true, true, false,
            ["runtime unmanaged -> Kata (RuntimeClass kata)", "tier unmanaged -> High"]
        },
        {
            "Kata's RuntimeClass renamed", Deployment("apps", "coder", "coder"), Current with { Kata = RuntimeSettings.DefaultKata with { RuntimeClassName = "kata-clh", Handler = "kata-clh" } }, true, true, false,
            ["runtime Kata (RuntimeClass kata) -> Kata (RuntimeClass kata-clh)"]
        },
        {
            "namespace excluded", Deployment("apps", "coder", "coder"), Current with { ExcludedNamespaces = new HashSet<string> { "kube-system", "apps" } }, true, false, false,
            ["no longer covered by the policy"]
        },
    };

    [Theory]
    [MemberData(nameof(Comparisons))]
    public void A_candidate_configuration_changes_what_it_should(string scenario, ManifestDocument doc, PolicyConfig candidate, bool changed, bool moves, bool denial, string[] changes)
    {
        var row = WhatIf.Compare(doc, Current, candidate, State, Now);
        Assert.True(changed == row.Changed, scenario);
        Assert.True(moves == row.RuntimeMoves, scenario);
        Assert.True(denial == row.NewDenial, scenario);
        Assert.Equal(changes, row.Changes);
        Assert.Equal(("Deployment", "apps"), (row.Kind, row.Namespace));
    }

    [Fact]
    public void Enabling_presets_moves_the_platforms_pods_and_controllers_into_Kata()
    {
        var candidate = Current with { Classification = [.. ClassificationPresets.Names.Select(n => ClassificationPresets.Rule(n)!)] };
        // A pod a kubernetes-sigs/agent-sandbox Sandbox owns (compared itself: its owner is no pod controller).
        var sandboxPod = BarePod("agents", "research-sandbox", "runner");
        sandboxPod.Object["metadata"]!["ownerReferences"] = JsonNode.Parse("""[{"apiVersion":"agents.x-k8s.io/v1beta1","kind":"Sandbox","name":"research-sandbox","uid":"u","controller":true}]""");
        // The StatefulSet ToolHive's proxy runner applies; its pods are counted for it.
        var statefulSet = Deployment("toolhive-system", "fetch", "fetch");
        statefulSet.Object["kind"] = "StatefulSet";
        statefulSet.Object["spec"]!["template"]!["metadata"]!["labels"]!["toolhive"] = "true";

        foreach (var doc in new[] { sandboxPod, statefulSet })
        {
            var row = WhatIf.Compare(doc, Current, candidate, State, Now);
            Assert.True(row.RuntimeMoves, doc.Kind);
            Assert.Equal(["runtime unmanaged -> Kata (RuntimeClass kata)", "tier unmanaged -> High"], row.Changes);
        }
    }

    [Fact]
    public void Audit_to_enforce_turns_a_violation_into_a_new_denial()
    {
        var row = WhatIf.Compare(Deployment("apps", "coder", "coder", privileged: true), Current with { Mode = EnforcementMode.Audit }, Current, State, Now);
        Assert.True(row.NewDenial);
        Assert.False(row.RuntimeMoves);
        Assert.Equal((true, false), (row.Current.Allowed, row.Candidate.Allowed));
        Assert.StartsWith("newly denied: ", Assert.Single(row.Changes), StringComparison.Ordinal);
        Assert.Contains("privileged", row.Changes[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_placed_pod_is_judged_as_created_again_and_on_its_current_node_separately()
    {
        var state = new ClusterSnapshot(
            runtimeClasses: [new RuntimeClassInfo("kata", "kata-qemu", new Dictionary<string, string>(), [])],
            nodes: [new NodeInfo("general-1", new Dictionary<string, string>(), [])]);
        var pod = BarePod("apps", "debug", "debug");
        pod.Object["spec"]!["nodeName"] = "general-1";
        var candidate = Current with { EnforcedNamespaces = new HashSet<string> { "apps" } };

        var row = WhatIf.Compare(pod, Current, candidate, state, Now);
        Assert.False(row.NewDenial);
        Assert.True(row.RuntimeMoves);
        Assert.Equal(
            ["denied if created again on its current node: a kata pod must run on the kata pool (agentsandbox.io/pool=kata), but its nodeSelector, node affinity or nodeName rule that out",
             "runtime unmanaged -> Kata (RuntimeClass kata)", "tier unmanaged -> High"],
            row.Changes);
        Assert.Equal("general-1", (string?)pod.Object["spec"]!["nodeName"]);

        Assert.Null(WhatIf.Compare(pod, Current, Current, state, Now).DeniedOnItsNode);
    }

    [Fact]
    public void Pods_count_for_the_controller_that_owns_them_and_only_changes_are_kept()
    {
        var candidate = Current with { EnforcedNamespaces = new HashSet<string> { "apps" } };
        var tally = new WhatIfTally(Current, candidate, State, Now);
        tally.AddController(Deployment("apps", "web", "web"));
        tally.AddController(Deployment("other", "web", "web"));
        tally.Listed("Deployment");
        tally.AddController(Owned("ReplicaSet", "apps", "web-1", "Deployment", "web", "web"));
        tally.AddController(Owned("ReplicaSet", "other", "web-1", "Deployment", "web", "web"));
        tally.Listed("ReplicaSet");
        // CronJobs not served: a Job owned by one is compared itself.
        tally.AddController(Owned("Job", "apps", "nightly-1", "CronJob", "nightly", "batch"));
        tally.Listed("Job");

        tally.AddPod(Owned("Pod", "apps", "web-1-a", "ReplicaSet", "web-1", "web"));
        tally.AddPod(Owned("Pod", "apps", "web-1-b", "ReplicaSet", "web-1", "web"));
        tally.AddPod(Owned("Pod", "apps", "web-1-old", "ReplicaSet", "web-1", "web", phase: "Succeeded"));
        tally.AddPod(Owned("Pod", "other", "web-1-a", "ReplicaSet", "web-1", "web"));
        tally.AddPod(Owned("Pod", "apps", "nightly-1-x", "Job", "nightly-1", "batch"));
        tally.AddPod(Owned("Pod", "apps", "sandbox-a", "Sandbox", "s1", "agent"));
        tally.AddPod(Owned("Pod", "apps", "sandbox-b", "Sandbox", "s1", "agent"));
        tally.AddPod(Owned("Pod", "apps", "sandbox-c", "Sandbox", "s1", "agent"));
        tally.AddPod(BarePod("apps", "debug", "debug"));
        tally.AddPod(BarePod("other", "debug", "debug"));

        var changed = tally.Changed.Select(c => ($"{c.Row.Kind}/{c.Row.Namespace}/{c.Row.Name}", c.Pods)).ToList();
        Assert.Equal([("Deployment/apps/web", 2), ("Job/apps/nightly-1", 1), ("Pod/apps/debug", 1), ("Pod/apps/sandbox-a", 3)], changed);
        // Two Deployments, one Job, the Sandbox's first pod and two bare pods; the ReplicaSets stand for nothing of their own.
        Assert.Equal(6, tally.Evaluated);
        Assert.Equal(9, tally.Pods);
    }

    [Fact]
    public void Capacity_is_the_runtime_classs_overhead_times_the_pods_moving_into_the_pool()
    {
        var candidate = Current with { EnforcedNamespaces = new HashSet<string> { "apps" } };
        var web = WhatIf.Compare(Deployment("apps", "web", "web"), Current, candidate, State, Now);
        var coder = WhatIf.Compare(Deployment("apps", "coder", "coder"), Current, candidate, State, Now);
        Assert.False(coder.Changed);
        var overheads = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["kata"] = new Dictionary<string, string> { ["cpu"] = "250m", ["memory"] = "160Mi" } };

        var pool = Assert.Single(WhatIf.Capacity([(web, 3), (coder, 5)], candidate, overheads));
        Assert.Equal((SandboxRuntime.Kata, "agentsandbox.io/pool=kata", "kata", 3), (pool.Runtime, pool.Pool, pool.RuntimeClassName, pool.Pods));
        Assert.Equal(new Dictionary<string, string> { ["cpu"] = "750m", ["memory"] = "480Mi" }, pool.Extra);
        Assert.Equal("RuntimeClass kata overhead.podFixed", pool.Source);

        var unknown = Assert.Single(WhatIf.Capacity([(web, 3)], candidate, new Dictionary<string, IReadOnlyDictionary<string, string>>()));
        Assert.Null(unknown.Extra);
        Assert.Equal("RuntimeClass kata does not exist: its overhead is unknown", unknown.Source);

        var managed = Assert.Single(WhatIf.Capacity([(web, 4)], candidate with { ManageRuntimeClasses = true }, new Dictionary<string, IReadOnlyDictionary<string, string>>()));
        Assert.Equal(new Dictionary<string, string> { ["cpu"] = "1", ["memory"] = "640Mi" }, managed.Extra);

        Assert.Empty(WhatIf.Capacity([(web, 0)], candidate, overheads));
    }

    [Theory]
    [InlineData("250m", 4, "1")]
    [InlineData("160Mi", 3, "480Mi")]
    [InlineData("1Gi", 2, "2Gi")]
    [InlineData("0.5", 3, "1500m")]
    [InlineData("100M", 10, "1G")]
    public void Quantities_multiply_in_their_own_format(string quantity, int pods, string expected) =>
        Assert.Equal(expected, WhatIf.Times(new Dictionary<string, string> { ["r"] = quantity }, pods)["r"]);

    private static readonly string[] ReportKeys = ["current", "candidate", "evaluated", "pods", "changes", "capacity"];
    private static readonly string[] ChangeKeys = ["kind", "namespace", "name", "pods", "runtimeMoves", "newDenial", "deniedOnItsNode", "changes", "current", "candidate"];
    private static readonly string[] OutcomeKeys = ["covered", "allowed", "riskTier", "runtime", "runtimeClassName", "workload", "message"];
    private static readonly string[] CapacityKeys = ["runtime", "pool", "runtimeClassName", "pods", "overheadPerPod", "extra", "source"];

    [Fact]
    public void The_report_has_exactly_the_documented_fields_and_a_readable_table()
    {
        var candidate = Current with { EnforcedNamespaces = new HashSet<string> { "apps" } };
        var web = WhatIf.Compare(Deployment("apps", "web", "web"), Current, candidate, State, Now);
        var overheads = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["kata"] = new Dictionary<string, string> { ["cpu"] = "250m", ["memory"] = "160Mi" } };
        var result = new WhatIfResult("ConfigMap agentsandbox-system/sandbox-operator-config key policy.yaml", "candidate.yaml", 7, 12, [(web, 3)], WhatIf.Capacity([(web, 3)], candidate, overheads), []);

        var json = JsonNode.Parse(WhatIfReport.Json(result))!;
        Assert.Equal(ReportKeys, json.AsObject().Select(p => p.Key));
        var change = Assert.Single(json["changes"]!.AsArray())!;
        Assert.Equal(ChangeKeys, change.AsObject().Select(p => p.Key));
        Assert.Equal(OutcomeKeys, change["current"]!.AsObject().Select(p => p.Key));
        Assert.Equal(OutcomeKeys, change["candidate"]!.AsObject().Select(p => p.Key));
        var capacity = Assert.Single(json["capacity"]!.AsArray())!;
        Assert.Equal(CapacityKeys, capacity.AsObject().Select(p => p.Key));
        Assert.Equal("480Mi", (string?)capacity["extra"]!["memory"]);

        var table = WhatIfReport.Table(result);
        Assert.Contains("comparing ConfigMap agentsandbox-system/sandbox-operator-config key policy.yaml (current) with candidate.yaml (candidate)", table, StringComparison.Ordinal);
        Assert.Matches(@"Deployment/apps/web\s+3\s+allowed unmanaged/-\s+allowed High/Kata\s+runtime unmanaged -> Kata \(RuntimeClass kata\); tier unmanaged -> High", table);
        Assert.Contains("7 evaluated (12 pods), 1 would change: 1 runtime move(s), 0 new denial(s)", table, StringComparison.Ordinal);
        Assert.Matches(@"agentsandbox.io/pool=kata\s+kata\s+3\s+cpu 750m, memory 480Mi \(RuntimeClass kata overhead.podFixed\)", table);
    }

    [Theory]
    [InlineData("--cluster -f config/samples", "error: --cluster reads the live cluster; it cannot be combined with -f/--filename")]
    [InlineData("--cluster --chunk-size 0", "error: --chunk-size: 0 is not a positive number of objects")]
    [InlineData("--cluster -o wide", "error: -o/--output: unsupported value \"wide\" (allowed: table, json, yaml)")]
    [InlineData("--cluster --kubeconfig /nonexistent/kubeconfig", "error: --kubeconfig /nonexistent/kubeconfig: no such file")]
    [InlineData("--cluster --config /nonexistent/policy.yaml", "error: --config /nonexistent/policy.yaml: no such file")]
    public void Unusable_cluster_flags_stop_with_one_clear_line(string args, string error)
    {
        var r = Sandboxctl.Run(null, ["evaluate", .. args.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(error, r.Stderr.Trim());
        Assert.Empty(r.Stdout);
    }
}
