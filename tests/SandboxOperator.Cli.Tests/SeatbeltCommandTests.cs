namespace SandboxOperator.Cli.Tests;

public class SeatbeltCommandTests
{
    [Fact]
    public void The_sample_tool_gets_a_deny_by_default_profile_on_standard_output_only()
    {
        var r = Sandboxctl.Run(null, "seatbelt", "-f", "config/samples/40-trusted-tool.yaml");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.StartsWith(";; Seatbelt profile for AgentWorkload tools/unit-converter,", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("\n(version 1)\n(deny default)\n", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("(allow file-read* file-write* (subpath \"/Users/dev/src/unit-converter\"))", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("(allow process-exec\n    (literal \"/usr/local/bin/unit-converter\"))", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("(remote tcp \"localhost:8080\")", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("not a production boundary", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_workspace_flag_is_taken_from_the_current_folder()
    {
        var r = Sandboxctl.Run(null, "seatbelt", "-f", "config/samples/40-trusted-tool.yaml", "--workspace", "config");

        Assert.Equal(0, r.ExitCode);
        // On macOS /tmp, /var and /etc are links into /private, and the profile names the real path.
        var expected = Path.Combine(Sandboxctl.RepoRoot, "config");
        expected = new[] { "/tmp", "/var", "/etc" }.Any(l => expected.StartsWith(l + "/", StringComparison.Ordinal)) ? "/private" + expected : expected;
        Assert.Contains($"(allow file-read* file-write* (subpath \"{expected}\"))", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_workloads_need_a_name_and_an_unknown_name_lists_the_ones_there()
    {
        var several = Sandboxctl.Run(null, "seatbelt", "-f", "config/samples");
        var unknown = Sandboxctl.Run(null, "seatbelt", "-f", "config/samples/40-trusted-tool.yaml", "--name", "nope");
        var named = Sandboxctl.Run(null, "seatbelt", "-f", "config/samples", "--name", "unit-converter");

        Assert.Equal(2, several.ExitCode);
        Assert.Contains("choose one with --name", several.Stderr, StringComparison.Ordinal);
        Assert.Equal("", several.Stdout);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no AgentWorkload named \"nope\" (found: tools/unit-converter)", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, named.ExitCode);
    }

    [Fact]
    public void A_workload_that_cannot_be_expressed_safely_gets_errors_naming_the_field_and_no_profile()
    {
        using var files = new TempFiles();
        var path = files.Write("w.yaml", """
            apiVersion: agentsandbox.io/v1alpha1
            kind: AgentWorkload
            metadata: { name: fetcher, namespace: tools }
            spec:
              type: Tool
              localDevelopment:
                workspace: relative/dir
                allowedHosts: ["api.example.com", "evil.example\") (allow default"]
                allowedExecutables: [/usr/bin/curl]
            """);

        var r = Sandboxctl.Run(null, "seatbelt", "-f", path);

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains("error: AgentWorkload tools/fetcher: spec.localDevelopment.workspace: \"relative/dir\" is not an absolute path", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("error: AgentWorkload tools/fetcher: spec.localDevelopment.allowedHosts[1]:", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("error: AgentWorkload tools/fetcher: spec.localDevelopment.egressProxyPort: Required value", r.Stderr, StringComparison.Ordinal);
    }
}
