using System.Text.Json;
using k8s;

namespace SandboxOperator.Cli.Live;

/// <summary>
/// <c>why</c> and <c>status</c>: read the live cluster through a kubeconfig, judge with the policy core at the time of
/// <c>time</c> (SandboxExceptions apply until their expiresAt), print. Exit
/// codes as <c>evaluate</c>: 0 complies, 1 something breaks the policy, 2 the question could not be answered (no
/// cluster, a refused read, a pod that does not exist, a bad flag), with one line on standard error.
/// </summary>
internal static class LiveCommands
{
    public const int Complies = 0;
    public const int Breaks = 1;
    public const int CannotAnswer = 2;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Explains the pod named by <paramref name="target"/> (<c>pod/NAME</c>, <c>pod NAME</c> or <c>NAME</c>).</summary>
    public static async Task<int> WhyAsync(IReadOnlyList<string> target, KubeFlags flags, PolicySource policy, string output, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, TimeProvider time, CancellationToken cancellationToken)
    {
        return await GuardAsync(stderr, async () =>
        {
            CheckOutput(output);
            var name = PodName(target);
            var kube = KubeContext.Connect(flags, environment);
            using var client = (IDisposable)kube.Client;
            var cluster = await LiveCluster.ReadAsync(kube.Client, policy, cancellationToken).ConfigureAwait(false);
            var pod = await LiveCluster.ReadPodAsync(kube.Client, kube.Namespace, name, cancellationToken).ConfigureAwait(false);
            var explanation = PodExplanation.Explain(pod, cluster.Policy, cluster.State, time.GetUtcNow());
            Notes(cluster, stderr);
            if (output == "json")
            {
                stdout.WriteLine(JsonSerializer.Serialize(new { policy = cluster.PolicyFrom, pod = explanation, compliant = explanation.Compliant }, Json));
            }
            else
            {
                explanation.WriteTable(stdout, cluster.PolicyFrom);
            }

            return explanation.Compliant ? Complies : explanation.Error is not null ? CannotAnswer : Breaks;
        }).ConfigureAwait(false);
    }

    /// <summary>Summarises the cluster's sandboxes; pods and workloads of one namespace with <c>-n</c>, else of all.</summary>
    public static async Task<int> StatusAsync(KubeFlags flags, PolicySource policy, string output, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, TimeProvider time, CancellationToken cancellationToken)
    {
        return await GuardAsync(stderr, async () =>
        {
            CheckOutput(output);
            var kube = KubeContext.Connect(flags, environment);
            using var client = (IDisposable)kube.Client;
            var cluster = await LiveCluster.ReadAsync(kube.Client, policy, cancellationToken).ConfigureAwait(false);
            var scope = flags.Namespace is { Length: > 0 } ns ? ns : null;
            var pods = await LiveCluster.ListPodsAsync(kube.Client, scope, cancellationToken).ConfigureAwait(false);
            var status = ClusterStatus.Build(scope, cluster.Policy, cluster.State, pods, time.GetUtcNow());
            Notes(cluster, stderr);
            if (output == "json")
            {
                stdout.WriteLine(JsonSerializer.Serialize(new { policy = cluster.PolicyFrom, status }, Json));
            }
            else
            {
                status.WriteTable(stdout, cluster.PolicyFrom);
            }

            return status.NonCompliant == 0 ? Complies : Breaks;
        }).ConfigureAwait(false);
    }

    /// <summary>The pod's name from <c>pod/NAME</c> (also <c>pods/</c>, <c>po/</c>), <c>pod NAME</c> or a bare <c>NAME</c>.</summary>
    public static string PodName(IReadOnlyList<string> target)
    {
        static bool IsPod(string kind) => kind is "pod" or "pods" or "po";
        switch (target.Count)
        {
            case 1 when target[0].Split('/') is [var kind, var name] && name.Length > 0:
                return IsPod(kind.ToLowerInvariant()) ? name
                    : throw new CliException($"\"{target[0]}\": why explains pods; name one of its pods (kubectl get pods -l ...) as pod/NAME");
            case 1 when !target[0].Contains('/', StringComparison.Ordinal) && target[0].Length > 0:
                return target[0];
            case 2 when IsPod(target[0].ToLowerInvariant()) && target[1].Length > 0 && !target[1].Contains('/', StringComparison.Ordinal):
                return target[1];
            default:
                throw new CliException($"expected one pod, as pod/NAME, pod NAME or NAME; got \"{string.Join(" ", target)}\"");
        }
    }

    private static void CheckOutput(string output)
    {
        if (output is not ("table" or "json"))
        {
            throw new CliException($"-o/--output: unsupported value \"{output}\" (allowed: table, json)");
        }
    }

    private static void Notes(LiveCluster cluster, TextWriter stderr)
    {
        foreach (var note in cluster.Notes)
        {
            stderr.WriteLine($"note: {note}");
        }
    }

    private static async Task<int> GuardAsync(TextWriter stderr, Func<Task<int>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (Exception e) when (e is CliException or ClusterReadException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return CannotAnswer;
        }
        catch (HttpRequestException e)
        {
            stderr.WriteLine($"error: cannot reach the API server: {e.Message}");
            return CannotAnswer;
        }
    }
}
