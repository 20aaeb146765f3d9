using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.State;
using static SandboxOperator.Policy.Tests.Decisions.PodValidationTests;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>
/// A RuntimeClass counts as Kata or gVisor by its handler, from the lists kata-deploy and gVisor install; a denial
/// never asks for what the pod already sets, and when the RuntimeClass is the problem it names it and the handlers.
/// </summary>
public class RuntimeClassHandlerTests
{
    private static readonly Dictionary<string, Dictionary<string, string>> Enforced = new() { ["agents"] = new() { [WellKnown.EnforceLabel] = "kata" } };

    private static RuntimeClassInfo Class(string name, string handler) => new(name, handler, new Dictionary<string, string>(), []);

    [Theory]
    [InlineData("kata")]
    [InlineData("kata-qemu")]
    [InlineData("kata-clh")]
    [InlineData("kata-fc")]
    [InlineData("kata-dragonball")]
    [InlineData("kata-qemu-tdx")]
    [InlineData("kata-qemu-nvidia-gpu-snp")]
    [InlineData("kata-clh-tdx")]
    [InlineData("kata-cloud-hypervisor")]
    [InlineData("kata-stratovirt")]
    [InlineData("kata-remote")]
    public void Every_handler_kata_deploy_installs_is_kata(string handler)
    {
        var pod = Pod(ns: "agents", spec: Spec("\"runtimeClassName\":\"kata\",\"tolerations\":[{\"key\":\"agentsandbox.io/pool\",\"value\":\"kata\",\"effect\":\"NoSchedule\"}]"));
        var decision = Evaluate(pod, Cluster(namespaces: Enforced, runtimeClasses: [Class("kata", handler)]));
        Assert.True(decision.Allowed, decision.Message);
        Assert.Equal(SandboxRuntime.Kata, decision.Runtime);
    }

    [Theory]
    [InlineData("runsc")]
    [InlineData("gvisor")]
    public void Runsc_and_gvisor_are_gvisor(string handler)
    {
        var decision = Evaluate(Pod(labels: """{"app":"t"}""", spec: Spec("\"runtimeClassName\":\"sandboxed\"")), Cluster([Workload("t", WorkloadType.Tool, matchApp: "t")], runtimeClasses: [Class("sandboxed", handler)]));
        Assert.True(decision.Allowed, decision.Message);
        Assert.Equal(SandboxRuntime.GVisor, decision.Runtime);
    }

    [Fact]
    public void Kata_own_test_runtime_class_with_a_pod_that_uses_it_is_allowed_in_an_enforced_namespace()
    {
        var decision = Evaluate(Pod(ns: "agents", spec: Spec("\"runtimeClassName\":\"kata\"")), Cluster(namespaces: Enforced, runtimeClasses: [Class("kata", "kata")]));
        Assert.True(decision.Allowed, decision.Message);
        Assert.Equal(SandboxRuntime.Kata, decision.Runtime);
        Assert.Empty(decision.Violations);
    }

    [Fact]
    public void A_class_whose_handler_is_not_kata_is_named_with_the_accepted_handlers_and_never_asked_for_again()
    {
        var decision = Evaluate(Pod(ns: "agents", spec: Spec("\"runtimeClassName\":\"kata\"")), Cluster(namespaces: Enforced, runtimeClasses: [Class("kata", "runc")]));
        Assert.False(decision.Allowed);
        Assert.Equal(SandboxRuntime.Runc, decision.Runtime);
        Assert.Equal(
            "namespace agents enforces Kata: RuntimeClass \"kata\" has handler \"runc\", which is not a Kata handler (the policy accepts kata-qemu, kata, kata-qemu-*, kata-clh, kata-clh-*, kata-cloud-hypervisor, kata-dragonball, kata-fc, kata-stratovirt, kata-remote); recreate RuntimeClass \"kata\" with one of those handlers (a handler cannot be changed in place)",
            decision.Message);

        // The same when mutation filled the class in.
        var unset = Evaluate(Pod(ns: "agents"), Cluster(namespaces: Enforced, runtimeClasses: [Class("kata", "runc")]));
        Assert.StartsWith("namespace agents enforces Kata: RuntimeClass \"kata\" has handler \"runc\"", unset.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("set it to", unset.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_class_gets_the_advice_to_use_the_kata_class_when_that_class_is_sound()
    {
        var state = Cluster(runtimeClasses: [Class("gvisor", "runsc"), Class("microvm", "firecracker")]);
        var gvisor = Evaluate(Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"gvisor\"")), state);
        Assert.Equal("MCP server pods must run in Kata: spec.runtimeClassName is \"gvisor\"; set it to \"kata\" or leave it unset", gvisor.Message);

        // A class the user may take for Kata: its handler is the problem, so it is named.
        var microvm = Evaluate(Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"microvm\"")), state);
        Assert.Equal(
            "MCP server pods must run in Kata: RuntimeClass \"microvm\" has handler \"firecracker\", which is not a Kata handler (the policy accepts kata-qemu, kata, kata-qemu-*, kata-clh, kata-clh-*, kata-cloud-hypervisor, kata-dragonball, kata-fc, kata-stratovirt, kata-remote); set spec.runtimeClassName to \"kata\" or leave it unset",
            microvm.Message);

        var broken = Evaluate(Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"fast\"")), Cluster(runtimeClasses: [Class("kata", "runc")]));
        Assert.Equal(
            "MCP server pods must run in Kata: spec.runtimeClassName is \"fast\", and RuntimeClass \"kata\" has handler \"runc\", which is not a Kata handler either (the policy accepts kata-qemu, kata, kata-qemu-*, kata-clh, kata-clh-*, kata-cloud-hypervisor, kata-dragonball, kata-fc, kata-stratovirt, kata-remote)",
            broken.Message);
    }

    [Fact]
    public void A_gvisor_workload_on_a_gvisor_class_with_a_runc_handler_is_told_what_is_wrong_with_the_class()
    {
        var decision = Evaluate(Pod(labels: """{"app":"t"}""", spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster([Workload("t", WorkloadType.Tool, matchApp: "t")], runtimeClasses: [Class("gvisor", "runc")]));
        Assert.Equal(
            "AgentWorkload t is Medium and needs GVisor: RuntimeClass \"gvisor\" has handler \"runc\", which is not a GVisor handler (the policy accepts runsc, gvisor); recreate RuntimeClass \"gvisor\" with one of those handlers (a handler cannot be changed in place)",
            decision.Message);
    }

    [Fact]
    public void Configured_handlers_replace_the_defaults()
    {
        var config = PolicyConfig.Default with { Kata = PolicyConfig.Default.Kata with { Handler = "vm", Handlers = new HandlerPatterns(["microvm-*"]) } };
        var state = Cluster(namespaces: Enforced, runtimeClasses: [Class("kata", "microvm-fc"), Class("clh", "kata-clh")]);
        Assert.True(Evaluate(Pod(ns: "agents", spec: Spec("\"runtimeClassName\":\"kata\"")), state, config).Allowed);
        var other = Evaluate(Pod(ns: "agents", spec: Spec("\"runtimeClassName\":\"clh\"")), state, config);
        Assert.Contains("(the policy accepts vm, microvm-*)", other.Message, StringComparison.Ordinal);
    }
}
