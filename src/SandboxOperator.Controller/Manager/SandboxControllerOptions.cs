using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Controller.Manager;

/// <summary>Settings of the <see cref="SandboxController"/>.</summary>
public sealed record SandboxControllerOptions
{
    /// <summary>The policy, shared with the webhook.</summary>
    public PolicyConfig Policy { get; init; } = PolicyConfig.Default;

    /// <summary>Lease-based leader election; null runs this replica as the only leader (tests, single-replica installs).</summary>
    public LeaderElectionOptions? LeaderElection { get; init; } = new();

    /// <summary>Concurrent AgentWorkload reconciles.</summary>
    public int Workers { get; init; } = 4;

    /// <summary>How often the leader requeues every object although nothing changed (a resync of an unchanged cluster writes nothing).</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the leader audits every pod.</summary>
    public TimeSpan PodAuditInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>New pod Events per audit pass, at most.</summary>
    public int PodAuditMaxEvents { get; init; } = 50;

    /// <summary>
    /// When set, each pod audit pass is followed by writing <c>wgpolicyk8s.io/v1alpha2</c> PolicyReports (one per
    /// namespace) and a ClusterPolicyReport (node pools) within these bounds; null writes none. The report CRDs must be
    /// installed (docs/policy-reports.md).
    /// </summary>
    public Reporting.ReportLimits? PolicyReports { get; init; }

    /// <summary>An identical Event about the same object is not emitted again within this window.</summary>
    public TimeSpan EventDedupeWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Informer backoff and paging.</summary>
    public InformerOptions Informer { get; init; } = new();

    /// <summary>This replica's name in the Lease and in Events' reportingInstance.</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Run one aggressive, compacting garbage collection once every cache has synced, returning the memory of the
    /// initial lists to the operating system (a single pause at start-up, tens of milliseconds at 50,000 pods).
    /// </summary>
    public bool CompactAfterInitialSync { get; init; } = true;

    /// <summary>
    /// The controller's clock: resyncs, the pod audit and PolicyReport intervals, Event dedupe, the time statuses and
    /// exceptions are judged at, and the SandboxException queue (which waits for each expiry). Caveat: the retry
    /// backoff of the workload, RuntimeClass and node queues runs on the system clock, so on a fake clock a conflict
    /// is still retried without the test moving time.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>The Lease that elects the reconciling replica; the defaults are client-go's.</summary>
public sealed record LeaderElectionOptions
{
    public string Namespace { get; init; } = "agentsandbox-system";
    public string LeaseName { get; init; } = "sandbox-operator-controller";
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}
