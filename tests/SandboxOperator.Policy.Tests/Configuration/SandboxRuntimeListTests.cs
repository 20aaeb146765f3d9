using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Policy.Tests.Configuration;

public sealed class SandboxRuntimeListTests
{
    [Fact]
    public void Lists_kata_then_gvisor_as_the_configuration_has_them_now()
    {
        var gvisor = RuntimeSettings.DefaultGVisor with { RuntimeClassName = "sandboxed" };
        var config = PolicyConfig.Default with { GVisor = gvisor };

        var seen = new List<RuntimeSettings>();
        foreach (var rt in config.SandboxRuntimes)
        {
            seen.Add(rt);
        }

        Assert.Equal([RuntimeSettings.DefaultKata, gvisor], seen);
        Assert.Equal(["kata", "sandboxed"], config.SandboxRuntimes.Select(r => r.RuntimeClassName));
        Assert.Equal([SandboxRuntime.Kata, SandboxRuntime.GVisor], PolicyConfig.Default.SandboxRuntimes.Select(r => r.Runtime));
        Assert.Equal(2, config.SandboxRuntimes.Count);
        Assert.Same(gvisor, config.SandboxRuntimes[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => config.SandboxRuntimes[2]);
    }
}
