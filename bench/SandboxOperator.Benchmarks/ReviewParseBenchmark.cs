using System.Text.Json;
using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using SandboxOperator.Policy.Json;
using SandboxOperator.Webhook.Admission;

namespace SandboxOperator.Benchmarks;

/// <summary>
/// What reading a realistic 5.9 kB pod review costs: parsing all of it (depth limit only, and refusing
/// duplicate keys), against what the webhook does, pruning it with <see cref="Utf8JsonReader"/> to the
/// fields the decoder and the policy read and parsing only those; and the UTF-8 validation that runs first.
/// </summary>
[MemoryDiagnoser]
public class ReviewParseBenchmark
{
    private byte[] _review = [];
    private byte[] _pruned = [];

    [GlobalSetup]
    public void Setup()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
        {
            dir = dir.Parent ?? throw new InvalidOperationException("SandboxOperator.sln not found above " + AppContext.BaseDirectory);
        }

        _review = File.ReadAllBytes(Path.Combine(dir.FullName, "bench", "reviews", "pod-create-mutate.json"));
        _pruned = new byte[_review.Length];
    }

    [Benchmark(Baseline = true)]
    public int ParseDepthLimitOnly()
    {
        using var doc = JsonDocument.Parse(_review, new JsonDocumentOptions { MaxDepth = 64 });
        return (int)doc.RootElement.ValueKind;
    }

    [Benchmark]
    public int ParseRefusingDuplicateKeys()
    {
        using var doc = JsonDocument.Parse(_review, new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        return (int)doc.RootElement.ValueKind;
    }

    [Benchmark]
    public int PruneToPolicyFields() =>
        JsonPruner.Prune(_review, AdmissionReviewDecoder.ReadFields, _pruned, 64, out var written) is null ? written : -1;

    /// <summary>What the webhook does: prune, then parse the kept part refusing duplicate keys.</summary>
    [Benchmark]
    public int PruneThenParse()
    {
        if (JsonPruner.Parse(_review, AdmissionReviewDecoder.ReadFields, _pruned, 64, out var doc) is not null)
        {
            return -1;
        }

        using (doc)
        {
            return (int)doc!.RootElement.ValueKind;
        }
    }

    [Benchmark]
    public bool Utf8ValidationAndEscapeScan() => Utf8.IsValid(_review) && _review.AsSpan().IndexOf("\\u"u8) < 0;
}
