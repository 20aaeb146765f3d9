using System.Text.RegularExpressions;
using SandboxOperator.ControlPlaneTests.Support;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// The operator runs with the chart's ServiceAccount token and the chart's RBAC, nothing else. Doing
/// its whole job (informers, status, Events, the Lease, the TLS Secret, the CA injection) it is never
/// refused: no 403 in the API server's audit log for that account, and none in the operator's log.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed partial class RbacTests(OperatorCluster cluster)
{
    [SkippableFact]
    public async Task The_charts_rbac_is_enough_for_everything_the_operator_does()
    {
        cluster.SkipIfUnavailable();
        const string ns = "rbac-check";
        // Audit mode admits the gVisor pod, so the reconcile reports it: a status update and an Event.
        await cluster.CreateNamespaceAsync(ns, new Dictionary<string, string> { [WellKnown.ModeLabel] = "audit" });
        Assert.Equal("High", await cluster.ApplyWorkloadAsync(ns, "coder", "ExecTool"));
        await cluster.Admin.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: { name: coder-0, namespace: {{ns}}, labels: { {{WellKnown.WorkloadLabel}}: coder } }
            spec:
              runtimeClassName: gvisor
              containers: [{ name: main, image: registry.example/none:1 }]
            """);
        await Eventually.HoldsAsync(async () =>
                (await cluster.Admin.SucceedAsync("get", "aw", "coder", "-n", ns, "-o", "jsonpath={.status.conditions[?(@.type==\"PodsCompliant\")].status}")) == "False"
                && (await cluster.Admin.SucceedAsync("get", "events.events.k8s.io", "-n", ns, "-o", "jsonpath={.items[*].reason}")).Contains("NonCompliantPod", StringComparison.Ordinal),
            "the operator reports the non-compliant pod on the status and in an Event", OperatorCluster.Patience);

        var account = cluster.Chart.ServiceAccountUser;
        var requests = AuditLog.Read(cluster.ControlPlane.AuditLogFile!).Where(e => e.User == account).ToList();
        // Everything below was done as the ServiceAccount, so the RBAC under test is the chart's.
        foreach (var (verb, resource, subresource) in new[]
                 {
                     ("list", "pods", (string?)null), ("list", "agentworkloads", null), ("update", "agentworkloads", "status"),
                     ("create", "events", null), ("update", "leases", null), ("get", "secrets", null),
                     ("update", "mutatingwebhookconfigurations", null), ("update", "validatingwebhookconfigurations", null),
                 })
        {
            Assert.True(requests.Any(r => r.Verb == verb && r.Resource == resource && r.Subresource == subresource),
                $"{account} never did {verb} {resource}{(subresource is null ? "" : "/" + subresource)}; it did: {string.Join(", ", requests.Select(r => $"{r.Verb} {r.Resource}").Distinct())}");
        }

        Assert.Empty(requests.Where(r => r.Code == 403).Select(r => r.ToString()));
        // The operator's own denials are logged with code 403 too; every other line must not mention one.
        var refusals = cluster.Operator!.Output.Split('\n')
            .Where(line => !AdmissionDecision().IsMatch(line) && Forbidden().IsMatch(line))
            .ToList();
        Assert.Empty(refusals);
    }

    /// <summary>A 403 or "Forbidden" as the Kubernetes client reports it (not the digits 403 inside a timestamp).</summary>
    [GeneratedRegex(@"(?<![\d.])403(?!\d)|Forbidden")]
    private static partial Regex Forbidden();

    /// <summary>The log lines of admission decisions (compact JSON, message template first).</summary>
    [GeneratedRegex(@"""@mt"":""(admission denied|audit mode violation)")]
    private static partial Regex AdmissionDecision();
}
