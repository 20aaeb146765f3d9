using System.Text.Json.Nodes;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Tests.Support;
using Serilog.Formatting.Compact;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// A direct caller crafts reviews whose denial would be megabytes long (a 1 MiB <c>runtimeClassName</c> is quoted in
/// the message) or that break a rule in thousands of containers. Every log line stays under
/// <see cref="LogText.MaxLineLength"/> and the number of lines per review is bounded, as the operator writes them
/// (compact JSON, one event per line).
/// </summary>
public sealed class HugeDenialsDoNotBloatTheLogTests
{
    private static readonly Dictionary<string, string> Mcp = new() { ["agentsandbox.io/workload-type"] = "mcp-server" };

    [Fact]
    public async Task A_megabyte_denial_and_five_thousand_audit_findings_write_short_lines_only()
    {
        await using var host = await RunningHost.StartAsync();
        var client = host.Client();

        // Denied: an MCP pod naming a 600 KiB RuntimeClass, from a 600 KiB user with a 600 KiB generateName (together
        // under the 2 MiB the webhook keeps of a review).
        var huge = new string('r', 600 * 1024);
        var denied = Reviews.PodObject("ignored", "agents", Mcp, runtimeClassName: huge);
        denied["metadata"]!.AsObject().Remove("name");
        denied["metadata"]!["generateName"] = new string('g', 600 * 1024);
        var deniedReview = Reviews.Request(Reviews.Pod, "CREATE", "agents", denied, name: "", user: new string('u', 600 * 1024));
        var answer = await host.ReviewAsync("/validate", deniedReview, client);
        Assert.False(answer.Allowed);
        Assert.True(answer.Message!.Length > huge.Length, "the denial message itself quotes the whole name: the case is real");

        // Audit mode: 2,000 privileged containers (just under the entries the policy reads) in a High workload's pod, each one a violation.
        var audited = Reviews.PodObject("many", "audited", new Dictionary<string, string> { ["app"] = "audited-agent" }, runtimeClassName: "kata", containers: 2_000);
        foreach (var c in audited["spec"]!["containers"]!.AsArray())
        {
            c!["securityContext"] = new JsonObject { ["privileged"] = true };
        }

        var auditAnswer = await host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "audited", audited), client);
        Assert.True(auditAnswer.Allowed);

        var formatter = new CompactJsonFormatter();
        var lines = host.Logs.Events.Select(e =>
        {
            using var w = new StringWriter();
            formatter.Format(e, w);
            return w.ToString();
        }).ToList();
        var denialLine = Assert.Single(lines, l => l.Contains("admission denied", StringComparison.Ordinal));
        Assert.Contains("rrrrrrrr", denialLine, StringComparison.Ordinal);
        var auditLines = lines.Where(l => l.Contains("audit mode violation", StringComparison.Ordinal)).ToList();
        Assert.Equal(AuditLoggingAdmissionHandler.MaxViolationLines + 1, auditLines.Count);
        Assert.Contains(auditLines, l => l.Contains("\"Omitted\":", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.True(l.Length < LogText.MaxLineLength, $"a log line of {l.Length} characters: {l[..Math.Min(l.Length, 300)]}"));
    }
}
