using System.Net;
using SandboxOperator.Cli.Live;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>
/// <c>sandboxctl evaluate --cluster [--config candidate.yaml]</c>: the what-if before a policy change. Reads the live
/// cluster (read-only, paged) and the operator's configuration from its ConfigMap, compares every AgentWorkload, pod
/// controller and pod not owned by one under that configuration and under the candidate (the built-in defaults
/// without <c>--config</c>), and prints what would change and the extra capacity each pool needs.
/// Exit codes: 0 nothing newly denied, 1 the candidate denies something admitted today, 2 unusable input or the
/// cluster could not be read.
/// </summary>
internal static class ClusterEvaluateCommand
{
    public const string DefaultOperatorNamespace = "agentsandbox-system";
    public const string DefaultConfigMap = "sandbox-operator-config";
    public const string ConfigKey = "policy.yaml";

    /// <param name="Now">The time the cluster's SandboxExceptions are applied at; null: the current time.</param>
    public sealed record Options(string? CandidatePath, string Output, string? Kubeconfig, string? Context, string OperatorNamespace, string ConfigMap, int PageSize = 500, DateTimeOffset? Now = null);

    public static async Task<int> RunAsync(Options options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (options.Output is not ("table" or "json" or "yaml"))
        {
            stderr.WriteLine($"error: -o/--output: unsupported value \"{options.Output}\" (allowed: table, json, yaml)");
            return EvaluateCommand.BadInput;
        }

        if (options.PageSize < 1)
        {
            stderr.WriteLine($"error: --chunk-size: {options.PageSize} is not a positive number of objects");
            return EvaluateCommand.BadInput;
        }

        var candidate = PolicyConfig.Default;
        var candidateSource = "built-in defaults";
        if (options.CandidatePath is { } path)
        {
            if (!File.Exists(path))
            {
                stderr.WriteLine($"error: --config {path}: no such file");
                return EvaluateCommand.BadInput;
            }

            if (Load(File.ReadAllText(path), path, stderr) is not { } loaded)
            {
                return EvaluateCommand.BadInput;
            }

            (candidate, candidateSource) = (loaded, path);
        }

        try
        {
            var kube = KubeContext.Connect(new KubeFlags(options.Kubeconfig, options.Context, null), Environment.GetEnvironmentVariable);
            using var client = (IDisposable)kube.Client;
            var reader = new ClusterReader(kube.Client, options.PageSize);
            var configSource = $"ConfigMap {options.OperatorNamespace}/{options.ConfigMap} key {ConfigKey}";
            if (await reader.ConfigMapKeyAsync(options.OperatorNamespace, options.ConfigMap, ConfigKey, ct).ConfigureAwait(false) is not { } text)
            {
                stderr.WriteLine($"error: {configSource} not found: the operator's configuration is unknown, so nothing can be compared with it (pass --operator-namespace and --operator-configmap where the chart was installed)");
                return EvaluateCommand.BadInput;
            }

            if (Load(text, configSource, stderr) is not { } current)
            {
                return EvaluateCommand.BadInput;
            }

            var report = await CompareAsync(reader, current, candidate, options.Now ?? TimeProvider.System.GetUtcNow(), ct).ConfigureAwait(false);
            report = report with { CurrentSource = configSource, CandidateSource = candidateSource };
            foreach (var note in report.Notes)
            {
                stderr.WriteLine($"note: {note}");
            }

            stdout.Write(options.Output switch
            {
                "json" => WhatIfReport.Json(report) + "\n",
                "yaml" => YamlWriter.Write(WhatIfReport.Build(report)),
                _ => WhatIfReport.Table(report),
            });
            return report.Rows.Any(r => r.Row.NewDenial) ? EvaluateCommand.Denied : EvaluateCommand.Allowed;
        }
        catch (Exception e) when (e is ClusterReadException or CliException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return EvaluateCommand.BadInput;
        }
        catch (HttpRequestException e)
        {
            stderr.WriteLine($"error: the API server cannot be reached: {e.Message}");
            return EvaluateCommand.BadInput;
        }
    }

    /// <summary>
    /// Reads the cluster and runs the comparison; what the report shows, without its configuration sources. The
    /// cluster's SandboxExceptions apply, under both configurations, as they do at <paramref name="now"/>.
    /// </summary>
    public static async Task<WhatIfResult> CompareAsync(ClusterReader reader, PolicyConfig current, PolicyConfig candidate, DateTimeOffset now, CancellationToken ct)
    {
        var notes = new List<string>();

        // The state decisions read: namespaces, AgentWorkloads, SandboxExceptions, RuntimeClasses and nodes (small, kept
        // whole). A cluster without the SandboxException CRD has none.
        var stateDocs = new List<ManifestDocument>();
        var overheads = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        await foreach (var d in reader.NamespacesAsync(ct).ConfigureAwait(false))
        {
            stateDocs.Add(d);
        }

        await foreach (var d in reader.AgentWorkloadsAsync(ct).ConfigureAwait(false))
        {
            stateDocs.Add(d);
        }

        stateDocs.AddRange(await reader.ExceptionsAsync(ct).ConfigureAwait(false) ?? []);
        await foreach (var d in reader.RuntimeClassesAsync(ct).ConfigureAwait(false))
        {
            stateDocs.Add(d);
            if (d.Name is { } name)
            {
                overheads[name] = d.Object["overhead"]?["podFixed"]?.AsObject().ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal)
                    ?? new Dictionary<string, string>();
            }
        }

        await foreach (var d in reader.NodesAsync(ct).ConfigureAwait(false))
        {
            stateDocs.Add(d);
        }

        var set = ManifestSet.From(stateDocs);
        notes.AddRange(set.Errors.Select(e => $"not evaluated: {e.Message}"));
        stateDocs.Clear();

        var tally = new WhatIfTally(current, candidate, set.State, now);
        foreach (var workload in set.Targets)
        {
            tally.AddController(workload);
        }

        foreach (var kind in ClusterReader.ControllerKinds)
        {
            try
            {
                await foreach (var d in reader.ControllersAsync(kind, ct).ConfigureAwait(false))
                {
                    tally.AddController(d);
                }

                tally.Listed(kind);
            }
            catch (ClusterReadException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                notes.Add($"{kind}s are not served at the version sandboxctl reads (batch/v1 CronJob needs Kubernetes 1.21); their pods are judged by the objects that own them directly");
            }
        }

        await foreach (var d in reader.PodsAsync(ct).ConfigureAwait(false))
        {
            tally.AddPod(d);
        }

        var rows = tally.Changed;
        return new WhatIfResult("", "", tally.Evaluated, tally.Pods, rows, WhatIf.Capacity(rows, candidate, overheads), notes);
    }

    private static PolicyConfig? Load(string text, string source, TextWriter stderr)
    {
        var (loaded, errors) = PolicyConfigLoader.Load(text, source);
        foreach (var e in loaded is null ? errors : [])
        {
            stderr.WriteLine($"error: {e}");
        }

        return loaded;
    }
}

/// <summary>The what-if's result: the configurations compared, what changes, the capacity needed, and notes.</summary>
internal sealed record WhatIfResult(
    string CurrentSource,
    string CandidateSource,
    int Evaluated,
    int Pods,
    IReadOnlyList<(WhatIfRow Row, int Pods)> Rows,
    IReadOnlyList<PoolCapacity> Capacity,
    IReadOnlyList<string> Notes);
