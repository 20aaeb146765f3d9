using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Pod features known to break in a sandbox runtime, each with the fix and the upstream documentation that says so.
/// They are warnings, never denials: the pod may still work where the nodes are set up for it (nvproxy, a GPU
/// handler), and the policy cannot see the nodes' runtime configuration.
/// </summary>
/// <remarks>
/// Cheap when nothing applies: nothing is computed for runc, and the checks read only flags and lists the pod reader
/// filled (null when the pod has none), so an ordinary pod allocates nothing here.
/// </remarks>
public static class CompatibilityAdvice
{
    /// <summary>One known incompatibility: a feature, the runtime it breaks in, why, the fix and the source.</summary>
    public sealed record Entry(string Id, string Feature, SandboxRuntime Runtime, string Problem, string Fix, string Source);

    private const string GVisorGpu = "https://gvisor.dev/docs/user_guide/gpu/";
    private const string GVisorCompatibility = "https://gvisor.dev/docs/user_guide/compatibility/";
    private const string KataGpu = "https://github.com/kata-containers/kata-containers/blob/main/docs/use-cases/NVIDIA-GPU-passthrough-and-Kata-QEMU.md";
    private const string KataLimitations = "https://github.com/kata-containers/kata-containers/blob/main/docs/Limitations.md#host-resource-sharing";
    private const string KataPropagation = "https://github.com/kata-containers/kata-containers/issues/10502";
    private const string PropagationFix = "use mountPropagation None or HostToContainer, or run the mounting component (a CSI or FlexVolume driver) as an infrastructure pod with runc";
    private const string KubernetesPropagation = "https://kubernetes.io/docs/concepts/storage/volumes/#mount-propagation";

    /// <summary>Every entry, in the order warnings are given; docs/policy.md lists each one.</summary>
    public static IReadOnlyList<Entry> Catalogue { get; } =
    [
        new("gpu-gvisor", "GPU resources", SandboxRuntime.GVisor,
            "gVisor reaches NVIDIA GPUs only through its nvproxy driver (runsc --nvproxy), for selected GPU models and driver versions, and has no integration with NVIDIA's k8s-device-plugin",
            "enable nvproxy in the gVisor pool's runsc configuration with a supported driver, or classify the workload High so that it runs in Kata with GPU passthrough",
            GVisorGpu),
        new("gpu-kata", "GPU resources", SandboxRuntime.Kata,
            "a Kata VM sees a GPU only when it is passed through with VFIO by a GPU-enabled Kata handler; a GPU allocated by the ordinary device plugin stays on the host",
            "set spec.runtimeClassName to a Kata GPU class (kata-qemu-nvidia-gpu, whose handler the policy counts as Kata) and request nvidia.com/pgpu from NVIDIA's sandbox device plugin",
            KataGpu),
        new("bidirectional-gvisor", "Bidirectional mount propagation", SandboxRuntime.GVisor,
            "gVisor's kernel keeps its own mount table and does not support creating new mounts at runtime, so nothing propagates to the host or to other pods",
            PropagationFix,
            GVisorCompatibility + " " + KubernetesPropagation),
        new("bidirectional-kata", "Bidirectional mount propagation", SandboxRuntime.Kata,
            "mounts made inside the Kata VM stay in the guest kernel and do not propagate back to the host or to other pods",
            PropagationFix,
            KataPropagation + " " + KubernetesPropagation),
        new("kvm-gvisor", "/dev/kvm", SandboxRuntime.GVisor,
            "gVisor exposes only the device files it implements itself; the host's /dev/kvm is not one of them, so nested VMs cannot start",
            "run VM-launching workloads in Kata (with nested virtualization enabled for its guests) or on a dedicated runc pool",
            GVisorGpu + "#device-files"),
        new("host-device-gvisor", "host devices", SandboxRuntime.GVisor,
            "gVisor exposes only the device files it implements itself (and NVIDIA's through nvproxy); a host device in a hostPath volume is not usable inside the sandbox",
            "remove the device volume, use a device plugin the runtime supports, or run the workload on runc in an infrastructure namespace",
            GVisorGpu + "#device-files"),
        new("kvm-kata", "/dev/kvm", SandboxRuntime.Kata,
            "inside a Kata VM a container is given the guest's devices, not the host's; /dev/kvm exists there only when the guest has nested virtualization",
            "enable nested virtualization for the Kata guests of that pool, or run VM-launching workloads on a dedicated runc pool",
            KataLimitations),
        new("host-device-kata", "host devices", SandboxRuntime.Kata,
            "inside a Kata VM a container is given the guest's devices, not the host's; a hostPath to a host device does not reach the hardware",
            "pass the device through to the VM (VFIO with a Kata handler configured for it) instead of a hostPath volume",
            KataLimitations),
    ];

    private static readonly Entry GpuGVisor = Find("gpu-gvisor");
    private static readonly Entry GpuKata = Find("gpu-kata");
    private static readonly Entry BidirectionalGVisor = Find("bidirectional-gvisor");
    private static readonly Entry BidirectionalKata = Find("bidirectional-kata");
    private static readonly Entry KvmGVisor = Find("kvm-gvisor");
    private static readonly Entry DeviceGVisor = Find("host-device-gvisor");
    private static readonly Entry KvmKata = Find("kvm-kata");
    private static readonly Entry DeviceKata = Find("host-device-kata");

    /// <summary>
    /// Adds a warning to <paramref name="warnings"/> for each feature of <paramref name="pod"/> known to break in
    /// <paramref name="runtime"/>, each prefixed with <paramref name="where"/> (a template's path, or "").
    /// </summary>
    public static void AddTo(List<string> warnings, string where, PodSpecView pod, SandboxRuntime runtime)
    {
        if (runtime == SandboxRuntime.Runc)
        {
            return;
        }

        var kata = runtime == SandboxRuntime.Kata;
        for (var i = 0; i < pod.Containers.Count; i++)
        {
            var c = pod.Containers[i];
            if (c.Gpus is { Count: > 0 } gpus)
            {
                warnings.Add(Warn(where, $"{c.Describe(0)} requests {string.Join(", ", gpus)}", kata ? GpuKata : GpuGVisor));
            }

            if (c.BidirectionalMounts is { Count: > 0 } mounts)
            {
                warnings.Add(Warn(where, $"{c.Describe(0)} mounts {string.Join(", ", mounts.Select(m => $"\"{m}\""))} with mountPropagation Bidirectional", kata ? BidirectionalKata : BidirectionalGVisor));
            }
        }

        if (pod.HostDevices is { } devices)
        {
            for (var i = 0; i < devices.Count; i++)
            {
                var d = devices[i];
                var kvm = d.Path == "/dev/kvm";
                var entry = kvm ? (kata ? KvmKata : KvmGVisor) : (kata ? DeviceKata : DeviceGVisor);
                warnings.Add(Warn(where, $"hostPath volume \"{d.Volume}\" mounts {(d.Path.Length > 0 ? d.Path : "a device")}", entry));
            }
        }
    }

    private static string Warn(string where, string subject, Entry e) =>
        $"{where}compatibility: {subject}: {e.Feature} in {e.Runtime}: {e.Problem}. Fix: {e.Fix} (source: {e.Source})";

    private static Entry Find(string id) => Catalogue.Single(e => e.Id == id);
}
