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
var config = new Option<string?>("--config") { Description = "Policy configuration file (default: built-in defaults)." };
var output = new Option<string>("--output", "-o") { Description = "table, json or yaml.", DefaultValueFactory = _ => "table" };

var evaluate = new Command("evaluate", "Evaluate Pods, pod controllers and AgentWorkloads against the policy, as the admission webhooks would, reading manifests as kubectl does.") { files, config, output };
evaluate.SetAction(parse => EvaluateCommand.Run(
    parse.GetValue(files) ?? [],
    parse.GetValue(config),
    parse.GetValue(output) ?? "table",
    Console.In,
    Console.Out,
    Console.Error,
    color: !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null));

var crd = new Command("crd", "Print the AgentWorkload CustomResourceDefinition generated from the API types.");
crd.SetAction(_ =>
{
    Console.Out.Write(CrdGenerator.GenerateYaml());
    return 0;
});

// kubectl why / status: the live cluster, through a kubeconfig as kubectl uses it.
var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)." };
var context = new Option<string?>("--context") { Description = "The kubeconfig context to use (default: its current-context)." };
var ns = new Option<string?>("--namespace", "-n") { Description = "The namespace (why: default the context's namespace, else default; status: only this namespace's pods and workloads)." };
var policyConfigMap = new Option<string>("--policy-configmap")
{
    Description = "NAMESPACE/NAME of the operator's policy ConfigMap (key policy.yaml), as the chart names it.",
    DefaultValueFactory = _ => PolicySource.DefaultConfigMap,
};
var liveConfig = new Option<string?>("--config") { Description = "A policy configuration file to judge with instead of the operator's ConfigMap." };
var liveOutput = new Option<string>("--output", "-o") { Description = "table or json.", DefaultValueFactory = _ => "table" };
var target = new Argument<string[]>("pod") { Description = "The pod: pod/NAME, pod NAME or NAME.", Arity = new ArgumentArity(1, 2) };

KubeFlags Flags(ParseResult parse) => new(parse.GetValue(kubeconfig), parse.GetValue(context), parse.GetValue(ns));
PolicySource Policy(ParseResult parse) => new(parse.GetValue(liveConfig), parse.GetValue(policyConfigMap) ?? PolicySource.DefaultConfigMap);

var why = new Command("why", "Explain a running pod's sandbox decision: tier and why, runtime, the namespace's mode, each rule that applies and which would deny it.")
{
    target, kubeconfig, context, ns, policyConfigMap, liveConfig, liveOutput,
};
why.SetAction((parse, ct) => LiveCommands.WhyAsync(parse.GetValue(target) ?? [], Flags(parse), Policy(parse), parse.GetValue(liveOutput) ?? "table",
    Console.Out, Console.Error, Environment.GetEnvironmentVariable, ct));

var status = new Command("status", "Summarise the cluster's sandboxes: node pools, RuntimeClasses and handlers, AgentWorkloads and pods by tier, non-compliant pods.")
{
    kubeconfig, context, ns, policyConfigMap, liveConfig, liveOutput,
};
status.SetAction((parse, ct) => LiveCommands.StatusAsync(Flags(parse), Policy(parse), parse.GetValue(liveOutput) ?? "table",
    Console.Out, Console.Error, Environment.GetEnvironmentVariable, ct));

var plugin = InvokedName.IsPlugin(InvokedName.Current());
var root = plugin
    ? new RootCommand("kubectl sandbox: why a running pod has its sandbox, and the state of the cluster's sandboxes (Sandbox Operator).") { why, status, evaluate, crd }
    : new RootCommand("sandboxctl: check AI-agent workloads against the Sandbox Operator policy before they reach a cluster, and explain live pods.") { evaluate, crd, why, status };
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
