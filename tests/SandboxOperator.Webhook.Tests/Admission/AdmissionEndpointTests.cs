using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.Manifests;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Admission;

/// <summary>The real host over HTTPS, answering reviews shaped as the API server sends them.</summary>
public sealed class AdmissionEndpointTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private RunningHost Host => shared.Host;

    private static readonly Dictionary<string, string> ResearchAgent = new() { ["app"] = "research-agent" };
    private static readonly Dictionary<string, string> Mcp = new() { ["agentsandbox.io/workload-type"] = "mcp-server" };

    [Fact]
    public async Task Pod_create_at_mutate_returns_the_cores_patch()
    {
        var pod = Reviews.PodObject("agent-1", "agents", ResearchAgent, containers: 3);
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", pod);

        var response = await Host.ReviewAsync("/mutate", review);

        Assert.True(response.Allowed);
        Assert.Equal("JSONPatch", response.PatchType);
        var ops = JsonSerializer.Deserialize<List<PatchOperation>>(response.Patch!, WebJson)!;
        var patched = JsonPatch.Apply(pod, ops);
        var expected = Core.Evaluate(review, mutationApplied: false);
        var expectedObject = JsonPatch.Apply(pod, expected.Patch);
        Assert.True(JsonNode.DeepEquals(expectedObject, patched), $"webhook patch gave {patched}\ncore gave {expectedObject}");
        Assert.Equal("kata", (string?)patched!["spec"]!["runtimeClassName"]);
        Assert.Equal("high", response.AuditAnnotations[AdmissionReviewEncoder.TierAnnotation]);
        Assert.Equal("kata", response.AuditAnnotations[AdmissionReviewEncoder.RuntimeAnnotation]);
        Assert.Equal(expected.DecidingReason, response.AuditAnnotations[AdmissionReviewEncoder.ReasonAnnotation]);
        Assert.Equal(expected.MutationWarnings, response.Warnings);

        // The API server then sends the mutated pod to /validate, which admits it.
        var validated = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", patched));
        Assert.True(validated.Allowed, validated.Message);
        Assert.Null(validated.Patch);
    }

    [Fact]
    public async Task Mcp_pod_with_gvisor_is_denied_at_validate_with_the_cores_message()
    {
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("mcp-1", "agents", Mcp, runtimeClassName: "gvisor"));

        var response = await Host.ReviewAsync("/validate", review);

        var expected = Core.Evaluate(review, mutationApplied: true);
        Assert.False(expected.Allowed);
        Assert.False(response.Allowed);
        Assert.Equal(403, response.Code);
        Assert.Equal(expected.Message, response.Message);
        Assert.Contains("Kata", response.Message, StringComparison.Ordinal);
        Assert.Null(response.Patch);

        var uid = (string)review["request"]!["uid"]!;
        var lines = Host.Logs.Where("admission denied").Where(e => e.Properties["Uid"].ToString() == $"\"{uid}\"").ToList();
        var line = Assert.Single(lines);
        Assert.Equal("\"agents\"", line.Properties["Namespace"].ToString());
        Assert.Equal("\"mcp-1\"", line.Properties["Name"].ToString());
        Assert.Equal("\"Pod\"", line.Properties["Kind"].ToString());
        Assert.Equal("\"alice@example.com\"", line.Properties["User"].ToString());
        Assert.Equal("\"high\"", line.Properties["Tier"].ToString());
        Assert.Contains("mcp-server", line.Properties["Reason"].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutate_never_denies_a_policy_violation()
    {
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("mcp-2", "agents", Mcp, runtimeClassName: "gvisor"));

        var response = await Host.ReviewAsync("/mutate", review);

        Assert.True(response.Allowed);
        Assert.Null(response.Code);
    }

    [Fact]
    public async Task Mutate_answers_400_for_a_pod_the_policy_cannot_read()
    {
        var pod = Reviews.PodObject("broken", "agents");
        pod["spec"]!["containers"] = "not-a-list";
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", pod);

        var response = await Host.ReviewAsync("/mutate", review);

        Assert.False(response.Allowed);
        Assert.Equal(400, response.Code);
        Assert.Equal(Core.Evaluate(review, false).Message, response.Message);
    }

    [Fact]
    public async Task Update_denies_only_violations_it_introduces()
    {
        var good = Reviews.DeploymentObject("mcp", "agents", Reviews.PodObject("x", "agents", Mcp));
        var bad = Reviews.DeploymentObject("mcp", "agents", Reviews.PodObject("x", "agents", Mcp, runtimeClassName: "gvisor"));

        var introduced = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Deployment, "UPDATE", "agents", bad, oldObject: good));
        Assert.False(introduced.Allowed);
        Assert.Equal(403, introduced.Code);
        Assert.StartsWith("spec.template: ", introduced.Message, StringComparison.Ordinal);

        var review = Reviews.Request(Reviews.Deployment, "UPDATE", "agents", bad, oldObject: bad);
        var preExisting = await Host.ReviewAsync("/validate", review);
        Assert.True(preExisting.Allowed);
        Assert.Equal(Core.Evaluate(review, true).Warnings, preExisting.Warnings);
        Assert.Contains(preExisting.Warnings, w => w.StartsWith("pre-existing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pod_update_is_not_mutated()
    {
        var pod = Reviews.PodObject("agent-2", "agents", ResearchAgent, runtimeClassName: "kata");
        var response = await Host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "UPDATE", "agents", pod, oldObject: pod));

        Assert.True(response.Allowed);
        Assert.Null(response.Patch);
        Assert.Null(response.PatchType);
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("CONNECT")]
    public async Task Delete_and_connect_are_allowed(string operation)
    {
        var pod = Reviews.PodObject("mcp-3", "agents", Mcp, runtimeClassName: "gvisor");
        var review = operation == "DELETE"
            ? Reviews.Request(Reviews.Pod, operation, "agents", null, oldObject: pod)
            : Reviews.Request(Reviews.Pod, operation, "agents", new JsonObject { ["kind"] = "PodExecOptions", ["apiVersion"] = "v1" }, name: "mcp-3");

        foreach (var path in new[] { "/mutate", "/validate" })
        {
            var response = await Host.ReviewAsync(path, review);
            Assert.True(response.Allowed);
            Assert.Null(response.Patch);
        }
    }

    [Fact]
    public async Task Deployment_is_validated_on_its_template_and_never_patched()
    {
        var deployment = Reviews.DeploymentObject("agent", "agents", Reviews.PodObject("x", "agents", ResearchAgent));
        var review = Reviews.Request(Reviews.Deployment, "CREATE", "agents", deployment);

        var mutated = await Host.ReviewAsync("/mutate", review);
        var validated = await Host.ReviewAsync("/validate", review);

        Assert.True(mutated.Allowed);
        Assert.Null(mutated.Patch);
        var expected = Core.Evaluate(review, true);
        Assert.Equal(expected.Allowed, validated.Allowed);
        Assert.Equal(expected.Warnings, validated.Warnings);
        Assert.Equal("high", validated.AuditAnnotations[AdmissionReviewEncoder.TierAnnotation]);
    }

    [Fact]
    public async Task Cronjob_decision_matches_the_core()
    {
        var (docs, errors) = ManifestParser.Parse(File.ReadAllText(Path.Combine(RunningHost.SamplesDir, "pods.yaml")), "pods.yaml");
        Assert.Empty(errors);
        var cron = docs.Single(d => d.Kind == "CronJob").Object;
        var review = Reviews.Request(Reviews.CronJob, "CREATE", "agents", cron);

        var response = await Host.ReviewAsync("/validate", review);

        var expected = Core.Evaluate(review, true);
        Assert.Equal(expected.Allowed, response.Allowed);
        Assert.Equal(expected.Message, response.Message);
        Assert.Equal(expected.Warnings, response.Warnings);
        Assert.Equal("medium", response.AuditAnnotations[AdmissionReviewEncoder.TierAnnotation]);
    }

    [Fact]
    public async Task Dry_run_is_answered_like_a_real_request()
    {
        var pod = Reviews.PodObject("mcp-4", "agents", Mcp, runtimeClassName: "gvisor");
        var real = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", pod));
        var dry = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", pod, dryRun: true));
        var dryMutate = await Host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("a", "agents", ResearchAgent), dryRun: true));

        Assert.Equal(real with { Uid = "" }, dry with { Uid = "" }, ResponseComparer.Instance);
        Assert.Equal("JSONPatch", dryMutate.PatchType);
    }

    [Fact]
    public async Task Audit_mode_namespace_allows_with_warnings_and_logs_each_violation()
    {
        var review = Reviews.Request(Reviews.Pod, "CREATE", "audited", Reviews.PodObject("audited-1", "audited", new Dictionary<string, string> { ["app"] = "audited-agent" }, runtimeClassName: "gvisor"));

        var response = await Host.ReviewAsync("/validate", review);

        var expected = Core.Evaluate(review, true);
        Assert.True(response.Allowed);
        Assert.Null(response.Code);
        Assert.Equal(expected.Warnings, response.Warnings);
        Assert.Contains(response.Warnings, w => w.StartsWith("audit mode, would be denied", StringComparison.Ordinal));
        var uid = (string)review["request"]!["uid"]!;
        var lines = Host.Logs.Where("audit mode violation").Where(e => e.Properties["Uid"].ToString() == $"\"{uid}\"").ToList();
        Assert.Equal(expected.Violations.Count, lines.Count);
        Assert.All(lines, l => Assert.Equal("\"audited\"", l.Properties["Namespace"].ToString()));
    }

    [Fact]
    public async Task A_kind_the_policy_does_not_judge_is_refused_untouched_rather_than_admitted()
    {
        var cm = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "cfg", ["namespace"] = "agents" }, ["data"] = new JsonObject { ["a"] = "b" } };
        foreach (var path in new[] { "/mutate", "/validate" })
        {
            var response = await Host.ReviewAsync(path, Reviews.Request(Reviews.ConfigMap, "CREATE", "agents", cm));
            Assert.False(response.Allowed);
            Assert.Equal(403, response.Code);
            Assert.Contains("does not judge ConfigMap objects", response.Message, StringComparison.Ordinal);
            Assert.Null(response.Patch);
            Assert.Empty(response.AuditAnnotations);
            Assert.Empty(response.Warnings);
        }
    }

    [Fact]
    public async Task State_dir_decisions_equal_the_cores_for_every_sample_object()
    {
        var (docs, errors) = ManifestParser.Parse(File.ReadAllText(Path.Combine(RunningHost.SamplesDir, "pods.yaml")), "pods.yaml");
        Assert.Empty(errors);
        var targets = ManifestSet.From(docs).Targets;
        Assert.True(targets.Count >= 6);
        foreach (var doc in targets)
        {
            var kind = (doc.Group, doc.Kind) switch
            {
                ("", "Pod") => Reviews.Pod,
                ("apps", "Deployment") => Reviews.Deployment,
                _ => Reviews.CronJob,
            };
            var review = Reviews.Request(kind, "CREATE", doc.Namespace!, doc.Object);
            var mutate = await Host.ReviewAsync("/mutate", review);
            var validate = await Host.ReviewAsync("/validate", review);

            var m = Core.Evaluate(review, false);
            Assert.Equal(m.MutationPatch.Count > 0 ? JsonPatch.ToJson(m.MutationPatch) : null, mutate.Patch is null ? null : Encoding.UTF8.GetString(mutate.Patch));
            var v = Core.Evaluate(review, true);
            Assert.Equal(v.Allowed, validate.Allowed);
            Assert.Equal(v.Allowed ? null : v.StatusCode, validate.Code);
            Assert.Equal(v.Message, validate.Message);
            Assert.Equal(v.Warnings, validate.Warnings);
        }
    }

    [Theory]
    [InlineData("{\"apiVersion\":", "not valid JSON")]
    [InlineData("", "the body is empty")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"1\"}}", "apiVersion \"admission.k8s.io/v1beta1\" is not supported")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}", "kind \"Pod\" is not AdmissionReview")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "request is missing")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"kind\":{\"kind\":\"Pod\"},\"operation\":\"CREATE\"}}", "request.uid is missing")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":7}}", "request.uid must be a string")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"1\",\"kind\":{\"kind\":\"Pod\"},\"operation\":\"PATCH\"}}", "request.operation \"PATCH\"")]
    public async Task Undecodable_input_gets_400_with_a_json_error(string body, string expected)
    {
        using var response = await Host.Client().PostAsync(Host.WebhookUri("/validate"), RunningHost.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/jsonp")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Wrong_content_type_gets_400(string contentType)
    {
        var body = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents")).ToJsonString();
        using var response = await Host.Client().PostAsync(Host.WebhookUri("/mutate"), RunningHost.Json(body, contentType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must be application/json", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_with_charset_is_accepted()
    {
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents"));
        using var response = await Host.Client().PostAsync(Host.WebhookUri("/validate"), RunningHost.Json(review.ToJsonString(), "application/json; charset=utf-8"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Too_deep_json_gets_400()
    {
        var body = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"1\",\"object\":" + new string('[', 100) + new string(']', 100) + "}}";
        using var response = await Host.Client().PostAsync(Host.WebhookUri("/validate"), RunningHost.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("depth", await ErrorOf(response), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Oversized_body_gets_413()
    {
        var pod = Reviews.PodObject("big", "agents");
        pod["metadata"]!["annotations"] = new JsonObject { ["blob"] = new string('x', AdmissionEndpoint.MaxBodyBytes) };
        var body = Reviews.Request(Reviews.Pod, "CREATE", "agents", pod).ToJsonString();

        using var response = await Host.Client().PostAsync(Host.WebhookUri("/validate"), RunningHost.Json(body));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("over the limit", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_chunked_body_gets_413()
    {
        var chunk = new byte[1024 * 1024];
        Array.Fill(chunk, (byte)' ');
        var content = new PushStreamContentOf(chunk, count: 8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await Host.Client().PostAsync(Host.WebhookUri("/validate"), content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Body_just_under_3_MiB_is_decided()
    {
        // The largest object etcd stores, most of it in fields the policy does not read (here an env value).
        var pod = Reviews.PodObject("large", "agents");
        pod["spec"]!["containers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "BLOB", ["value"] = new string('x', 3 * 1024 * 1024 - 4096) });
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", pod);

        var response = await Host.ReviewAsync("/validate", review);

        Assert.True(response.Allowed);
    }

    [Fact]
    public async Task Fields_the_policy_reads_over_2_MiB_are_refused_with_400_naming_where()
    {
        // The API server refuses annotations over 256 KiB per object, but only after the mutating webhooks ran.
        var pod = Reviews.PodObject("large", "agents");
        pod["metadata"]!["annotations"] = new JsonObject { ["blob"] = new string('x', 3 * 1024 * 1024 - 4096) };
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", pod);

        using var response = await Host.Client().PostAsync(Host.WebhookUri("/mutate"), RunningHost.Json(review.ToJsonString()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Contains("more than 2097152 bytes", error, StringComparison.Ordinal);
        Assert.Contains("request.object.metadata.annotations.blob", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_method_and_path_are_rejected_as_json()
    {
        using var get = await Host.Client().GetAsync(Host.WebhookUri("/validate"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Contains("use POST", await ErrorOf(get), StringComparison.Ordinal);

        using var other = await Host.Client().PostAsync(Host.WebhookUri("/admit"), RunningHost.Json("{}"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Contains("/mutate", await ErrorOf(other), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http2_is_served()
    {
        var client = Host.Client(HttpVersion.Version20);
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("h2", "agents", ResearchAgent));

        using var response = await client.PostAsync(Host.WebhookUri("/mutate"), RunningHost.Json(review.ToJsonString()));

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var parsed = ReviewResponse.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("JSONPatch", parsed.PatchType);
    }

    [Fact]
    public async Task Metrics_endpoint_exposes_the_admission_and_certificate_metrics()
    {
        await Host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("m1", "agents", ResearchAgent)));
        await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("m2", "agents", Mcp, runtimeClassName: "gvisor")));
        using (await Host.Client().PostAsync(Host.WebhookUri("/validate"), RunningHost.Json("{")))
        {
        }

        using var http = new HttpClient();
        var text = await http.GetStringAsync(Host.MetricsUri("/metrics"));

        Assert.Contains("# TYPE agentsandbox_admission_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE agentsandbox_admission_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE agentsandbox_webhook_certificate_expiry_timestamp_seconds gauge", text, StringComparison.Ordinal);
        Assert.Matches("agentsandbox_admission_requests_total\\{[^}]*decision=\"mutated\",kind=\"Pod\",operation=\"CREATE\",webhook=\"mutate\"\\} [1-9]", text);
        Assert.Matches("agentsandbox_admission_requests_total\\{[^}]*decision=\"denied\",kind=\"Pod\",operation=\"CREATE\",webhook=\"validate\"\\} [1-9]", text);
        Assert.Matches("agentsandbox_admission_requests_total\\{[^}]*decision=\"error\",kind=\"\",operation=\"\",webhook=\"validate\"\\} [1-9]", text);
        Assert.Contains("le=\"0.00025\"", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_gc_collections_total counter", text, StringComparison.Ordinal);

        // The webhook port does not serve metrics, the metrics port does not serve reviews.
        using var onWebhook = await Host.Client().GetAsync(Host.WebhookUri("/metrics"));
        Assert.NotEqual(HttpStatusCode.OK, onWebhook.StatusCode);
        using var onMetrics = await http.PostAsync(Host.MetricsUri("/validate"), RunningHost.Json("{}"));
        Assert.Equal(HttpStatusCode.NotFound, onMetrics.StatusCode);
    }

    [Fact]
    public async Task Health_endpoints_answer_on_the_health_port()
    {
        using var http = new HttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync(Host.HealthUri("/healthz")));
        Assert.Equal("ok\n", await http.GetStringAsync(Host.HealthUri("/readyz")));
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("error").GetString()!;
    }

    /// <summary>Streams <paramref name="count"/> copies of a chunk without a Content-Length (chunked encoding).</summary>
    private sealed class PushStreamContentOf(byte[] chunk, int count) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var i = 0; i < count; i++)
            {
                await stream.WriteAsync(chunk);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private sealed class ResponseComparer : IEqualityComparer<ReviewResponse>
    {
        public static readonly ResponseComparer Instance = new();

        public bool Equals(ReviewResponse? x, ReviewResponse? y) =>
            x is not null && y is not null && x.Allowed == y.Allowed && x.Code == y.Code && x.Message == y.Message
            && x.Warnings.SequenceEqual(y.Warnings) && x.AuditAnnotations.OrderBy(a => a.Key).SequenceEqual(y.AuditAnnotations.OrderBy(a => a.Key))
            && (x.Patch ?? []).AsSpan().SequenceEqual(y.Patch ?? []);

        public int GetHashCode(ReviewResponse obj) => obj.Allowed.GetHashCode();
    }
}
