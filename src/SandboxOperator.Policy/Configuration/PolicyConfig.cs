using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Configuration;

/// <summary>
/// The operator's policy configuration: runtime class names, node pools, enforced and infrastructure
/// namespaces, the Low tier's seccomp profile and the default mode. Immutable; <see cref="Default"/>
/// holds the built-in values that <c>config/policy.yaml</c> documents.
/// </summary>
public sealed record PolicyConfig
{
    public EnforcementMode Mode { get; init; } = EnforcementMode.Enforce;
    public RuntimeSettings Kata { get; init; } = RuntimeSettings.DefaultKata;
    public RuntimeSettings GVisor { get; init; } = RuntimeSettings.DefaultGVisor;
    /// <summary>Whether the controller creates and maintains the sandbox RuntimeClasses.</summary>
    public bool ManageRuntimeClasses { get; init; }
    /// <summary>Namespaces where every unclaimed pod must run in Kata (in addition to namespaces labelled agentsandbox.io/enforce=kata).</summary>
    public IReadOnlySet<string> EnforcedNamespaces { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    /// <summary>
    /// Namespaces no webhook sees: the chart renders the webhooks' namespaceSelector from this list (plus its release
    /// namespace), so the policy treats objects there as not covered, and <c>sandboxctl</c> agrees with the cluster.
    /// </summary>
    public IReadOnlySet<string> ExcludedNamespaces { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "kube-system" };
    /// <summary>Namespaces whose pods may run on every pool (log shippers, monitoring agents, CSI/CNI daemons).</summary>
    public IReadOnlySet<string> InfrastructureNamespaces { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    /// <summary>The seccomp profile Low-tier pods get when they set none.</summary>
    public SeccompSetting LowTierSeccomp { get; init; } = SeccompSetting.RuntimeDefault;
    /// <summary>Groups allowed to remove or weaken the agentsandbox.io/enforce and agentsandbox.io/mode namespace labels.</summary>
    public IReadOnlySet<string> LabelAdminGroups { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "system:masters" };
    /// <summary>
    /// Classification rules (<c>classification.rules</c>, then the rules of <c>classification.presets</c>): pods they
    /// match are classified as an AgentWorkload of the rule's type and traits would classify them.
    /// </summary>
    public IReadOnlyList<ClassificationRule> Classification { get; init; } = [];
    /// <summary>Groups allowed to create a SandboxException or change its spec (extend it, widen it); <c>exceptions.adminGroups</c>.</summary>
    public IReadOnlySet<string> ExceptionAdminGroups { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "system:masters" };
    /// <summary>
    /// Whether a SandboxException may let MCP server pods run in gVisor instead of Kata; <c>exceptions.allowMcpServers</c>.
    /// False by default: MCP servers stay in a VM whatever an exception says.
    /// </summary>
    public bool ExceptionsMayReleaseMcpServers { get; init; }

    /// <summary>The built-in configuration.</summary>
    public static PolicyConfig Default { get; } = new();

    /// <summary>Settings of a sandbox runtime; Runc has none (it runs on general nodes with the default handler).</summary>
    public RuntimeSettings? SettingsFor(SandboxRuntime runtime) => runtime switch
    {
        SandboxRuntime.Kata => Kata,
        SandboxRuntime.GVisor => GVisor,
        _ => null,
    };

    /// <summary>The sandbox runtimes, strongest first.</summary>
    public SandboxRuntimeList SandboxRuntimes => new(Kata, GVisor);
}

/// <summary>A sandbox runtime: its RuntimeClass, the handlers that count as it, and the node pool that runs it.</summary>
/// <param name="Handler">The handler of the RuntimeClass the operator manages; always accepted.</param>
public sealed record RuntimeSettings(
    SandboxRuntime Runtime,
    string RuntimeClassName,
    string Handler,
    PoolSettings Pool,
    ResourceOverhead? Overhead)
{
    /// <summary>More handlers that count as this runtime when a RuntimeClass names them (besides <see cref="Handler"/>).</summary>
    public HandlerPatterns Handlers { get; init; } = new([]);

    /// <summary>Whether a RuntimeClass with <paramref name="handler"/> runs this runtime.</summary>
    public bool Accepts(string handler) => handler == Handler || Handlers.Matches(handler);

    /// <summary>Every handler this runtime accepts, for messages: <see cref="Handler"/> first, then <see cref="Handlers"/>.</summary>
    public string AcceptedHandlers => string.Join(", ", Handlers.Patterns.Prepend(Handler).Distinct(StringComparer.Ordinal));

    public static RuntimeSettings DefaultKata { get; } = new(
        SandboxRuntime.Kata, "kata", "kata-qemu",
        new PoolSettings(new LabelRef("agentsandbox.io/pool", "kata"), new TaintRef("agentsandbox.io/pool", "kata", "NoSchedule")),
        new ResourceOverhead("160Mi", "250m"))
    {
        Handlers = HandlerPatterns.DefaultKata,
    };

    public static RuntimeSettings DefaultGVisor { get; } = new(
        SandboxRuntime.GVisor, "gvisor", "runsc",
        new PoolSettings(new LabelRef("agentsandbox.io/pool", "gvisor"), new TaintRef("agentsandbox.io/pool", "gvisor", "NoSchedule")),
        null)
    {
        Handlers = HandlerPatterns.DefaultGVisor,
    };
}

/// <summary>A node pool: nodes that carry <see cref="Label"/> and are tainted with <see cref="Taint"/>.</summary>
public sealed record PoolSettings(LabelRef Label, TaintRef Taint);

/// <summary>A label key and value.</summary>
public sealed record LabelRef(string Key, string Value)
{
    public override string ToString() => $"{Key}={Value}";
}

/// <summary>A taint key, value and effect.</summary>
public sealed record TaintRef(string Key, string Value, string Effect)
{
    public override string ToString() => $"{Key}={Value}:{Effect}";
}

/// <summary>RuntimeClass overhead.podFixed, as Kubernetes quantities.</summary>
public sealed record ResourceOverhead(string Memory, string Cpu);

/// <summary>A seccomp profile as set in a securityContext.</summary>
public sealed record SeccompSetting(string Type, string? LocalhostProfile)
{
    public static SeccompSetting RuntimeDefault { get; } = new("RuntimeDefault", null);
}
