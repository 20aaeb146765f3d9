using System.Text.Json;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>Evaluates every Pod and pod controller of a manifest set as a CREATE admission request.</summary>
internal static class Evaluator
{
    public static List<EvaluationResult> Evaluate(ManifestSet set, PolicyConfig config)
    {
        var results = new List<EvaluationResult>(set.Targets.Count);
        foreach (var doc in set.Targets)
        {
            var ns = doc.Namespace ?? ManifestSet.DefaultNamespace;
            var element = JsonSerializer.SerializeToElement(doc.Object);
            var request = new AdmissionRequest(AdmissionOperation.Create, doc.Group, doc.Kind, ns, doc.Name, element);
            var decision = AdmissionEvaluator.Evaluate(request, config, set.State);
            var mutated = decision.Patch.Count > 0 ? JsonPatch.Apply(doc.Object, decision.Patch) : doc.Object.DeepClone();
            results.Add(new EvaluationResult(doc, ns, decision, mutated));
        }

        return results;
    }
}
