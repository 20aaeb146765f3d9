using System.Text.Json.Nodes;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// A user outside the label admin groups cannot weaken a namespace's Kata enforcement or mode by any path the API
/// server offers: update, the status and finalize subresources (whose strategies keep label changes), or creating
/// the namespace weak; and a namespace the configuration enforces is never put into audit by a label.
/// </summary>
public sealed class NamespaceEnforcementTests : IAsyncLifetime
{
    private static readonly (string, string, string, string) Namespace = ("", "v1", "Namespace", "namespaces");
    private RunningHost _host = null!;

    public async Task InitializeAsync() => _host = await RunningHost.StartAsync(RunningHost.DefaultOptions with
    {
        Policy = PolicyConfig.Default with { EnforcedNamespaces = new HashSet<string>(StringComparer.Ordinal) { "kata-only", "payments" } },
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JsonObject Ns(string name, params (string Key, string Value)[] labels)
    {
        var l = new JsonObject();
        foreach (var (k, v) in labels)
        {
            l[k] = v;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = l }, ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") } };
    }

    private static JsonObject Review(string operation, JsonObject obj, JsonObject? old = null, string? subResource = null, string[]? groups = null)
    {
        var review = Reviews.Request(Namespace, operation, "", obj, old);
        var request = review["request"]!.AsObject();
        request["namespace"] = null;
        if (subResource is not null)
        {
            request["subResource"] = subResource;
            request["resource"]!["resource"] = "namespaces";
        }

        if (groups is not null)
        {
            request["userInfo"]!["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)g)]);
        }

        return review;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("status")]
    [InlineData("finalize")]
    public async Task Removing_kata_enforcement_is_denied_through_update_status_and_finalize(string? subResource)
    {
        var before = Ns("agents-x", ("agentsandbox.io/enforce", "kata"));
        var after = Ns("agents-x");

        var answer = await _host.ReviewAsync("/validate", Review("UPDATE", after, before, subResource));

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.Contains("removing agentsandbox.io/enforce=kata on namespace agents-x", answer.Message, StringComparison.Ordinal);
        Assert.Contains("system:masters", answer.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("status")]
    public async Task Switching_to_audit_is_denied_through_update_and_status(string? subResource)
    {
        var answer = await _host.ReviewAsync("/validate", Review("UPDATE", Ns("agents-x", ("agentsandbox.io/mode", "audit")), Ns("agents-x"), subResource));

        Assert.False(answer.Allowed);
        Assert.Contains("setting agentsandbox.io/mode=audit", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_a_namespace_in_audit_mode_needs_the_admin_group()
    {
        var user = await _host.ReviewAsync("/validate", Review("CREATE", Ns("new-team", ("agentsandbox.io/mode", "audit"))));
        Assert.False(user.Allowed);
        Assert.Contains("setting agentsandbox.io/mode=audit on namespace new-team", user.Message, StringComparison.Ordinal);

        var admin = await _host.ReviewAsync("/validate", Review("CREATE", Ns("new-team", ("agentsandbox.io/mode", "audit")), groups: ["system:masters"]));
        Assert.True(admin.Allowed, admin.Message);

        var plain = await _host.ReviewAsync("/validate", Review("CREATE", Ns("new-team", ("agentsandbox.io/enforce", "kata"))));
        Assert.True(plain.Allowed, plain.Message);
    }

    [Fact]
    public async Task A_namespace_the_configuration_enforces_is_never_put_into_audit_by_a_label_even_by_an_admin()
    {
        var create = await _host.ReviewAsync("/validate", Review("CREATE", Ns("payments", ("agentsandbox.io/mode", "audit")), groups: ["system:masters"]));
        Assert.False(create.Allowed);
        Assert.Contains("enforcedNamespaces", create.Message, StringComparison.Ordinal);

        var update = await _host.ReviewAsync("/validate", Review("UPDATE", Ns("payments", ("agentsandbox.io/mode", "audit")), Ns("payments"), "status", ["system:masters"]));
        Assert.False(update.Allowed);
        Assert.Contains("enforcedNamespaces", update.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_audit_label_already_on_an_enforced_namespace_does_not_weaken_it()
    {
        // kata-only is enforced by the configuration; a runc pod there is denied whatever its namespace says.
        var host = await RunningHost.StartAsync(
            RunningHost.DefaultOptions with { Policy = PolicyConfig.Default with { EnforcedNamespaces = new HashSet<string>(StringComparer.Ordinal) { "audited" } } });
        await using (host)
        {
            var answer = await host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "audited", Reviews.PodObject("runc", "audited", runtimeClassName: "runc-plain")));

            Assert.False(answer.Allowed);
            Assert.Contains("namespace audited enforces Kata", answer.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(answer.Warnings, w => w.StartsWith("audit mode", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task An_update_without_the_old_namespace_is_refused_rather_than_allowed()
    {
        var answer = await _host.ReviewAsync("/validate", Review("UPDATE", Ns("agents-x")));

        Assert.False(answer.Allowed);
        Assert.Equal(400, answer.Code);
        Assert.Contains("oldObject", answer.Message, StringComparison.Ordinal);
    }
}
