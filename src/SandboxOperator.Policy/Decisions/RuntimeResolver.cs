using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Maps a pod's runtimeClassName to the runtime it really gets. Names are compared exactly (Kubernetes
/// names are case-sensitive, so "Kata" or "kata " is not the Kata class). When the RuntimeClass object
/// is known, its handler decides, whatever its name: a class whose handler a runtime accepts
/// (<see cref="RuntimeSettings.Accepts"/>, e.g. kata, kata-qemu or kata-clh for Kata) runs that runtime, and a
/// class named "kata" whose handler is runc is runc. Any other class, or none, runs on the default runc handler.
/// </summary>
public static class RuntimeResolver
{
    public static SandboxRuntime Resolve(string? runtimeClassName, PolicyConfig config, IClusterState state)
    {
        if (runtimeClassName is null)
        {
            return SandboxRuntime.Runc;
        }

        if (state.RuntimeClass(runtimeClassName) is { } rc)
        {
            foreach (var rt in config.SandboxRuntimes)
            {
                if (rt.Accepts(rc.Handler))
                {
                    return rt.Runtime;
                }
            }

            return SandboxRuntime.Runc;
        }

        foreach (var rt in config.SandboxRuntimes)
        {
            if (runtimeClassName == rt.RuntimeClassName)
            {
                return rt.Runtime;
            }
        }

        return SandboxRuntime.Runc;
    }
}
