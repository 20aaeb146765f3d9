using System.Buffers;
using System.Text;
using System.Text.Json;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Admission;

public sealed class AdmissionReviewCodecTests
{
    [Fact]
    public void Decodes_every_field_the_policy_needs()
    {
        var pod = Reviews.PodObject("p", "agents");
        var review = Reviews.Request(Reviews.Deployment, "UPDATE", "agents", Reviews.DeploymentObject("d", "agents", pod), oldObject: Reviews.DeploymentObject("d", "agents", pod), dryRun: true, uid: "abc");
        review["request"]!["subResource"] = "scale";
        using var doc = JsonDocument.Parse(review.ToJsonString());

        Assert.True(AdmissionReviewDecoder.TryDecode(doc.RootElement, WebhookKind.Validate, out var call, out var error), error);

        var r = call!.Request;
        Assert.Equal("abc", call.Uid);
        Assert.Equal((AdmissionOperation.Update, "apps", "Deployment", "agents", "d"), (r.Operation, r.Group, r.Kind, r.Namespace, r.Name));
        Assert.Equal("scale", r.SubResource);
        Assert.True(r.DryRun);
        Assert.True(r.MutationApplied);
        Assert.NotNull(r.OldObject);
        Assert.Equal("alice@example.com", r.User!.Username);
        Assert.Equal(["system:authenticated", "developers"], r.User.Groups);
    }

    [Fact]
    public void Mutate_requests_are_marked_not_yet_mutated_and_generate_name_is_the_display_name()
    {
        var pod = Reviews.PodObject("ignored", "agents");
        pod["metadata"]!.AsObject().Remove("name");
        pod["metadata"]!["generateName"] = "web-7d9f-";
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", pod);
        review["request"]!.AsObject().Remove("name");
        using var doc = JsonDocument.Parse(review.ToJsonString());

        Assert.True(AdmissionReviewDecoder.TryDecode(doc.RootElement, WebhookKind.Mutate, out var call, out _));

        Assert.False(call!.Request.MutationApplied);
        Assert.Null(call.Request.Name);
        Assert.Equal("web-7d9f-", call.DisplayName);
    }

    [Theory]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"1\",\"operation\":\"CREATE\"}}", "request.kind is missing")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"1\",\"kind\":{\"group\":\"\"},\"operation\":\"CREATE\"}}", "request.kind.kind is missing")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"1\",\"kind\":{\"kind\":\"Pod\"}}}", "request.operation is missing")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"1\",\"kind\":{\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"userInfo\":{\"groups\":[1]}}}", "request.userInfo.groups must be an array of strings")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"1\",\"kind\":{\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"dryRun\":\"yes\"}}", "request.dryRun must be a boolean")]
    [InlineData("{\"kind\":\"AdmissionReview\",\"request\":{}}", "apiVersion is missing")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":\"x\"}", "request must be an object")]
    public void Rejects_malformed_reviews_naming_the_field(string json, string expected)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.False(AdmissionReviewDecoder.TryDecode(doc.RootElement, WebhookKind.Validate, out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Encodes_a_denial_with_status_warnings_and_audit_annotations()
    {
        var decision = new AdmissionDecision
        {
            Allowed = false, Mode = EnforcementMode.Enforce, Tier = RiskTier.High, Runtime = SandboxRuntime.GVisor,
            Reasons = ["label x: \"quoted\" <reason>"], StatusCode = 403, Message = "no",
        };
        var outcome = new AdmissionOutcome(false, 403, "must run in \"kata\"", null, ["w1", "w2"], decision);

        var json = Encode("u-1", outcome);

        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement.GetProperty("response");
        Assert.Equal("u-1", r.GetProperty("uid").GetString());
        Assert.False(r.GetProperty("allowed").GetBoolean());
        Assert.False(r.TryGetProperty("patch", out _));
        Assert.False(r.TryGetProperty("patchType", out _));
        Assert.Equal(403, r.GetProperty("status").GetProperty("code").GetInt32());
        Assert.Equal("must run in \"kata\"", r.GetProperty("status").GetProperty("message").GetString());
        Assert.Equal(["w1", "w2"], r.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
        var a = r.GetProperty("auditAnnotations");
        Assert.Equal("high", a.GetProperty("tier").GetString());
        Assert.Equal("gvisor", a.GetProperty("runtime").GetString());
        Assert.Equal("label x: \"quoted\" <reason>", a.GetProperty("reason").GetString());
    }

    [Fact]
    public void An_empty_patch_is_not_sent()
    {
        var outcome = new AdmissionOutcome(true, 200, null, [], [], null);

        var json = Encode("u", outcome);

        Assert.DoesNotContain("patch", json, StringComparison.Ordinal);
        Assert.DoesNotContain("status", json, StringComparison.Ordinal);
        Assert.DoesNotContain("warnings", json, StringComparison.Ordinal);
        Assert.DoesNotContain("auditAnnotations", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("APPLICATION/JSON", true)]
    [InlineData("application/jsonx", false)]
    [InlineData("text/json", false)]
    [InlineData(null, false)]
    public void Content_type_must_be_json(string? contentType, bool expected) =>
        Assert.Equal(expected, AdmissionEndpoint.IsJson(contentType));

    private static string Encode(string uid, AdmissionOutcome outcome)
    {
        var buffer = new ArrayBufferWriter<byte>();
        AdmissionReviewEncoder.Write(buffer, uid, outcome);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
