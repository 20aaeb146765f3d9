using System.CommandLine;
using SandboxOperator.Cli;
using SandboxOperator.Policy.Api;

var files = new Option<string[]>("--filename", "-f")
{
    Description = "A manifest file, a directory (read recursively) or - for standard input. Repeatable.",
    AllowMultipleArgumentsPerToken = false,
    Arity = ArgumentArity.OneOrMore,
};
var config = new Option<string?>("--config") { Description = "Policy configuration file (default: built-in defaults). With --cluster: the candidate configuration." };
var output = new Option<string>("--output", "-o") { Description = "table, json or yaml.", DefaultValueFactory = _ => "table" };
var now = new Option<DateTimeOffset?>("--now")
{
    Description = "Evaluate as of this RFC 3339 time (default: the current time); SandboxExceptions in the input apply until their expiresAt.",
    CustomParser = result =>
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (SandboxExceptionReader.TryParseTime(text, out var t))
        {
            return t;
        }

        result.AddError($"--now: \"{text}\" is not an RFC 3339 time with a zone, e.g. 2026-03-01T00:00:00Z");
        return null;
    },
};

var cluster = new Option<bool>("--cluster") { Description = "What-if: read the live cluster (read-only) and report what the candidate configuration (--config) would change compared with the operator's configuration in the cluster." };
var kubeconfig = new Option<string?>("--kubeconfig") { Description = "With --cluster: the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)." };
var context = new Option<string?>("--context") { Description = "With --cluster: the kubeconfig context (default: its current context)." };
var operatorNamespace = new Option<string>("--operator-namespace")
{
    Description = "With --cluster: the namespace the operator's chart is installed in.",
    DefaultValueFactory = _ => ClusterEvaluateCommand.DefaultOperatorNamespace,
};
var operatorConfigMap = new Option<string>("--operator-configmap")
{
    Description = "With --cluster: the ConfigMap holding the operator's policy.yaml (the chart's <release fullname>-config).",
    DefaultValueFactory = _ => ClusterEvaluateCommand.DefaultConfigMap,
};
var chunkSize = new Option<int>("--chunk-size")
{
    Description = "With --cluster: objects per list request (limit/continue), as kubectl's --chunk-size.",
    DefaultValueFactory = _ => 500,
};

var evaluate = new Command("evaluate", "Evaluate Pods, pod controllers and AgentWorkloads against the policy, as the admission webhooks would, reading manifests as kubectl does; or, with --cluster, compare a candidate configuration with the cluster's.")
{
    files, config, output, now, cluster, kubeconfig, context, operatorNamespace, operatorConfigMap, chunkSize,
};
evaluate.SetAction(parse =>
{
    if (!parse.GetValue(cluster))
    {
        return EvaluateCommand.Run(
            parse.GetValue(files) ?? [],
            parse.GetValue(config),
            parse.GetValue(output) ?? "table",
            parse.GetValue(now) ?? TimeProvider.System.GetUtcNow(),
            Console.In,
            Console.Out,
            Console.Error,
            color: !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null);
    }

    if (parse.GetValue(files) is { Length: > 0 })
    {
        Console.Error.WriteLine("error: --cluster reads the live cluster; it cannot be combined with -f/--filename");
        return EvaluateCommand.BadInput;
    }

    return ClusterEvaluateCommand.RunAsync(
        new ClusterEvaluateCommand.Options(parse.GetValue(config), parse.GetValue(output) ?? "table", parse.GetValue(kubeconfig), parse.GetValue(context),
            parse.GetValue(operatorNamespace)!, parse.GetValue(operatorConfigMap)!, parse.GetValue(chunkSize)),
        Console.Out,
        Console.Error,
        CancellationToken.None).GetAwaiter().GetResult();
});

var crdKind = new Option<string>("--kind") { Description = "AgentWorkload or SandboxException.", DefaultValueFactory = _ => WellKnown.Kind };
crdKind.AcceptOnlyFromAmong(WellKnown.Kind, WellKnown.ExceptionKind);
var crd = new Command("crd", "Print a CustomResourceDefinition generated from the API types (AgentWorkload unless --kind says otherwise).") { crdKind };
crd.SetAction(parse =>
{
    Console.Out.Write(parse.GetValue(crdKind) == WellKnown.ExceptionKind ? CrdGenerator.GenerateExceptionYaml() : CrdGenerator.GenerateYaml());
    return 0;
});

var root = new RootCommand("sandboxctl: check AI-agent workloads against the Sandbox Operator policy before they reach a cluster, and policy changes before they reach the operator.") { evaluate, crd };

// Without a command there is nothing to do but say what there is.
var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    Console.Error.WriteLine("Run 'sandboxctl --help' for usage.");
    return EvaluateCommand.BadInput;
}

try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    // The last line of defence: a clear line, never a stack trace.
    Console.Error.WriteLine($"error: {ex.Message}");
    return EvaluateCommand.BadInput;
}
