using System.CommandLine;
using SandboxOperator.Cli;
using SandboxOperator.Policy.Api;

var files = new Option<string[]>("--filename", "-f")
{
    Description = "A manifest file, a directory (read recursively) or - for standard input. Repeatable.",
    AllowMultipleArgumentsPerToken = false,
    Arity = ArgumentArity.OneOrMore,
};
var config = new Option<string?>("--config") { Description = "Policy configuration file (default: built-in defaults)." };
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

var evaluate = new Command("evaluate", "Evaluate Pods, pod controllers and AgentWorkloads against the policy, as the admission webhooks would, reading manifests as kubectl does.") { files, config, output, now };
evaluate.SetAction(parse => EvaluateCommand.Run(
    parse.GetValue(files) ?? [],
    parse.GetValue(config),
    parse.GetValue(output) ?? "table",
    parse.GetValue(now) ?? TimeProvider.System.GetUtcNow(),
    Console.In,
    Console.Out,
    Console.Error,
    color: !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null));

var crdKind = new Option<string>("--kind") { Description = "AgentWorkload or SandboxException.", DefaultValueFactory = _ => WellKnown.Kind };
crdKind.AcceptOnlyFromAmong(WellKnown.Kind, WellKnown.ExceptionKind);
var crd = new Command("crd", "Print a CustomResourceDefinition generated from the API types (AgentWorkload unless --kind says otherwise).") { crdKind };
crd.SetAction(parse =>
{
    Console.Out.Write(parse.GetValue(crdKind) == WellKnown.ExceptionKind ? CrdGenerator.GenerateExceptionYaml() : CrdGenerator.GenerateYaml());
    return 0;
});

var root = new RootCommand("sandboxctl: check AI-agent workloads against the Sandbox Operator policy before they reach a cluster.") { evaluate, crd };

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
