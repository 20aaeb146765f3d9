using System.Text.Json;
using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using SandboxOperator.Policy.Json;
using SandboxOperator.Webhook.Admission;

namespace SandboxOperator.Benchmarks;

/// <summary>
/// What reading a realistic 5.9 kB pod review costs: parsing all of it (depth limit only, and refusing
/// duplicate keys), against what the webhook does, pruning it in one checked pass to the fields the
/// decoder and the policy read and parsing only those; and the UTF-8 validation that runs first.
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

    [Benchmark]
    public int PruneThenParse()
    {
        if (JsonPruner.Prune(_review, AdmissionReviewDecoder.ReadFields, _pruned, 64, out var written) is not null)
        {
            return -1;
        }

        using var doc = JsonDocument.Parse(_pruned.AsMemory(0, written), new JsonDocumentOptions { MaxDepth = 64 });
        return (int)doc.RootElement.ValueKind;
    }

    [Benchmark]
    public bool Utf8ValidationAndEscapeScan() => Utf8.IsValid(_review) && _review.AsSpan().IndexOf("\\u"u8) < 0;
}
