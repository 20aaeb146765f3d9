using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Tests.Manifests;

/// <summary>
/// kubectl as the reference for reading manifests. <c>kubectl annotate --local -o json</c> reads files exactly as
/// <c>kubectl apply</c> and <c>kubectl create</c> do (the same resource builder, list flattening and YAML conversion)
/// without a cluster; it adds the annotation <see cref="Probe"/>, which the comparison adds on our side too.
/// </summary>
/// <remarks>
/// <c>kubectl create --dry-run=client</c> needs the API server's discovery and openapi documents, so it does not run
/// offline; annotate does.
/// </remarks>
internal static class Kubectl
{
    public const string Probe = "kubectl-reading-probe";

    /// <summary>The kubectl executable, or null when it is not installed.</summary>
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => System.IO.Path.Combine(dir, "kubectl"))
        .FirstOrDefault(File.Exists);

    public const string Missing = "kubectl is not on PATH: the comparison with kubectl's reading of manifests needs it (any version from 1.25)";

    public sealed record Reading(int ExitCode, List<JsonObject> Objects, string Stderr);

    /// <summary>The objects kubectl reads from <paramref name="file"/>, in the order it sends them.</summary>
    public static Reading Read(string file)
    {
        var psi = new ProcessStartInfo(Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["annotate", "--local", "-o", "json", "-f", file, $"{Probe}=1"])
        {
            psi.ArgumentList.Add(a);
        }

        // No kubeconfig is needed, and none may be used.
        psi.Environment["KUBECONFIG"] = "/dev/null";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(true);
            throw new TimeoutException($"kubectl did not finish reading {file} within 120 s");
        }

        return new Reading(p.ExitCode, Objects(stdout.Result), stderr.Result);
    }

    /// <summary><paramref name="obj"/> as kubectl prints it after adding the probe annotation.</summary>
    public static JsonObject WithProbe(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is not JsonObject metadata)
        {
            copy["metadata"] = metadata = new JsonObject();
        }

        if (metadata["annotations"] is not JsonObject annotations)
        {
            metadata["annotations"] = annotations = new JsonObject();
        }

        annotations[Probe] = "1";
        return copy;
    }

    /// <summary>Where two JSON values differ (object keys in any order, numbers by value), or null when they are equal.</summary>
    public static string? Difference(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected, actual)
        {
            case (null, null):
                return null;
            case (JsonObject e, JsonObject a):
                foreach (var (key, value) in e)
                {
                    if (!a.TryGetPropertyValue(key, out var other))
                    {
                        return $"{path}.{key}: missing (kubectl has {value?.ToJsonString() ?? "null"})";
                    }

                    if (Difference(value, other, $"{path}.{key}") is { } d)
                    {
                        return d;
                    }
                }

                return a.Select(p => p.Key).FirstOrDefault(k => !e.ContainsKey(k)) is { } extra ? $"{path}.{extra}: not in kubectl's reading" : null;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    return $"{path}: {a.Count} items, kubectl has {e.Count}";
                }

                for (var i = 0; i < e.Count; i++)
                {
                    if (Difference(e[i], a[i], $"{path}[{i}]") is { } d)
                    {
                        return d;
                    }
                }

                return null;
            case (JsonValue e, JsonValue a) when e.GetValueKind() == JsonValueKind.Number && a.GetValueKind() == JsonValueKind.Number:
                return SameNumber(e, a) ? null : $"{path}: {a.ToJsonString()}, kubectl has {e.ToJsonString()}";
            default:
                return expected?.GetValueKind() == actual?.GetValueKind() && expected?.ToJsonString() == actual?.ToJsonString()
                    ? null
                    : $"{path}: {actual?.ToJsonString() ?? "null"}, kubectl has {expected?.ToJsonString() ?? "null"}";
        }
    }

    /// <summary>Integers exactly; anything beyond 64 bits or with a fraction as the double kubectl holds it.</summary>
    private static bool SameNumber(JsonValue e, JsonValue a)
    {
        var (es, @as) = (e.ToJsonString(), a.ToJsonString());
        if (long.TryParse(es, out var el) && long.TryParse(@as, out var al))
        {
            return el == al;
        }

        return double.Parse(es, System.Globalization.CultureInfo.InvariantCulture) == double.Parse(@as, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<JsonObject> Objects(string stdout)
    {
        var list = new List<JsonObject>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(stdout), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            list.Add((JsonObject)JsonNode.Parse(ref reader)!);
        }

        return list;
    }
}
