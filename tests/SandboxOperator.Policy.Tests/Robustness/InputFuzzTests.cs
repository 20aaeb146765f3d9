using System.Text.Json;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Policy.Tests.Robustness;

/// <summary>
/// Malformed manifests and configuration never escape as exceptions: every variant ends in documents,
/// errors with a location, or decisions.
/// </summary>
public class InputFuzzTests
{
    [Fact]
    public void Manifest_variants_parse_sort_and_evaluate_without_throwing()
    {
        var samples = Directory.GetFiles(Path.Combine(TestData.RepoRoot(), "config", "samples"), "*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        samples.Add(File.ReadAllText(Path.Combine(TestData.RepoRoot(), "config", "examples", "violations.yaml")));
        var variants = 0;
        var withErrors = 0;
        var decisions = 0;
        for (var s = 0; s < samples.Count; s++)
        {
            foreach (var text in TextFuzzer.Variants(samples[s], 2_000, seed: 1000 + s))
            {
                variants++;
                var (docs, errors) = ManifestParser.Parse(text, "fuzz.yaml");
                Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
                withErrors += errors.Count > 0 ? 1 : 0;
                var set = ManifestSet.From(docs);
                foreach (var doc in set.Targets)
                {
                    var request = new AdmissionRequest(AdmissionOperation.Create, doc.Group, doc.Kind, doc.Namespace ?? "default", doc.Name, JsonSerializer.SerializeToElement(doc.Object));
                    var decision = AdmissionEvaluator.Evaluate(request, PolicyConfig.Default, set.State, TestData.Now);
                    Assert.True(decision.Allowed || decision.Message is { Length: > 0 });
                    decisions++;
                }
            }
        }

        Assert.True(variants >= 10_000, $"{variants} variants");
        Assert.True(withErrors > variants / 10, $"only {withErrors} variants were rejected: the fuzzer is too gentle");
        // Two of the seed files hold only cluster state (no targets), so a quarter is the floor that still proves evaluation runs.
        Assert.True(decisions > variants / 4, $"only {decisions} decisions: the fuzzer destroys too much");
    }

    [Fact]
    public void Configuration_variants_load_or_fail_with_located_errors()
    {
        var text = File.ReadAllText(Path.Combine(TestData.RepoRoot(), "config", "policy.yaml"));
        var failed = 0;
        foreach (var variant in TextFuzzer.Variants(text, 5_000, seed: 7))
        {
            var (config, errors) = PolicyConfigLoader.Load(variant, "policy.yaml");
            if (config is null)
            {
                failed++;
                Assert.NotEmpty(errors);
                Assert.All(errors, e => Assert.StartsWith("policy.yaml:", e, StringComparison.Ordinal));
            }
        }

        Assert.True(failed > 500, $"only {failed} variants failed to load");
    }
}
