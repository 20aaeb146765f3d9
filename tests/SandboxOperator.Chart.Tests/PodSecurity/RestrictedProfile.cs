using System.Text.Json;

namespace SandboxOperator.Chart.Tests.PodSecurity;

/// <summary>
/// The checks of Kubernetes' Pod Security Standards "restricted" profile (which includes "baseline"),
/// as the pod-security admission plugin applies them to a pod spec (v1.32): each violation names the
/// check and the field. Windows-only fields other than hostProcess are ignored, as they are for Linux pods.
/// </summary>
public static class RestrictedProfile
{
    /// <summary>The sysctls baseline allows (namespaced and isolated from the node).</summary>
    public static readonly HashSet<string> SafeSysctls =
    [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    ];

    /// <summary>Volume types restricted allows.</summary>
    public static readonly HashSet<string> AllowedVolumeTypes =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    private static readonly HashSet<string> AllowedSeLinuxTypes = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

    /// <summary>Violations of <paramref name="podSpec"/> (a pod's <c>spec</c>) with the pod's <paramref name="annotations"/>; empty when it is restricted.</summary>
    public static IReadOnlyList<string> Check(JsonElement podSpec, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var v = new List<string>();
        var pod = Object(podSpec, "securityContext");

        // baseline: host namespaces, hostProcess
        foreach (var ns in new[] { "hostNetwork", "hostPID", "hostIPC" })
        {
            if (True(podSpec, ns))
            {
                v.Add($"host namespaces: spec.{ns}=true");
            }
        }

        if (pod is { } psc && Object(psc, "windowsOptions") is { } pw && True(pw, "hostProcess"))
        {
            v.Add("hostProcess: spec.securityContext.windowsOptions.hostProcess=true");
        }

        // baseline: volumes (hostPath); restricted: volume types
        foreach (var vol in Array(podSpec, "volumes"))
        {
            var name = String(vol, "name") ?? "?";
            foreach (var p in vol.EnumerateObject().Where(p => p.Name != "name" && p.Value.ValueKind != JsonValueKind.Null))
            {
                if (p.Name == "hostPath")
                {
                    v.Add($"hostPath volumes: volume {name}");
                }
                else if (!AllowedVolumeTypes.Contains(p.Name))
                {
                    v.Add($"volume types: volume {name} is {p.Name}");
                }
            }
        }

        // baseline: sysctls
        if (pod is { } sc)
        {
            foreach (var s in Array(sc, "sysctls"))
            {
                if (String(s, "name") is { } n && !SafeSysctls.Contains(n))
                {
                    v.Add($"sysctls: {n} is not a safe sysctl");
                }
            }
        }

        // pod-level settings the container checks fall back on
        var podNonRoot = pod is { } a && a.TryGetProperty("runAsNonRoot", out var rn) && rn.ValueKind == JsonValueKind.True;
        var podSeccomp = pod is { } b ? SeccompType(b) : null;
        if (pod is { } c)
        {
            CheckCommon(c, "spec.securityContext", v);
            if (c.TryGetProperty("runAsNonRoot", out var prn) && prn.ValueKind == JsonValueKind.False)
            {
                v.Add("runAsNonRoot: spec.securityContext.runAsNonRoot=false");
            }

            if (podSeccomp is not null and not ("RuntimeDefault" or "Localhost"))
            {
                v.Add($"seccomp: spec.securityContext.seccompProfile.type={podSeccomp}");
            }
        }

        // baseline AppArmor annotations
        foreach (var (key, value) in annotations ?? new Dictionary<string, string>())
        {
            if (key.StartsWith("container.apparmor.security.beta.kubernetes.io/", StringComparison.Ordinal)
                && value != "runtime/default" && !value.StartsWith("localhost/", StringComparison.Ordinal))
            {
                v.Add($"AppArmor: annotation {key}={value}");
            }
        }

        var nonRootEverywhere = true;
        foreach (var list in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            var i = 0;
            foreach (var container in Array(podSpec, list))
            {
                var at = $"spec.{list}[{i++}]";
                var csc = Object(container, "securityContext");
                foreach (var port in Array(container, "ports"))
                {
                    if (port.TryGetProperty("hostPort", out var hp) && hp.ValueKind == JsonValueKind.Number && hp.GetInt32() != 0)
                    {
                        v.Add($"host ports: {at}.ports hostPort {hp.GetInt32()}");
                    }
                }

                if (csc is not { } s)
                {
                    v.Add($"allowPrivilegeEscalation: {at} has no securityContext (must set allowPrivilegeEscalation=false)");
                    v.Add($"capabilities: {at} must drop ALL");
                    nonRootEverywhere &= false;
                    if (podSeccomp is null)
                    {
                        v.Add($"seccomp: {at} has no seccompProfile and the pod sets none");
                    }

                    continue;
                }

                CheckCommon(s, $"{at}.securityContext", v);
                if (True(s, "privileged"))
                {
                    v.Add($"privileged: {at}.securityContext.privileged=true");
                }

                if (Object(s, "windowsOptions") is { } w && True(w, "hostProcess"))
                {
                    v.Add($"hostProcess: {at}.securityContext.windowsOptions.hostProcess=true");
                }

                if (String(s, "procMount") is { } pm && pm != "Default")
                {
                    v.Add($"/proc mount: {at}.securityContext.procMount={pm}");
                }

                if (!(s.TryGetProperty("allowPrivilegeEscalation", out var ape) && ape.ValueKind == JsonValueKind.False))
                {
                    v.Add($"allowPrivilegeEscalation: {at}.securityContext.allowPrivilegeEscalation must be false");
                }

                var caps = Object(s, "capabilities");
                var drop = caps is { } d ? Array(d, "drop").Select(x => x.GetString()).ToList() : [];
                if (!drop.Contains("ALL"))
                {
                    v.Add($"capabilities: {at}.securityContext.capabilities.drop must include ALL");
                }

                foreach (var add in caps is { } ad ? Array(ad, "add").Select(x => x.GetString()) : [])
                {
                    if (add != "NET_BIND_SERVICE")
                    {
                        v.Add($"capabilities: {at}.securityContext.capabilities.add {add}");
                    }
                }

                if (s.TryGetProperty("runAsNonRoot", out var crn) && crn.ValueKind != JsonValueKind.Null)
                {
                    if (crn.ValueKind == JsonValueKind.False)
                    {
                        v.Add($"runAsNonRoot: {at}.securityContext.runAsNonRoot=false");
                    }

                    nonRootEverywhere &= crn.ValueKind == JsonValueKind.True;
                }
                else
                {
                    nonRootEverywhere &= podNonRoot;
                }

                var seccomp = SeccompType(s);
                if (seccomp is not null and not ("RuntimeDefault" or "Localhost"))
                {
                    v.Add($"seccomp: {at}.securityContext.seccompProfile.type={seccomp}");
                }
                else if (seccomp is null && podSeccomp is null)
                {
                    v.Add($"seccomp: {at} has no seccompProfile and the pod sets none");
                }
            }
        }

        if (!nonRootEverywhere && !podNonRoot)
        {
            v.Add("runAsNonRoot: must be true on the pod or on every container");
        }

        return v;
    }

    /// <summary>Checks shared by the pod and container security contexts: runAsUser 0, SELinux, AppArmor profile.</summary>
    private static void CheckCommon(JsonElement sc, string at, List<string> v)
    {
        if (sc.TryGetProperty("runAsUser", out var u) && u.ValueKind == JsonValueKind.Number && u.GetInt64() == 0)
        {
            v.Add($"runAsUser: {at}.runAsUser=0");
        }

        if (Object(sc, "seLinuxOptions") is { } se)
        {
            if (String(se, "type") is { } t && !AllowedSeLinuxTypes.Contains(t))
            {
                v.Add($"SELinux: {at}.seLinuxOptions.type={t}");
            }

            foreach (var f in new[] { "user", "role" })
            {
                if (String(se, f) is { Length: > 0 } x)
                {
                    v.Add($"SELinux: {at}.seLinuxOptions.{f}={x}");
                }
            }
        }

        if (Object(sc, "appArmorProfile") is { } aa && String(aa, "type") is { } at2 && at2 is not ("RuntimeDefault" or "Localhost"))
        {
            v.Add($"AppArmor: {at}.appArmorProfile.type={at2}");
        }
    }

    private static string? SeccompType(JsonElement sc) => Object(sc, "seccompProfile") is { } p ? String(p, "type") : null;

    private static JsonElement? Object(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static JsonElement[] Array(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? [.. v.EnumerateArray()] : [];

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool True(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
