using System.Globalization;
using System.Text.Json;

namespace SandboxOperator.Policy.Edge;

/// <summary>
/// What a pod (or pod template) needs beyond a stateless function: volumes other than emptyDir, a service-account
/// token, host features, privileges, and its memory limits. Read by <see cref="Read"/>; judged by
/// <see cref="EdgeIsolateAdvisor"/>.
/// </summary>
/// <remarks>
/// Advice only, never part of an admission decision: it reads the whole pod object (volume sources, capabilities,
/// host ports...) rather than through <see cref="Decisions.PolicyFields"/>, whose declaration is what admission
/// reads and what the webhook's pruned copies keep. Callers pass a whole object (the controller's cached pod, the
/// CLI's manifest), never a pruned one; a volume whose source a client model does not know reads as an unknown
/// source, which is a need.
/// </remarks>
/// <param name="Needs">Each need that rules out an edge isolate, as a phrase naming the field (e.g. <c>volume "data" (persistentVolumeClaim)</c>).</param>
/// <param name="MemoryLimitBytes">The sum of the app containers' memory limits, or null when a container has none (or one cannot be read).</param>
/// <param name="InitMemoryLimitBytes">The largest init container memory limit (0 without init containers), or null when one has none.</param>
public sealed record EdgePodFacts(IReadOnlyList<string> Needs, decimal? MemoryLimitBytes, decimal? InitMemoryLimitBytes)
{
    private const string TokenNeed = "a service-account token (spec.automountServiceAccountToken is not false)";
    private static readonly string[] ContainerLists = ["initContainers", "containers"];

    /// <summary>The facts of most pods (a token, a container without a memory limit), shared: the controller keeps one per cached pod.</summary>
    private static readonly EdgePodFacts TokenWithoutLimit = new([TokenNeed], null, 0m);

    /// <summary>Reads the facts from a pod or template JSON object (<c>metadata</c> and <c>spec</c>). Unreadable fields are needs (fail closed).</summary>
    public static EdgePodFacts Read(JsonElement pod)
    {
        var needs = new List<string>();
        if (pod.ValueKind != JsonValueKind.Object || !pod.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
        {
            return new EdgePodFacts(["the pod spec cannot be read"], null, null);
        }

        foreach (var flag in new[] { "hostNetwork", "hostPID", "hostIPC", "hostUsers" })
        {
            if (spec.TryGetProperty(flag, out var v) && (flag == "hostUsers" ? v.ValueKind == JsonValueKind.False : v.ValueKind == JsonValueKind.True))
            {
                needs.Add(flag == "hostUsers" ? "spec.hostUsers: false (the host's user namespace)" : $"spec.{flag}: true");
            }
        }

        if (!(spec.TryGetProperty("automountServiceAccountToken", out var automount) && automount.ValueKind == JsonValueKind.False))
        {
            needs.Add(TokenNeed);
        }

        if (spec.TryGetProperty("volumes", out var volumes) && volumes.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var volume in volumes.EnumerateArray())
            {
                var name = volume.ValueKind == JsonValueKind.Object && volume.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : $"#{i}";
                var sources = volume.ValueKind == JsonValueKind.Object ? volume.EnumerateObject().Select(p => p.Name).Where(p => p != "name").ToList() : [];
                if (sources is not ["emptyDir"])
                {
                    needs.Add($"volume \"{name}\" ({(sources.Count == 0 ? "unknown source" : string.Join(", ", sources))}); only emptyDir is stateless");
                }

                i++;
            }
        }

        decimal? appMemory = 0m;
        decimal? initMemory = 0m;
        foreach (var list in ContainerLists)
        {
            if (!spec.TryGetProperty(list, out var containers) || containers.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var i = 0;
            foreach (var c in containers.EnumerateArray())
            {
                var at = $"spec.{list}[{i++}]";
                var limit = Container(c, at, needs);
                if (list == "containers")
                {
                    appMemory = appMemory is { } sum && limit is { } l ? sum + l : null;
                }
                else
                {
                    initMemory = initMemory is { } max && limit is { } l ? Math.Max(max, l) : null;
                }
            }
        }

        return needs is [TokenNeed] && appMemory is null && initMemory == 0m ? TokenWithoutLimit : new EdgePodFacts([.. needs], appMemory, initMemory);
    }

    /// <summary>Adds a container's privileges and host ports to <paramref name="needs"/>; returns its memory limit in bytes, or null.</summary>
    private static decimal? Container(JsonElement c, string at, List<string> needs)
    {
        if (c.ValueKind != JsonValueKind.Object)
        {
            needs.Add($"{at} cannot be read");
            return null;
        }

        if (c.TryGetProperty("securityContext", out var sc) && sc.ValueKind == JsonValueKind.Object)
        {
            if (sc.TryGetProperty("privileged", out var p) && p.ValueKind == JsonValueKind.True)
            {
                needs.Add($"{at}.securityContext.privileged: true");
            }

            if (sc.TryGetProperty("allowPrivilegeEscalation", out var ape) && ape.ValueKind == JsonValueKind.True)
            {
                needs.Add($"{at}.securityContext.allowPrivilegeEscalation: true");
            }

            if (sc.TryGetProperty("capabilities", out var caps) && caps.ValueKind == JsonValueKind.Object
                && caps.TryGetProperty("add", out var add) && add.ValueKind == JsonValueKind.Array && add.GetArrayLength() > 0)
            {
                needs.Add($"{at}.securityContext.capabilities.add: {string.Join(", ", add.EnumerateArray().Select(x => x.ToString()))}");
            }
        }

        if (c.TryGetProperty("ports", out var ports) && ports.ValueKind == JsonValueKind.Array
            && ports.EnumerateArray().Any(port => port.ValueKind == JsonValueKind.Object && port.TryGetProperty("hostPort", out var hp) && hp.ValueKind == JsonValueKind.Number && hp.GetInt64() != 0))
        {
            needs.Add($"{at}.ports: a hostPort");
        }

        if (c.TryGetProperty("resources", out var res) && res.ValueKind == JsonValueKind.Object
            && res.TryGetProperty("limits", out var limits) && limits.ValueKind == JsonValueKind.Object
            && limits.TryGetProperty("memory", out var memory))
        {
            var text = memory.ValueKind switch
            {
                JsonValueKind.String => memory.GetString()!,
                JsonValueKind.Number => memory.GetRawText(),
                _ => "",
            };
            if (Quantity.TryParse(text, out var bytes))
            {
                return bytes;
            }

            needs.Add($"{at}.resources.limits.memory \"{text}\" cannot be read as a quantity");
        }

        return null;
    }
}

/// <summary>Kubernetes resource quantities (<c>128Mi</c>, <c>0.5Gi</c>, <c>1e6</c>, <c>500M</c>) as a number of base units.</summary>
public static class Quantity
{
    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("Pi", 1024m * 1024 * 1024 * 1024 * 1024), ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m), ("k", 1000m), ("M", 1000000m), ("G", 1000000000m),
        ("T", 1000000000000m), ("P", 1000000000000000m), ("E", 1000000000000000000m),
    ];

    public static bool TryParse(string text, out decimal value)
    {
        value = 0;
        text = text.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        foreach (var (suffix, factor) in Suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && Number(text[..^suffix.Length], out var n))
            {
                value = n * factor;
                return true;
            }
        }

        return Number(text, out value);
    }

    private static bool Number(string text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= 0;
}
