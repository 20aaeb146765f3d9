using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The JSON values mutation adds, built once per configuration and runtime instead of per pod.
/// </summary>
/// <remarks>
/// Caveat: the nodes are shared. They have no parent and must never be attached to a tree or
/// modified; consumers serialize them or deep-clone them (as <see cref="Json.JsonPatch.Apply"/> does).
/// </remarks>
internal sealed class PatchValues
{
    private static readonly ConditionalWeakTable<PolicyConfig, PatchValues> Cache = [];

    private PatchValues(PolicyConfig config)
    {
        Kata = new PoolValues(config.Kata);
        GVisor = new PoolValues(config.GVisor);
        RuntimeDefaultSeccomp = Seccomp(SeccompSetting.RuntimeDefault);
        LowTierSeccomp = Seccomp(config.LowTierSeccomp);
    }

    public PoolValues Kata { get; }
    public PoolValues GVisor { get; }
    public SeccompValues RuntimeDefaultSeccomp { get; }
    public SeccompValues LowTierSeccomp { get; }

    public static PatchValues For(PolicyConfig config) => Cache.GetValue(config, static c => new PatchValues(c));

    public PoolValues? Pool(SandboxRuntime runtime) => runtime switch
    {
        SandboxRuntime.Kata => Kata,
        SandboxRuntime.GVisor => GVisor,
        _ => null,
    };

    private static SeccompValues Seccomp(SeccompSetting setting)
    {
        JsonObject Profile()
        {
            var profile = new JsonObject { ["type"] = setting.Type };
            if (setting.LocalhostProfile is { } path)
            {
                profile["localhostProfile"] = path;
            }

            return profile;
        }

        return new SeccompValues(new(Profile()), new(new JsonObject { ["seccompProfile"] = Profile() }));
    }

    /// <summary>The seccompProfile value, and a securityContext holding it.</summary>
    public sealed record SeccompValues(PreparedJsonValue Profile, PreparedJsonValue SecurityContext);

    /// <summary>Values placing a pod in one runtime's pool.</summary>
    public sealed class PoolValues
    {
        public PoolValues(RuntimeSettings settings)
        {
            var taint = settings.Pool.Taint;
            var label = settings.Pool.Label;
            JsonObject Toleration() => new() { ["key"] = taint.Key, ["operator"] = "Equal", ["value"] = taint.Value, ["effect"] = taint.Effect };
            JsonObject Expression() => new() { ["key"] = label.Key, ["operator"] = "In", ["values"] = new JsonArray(label.Value) };
            JsonArray Terms() => new(new JsonObject { ["matchExpressions"] = new JsonArray(Expression()) });
            JsonObject Required() => new() { ["nodeSelectorTerms"] = Terms() };
            JsonObject NodeAffinity() => new() { ["requiredDuringSchedulingIgnoredDuringExecution"] = Required() };

            RuntimeClassName = new(JsonValue.Create(settings.RuntimeClassName));
            TolerationItem = new(Toleration());
            TolerationArray = new(new JsonArray(Toleration()));
            ExpressionItem = new(Expression());
            ExpressionArray = new(new JsonArray(Expression()));
            TermsArray = new(Terms());
            RequiredObject = new(Required());
            NodeAffinityObject = new(NodeAffinity());
            AffinityObject = new(new JsonObject { ["nodeAffinity"] = NodeAffinity() });
        }

        public PreparedJsonValue RuntimeClassName { get; }
        public PreparedJsonValue TolerationItem { get; }
        public PreparedJsonValue TolerationArray { get; }
        public PreparedJsonValue ExpressionItem { get; }
        public PreparedJsonValue ExpressionArray { get; }
        public PreparedJsonValue TermsArray { get; }
        public PreparedJsonValue RequiredObject { get; }
        public PreparedJsonValue NodeAffinityObject { get; }
        public PreparedJsonValue AffinityObject { get; }
    }
}
