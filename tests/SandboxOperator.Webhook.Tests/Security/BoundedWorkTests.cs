using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Tests.Support;
using SandboxOperator.Testing;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// A user who may create pods cannot make one review cost the webhook more than a bounded amount of work,
/// memory or response: the patch does not grow past a fixed limit, templates are judged without building one,
/// and the largest reviews the body cap admits leave the process alive within the chart's memory limit.
/// </summary>
public sealed class BoundedWorkTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private RunningHost Host => shared.Host;

    /// <summary>The chart's memory limit for the operator container (values.yaml resources.limits.memory).</summary>
    private const long ChartMemoryLimit = 256L * 1024 * 1024;

    /// <summary>A gVisor pod with <paramref name="terms"/> empty node selector terms: each would need its own patch operation.</summary>
    private static JsonObject PodWithTerms(int terms)
    {
        var pod = Reviews.PodObject("many-terms", "agents", runtimeClassName: "gvisor");
        var list = new JsonArray();
        for (var i = 0; i < terms; i++)
        {
            list.Add(new JsonObject());
        }

        pod["spec"]!["affinity"] = new JsonObject
        {
            ["nodeAffinity"] = new JsonObject { ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonObject { ["nodeSelectorTerms"] = list } },
        };
        return pod;
    }

    [Fact]
    public async Task A_pod_with_150000_node_selector_terms_is_refused_with_a_small_answer_instead_of_a_patch_per_term()
    {
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", PodWithTerms(150_000));
        using var response = await Host.Client().PostAsync(Host.WebhookUri("/mutate"), RunningHost.Json(review.ToJsonString()));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.Length < 4096, $"{body.Length} bytes answered");
        var answer = ReviewResponse.Parse(body);
        Assert.False(answer.Allowed);
        Assert.Equal(400, answer.Code);
        Assert.Null(answer.Patch);
        Assert.Contains($"more than {PodSpecReader.MaxEntries} list entries", answer.Message, StringComparison.Ordinal);
        Assert.Contains("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_at_the_entry_limit_gets_a_patch_bounded_by_the_limit()
    {
        var terms = PodSpecReader.MaxEntries - 16;
        var answer = await Host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", PodWithTerms(terms)));

        Assert.True(answer.Allowed, answer.Message);
        var ops = JsonNode.Parse(answer.Patch!)!.AsArray();
        Assert.InRange(ops.Count, terms, terms + 8);
        Assert.True(answer.Patch!.Length < 1024 * 1024, $"a patch of {answer.Patch.Length} bytes");
    }

    [Fact]
    public async Task A_deployment_of_1_5_MB_is_judged_at_validate_without_a_patch_and_answered_small()
    {
        var template = PodWithTerms(500_000);
        var deployment = Reviews.DeploymentObject("many-terms", "agents", template);
        var review = Reviews.Request(Reviews.Deployment, "CREATE", "agents", deployment);
        var text = review.ToJsonString();
        Assert.InRange(text.Length, 1_400_000, 7 * 1024 * 1024);

        using var response = await Host.Client().PostAsync(Host.WebhookUri("/validate"), RunningHost.Json(text));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.Length < 4096, $"{body.Length} bytes answered");
        var answer = ReviewResponse.Parse(body);
        Assert.False(answer.Allowed);
        Assert.Null(answer.Patch);
    }

    /// <summary>Bodies just under the 7 MiB cap, each shaped to cost as much as a shape can.</summary>
    private static IEnumerable<(string Shape, byte[] Body)> LargestReviews()
    {
        const int cap = AdmissionEndpoint.MaxBodyBytes - 4096;
        const int keptCap = AdmissionEndpoint.MaxKeptBytes - 4096;

        // Empty node selector terms, kept by the pruner: refused where the kept part passes its cap.
        yield return ("kept empty terms", Review(
            """{"metadata":{"name":"p"},"spec":{"runtimeClassName":"gvisor","affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":["""
            + Repeat("{},", cap - 512) + """{}]}}}}}"""));

        // Tiny annotations, kept whole, as many as fit the body.
        yield return ("kept annotations", Review(
            "{\"metadata\":{\"name\":\"p\",\"annotations\":{" + Repeat("\"a{0}\":\"\",", cap - 512) + "\"z\":\"\"}},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}"));

        // The kept part just under its cap (annotations, read up to the entry limit), the rest of the body dropped.
        yield return ("kept part at its cap", Review(
            "{\"metadata\":{\"name\":\"p\",\"annotations\":{" + Repeat("\"a{0}\":\"\",", keptCap) + "\"z\":\"\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":["
            + Repeat("{},", cap - keptCap - 1024) + """{}]}]}}"""));

        // A dense array in a field nobody reads: skipped by the reader, then an ordinary decision.
        yield return ("dropped dense array", Review(
            """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","args":[""" + Repeat("[],", cap - 512) + """[]]}]}}"""));

        // Both objects of an UPDATE full of kept labels.
        var labelled = "{\"metadata\":{\"name\":\"p\",\"labels\":{" + Repeat("\"l{0}\":\"v\",", cap / 2 - 512) + "\"z\":\"v\"}},\"spec\":{}}";
        yield return ("update with kept labels", Review(labelled, labelled));
    }

    private static byte[] Review(string obj, string? oldObj = null) => Encoding.UTF8.GetBytes(
        """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"""
        + (oldObj is null ? "\"CREATE\"" : "\"UPDATE\"") + ",\"namespace\":\"agents\",\"object\":" + obj
        + (oldObj is null ? "" : ",\"oldObject\":" + oldObj) + "}}");

    /// <summary><paramref name="item"/> repeated (its {0} replaced by a counter) while the text stays under <paramref name="size"/> characters.</summary>
    private static string Repeat(string item, int size)
    {
        var counted = item.Contains("{0}", StringComparison.Ordinal);
        var sb = new StringBuilder(size + 64);
        for (var i = 0; sb.Length + item.Length + 8 < size; i++)
        {
            sb.Append(counted ? item.Replace("{0}", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) : item);
        }

        return sb.ToString();
    }

    [Fact]
    public async Task Reviews_up_to_the_body_cap_raise_memory_by_at_most_64_MiB_and_four_at_once_leave_the_process_answering()
    {
        // The chart's memory limit, as the .NET runtime applies it in a container: a GC heap limit of 75 %.
        using var certs = new TestCertificates();
        certs.WriteServing();
        await using var op = await OperatorProcess.StartWithStateDirAsync(
            RunningHost.SamplesDir,
            ["--tls-cert-file", certs.CertFile, "--tls-key-file", certs.KeyFile, "--shutdown-delay", "0"],
            new Dictionary<string, string?> { ["DOTNET_GCHeapHardLimit"] = $"0x{ChartMemoryLimit * 3 / 4:X}" });
        using var client = RunningHost.CreateClient(certs.Trusted);
        var reviews = LargestReviews().ToList();
        Assert.All(reviews, r => Assert.InRange(r.Body.Length, AdmissionEndpoint.MaxBodyBytes - 8192, AdmissionEndpoint.MaxBodyBytes));

        // Warm up with an ordinary review, so the baseline includes what every process has after its first review.
        await PostAsync(client, op, "/mutate", Encoding.UTF8.GetBytes(Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("warm", "agents")).ToJsonString()));
        var growth = new List<(string Shape, long Grown, string Figures)>();
        foreach (var (shape, body) in reviews)
        {
            ResetPeak(op.Process.Id);
            var before = Memory(op.Process.Id);
            var (status, answer) = await PostAsync(client, op, "/mutate", body);
            var after = Memory(op.Process.Id);
            Assert.True(status == 200 || status == 400, $"{shape}: HTTP {status} {answer[..Math.Min(300, answer.Length)]}");
            Assert.True(answer.Length < 4096, $"{shape}: {answer.Length} bytes answered");
            var grown = after.Peak - before.Resident;
            growth.Add((shape, grown, $"{shape}: peak RSS {after.Peak / 1048576.0:F1} MiB, {grown / 1048576.0:F1} MiB over the {before.Resident / 1048576.0:F1} MiB before it"));
        }

        Assert.True(growth.All(g => g.Grown <= 64L * 1024 * 1024), string.Join("\n", growth.Select(g => g.Figures)));

        // Four of each shape at once.
        ResetPeak(op.Process.Id);
        foreach (var (shape, body) in reviews)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostAsync(client, op, "/validate", body)));
            Assert.All(results, r => Assert.True(r.Status is 200 or 400, $"{shape}: HTTP {r.Status}"));
            Assert.False(Process.GetProcessById(op.Process.Id).HasExited, $"{shape}: the process died");
            var peak = Memory(op.Process.Id).Peak;
            Assert.True(peak < ChartMemoryLimit, $"{shape}: peak RSS {peak / 1048576.0:F1} MiB is over the chart's {ChartMemoryLimit / 1048576} MiB limit");
        }

        var (okStatus, ok) = await PostAsync(client, op, "/mutate", Encoding.UTF8.GetBytes(Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("after", "agents")).ToJsonString()));
        Assert.Equal(200, okStatus);
        Assert.True(ReviewResponse.Parse(ok).Allowed);
        using var health = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync(new Uri($"http://127.0.0.1:{op.HealthUrl.Port}/readyz"))).StatusCode);
    }

    private static async Task<(int Status, string Body)> PostAsync(HttpClient client, OperatorProcess op, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(op.WebhookUri(path), content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Resets the process's peak resident size (VmHWM) to its current one.</summary>
    private static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

    /// <summary>Resident and peak resident memory of a process, from /proc.</summary>
    private static (long Resident, long Peak) Memory(int pid)
    {
        long resident = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line) * 1024;
            }
        }

        return (resident, peak);

        static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
