using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Robustness;

/// <summary>
/// Malformed and fuzzed AdmissionReviews against the real host: every answer is a well-formed 200 (an
/// AdmissionReview echoing the uid) or a 400/413 JSON refusal; never a 5xx, an escaped exception or a hang.
/// </summary>
public sealed class BadInputTests(SharedHost shared, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SharedHost>
{
    private const int VariantsPerSeed = 2_200;
    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = AdmissionEndpoint.MaxJsonDepth, AllowDuplicateProperties = false };

    private RunningHost Host => shared.Host;

    public static TheoryData<string> DuplicateKeySites() => [.. ReviewCorpus.DuplicateKeySites.Select(s => s.What)];

    [Fact]
    public async Task The_malformed_corpus_over_https_gets_only_200_400_or_413()
    {
        var client = Host.Client(HttpVersion.Version20);
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        var cases = ReviewCorpus.Malformed().ToList();
        foreach (var c in cases)
        {
            var (status, body) = await PostAsync(client, c.Path, c.Body);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (Check(c.Body, status, body) is { } problem)
            {
                failures.Add($"{c.Name}: {problem}");
            }
        }

        output.WriteLine($"{cases.Count} malformed cases: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"HTTP {s.Key}: {s.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases:\n{string.Join('\n', failures.Take(20))}");
        Assert.True(statuses.GetValueOrDefault(200) > 100 && statuses.GetValueOrDefault(400) > 100 && statuses.GetValueOrDefault(413) >= 2,
            "the corpus should reach every kind of answer: " + string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_mistyped_pod_field_is_denied_with_400_by_both_webhooks_not_admitted()
    {
        var client = Host.Client();
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", ReviewCorpus.FullPod());
        var admittedDespite = new List<string>();
        (string Field, string[] Wrong)[] table =
        [
            ("spec.hostPID", ["\"true\"", "[]", "{}", "1"]),
            ("spec.runtimeClassName", ["true", "[]", "{}", "7"]),
            ("spec.containers.0.securityContext.privileged", ["\"true\"", "[true]", "{}", "1"]),
            ("spec.securityContext.seccompProfile.type", ["true", "[\"Unconfined\"]", "{}", "0"]),
            ("spec.tolerations", ["\"x\"", "{}", "7", "true"]),
            ("metadata.labels", ["\"app=research-agent\"", "[]", "7", "true"]),
        ];
        foreach (var (field, wrong) in table)
        {
            foreach (var value in wrong)
            {
                var bad = review.DeepClone().AsObject();
                var node = bad["request"]!["object"]!;
                var parts = field.Split('.');
                foreach (var p in parts[..^1])
                {
                    node = int.TryParse(p, out var i) ? node[i]! : node[p]!;
                }

                node[parts[^1]] = System.Text.Json.Nodes.JsonNode.Parse(value);
                foreach (var path in new[] { "/mutate", "/validate" })
                {
                    var response = await Host.ReviewAsync(path, bad, client);
                    if (response.Allowed || response.Code != 400 || !response.Message!.Contains("cannot read", StringComparison.Ordinal))
                    {
                        admittedDespite.Add($"{path} {field}={value}: allowed={response.Allowed} code={response.Code} {response.Message}");
                    }
                }
            }
        }

        Assert.Empty(admittedDespite);
    }

    [Theory]
    [InlineData("\"true\"")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("7")]
    public async Task A_hostPath_of_any_type_counts_as_a_hostPath(string value)
    {
        // Fail closed: the reader treats any non-null hostPath as one, so a mistyped hostPath is denied, not ignored.
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", ReviewCorpus.FullPod());
        review["request"]!["object"]!["spec"]!["volumes"]![1]!["hostPath"] = System.Text.Json.Nodes.JsonNode.Parse(value);

        var response = await Host.ReviewAsync("/validate", review);

        Assert.False(response.Allowed);
        Assert.Equal(403, response.Code);
        Assert.Contains("hostPath volume \"host\"", response.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(DuplicateKeySites))]
    public async Task A_duplicate_key_is_refused_with_400(string site)
    {
        var (_, from, to) = ReviewCorpus.DuplicateKeySites.Single(s => s.What == site);
        var pod = ReviewCorpus.FullPod();
        pod["spec"]!["volumes"]!.AsArray().RemoveAt(1);
        var text = Reviews.Request(Reviews.Pod, "CREATE", "agents", pod).ToJsonString();
        Assert.Contains(from, text, StringComparison.Ordinal);

        foreach (var path in new[] { "/mutate", "/validate" })
        {
            var (status, body) = await PostAsync(Host.Client(), path, Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal)));

            Assert.Equal(400, status);
            Assert.Contains("Duplicate", Error(body), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("label", new byte[] { 0x72, 0xFF, 0xFE }, "not valid UTF-8")]
    [InlineData("uid", new byte[] { 0xED, 0xA0, 0x80 }, "not valid UTF-8")]
    [InlineData("label", new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' }, "surrogate")]
    [InlineData("uid", new byte[] { (byte)'\\', (byte)'u', (byte)'D', (byte)'C', (byte)'0', (byte)'0' }, "surrogate")]
    public async Task Text_that_does_not_decode_to_unicode_is_refused_with_400(string where, byte[] bad, string expected)
    {
        // Regression: JsonDocument accepts these and throws only when the string is read, which made the
        // decoder fail with an unhandled exception (HTTP 500) and the policy answer code 500.
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", ReviewCorpus.FullPod()).ToJsonString();
        var marker = where == "uid" ? "\"uid\":\"" : "\"app\":\"";
        var i = review.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        byte[] body = [.. Encoding.UTF8.GetBytes(review[..i]), .. bad, .. Encoding.UTF8.GetBytes(review[i..])];

        foreach (var path in new[] { "/mutate", "/validate" })
        {
            var (status, text) = await PostAsync(Host.Client(), path, body);

            Assert.Equal(400, status);
            Assert.Contains(expected, Error(text), StringComparison.Ordinal);
        }

        // The same pod without the bad bytes is decided (ReviewAsync asserts 200 and the uid echo): denied for its hostPath.
        var valid = await Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", ReviewCorpus.FullPod()));
        Assert.Equal(403, valid.Code);
    }

    [Fact]
    public async Task A_valid_escaped_surrogate_pair_is_accepted()
    {
        var pod = ReviewCorpus.FullPod();
        pod["spec"]!["volumes"]!.AsArray().RemoveAt(1);
        var text = Reviews.Request(Reviews.Pod, "CREATE", "agents", pod).ToJsonString()
            .Replace("\"example.org/note\":\"n\"", "\"example.org/note\":\"\\ud83d\\ude00\"", StringComparison.Ordinal);

        var (status, body) = await PostAsync(Host.Client(), "/mutate", Encoding.UTF8.GetBytes(text));

        Assert.Equal(200, status);
        var response = ReviewResponse.Parse(body);
        Assert.True(response.Allowed, response.Message);
        Assert.Equal("JSONPatch", response.PatchType);
    }

    [Fact]
    public async Task Ten_thousand_fuzzed_reviews_in_process_get_only_200_400_or_413()
    {
        var endpoint = Host.App.Services.GetRequiredService<AdmissionEndpoint>();
        var seeds = ReviewCorpus.Seeds();
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        var variants = 0;
        var slowest = TimeSpan.Zero;
        for (var s = 0; s < seeds.Count; s++)
        {
            foreach (var (index, body) in ReviewFuzzer.Variants(seeds[s].Body, VariantsPerSeed, seed: 6000 + s))
            {
                variants++;
                var path = index % 3 == 0 ? (seeds[s].Path == "/mutate" ? "/validate" : "/mutate") : seeds[s].Path;
                var started = Stopwatch.GetTimestamp();
                int status;
                string text;
                try
                {
                    (status, text) = await InvokeInProcessAsync(endpoint, path, body).WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (Exception e)
                {
                    failures.Add($"seed {s} ({seeds[s].Name}) variant {index}: {e.GetType().Name}: {e.Message}\n  body: {Excerpt(body)}");
                    continue;
                }

                var elapsed = Stopwatch.GetElapsedTime(started);
                slowest = elapsed > slowest ? elapsed : slowest;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                var problem = Check(body, status, text)
                    ?? await AmbiguityProblemAsync(status, body, text, b => InvokeInProcessAsync(endpoint, path, b));
                if (problem is not null)
                {
                    failures.Add($"seed {s} ({seeds[s].Name}) variant {index} {path}: {problem}\n  body: {Excerpt(body)}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {variants} variants failed:\n{string.Join('\n', failures.Take(10))}");
        Assert.True(variants >= 10_000, $"{variants} variants");
        var summary = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"HTTP {s.Key}: {s.Value}")) + $"; slowest {slowest.TotalMilliseconds:0} ms";
        output.WriteLine($"{variants} fuzzed variants in process: {summary}");
        Assert.True(statuses.GetValueOrDefault(200) > variants / 5, "the fuzzer destroys too much: " + summary);
        Assert.True(statuses.GetValueOrDefault(400) > variants / 5, "the fuzzer is too gentle: " + summary);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_fuzzed_sample_over_real_https_gets_only_200_400_or_413()
    {
        var seeds = ReviewCorpus.Seeds();
        var h1 = Host.Client(HttpVersion.Version11);
        var h2 = Host.Client(HttpVersion.Version20);
        var failures = new List<string>();
        var variants = 0;
        for (var s = 0; s < seeds.Count; s++)
        {
            foreach (var (index, body) in ReviewFuzzer.Variants(seeds[s].Body, 160, seed: 9000 + s))
            {
                variants++;
                var client = index % 2 == 0 ? h2 : h1;
                var (status, text) = await PostAsync(client, seeds[s].Path, body);
                var problem = Check(body, status, text)
                    ?? await AmbiguityProblemAsync(status, body, text, b => PostAsync(client, seeds[s].Path, b));
                if (problem is not null)
                {
                    failures.Add($"seed {s} variant {index}: {problem}\n  body: {Excerpt(body)}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {variants} variants failed:\n{string.Join('\n', failures.Take(10))}");
        await AssertStillServingAsync();
    }

    /// <summary>Null when the answer is a well-formed 200 echoing the uid or a 400/413 JSON refusal, else what is wrong.</summary>
    private static string? Check(byte[] request, int status, string body)
    {
        JsonDocument response;
        try
        {
            response = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return $"HTTP {status} with a body that is not JSON ({e.Message}): {body[..Math.Min(200, body.Length)]}";
        }

        using (response)
        {
            var root = response.RootElement;
            switch (status)
            {
                case 200:
                    if (root.ValueKind != JsonValueKind.Object
                        || root.GetProperty("apiVersion").GetString() != "admission.k8s.io/v1"
                        || root.GetProperty("kind").GetString() != "AdmissionReview"
                        || !root.TryGetProperty("response", out var r)
                        || r.GetProperty("allowed").ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return $"HTTP 200 that is not an AdmissionReview: {body[..Math.Min(300, body.Length)]}";
                    }

                    // A body with duplicate keys or unpaired surrogates may be decided only when those sit in
                    // parts the webhook does not read; the caller checks that with AmbiguityProblemAsync.
                    var uid = Disambiguated(request, keepFirst: false)?["request"]?["uid"]?.GetValue<string>();
                    if (r.GetProperty("uid").GetString() != uid)
                    {
                        return $"uid {r.GetProperty("uid")} does not echo {uid}";
                    }

                    if (!r.GetProperty("allowed").GetBoolean()
                        && (!r.TryGetProperty("status", out var st) || st.GetProperty("code").GetInt32() is not (400 or 403) || string.IsNullOrEmpty(st.GetProperty("message").GetString())))
                    {
                        return $"a denial must carry code 400 or 403 and a message (500 and 504 are internal failures): {body[..Math.Min(400, body.Length)]}";
                    }

                    return null;
                case 400 or 413:
                    return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) && e.GetString() is { Length: > 0 }
                        ? null
                        : $"HTTP {status} without an error message: {body}";
                default:
                    return $"HTTP {status}: {body[..Math.Min(300, body.Length)]}";
            }
        }
    }

    /// <summary>
    /// For a decided (200) body that a strict parser refuses (a key twice in one object, an unpaired
    /// surrogate escape): the answer must not depend on how the ambiguity is read. The body is re-sent
    /// with every repeated key resolved to its first value, then to its last (Go's reading), and every
    /// undecodable string replaced; all three answers must be the same. Null when they are, or when the
    /// body is unambiguous.
    /// </summary>
    private static async Task<string?> AmbiguityProblemAsync(int status, byte[] body, string answer, Func<byte[], Task<(int Status, string Body)>> send)
    {
        if (status != 200 || StrictlyParses(body))
        {
            return null;
        }

        foreach (var keepFirst in new[] { true, false })
        {
            var resolved = Encoding.UTF8.GetBytes(Disambiguated(body, keepFirst)!.ToJsonString());
            var (againStatus, again) = await send(resolved);
            if (againStatus != 200 || again != answer)
            {
                return $"the answer depends on how an ambiguous part is read (keeping the {(keepFirst ? "first" : "last")} value of repeated keys gives HTTP {againStatus} {again[..Math.Min(300, again.Length)]} instead of {answer[..Math.Min(300, answer.Length)]})";
            }
        }

        return null;
    }

    private static bool StrictlyParses(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body, Strict);
            foreach (var _ in Strings(doc.RootElement))
            {
            }

            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static IEnumerable<string> Strings(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                yield return e.GetString()!;
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    yield return p.Name;
                    foreach (var v in Strings(p.Value))
                    {
                        yield return v;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    foreach (var v in Strings(item))
                    {
                        yield return v;
                    }
                }

                break;
        }
    }

    /// <summary>The body as a tree with repeated keys resolved (first or last value) and undecodable strings replaced by U+FFFD; null when it is not JSON.</summary>
    private static System.Text.Json.Nodes.JsonNode? Disambiguated(byte[] body, bool keepFirst)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = AdmissionEndpoint.MaxJsonDepth });
            return reader.Read() ? Build(ref reader, keepFirst) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static System.Text.Json.Nodes.JsonNode? Build(ref Utf8JsonReader reader, bool keepFirst)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new System.Text.Json.Nodes.JsonObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = DecodedString(ref reader);
                    reader.Read();
                    var value = Build(ref reader, keepFirst);
                    if (!obj.ContainsKey(name))
                    {
                        obj.Add(name, value);
                    }
                    else if (!keepFirst)
                    {
                        obj[name] = value;
                    }
                }

                return obj;
            case JsonTokenType.StartArray:
                var array = new System.Text.Json.Nodes.JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(Build(ref reader, keepFirst));
                }

                return array;
            case JsonTokenType.String:
                return System.Text.Json.Nodes.JsonValue.Create(DecodedString(ref reader));
            case JsonTokenType.Number:
                return System.Text.Json.Nodes.JsonNode.Parse(reader.ValueSpan);
            case JsonTokenType.True or JsonTokenType.False:
                return System.Text.Json.Nodes.JsonValue.Create(reader.GetBoolean());
            default:
                return null;
        }
    }

    private static string DecodedString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return "\uFFFD";
        }
    }

    private static string Error(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("error").GetString()!;
    }

    private async Task<(int Status, string Body)> PostAsync(HttpClient client, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(Host.WebhookUri(path), content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Calls the host's own <see cref="AdmissionEndpoint"/> (with its handler chain) on an in-memory request.</summary>
    private static async Task<(int Status, string Body)> InvokeInProcessAsync(AdmissionEndpoint endpoint, string path, byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = path;
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        using var output = new MemoryStream();
        context.Response.Body = output;
        await endpoint.InvokeAsync(context);
        await context.Response.BodyWriter.FlushAsync();
        return (context.Response.StatusCode, Encoding.UTF8.GetString(output.ToArray()));
    }

    private async Task AssertStillServingAsync()
    {
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(Host.HealthUri("/readyz"))).StatusCode);
        var response = await Host.ReviewAsync("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("after", "agents", new Dictionary<string, string> { ["app"] = "research-agent" })));
        Assert.Equal("JSONPatch", response.PatchType);
    }

    private static string Excerpt(byte[] body) =>
        body.Length <= 600 ? Convert.ToBase64String(body) : Convert.ToBase64String(body, 0, 600) + $"... ({body.Length} bytes, base64)";
}
