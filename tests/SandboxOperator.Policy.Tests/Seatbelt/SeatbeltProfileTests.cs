using System.Runtime.CompilerServices;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Seatbelt;

namespace SandboxOperator.Policy.Tests.Seatbelt;

public class SeatbeltProfileTests
{
    private static AgentWorkload Workload(LocalDevelopment? local, string name = "web-fetch", string ns = "tools") =>
        new(ns, name, new AgentWorkloadSpec { Type = WorkloadType.Tool, LocalDevelopment = local });

    private static readonly LocalDevelopment LoopbackOnly = new()
    {
        Workspace = "/Users/dev/src/notes-mcp",
        AllowedHosts = ["localhost:8080", "127.0.0.1:5432"],
        AllowedExecutables = ["/usr/local/bin/notes-mcp", "/usr/bin/git"],
    };

    private static readonly LocalDevelopment WithProxy = new()
    {
        Workspace = "/tmp/fetch-work/",
        AllowedHosts = ["api.example.com", "Docs.Example.org:8443"],
        EgressProxyPort = 3128,
        AllowedExecutables = ["/opt/homebrew/bin/node"],
    };

    private static string Golden(string file, [CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "golden", file);

    public static TheoryData<string, string> GoldenCases => new() { { "loopback-only", "loopback-only.sb" }, { "with-proxy", "with-proxy.sb" } };

    private static LocalDevelopment Case(string name) => name == "loopback-only" ? LoopbackOnly : WithProxy;

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Profiles_match_their_golden_files(string name, string golden)
    {
        var result = SeatbeltProfile.Generate(Workload(Case(name)));

        Assert.Empty(result.Errors);
        var expected = File.ReadAllText(Golden(golden));
        Assert.True(expected == result.Profile, $"{golden} differs from the generator's output:\n{result.Profile}");
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Golden_profiles_pass_the_syntax_check_and_deny_by_default(string name, string golden)
    {
        var (rules, errors) = SbplChecker.Check(File.ReadAllText(Golden(golden)));

        Assert.True(errors.Count == 0, $"{name}: {string.Join("; ", errors)}");
        Assert.Equal("deny", rules[0].Action);
        Assert.Equal(["default"], rules[0].Operations);
        Assert.Empty(rules[0].Filters);
        Assert.DoesNotContain(rules, r => r.Action == "allow" && r.Operations.Contains("default"));
    }

    [Fact]
    public void Only_the_workspace_is_writable_only_listed_programs_run_and_only_localhost_ports_are_reachable()
    {
        var (rules, errors) = SbplChecker.Check(SeatbeltProfile.Generate(Workload(LoopbackOnly)).Profile!);
        Assert.Empty(errors);

        Assert.Equal(["(literal \"/dev/null\")", "(subpath \"/Users/dev/src/notes-mcp\")"], FiltersOf(rules, "file-write*", "file-write-data"));
        Assert.Equal(["(literal \"/usr/local/bin/notes-mcp\")", "(literal \"/usr/bin/git\")"], FiltersOf(rules, "process-exec"));
        Assert.Equal(["(remote tcp \"localhost:5432\")", "(remote tcp \"localhost:8080\")"], FiltersOf(rules, "network-outbound"));
    }

    [Fact]
    public void Remote_hosts_go_through_the_proxy_which_a_note_lists_and_macOS_links_resolve_under_private()
    {
        var result = SeatbeltProfile.Generate(Workload(WithProxy));
        var (rules, _) = SbplChecker.Check(result.Profile!);

        Assert.Equal(["(remote tcp \"localhost:3128\")"], FiltersOf(rules, "network-outbound"));
        Assert.Contains("(subpath \"/private/tmp/fetch-work\")", FiltersOf(rules, "file-write*"));
        Assert.Equal(["outbound connections go only to the proxy on localhost:3128; it must allow exactly: api.example.com:443, docs.example.org:8443"], result.Notes);
    }

    [Fact]
    public void Without_any_host_every_connection_is_denied()
    {
        var result = SeatbeltProfile.Generate(Workload(new LocalDevelopment { Workspace = "/w", AllowedExecutables = ["/bin/sh"] }));
        var (rules, errors) = SbplChecker.Check(result.Profile!);

        Assert.Empty(errors);
        Assert.DoesNotContain(rules, r => r.Operations.Any(o => o.StartsWith("network", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_workspace_flag_overrides_the_spec()
    {
        var (rules, _) = SbplChecker.Check(SeatbeltProfile.Generate(Workload(LoopbackOnly), "/Volumes/work/other").Profile!);

        Assert.Equal(["(literal \"/dev/null\")", "(subpath \"/Volumes/work/other\")"], FiltersOf(rules, "file-write*", "file-write-data"));
    }

    [Theory]
    [InlineData("/Users/dev/a\") (allow default) (allow file-write* (subpath \"/x")]
    [InlineData("/Users/dev/back\\slash\\\")(allow network*)")]
    [InlineData("/Users/dev/semi;colon ; (allow default)")]
    public void A_path_with_quotes_backslashes_or_parentheses_stays_one_string(string workspace)
    {
        var result = SeatbeltProfile.Generate(Workload(LoopbackOnly), workspace);
        var (rules, errors) = SbplChecker.Check(result.Profile!);

        Assert.Empty(errors);
        Assert.DoesNotContain(rules, r => r.Action == "allow" && (r.Operations.Contains("default") || r.Operations.Contains("network*")));
        var written = Assert.Single(rules, r => r.Operations.Contains("file-write*")).Filters.Select(f => ((SbplChecker.StringNode)f.Items[1]).Value);
        Assert.Equal([workspace], written.ToList());
    }

    [Theory]
    [InlineData("/Users/dev/a\n(allow default)")]
    [InlineData("/Users/dev/a\r(allow default)")]
    [InlineData("/Users/dev/tab\there")]
    public void A_path_with_a_control_character_is_refused(string workspace)
    {
        var result = SeatbeltProfile.Generate(Workload(LoopbackOnly), workspace);

        Assert.Null(result.Profile);
        var error = Assert.Single(result.Errors);
        Assert.Equal("--workspace", error.Field);
        Assert.Contains("control character", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil.com\") (allow network*) (\"")]
    [InlineData("evil.com\n(allow default)")]
    [InlineData("*")]
    [InlineData("*.example.com")]
    [InlineData("-bad.example.com")]
    [InlineData("host_name.example.com")]
    [InlineData("example.com:0")]
    [InlineData("example.com:70000")]
    [InlineData("example.com:https")]
    public void A_host_that_is_not_a_host_name_is_refused(string host)
    {
        var result = SeatbeltProfile.Generate(Workload(WithProxy with { AllowedHosts = ["api.example.com", host] }));

        Assert.Null(result.Profile);
        Assert.Equal("spec.localDevelopment.allowedHosts[1]", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void Remote_hosts_without_a_proxy_are_refused_because_Seatbelt_cannot_match_them_by_name()
    {
        var result = SeatbeltProfile.Generate(Workload(WithProxy with { EgressProxyPort = null }));

        var error = Assert.Single(result.Errors);
        Assert.Equal("spec.localDevelopment.egressProxyPort", error.Field);
        Assert.Contains("api.example.com:443, docs.example.org:8443", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "spec.localDevelopment.workspace", "Required value")]
    [InlineData("relative/dir", "spec.localDevelopment.workspace", "not an absolute path")]
    [InlineData("/", "spec.localDevelopment.workspace", "whole disk")]
    [InlineData("/Users/dev/../../etc", "spec.localDevelopment.workspace", ". or ..")]
    public void A_workspace_that_is_missing_relative_or_everything_is_refused(string? workspace, string field, string message)
    {
        var result = SeatbeltProfile.Generate(Workload(LoopbackOnly with { Workspace = workspace }));

        var error = Assert.Single(result.Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Executables_are_required_and_must_be_absolute_programs()
    {
        Assert.Equal("spec.localDevelopment.allowedExecutables", Assert.Single(SeatbeltProfile.Generate(Workload(LoopbackOnly with { AllowedExecutables = [] })).Errors).Field);
        var errors = SeatbeltProfile.Generate(Workload(LoopbackOnly with { AllowedExecutables = ["python3", "/usr/local/bin/"] })).Errors;
        Assert.Equal(["spec.localDevelopment.allowedExecutables[0]", "spec.localDevelopment.allowedExecutables[1]"], errors.Select(e => e.Field));
    }

    [Fact]
    public void A_workload_without_a_local_development_section_is_refused()
    {
        var error = Assert.Single(SeatbeltProfile.Generate(Workload(null)).Errors);

        Assert.Equal("spec.localDevelopment", error.Field);
    }

    [Fact]
    public void Names_in_the_header_comment_cannot_end_the_comment()
    {
        var profile = SeatbeltProfile.Generate(Workload(LoopbackOnly, name: "x\n(allow default)")).Profile!;
        var (rules, errors) = SbplChecker.Check(profile);

        Assert.Empty(errors);
        Assert.DoesNotContain(rules, r => r.Operations.Contains("default") && r.Action == "allow");
        Assert.StartsWith(";; Seatbelt profile for AgentWorkload tools/x??allow?default?,", profile, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(version 1)\n(allow file-read* (subpath \"/a\")", "unbalanced (")]
    [InlineData("(version 1)\n(allow file-read* (subpath \"/a\\n\"))", "unknown escape")]
    [InlineData("(version 1)\n(allow file-read* (subpath \"a\"))", "absolute path")]
    [InlineData("(version 1)\n(allow network-outbound (remote tcp \"example.com:443\"))", "network address")]
    [InlineData("(version 1)\n(allow file-reed* (subpath \"/a\"))", "unknown operation")]
    [InlineData("(allow default)", "must start with (version 1)")]
    [InlineData("(version 1)\n(allow file-read* (subpath \"/a\nb\"))", "control character")]
    public void The_checker_rejects_what_Seatbelt_would_not_read_or_the_generator_must_not_write(string profile, string message)
    {
        var (_, errors) = SbplChecker.Check(profile);

        Assert.Contains(errors, e => e.Contains(message, StringComparison.Ordinal));
    }

    private static List<string> FiltersOf(IEnumerable<SbplChecker.Rule> rules, params string[] operations) =>
        [.. rules.Where(r => r.Action == "allow" && r.Operations.Any(operations.Contains)).SelectMany(r => r.Filters).Select(SbplChecker.Show)];
}
