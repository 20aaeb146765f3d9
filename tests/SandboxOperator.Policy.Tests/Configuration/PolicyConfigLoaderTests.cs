using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Policy.Tests.Configuration;

public class PolicyConfigLoaderTests
{
    [Fact]
    public void Empty_file_gives_the_defaults()
    {
        var (config, errors) = PolicyConfigLoader.Load("", "policy.yaml");
        Assert.Empty(errors);
        Assert.Equal(PolicyConfig.Default, config);
        Assert.Equal("kata", config!.Kata.RuntimeClassName);
        Assert.Equal("agentsandbox.io/pool=gvisor:NoSchedule", config.GVisor.Pool.Taint.ToString());
    }

    [Fact]
    public void The_documented_policy_file_loads_and_matches_the_defaults_it_documents()
    {
        var path = Path.Combine(TestData.RepoRoot(), "config", "policy.yaml");
        var (config, errors) = PolicyConfigLoader.Load(File.ReadAllText(path), path);
        Assert.Empty(errors);
        Assert.Equal(PolicyConfig.Default.Kata, config!.Kata);
        Assert.Equal(PolicyConfig.Default.GVisor, config.GVisor);
        Assert.Equal(PolicyConfig.Default.Mode, config.Mode);
        Assert.Equal(PolicyConfig.Default.LowTierSeccomp, config.LowTierSeccomp);
        Assert.Equal(PolicyConfig.Default.ExcludedNamespaces, config.ExcludedNamespaces);
        Assert.Equal(PolicyConfig.Default.ExceptionAdminGroups, config.ExceptionAdminGroups);
        Assert.Equal(PolicyConfig.Default.ExceptionsMayReleaseMcpServers, config.ExceptionsMayReleaseMcpServers);
    }

    [Fact]
    public void Exception_settings_load_and_default_to_masters_only_and_MCP_servers_kept_in_Kata()
    {
        Assert.Equal(["system:masters"], PolicyConfig.Default.ExceptionAdminGroups);
        Assert.False(PolicyConfig.Default.ExceptionsMayReleaseMcpServers);
        var (config, errors) = PolicyConfigLoader.Load("exceptions:\n  adminGroups: [platform-admins, security]\n  allowMcpServers: true\n");
        Assert.Empty(errors);
        Assert.Equal(["platform-admins", "security"], config!.ExceptionAdminGroups.Order(StringComparer.Ordinal));
        Assert.True(config.ExceptionsMayReleaseMcpServers);
    }

    [Fact]
    public void Overrides_every_key()
    {
        const string yaml = """
            mode: Audit
            runtimes:
              kata:
                runtimeClassName: kata-clh
                handler: kata-clh
                handlers: [kata-clh-*, kata]
                overhead: { memory: 130Mi, cpu: 100m }
                pool:
                  label: { key: sandbox/pool, value: vm }
                  taint: { key: sandbox/pool, value: vm, effect: NoExecute }
              gvisor:
                runtimeClassName: runsc
            manageRuntimeClasses: true
            enforcedNamespaces: [agents, mcp]
            excludedNamespaces: [kube-system, platform]
            infrastructureNamespaces: [logging]
            lowTierSeccomp: { type: Localhost, localhostProfile: agentsandbox/agent-restricted.json }
            labelAdminGroups: [platform-admins]
            """;
        var (config, errors) = PolicyConfigLoader.Load(yaml);
        Assert.Empty(errors);
        Assert.Equal(EnforcementMode.Audit, config!.Mode);
        Assert.Equal(
            new RuntimeSettings(SandboxRuntime.Kata, "kata-clh", "kata-clh", new PoolSettings(new LabelRef("sandbox/pool", "vm"), new TaintRef("sandbox/pool", "vm", "NoExecute")), new ResourceOverhead("130Mi", "100m"))
            {
                Handlers = new HandlerPatterns(["kata-clh-*", "kata"]),
            },
            config.Kata);
        Assert.True(config.Kata.Accepts("kata-clh-tdx"));
        Assert.False(config.Kata.Accepts("kata-qemu"));
        Assert.Equal("runsc", config.GVisor.RuntimeClassName);
        Assert.Equal("runsc", config.GVisor.Handler);
        Assert.Equal(HandlerPatterns.DefaultGVisor, config.GVisor.Handlers);
        Assert.Equal(["kube-system", "platform"], config.ExcludedNamespaces.Order());
        Assert.True(config.ManageRuntimeClasses);
        Assert.Equal(["agents", "mcp"], config.EnforcedNamespaces.Order());
        Assert.Equal(["logging"], config.InfrastructureNamespaces);
        Assert.Equal(new SeccompSetting("Localhost", "agentsandbox/agent-restricted.json"), config.LowTierSeccomp);
        Assert.Equal(["platform-admins"], config.LabelAdminGroups);
    }

    [Theory]
    [InlineData("mode: enforce\n", "policy.yaml:1: mode: unsupported value \"enforce\" (allowed: Enforce, Audit)")]
    [InlineData("mode: Enforce\nruntimes:\n  kata:\n    pool:\n      taint: { effect: NoExec }\n", "policy.yaml:5: runtimes.kata.pool.taint.effect: unsupported value \"NoExec\" (allowed: NoSchedule, PreferNoSchedule, NoExecute)")]
    [InlineData("runtimes:\n  kata:\n    runtimeClass: kata\n", "policy.yaml:3: runtimes.kata.runtimeClass: unknown key (known keys: runtimeClassName, handler, handlers, overhead, pool)")]
    [InlineData("runtimes:\n  kata:\n    handlers:\n      - kata\n      - \"*\"\n", "policy.yaml:5: runtimes.kata.handlers[1]: \"*\" is not a handler name")]
    [InlineData("runtimes:\n  kata:\n    handlers: [Kata_VM]\n", "policy.yaml:3: runtimes.kata.handlers[0]: \"Kata_VM\" is not a handler name")]
    [InlineData("runtimes:\n  kata:\n    handlers: kata\n", "policy.yaml:3: runtimes.kata.handlers: must be a list of handler names")]
    [InlineData("runtimes:\n  gvisor:\n    handlers: [runsc, kata-*]\n", "runtimes: kata handler \"kata-qemu\" and gvisor handler \"kata-*\" overlap")]
    [InlineData("excludedNamespaces: kube-system\n", "policy.yaml:1: excludedNamespaces: must be a list of names")]
    [InlineData("enforcedNamespaces: agents\n", "policy.yaml:1: enforcedNamespaces: must be a list of names")]
    [InlineData("exceptions:\n  allowMcpServers: sometimes\n", "policy.yaml:2: exceptions.allowMcpServers: must be true or false, got \"sometimes\"")]
    [InlineData("exceptions:\n  adminGroups: platform\n", "policy.yaml:2: exceptions.adminGroups: must be a list of names")]
    [InlineData("exceptions:\n  maxDays: 365\n", "policy.yaml:2: exceptions.maxDays: unknown key (known keys: adminGroups, allowMcpServers)")]
    [InlineData("manageRuntimeClasses: maybe\n", "policy.yaml:1: manageRuntimeClasses: must be true or false, got \"maybe\"")]
    [InlineData("lowTierSeccomp: { type: Localhost }\n", "policy.yaml:1: lowTierSeccomp.localhostProfile: required when type is Localhost")]
    [InlineData("runtimes:\n  gvisor:\n    runtimeClassName: Kata_VM\n", "policy.yaml:3: runtimes.gvisor.runtimeClassName: \"Kata_VM\" is not a valid Kubernetes object name")]
    [InlineData("runtimes:\n  gvisor:\n    pool:\n      label: { key: agentsandbox.io/pool, value: kata }\n", "kata and gvisor must use different node pools")]
    [InlineData("mode: [Audit\n", "policy.yaml:1: invalid YAML")]
    [InlineData("colour: blue\n", "policy.yaml:1: colour: unknown key")]
    [InlineData("mode: Audit\nruntimes:\n  kata:\n\thandler: kata\n", "policy.yaml:4: invalid YAML: while scanning a mapping, found invalid tab as indentation")]
    [InlineData("mode: Audit\nenforcedNamespaces: *agents\n", "policy.yaml:2: invalid YAML: alias *agents refers to no anchor &agents defined above it")]
    public void Errors_name_the_key_and_the_line(string yaml, string expected)
    {
        var (config, errors) = PolicyConfigLoader.Load(yaml, "policy.yaml");
        Assert.Null(config);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }
}
