using System.Text.Json;
using System.Text.Unicode;
using BenchmarkDotNet.Attributes;

namespace SandboxOperator.Benchmarks;

/// <summary>
/// What the webhook's decoding checks cost on a realistic 5.9 kB pod review: the parse as it was
/// (depth limit only), the parse that also refuses duplicate keys, and the UTF-8 validation plus the
/// scan for surrogate escapes that run before and after it.
/// </summary>
[MemoryDiagnoser]
public class ReviewParseBenchmark
{
    private byte[] _review = [];

    [GlobalSetup]
    public void Setup()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
        {
            dir = dir.Parent ?? throw new InvalidOperationException("SandboxOperator.sln not found above " + AppContext.BaseDirectory);
        }

        _review = File.ReadAllBytes(Path.Combine(dir.FullName, "bench", "reviews", "pod-create-mutate.json"));
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
    public bool Utf8ValidationAndEscapeScan() => Utf8.IsValid(_review) && _review.AsSpan().IndexOf("\\u"u8) < 0;
}
