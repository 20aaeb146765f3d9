using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Chart.Tests.PodSecurity;

/// <summary>Table tests of the restricted-profile checker: a compliant pod passes, and each single change fails with its check.</summary>
public sealed class RestrictedProfileTests
{
    private const string Compliant = """
        {
          "securityContext": { "runAsNonRoot": true, "runAsUser": 65532, "seccompProfile": { "type": "RuntimeDefault" },
                               "sysctls": [ { "name": "net.ipv4.ip_unprivileged_port_start", "value": "0" } ] },
          "containers": [ {
            "name": "app", "image": "x",
            "ports": [ { "containerPort": 8080 } ],
            "securityContext": { "allowPrivilegeEscalation": false, "capabilities": { "drop": [ "ALL" ], "add": [ "NET_BIND_SERVICE" ] },
                                 "procMount": "Default", "seLinuxOptions": { "type": "container_t" } }
          } ],
          "initContainers": [ { "name": "init", "image": "x",
            "securityContext": { "allowPrivilegeEscalation": false, "capabilities": { "drop": [ "ALL" ] }, "seccompProfile": { "type": "Localhost", "localhostProfile": "p.json" } } } ],
          "volumes": [ { "name": "a", "emptyDir": {} }, { "name": "b", "configMap": { "name": "c" } }, { "name": "c", "projected": { "sources": [] } },
                       { "name": "d", "secret": { "secretName": "s" } }, { "name": "e", "persistentVolumeClaim": { "claimName": "p" } } ]
        }
        """;

    public static TheoryData<string, string, string> Violations() => new()
    {
        { "hostNetwork", """{"op":"set","path":"hostNetwork","value":true}""", "host namespaces: spec.hostNetwork" },
        { "hostPID", """{"op":"set","path":"hostPID","value":true}""", "host namespaces: spec.hostPID" },
        { "hostIPC", """{"op":"set","path":"hostIPC","value":true}""", "host namespaces: spec.hostIPC" },
        { "privileged", """{"op":"set","path":"containers.0.securityContext.privileged","value":true}""", "privileged: spec.containers[0]" },
        { "hostProcess", """{"op":"set","path":"securityContext.windowsOptions","value":{"hostProcess":true}}""", "hostProcess" },
        { "hostPath", """{"op":"set","path":"volumes.0","value":{"name":"h","hostPath":{"path":"/"}}}""", "hostPath volumes: volume h" },
        { "nfs volume", """{"op":"set","path":"volumes.0","value":{"name":"n","nfs":{"server":"s","path":"/"}}}""", "volume types: volume n is nfs" },
        { "hostPort", """{"op":"set","path":"containers.0.ports.0.hostPort","value":80}""", "host ports" },
        { "unsafe sysctl", """{"op":"set","path":"securityContext.sysctls.0.name","value":"kernel.msgmax"}""", "sysctls: kernel.msgmax" },
        { "procMount", """{"op":"set","path":"containers.0.securityContext.procMount","value":"Unmasked"}""", "/proc mount" },
        { "allowPrivilegeEscalation unset", """{"op":"remove","path":"containers.0.securityContext.allowPrivilegeEscalation"}""", "allowPrivilegeEscalation: spec.containers[0]" },
        { "allowPrivilegeEscalation true", """{"op":"set","path":"initContainers.0.securityContext.allowPrivilegeEscalation","value":true}""", "allowPrivilegeEscalation: spec.initContainers[0]" },
        { "no securityContext", """{"op":"remove","path":"initContainers.0.securityContext"}""", "allowPrivilegeEscalation: spec.initContainers[0] has no securityContext" },
        { "drop not ALL", """{"op":"set","path":"containers.0.securityContext.capabilities.drop","value":["NET_RAW"]}""", "must include ALL" },
        { "add SYS_ADMIN", """{"op":"set","path":"containers.0.securityContext.capabilities.add","value":["SYS_ADMIN"]}""", "capabilities.add SYS_ADMIN" },
        { "runAsNonRoot missing", """{"op":"remove","path":"securityContext.runAsNonRoot"}""", "runAsNonRoot: must be true" },
        { "runAsNonRoot false on a container", """{"op":"set","path":"containers.0.securityContext.runAsNonRoot","value":false}""", "runAsNonRoot: spec.containers[0].securityContext.runAsNonRoot=false" },
        { "runAsUser 0", """{"op":"set","path":"containers.0.securityContext.runAsUser","value":0}""", "runAsUser: spec.containers[0].securityContext.runAsUser=0" },
        { "pod runAsUser 0", """{"op":"set","path":"securityContext.runAsUser","value":0}""", "runAsUser: spec.securityContext.runAsUser=0" },
        { "seccomp Unconfined", """{"op":"set","path":"securityContext.seccompProfile.type","value":"Unconfined"}""", "seccomp: spec.securityContext.seccompProfile.type=Unconfined" },
        { "seccomp unset", """{"op":"remove","path":"securityContext.seccompProfile"}""", "seccomp: spec.containers[0] has no seccompProfile" },
        { "container seccomp Unconfined", """{"op":"set","path":"initContainers.0.securityContext.seccompProfile.type","value":"Unconfined"}""", "seccomp: spec.initContainers[0]" },
        { "SELinux type", """{"op":"set","path":"containers.0.securityContext.seLinuxOptions.type","value":"spc_t"}""", "SELinux: spec.containers[0].securityContext.seLinuxOptions.type=spc_t" },
        { "SELinux user", """{"op":"set","path":"containers.0.securityContext.seLinuxOptions.user","value":"root"}""", "seLinuxOptions.user=root" },
        { "AppArmor Unconfined", """{"op":"set","path":"containers.0.securityContext.appArmorProfile","value":{"type":"Unconfined"}}""", "AppArmor: spec.containers[0]" },
        { "ephemeral container", """{"op":"set","path":"ephemeralContainers","value":[{"name":"dbg","image":"x","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"privileged":true}}]}""", "privileged: spec.ephemeralContainers[0]" },
    };

    [Fact]
    public void A_compliant_pod_has_no_violations()
    {
        using var doc = JsonDocument.Parse(Compliant);
        Assert.Empty(RestrictedProfile.Check(doc.RootElement));
    }

    [Theory]
    [MemberData(nameof(Violations))]
    public void One_change_gives_its_violation(string what, string change, string expected)
    {
        var pod = JsonNode.Parse(Compliant)!;
        Apply(pod, JsonNode.Parse(change)!);
        using var doc = JsonDocument.Parse(pod.ToJsonString());

        var violations = RestrictedProfile.Check(doc.RootElement);

        Assert.True(violations.Any(v => v.Contains(expected, StringComparison.Ordinal)), $"{what}: expected \"{expected}\" in [{string.Join("; ", violations)}]");
    }

    [Theory]
    [InlineData("unconfined", true)]
    [InlineData("runtime/default", false)]
    [InlineData("localhost/my-profile", false)]
    public void AppArmor_annotations_allow_only_runtime_default_and_localhost(string value, bool violates)
    {
        using var doc = JsonDocument.Parse(Compliant);
        var violations = RestrictedProfile.Check(doc.RootElement, new Dictionary<string, string> { ["container.apparmor.security.beta.kubernetes.io/app"] = value });
        Assert.Equal(violates, violations.Any(v => v.StartsWith("AppArmor", StringComparison.Ordinal)));
    }

    private static void Apply(JsonNode root, JsonNode change)
    {
        var parts = ((string)change["path"]!).Split('.');
        var node = root;
        foreach (var p in parts[..^1])
        {
            node = int.TryParse(p, out var i) ? node[i]! : node[p] ??= new JsonObject();
        }

        var last = parts[^1];
        if ((string)change["op"]! == "remove")
        {
            node.AsObject().Remove(last);
        }
        else if (int.TryParse(last, out var index))
        {
            node[index] = change["value"]!.DeepClone();
        }
        else
        {
            node[last] = change["value"]!.DeepClone();
        }
    }
}
