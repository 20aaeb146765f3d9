using System.CommandLine;
using SandboxOperator.Cli;
using SandboxOperator.Cli.Live;
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
    Description = "Evaluate as of this RFC 3339 time (default: the current time); SandboxExceptions in the input (with --cluster: in the cluster) apply until their expiresAt.",
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
var kubeconfig = new Option<string?>("--kubeconfig") { Description = "With --cluster: the kubeconfig file (default: the files of $KUBECONFIG, merged as kubectl does, then ~/.kube/config)." };
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
            parse.GetValue(operatorNamespace)!, parse.GetValue(operatorConfigMap)!, parse.GetValue(chunkSize), parse.GetValue(now)),
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

var workspace = new Option<string?>("--workspace") { Description = "The folder the workload may read and write (overrides spec.localDevelopment.workspace)." };
var workloadName = new Option<string?>("--name") { Description = "The AgentWorkload to use when the input holds several." };
var seatbeltFiles = new Option<string[]>("--filename", "-f")
{
    Description = "A manifest file, a directory (read recursively) or - for standard input, holding the AgentWorkload. Repeatable.",
    AllowMultipleArgumentsPerToken = false,
    Arity = ArgumentArity.OneOrMore,
};
var seatbelt = new Command("seatbelt", "Print a macOS Seatbelt profile (for sandbox-exec -f) from an AgentWorkload's spec.localDevelopment. For local development only: Seatbelt is not a production boundary.") { seatbeltFiles, workspace, workloadName };
seatbelt.SetAction(parse => SeatbeltCommand.Run(parse.GetValue(seatbeltFiles) ?? [], parse.GetValue(workspace), parse.GetValue(workloadName), Console.In, Console.Out, Console.Error));

var engine = new Argument<string>("engine") { Description = "kyverno (Kyverno ClusterPolicies) or vap (ValidatingAdmissionPolicies with bindings)." };
var exportConfig = new Option<string?>("--config") { Description = "Policy configuration file the operator reads (default: built-in defaults)." };
var export = new Command("export", "Print the policies a policy engine can enforce (Kyverno or ValidatingAdmissionPolicy), from the operator's configuration, each documented with what it cannot do that the operator does.") { engine, exportConfig };
export.SetAction(parse => ExportCommand.Run(parse.GetValue(engine) ?? "", parse.GetValue(exportConfig), Console.Out, Console.Error));

// kubectl why / status: the live cluster, through a kubeconfig as kubectl uses it.
var liveKubeconfig = new Option<string?>("--kubeconfig") { Description = "Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)." };
var liveContext = new Option<string?>("--context") { Description = "The kubeconfig context to use (default: its current-context)." };
var ns = new Option<string?>("--namespace", "-n") { Description = "The namespace (why: default the context's namespace, else default; status: only this namespace's pods and workloads)." };
var liveOperatorNamespace = new Option<string>("--operator-namespace")
{
    Description = "The namespace the operator's chart is installed in.",
    DefaultValueFactory = _ => ClusterEvaluateCommand.DefaultOperatorNamespace,
};
var liveOperatorConfigMap = new Option<string>("--operator-configmap")
{
    Description = "The ConfigMap holding the operator's policy.yaml (the chart's <release fullname>-config).",
    DefaultValueFactory = _ => ClusterEvaluateCommand.DefaultConfigMap,
};
var liveConfig = new Option<string?>("--config") { Description = "A policy configuration file to judge with instead of the operator's ConfigMap." };
var liveOutput = new Option<string>("--output", "-o") { Description = "table or json.", DefaultValueFactory = _ => "table" };
var target = new Argument<string[]>("pod") { Description = "The pod: pod/NAME, pod NAME or NAME.", Arity = new ArgumentArity(1, 2) };

KubeFlags Flags(ParseResult parse) => new(parse.GetValue(liveKubeconfig), parse.GetValue(liveContext), parse.GetValue(ns));
PolicySource Policy(ParseResult parse) => new(parse.GetValue(liveConfig), parse.GetValue(liveOperatorNamespace)!, parse.GetValue(liveOperatorConfigMap)!);

var why = new Command("why", "Explain a running pod's sandbox decision: tier and why, runtime, the namespace's mode, each rule that applies and which would deny it.")
{
    target, liveKubeconfig, liveContext, ns, liveOperatorNamespace, liveOperatorConfigMap, liveConfig, liveOutput,
};
why.SetAction((parse, ct) => LiveCommands.WhyAsync(parse.GetValue(target) ?? [], Flags(parse), Policy(parse), parse.GetValue(liveOutput) ?? "table",
    Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System, ct));

var status = new Command("status", "Summarise the cluster's sandboxes: node pools, RuntimeClasses and handlers, AgentWorkloads and pods by tier, non-compliant pods.")
{
    liveKubeconfig, liveContext, ns, liveOperatorNamespace, liveOperatorConfigMap, liveConfig, liveOutput,
};
status.SetAction((parse, ct) => LiveCommands.StatusAsync(Flags(parse), Policy(parse), parse.GetValue(liveOutput) ?? "table",
    Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System, ct));

var plugin = InvokedName.IsPlugin(InvokedName.Current());
var root = plugin
    ? new RootCommand("kubectl sandbox: why a running pod has its sandbox, and the state of the cluster's sandboxes (Sandbox Operator).") { why, status, evaluate, crd, seatbelt, export }
    : new RootCommand("sandboxctl: check AI-agent workloads against the Sandbox Operator policy before they reach a cluster, policy changes before they reach the operator, and explain live pods.") { evaluate, crd, seatbelt, export, why, status };
var self = plugin ? "kubectl sandbox" : "sandboxctl";

// Without a command there is nothing to do but say what there is.
var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    Console.Error.WriteLine($"Run '{self} --help' for usage.");
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
