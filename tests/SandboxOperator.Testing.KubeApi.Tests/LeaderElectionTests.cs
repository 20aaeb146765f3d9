using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class LeaderElectionTests
{
    [Fact]
    public async Task Lease_lock_elects_exactly_one_leader_and_fails_over_when_it_stops()
    {
        await using var api = await ApiScope.StartAsync();
        int leading = 0, maxLeading = 0;
        var started = new Dictionary<string, TaskCompletionSource>
        {
            ["a"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
            ["b"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        var stops = new Dictionary<string, CancellationTokenSource> { ["a"] = new(), ["b"] = new() };
        var runs = new List<Task>();
        var electors = new List<LeaderElector>();
        foreach (var identity in new[] { "a", "b" })
        {
            var config = new LeaderElectionConfig(new LeaseLock(api.Client, "kube-system", "sandbox-operator", identity))
            {
                LeaseDuration = TimeSpan.FromSeconds(2),
                RenewDeadline = TimeSpan.FromSeconds(1),
                RetryPeriod = TimeSpan.FromMilliseconds(100),
            };
            var elector = new LeaderElector(config);
            elector.OnStartedLeading += () =>
            {
                var now = Interlocked.Increment(ref leading);
                InterlockedMax(ref maxLeading, now);
                started[identity].TrySetResult();
            };
            elector.OnStoppedLeading += () => Interlocked.Decrement(ref leading);
            electors.Add(elector);
            runs.Add(Task.Run(() => elector.RunUntilLeadershipLostAsync(stops[identity].Token)));
        }

        var first = await Task.WhenAny(started["a"].Task, started["b"].Task).WaitAsync(api.Timeout);
        var leader = first == started["a"].Task ? "a" : "b";
        var follower = leader == "a" ? "b" : "a";

        // Let the leader renew a few times while the follower keeps trying: it must not take over.
        var renewed = WaitForLeaseWrites(api, count: 3);
        await renewed.WaitAsync(api.Timeout);
        Assert.False(started[follower].Task.IsCompleted);
        Assert.Equal(leader, HolderOf(api));

        await stops[leader].CancelAsync();
        await started[follower].Task.WaitAsync(api.Timeout);

        Assert.Equal(follower, HolderOf(api));
        Assert.Equal(1, maxLeading);

        await stops[follower].CancelAsync();
        await Task.WhenAll(runs.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(api.Timeout);
        foreach (var elector in electors)
        {
            elector.Dispose();
        }

        foreach (var stop in stops.Values)
        {
            stop.Dispose();
        }
    }

    private static string? HolderOf(ApiScope api) =>
        (string?)api.Server.Store.Get(BuiltInResources.Leases, "kube-system", "sandbox-operator")?["spec"]?["holderIdentity"];

    /// <summary>Completes after <paramref name="count"/> more updates of the lease, observed through a watch.</summary>
    private static async Task WaitForLeaseWrites(ApiScope api, int count)
    {
        int seen = 0;
        await foreach (var (type, _) in api.Client.CoordinationV1.WatchListNamespacedLeaseAsync("kube-system", resourceVersion: api.Server.Store.ResourceVersion.ToString(), onError: e => throw e, cancellationToken: api.Timeout))
        {
            if (type == WatchEventType.Modified && ++seen == count)
            {
                return;
            }
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
