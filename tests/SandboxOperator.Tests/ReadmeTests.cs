using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace SandboxOperator.Tests;

/// <summary>
/// Every command in a <c>sh</c> block of README.md works as written from the repository root: the ones that need
/// only this checkout and the .NET SDK are run; <c>dotnet test</c> is this suite, so it must be what CI runs; the
/// helm and kubectl commands, which need a cluster, are checked against the chart, the CRD and the samples they name.
/// A command none of these knows fails the test, so a new README command comes with its check.
/// </summary>
/// <remarks>A trailing comment <c># exits N</c> states a command's expected exit code (0 otherwise).</remarks>
public sealed partial class ReadmeTests
{
    private static readonly string Root = FindRoot();
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    private const string Cli = "dotnet run --project src/SandboxOperator.Cli -- ";
    private const string Operator = "dotnet run --project src/SandboxOperator -- ";
    private const string TestCommand = "dotnet test SandboxOperator.sln";

    public sealed record Command(string Text, int ExpectedExit)
    {
        public override string ToString() => Text;
    }

    /// <summary>The commands of the README's <c>sh</c> blocks, without comments.</summary>
    public static IReadOnlyList<Command> Commands()
    {
        var commands = new List<Command>();
        foreach (Match block in ShBlock().Matches(File.ReadAllText(Path.Combine(Root, "README.md"))))
        {
            // A line ending in a backslash continues on the next, as in the shell.
            foreach (var raw in block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                var comment = TrailingComment().Match(line);
                var exits = comment.Success && ExitsComment().Match(comment.Value) is { Success: true } e ? int.Parse(e.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                commands.Add(new Command(comment.Success ? line[..comment.Index].TrimEnd() : line, exits));
            }
        }

        return commands;
    }

    public static TheoryData<string, int> LocalCommands()
    {
        var data = new TheoryData<string, int>();
        foreach (var c in Commands().Where(c => c.Text.StartsWith(Cli, StringComparison.Ordinal)))
        {
            data.Add(c.Text, c.ExpectedExit);
        }

        return data;
    }

    [Fact]
    public void Every_command_is_one_the_readme_tests_check()
    {
        var unknown = Commands().Where(c => !(c.Text.StartsWith(Cli, StringComparison.Ordinal) || c.Text.StartsWith(Operator, StringComparison.Ordinal)
            || c.Text == TestCommand || c.Text.StartsWith("helm ", StringComparison.Ordinal) || c.Text.StartsWith("kubectl ", StringComparison.Ordinal)));
        Assert.Empty(unknown);
        Assert.True(Commands().Count >= 12, $"only {Commands().Count} commands found in README.md");
    }

    [Theory]
    [MemberData(nameof(LocalCommands))]
    public void A_sandboxctl_command_works_from_the_repository_root(string command, int expectedExit)
    {
        var r = Bash(command);
        Assert.True(expectedExit == r.ExitCode, $"`{command}` exited {r.ExitCode}, the README says {expectedExit}:\n{r.Stderr}");
        Assert.DoesNotContain("error:", r.Stderr, StringComparison.Ordinal);
        if (command.Contains("-o json", StringComparison.Ordinal))
        {
            Assert.NotEmpty(JsonNode.Parse(r.Stdout)!["results"]!.AsArray());
        }
        else if (command.EndsWith(" crd", StringComparison.Ordinal))
        {
            Assert.Equal(File.ReadAllText(Path.Combine(Root, "crds", "agentworkloads.agentsandbox.io.yaml")), r.Stdout);
        }
        else
        {
            Assert.Matches(@"\d+ evaluated, \d+ allowed, \d+ denied", r.Stdout);
        }
    }

    [Fact]
    public void The_test_command_is_what_ci_runs()
    {
        Assert.Contains(Commands(), c => c.Text == TestCommand);
        Assert.Contains(TestCommand + " ", File.ReadAllText(Path.Combine(Root, ".ci", "run")), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_operator_without_a_cluster_starts_from_the_repository_root_and_decides_reviews()
    {
        var command = Assert.Single(Commands(), c => c.Text.StartsWith(Operator, StringComparison.Ordinal) && c.Text.Contains("--state-dir", StringComparison.Ordinal)).Text;
        foreach (var port in new[] { 9443, 8081, 8080 })
        {
            Skip.IfNot(PortIsFree(port), $"port {port} is in use by another process; the README command serves on its default ports");
        }

        var psi = new ProcessStartInfo("bash") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec " + command);
        using var process = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                Assert.False(process.HasExited, $"`{command}` exited with {(process.HasExited ? process.ExitCode : 0)}:\n{Output()}");
                try
                {
                    if ((await http.GetAsync(new Uri("http://127.0.0.1:8081/readyz"))).StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet (it is still building or starting).
                }

                Assert.True(DateTime.UtcNow < deadline, $"`{command}` was not ready within {Patience}:\n{Output()}");
                await Task.Delay(250);
            }

            // The state directory was found: an MCP pod asking for gVisor in the samples' namespace is denied.
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
            using var https = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
            const string review = """
                {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"readme","kind":{"group":"","version":"v1","kind":"Pod"},
                 "operation":"CREATE","namespace":"tools","name":"rogue","object":{"apiVersion":"v1","kind":"Pod",
                 "metadata":{"name":"rogue","namespace":"tools","labels":{"agentsandbox.io/workload-type":"mcp-server"}},
                 "spec":{"runtimeClassName":"gvisor","containers":[{"name":"c","image":"x"}]}}}}
                """;
            using var content = new StringContent(review, System.Text.Encoding.UTF8, "application/json");
            var answer = JsonNode.Parse(await (await https.PostAsync(new Uri("https://127.0.0.1:9443/validate"), content)).Content.ReadAsStringAsync())!;
            Assert.False((bool)answer["response"]!["allowed"]!);
            Assert.StartsWith("MCP server pods must run in Kata: spec.runtimeClassName is \"gvisor\"", (string?)answer["response"]!["status"]!["message"], StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }

        string Output()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    [Fact]
    public void The_cluster_commands_name_what_the_chart_the_crd_and_the_samples_hold()
    {
        var cluster = Commands().Where(c => c.Text.StartsWith("helm ", StringComparison.Ordinal) || c.Text.StartsWith("kubectl ", StringComparison.Ordinal)).Select(c => c.Text).ToList();
        Assert.NotEmpty(cluster);
        var values = Yaml(Path.Combine(Root, "charts", "sandbox-operator", "values.yaml"));
        var crd = Yaml(Path.Combine(Root, "crds", "agentworkloads.agentsandbox.io.yaml"));
        var names = (YamlMappingNode)crd["spec"]["names"];
        var columns = ((YamlSequenceNode)crd["spec"]["versions"][0]["additionalPrinterColumns"]).Select(c => ((YamlScalarNode)c["name"]).Value!.ToUpperInvariant()).ToList();
        var checkedParts = 0;
        foreach (var part in cluster.SelectMany(c => c.Split("&&", StringSplitOptions.TrimEntries)))
        {
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words[0], words[1])
            {
                case ("helm", "install" or "upgrade"):
                    Assert.Equal("sandbox-operator", words[2]);
                    Assert.True(Directory.Exists(Path.Combine(Root, words[3])), $"{part}: no chart at {words[3]}");
                    for (var i = 0; i < words.Length - 1; i++)
                    {
                        if (words[i] == "--set")
                        {
                            var (key, value) = (words[i + 1].Split('=')[0], words[i + 1].Split('=', 2)[1]);
                            Assert.True(At(values, key) is not null, $"{part}: values.yaml has no {key}");
                            if (SchemaAt(key) is YamlMappingNode schema && schema.Children.TryGetValue(new YamlScalarNode("enum"), out var allowed))
                            {
                                Assert.Contains(value, ((YamlSequenceNode)allowed).Select(n => ((YamlScalarNode)n).Value));
                            }
                        }
                    }

                    break;
                case ("helm", "uninstall"):
                    Assert.Equal("sandbox-operator", words[2]);
                    break;
                case ("kubectl", "label" or "taint"):
                    var pool = words[^1].Split('=')[1].Split(':')[0];
                    var expected = words[1] == "label"
                        ? $"{At(values, $"runtimes.{pool}.pool.label.key")}={At(values, $"runtimes.{pool}.pool.label.value")}"
                        : $"{At(values, $"runtimes.{pool}.pool.taint.key")}={At(values, $"runtimes.{pool}.pool.taint.value")}:{At(values, $"runtimes.{pool}.pool.taint.effect")}";
                    Assert.Equal(expected, words[^1]);
                    break;
                case ("kubectl", "apply"):
                    var target = Path.Combine(Root, words[3]);
                    var files = Directory.Exists(target) ? Directory.GetFiles(target, "*.yaml") : [target];
                    var docs = files.SelectMany(f =>
                    {
                        var (parsed, errors) = SandboxOperator.Policy.Manifests.ManifestParser.Parse(File.ReadAllText(f), f);
                        Assert.Empty(errors);
                        return parsed;
                    }).ToList();
                    Assert.Contains(docs, d => d.Kind == "AgentWorkload" && d.Name == "code-runner" && d.Namespace == "tools");
                    break;
                case ("kubectl", "-n" or "get"):
                    var verbAt = words[1] == "-n" ? 3 : 1;
                    var resource = words[verbAt + 1];
                    string[] known = [((YamlScalarNode)names["plural"]).Value!, .. ((YamlSequenceNode)names["shortNames"]).Select(n => ((YamlScalarNode)n).Value!)];
                    if (resource == "configmap")
                    {
                        // The policy the chart renders, read back for the operator run outside the cluster.
                        var configMap = File.ReadAllText(Path.Combine(Root, "charts", "sandbox-operator", "templates", "configmap.yaml"));
                        Assert.Equal("sandbox-operator-config", words[verbAt + 2]);
                        Assert.Contains("-config", configMap, StringComparison.Ordinal);
                        Assert.Contains("policy.yaml", configMap, StringComparison.Ordinal);
                        break;
                    }

                    Assert.Contains(resource, known);
                    if (words[verbAt] == "get")
                    {
                        Assert.Equal(["TYPE", "TIER", "RUNTIME", "READY"], columns.Take(4));
                    }

                    break;
                case ("kubectl", "delete"):
                    Assert.Equal("mutatingwebhookconfiguration,validatingwebhookconfiguration", words[2]);
                    Assert.Equal("sandbox-operator", words[3]);
                    Assert.Contains("include \"sandbox-operator.fullname\"", File.ReadAllText(Path.Combine(Root, "charts", "sandbox-operator", "templates", "webhooks.yaml")), StringComparison.Ordinal);
                    break;
                default:
                    Assert.Fail($"no check for the README command part `{part}`");
                    break;
            }

            checkedParts++;
        }

        Assert.True(checkedParts >= 9, $"only {checkedParts} command parts checked");
    }

    /// <summary>The schema of a dotted values key in values.schema.json, or null.</summary>
    private static YamlNode? SchemaAt(string dotted)
    {
        YamlNode node = Yaml(Path.Combine(Root, "charts", "sandbox-operator", "values.schema.json"));
        foreach (var key in dotted.Split('.'))
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode("properties"), out var properties)
                || properties is not YamlMappingNode props || !props.Children.TryGetValue(new YamlScalarNode(key), out node!))
            {
                return null;
            }
        }

        return node;
    }

    [Fact]
    public void Every_flag_of_a_readme_operator_command_is_one_the_operator_documents()
    {
        var usage = SandboxOperator.Settings.OperatorOptionsReader.Usage;
        var flags = Commands().Where(c => c.Text.StartsWith(Operator, StringComparison.Ordinal))
            .SelectMany(c => c.Text[Operator.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.StartsWith("--", StringComparison.Ordinal)))
            .ToList();
        Assert.NotEmpty(flags);
        Assert.All(flags, f => Assert.Contains(f + " ", usage, StringComparison.Ordinal));
    }

    private static YamlNode Yaml(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return stream.Documents[0].RootNode;
    }

    private static string? At(YamlNode root, string dotted)
    {
        var node = root;
        foreach (var key in dotted.Split('.'))
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out node))
            {
                return null;
            }
        }

        return (node as YamlScalarNode)?.Value ?? "(mapping)";
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static Result Bash(string command)
    {
        var psi = new ProcessStartInfo("bash") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Patience))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{command}` did not finish within {Patience}");
        }

        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShBlock();

    [GeneratedRegex(@"\s+#\s.*$")]
    private static partial Regex TrailingComment();

    [GeneratedRegex(@"exits (\d+)")]
    private static partial Regex ExitsComment();
}
