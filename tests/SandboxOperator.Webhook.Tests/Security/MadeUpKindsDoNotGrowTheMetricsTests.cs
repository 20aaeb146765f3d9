using System.Net;
using System.Text.RegularExpressions;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// A direct caller sends reviews of kinds nobody has heard of. Every one of them is counted under <c>kind="other"</c>:
/// the number of series stays fixed, so memory and <c>/metrics</c> stay small and the certificate-expiry metric stays
/// visible.
/// </summary>
/// <remarks>
/// The admission meter is process-wide and other tests send reviews of kinds outside the fixed set too, so this
/// class runs alone, after the parallel ones, and its count of <c>kind="other"</c> is its own.
/// </remarks>
[Collection(Name)]
public sealed partial class MadeUpKindsDoNotGrowTheMetricsTests
{
    public const string Name = "process-wide admission metrics";

    private static readonly HashSet<string> CoveredKinds =
        ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController", "Namespace", "Binding", "EphemeralContainers", "AgentWorkload"];

    [Fact]
    public async Task Six_hundred_made_up_kinds_add_no_series_and_metrics_still_show_the_certificate_expiry()
    {
        await using var host = await RunningHost.StartAsync();
        var client = host.Client(HttpVersion.Version20);
        var pod = Reviews.PodObject("p", "agents");

        // A covered kind first, so the scrape has a real series to compare with.
        await host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", pod), client);
        for (var i = 0; i < 600; i++)
        {
            // Made-up kinds, made-up groups, and covered kind names in a made-up group.
            var kind = (i % 3) switch
            {
                0 => ("", "v1", $"Kind{i}-{new string('x', 200)}", "things"),
                1 => ($"evil{i}.example", "v1", "Pod", "pods"),
                _ => ($"g{i}.example", "v9", $"Thing{i}", "things"),
            };
            var answer = await host.ReviewAsync(i % 2 == 0 ? "/validate" : "/mutate", Reviews.Request(kind, "CREATE", "agents", pod), client);
            Assert.Equal((false, 403), (answer.Allowed, answer.Code));
        }

        using var http = new HttpClient();
        using var scrape = await http.GetAsync(host.MetricsUri("/metrics"));
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("agentsandbox_webhook_certificate_expiry_timestamp_seconds", text, StringComparison.Ordinal);

        var kinds = KindLabel().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("Pod", kinds);
        Assert.Contains(AdmissionMetrics.OtherKind, kinds);
        // "" is the label of bodies that never decoded (no kind known), which other tests of this process send.
        Assert.All(kinds, k => Assert.True(CoveredKinds.Contains(k) || k == AdmissionMetrics.OtherKind || k.Length == 0, $"kind label \"{k[..Math.Min(k.Length, 40)]}\" is not from the fixed set"));

        // 600 reviews of other kinds: one counter series per webhook, with the count of all of them.
        var other = OtherCount().Matches(text).Sum(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(600, other);

        // Each was denied because the policy does not judge its kind: counted under one fixed rule label.
        var notJudged = NotJudgedCount().Matches(text).Sum(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(600, notJudged);
        Assert.All(RuleLabel().Matches(text).Select(m => m.Groups[1].Value), r =>
            Assert.True(SandboxOperator.Policy.Decisions.RuleIds.All.Contains(r) || r == AdmissionMetrics.KindNotJudgedRule || r == AdmissionMetrics.OtherRule, $"rule label \"{r}\" is not from the fixed set"));
    }

    [GeneratedRegex("""agentsandbox_admission_denials_total\{[^}]*rule="kind-not-judged"[^}]*\} (\d+)""")]
    private static partial Regex NotJudgedCount();

    [GeneratedRegex("""agentsandbox_admission_denials_total\{[^}]*rule="([^"]*)"[^}]*\}""")]
    private static partial Regex RuleLabel();

    [GeneratedRegex("""agentsandbox_admission_[a-z_]+\{[^}]*kind="([^"]*)"[^}]*\}""")]
    private static partial Regex KindLabel();

    [GeneratedRegex("""agentsandbox_admission_requests_total\{[^}]*kind="other"[^}]*\} (\d+)""")]
    private static partial Regex OtherCount();
}

/// <summary>Tests that count the process-wide admission metrics: run alone, after the parallel collections.</summary>
[CollectionDefinition(MadeUpKindsDoNotGrowTheMetricsTests.Name, DisableParallelization = true)]
public sealed class ProcessWideAdmissionMetricsCollection;
