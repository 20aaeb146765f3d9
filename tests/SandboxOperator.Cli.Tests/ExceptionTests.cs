using System.Text.Json.Nodes;

namespace SandboxOperator.Cli.Tests;

/// <summary>
/// <c>sandboxctl evaluate</c> honours the SandboxExceptions among the manifests it reads, as of <c>--now</c> (default:
/// the current time), and stops honouring each at its expiresAt, exactly as the webhook and the audit do.
/// </summary>
public sealed class ExceptionTests : IDisposable
{
    private const string Manifests = """
        apiVersion: agentsandbox.io/v1alpha1
        kind: AgentWorkload
        metadata: {name: coder, namespace: agents}
        spec:
          type: Agent
          selector: {matchLabels: {app: coder}}
        ---
        apiVersion: agentsandbox.io/v1alpha1
        kind: SandboxException
        metadata: {name: coder-gvisor, namespace: agents}
        spec:
          selector: {matchLabels: {app: coder}}
          grant: RunInGVisor
          reason: needs io_uring until the Kata guest kernel has it
          owner: team-agents
          expiresAt: "2026-07-01T00:00:00Z"
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: coder-1, namespace: agents, labels: {app: coder}}
        spec:
          runtimeClassName: gvisor
          containers: [{name: main, image: example/coder:1}]
        """;

    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static JsonObject Pod(Sandboxctl.Result r) =>
        (JsonObject)JsonNode.Parse(r.Stdout)!["results"]!.AsArray().Single(x => (string?)x!["kind"] == "Pod")!;

    [Fact]
    public void Before_expiry_the_gVisor_pod_is_allowed_with_the_exception_as_its_reason()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", _files.Write("app.yaml", Manifests), "--now", "2026-06-30T23:59:59Z", "-o", "json");
        Assert.Equal(0, r.ExitCode);
        var pod = Pod(r);
        Assert.True((bool)pod["allowed"]!);
        Assert.Equal("Medium", (string?)pod["riskTier"]);
        Assert.Equal("GVisor", (string?)pod["runtime"]);
        Assert.Contains(pod["reasons"]!.AsArray(), x => (string?)x == "SandboxException coder-gvisor (owner team-agents, until 2026-07-01T00:00:00Z): runs in gVisor instead of Kata: needs io_uring until the Kata guest kernel has it");
    }

    [Fact]
    public void From_expiry_the_same_manifests_are_denied_and_say_the_exception_expired()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", _files.Write("app.yaml", Manifests), "--now", "2026-07-01T00:00:00Z", "-o", "json");
        Assert.Equal(1, r.ExitCode);
        var pod = Pod(r);
        Assert.False((bool)pod["allowed"]!);
        Assert.Contains("AgentWorkload coder is High and needs runtimeClassName \"kata\"", (string?)pod["message"], StringComparison.Ordinal);
        Assert.Contains(pod["warnings"]!.AsArray(), x => (string?)x == "SandboxException coder-gvisor (run in gVisor instead of Kata, owner team-agents) expired at 2026-07-01T00:00:00Z and no longer applies");
    }

    [Fact]
    public void Without_now_the_current_time_is_used()
    {
        // The exception expired long before this test could run.
        var r = Sandboxctl.Run(null, "evaluate", "-f", _files.Write("app.yaml", Manifests.Replace("2026-07-01T00:00:00Z", "2001-01-01T00:00:00Z", StringComparison.Ordinal)));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Pod/agents/coder-1", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("denied", r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-07-01")]
    [InlineData("2026-07-01T00:00:00")]
    [InlineData("tomorrow")]
    public void A_now_without_a_zone_is_refused(string now)
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", _files.Write("app.yaml", Manifests), "--now", now);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"--now: \"{now}\" is not an RFC 3339 time with a zone, e.g. 2026-03-01T00:00:00Z", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_exception_is_an_input_error_naming_its_line()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", _files.Write("app.yaml", Manifests.Replace("  owner: team-agents\n", "", StringComparison.Ordinal)), "--now", "2026-06-01T00:00:00Z");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("SandboxException coder-gvisor: spec.owner: Required value: who answers for the exception", r.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"app\.yaml:\d+", r.Stderr);
    }

    [Fact]
    public void Crd_command_prints_the_committed_exception_crd()
    {
        var r = Sandboxctl.Run(null, "crd", "--kind", "SandboxException");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(Sandboxctl.RepoRoot, "crds", "sandboxexceptions.agentsandbox.io.yaml")), r.Stdout);
    }
}
