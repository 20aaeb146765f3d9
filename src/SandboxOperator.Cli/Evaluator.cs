using System.Text.Json;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>
/// Evaluates every Pod, pod controller and AgentWorkload of a manifest set as a CREATE admission request. Objects the
/// policy does not cover (those in an excluded namespace) get a note instead of a result.
/// </summary>
internal static class Evaluator
{
    public static (List<EvaluationResult> Results, List<ManifestMessage> Notes) Evaluate(ManifestSet set, PolicyConfig config, DateTimeOffset now)
    {
        var results = new List<EvaluationResult>(set.Targets.Count);
        var notes = new List<ManifestMessage>();
        foreach (var doc in set.Targets)
        {
            var ns = doc.Namespace ?? ManifestSet.DefaultNamespace;
            var element = JsonSerializer.SerializeToElement(doc.Object);
            var request = new AdmissionRequest(AdmissionOperation.Create, doc.Group, doc.Kind, ns, doc.Name, element);
            var decision = AdmissionEvaluator.Evaluate(request, config, set.State, now);
            if (!decision.Covered)
            {
                notes.Add(new ManifestMessage(doc.Source, doc.Line, $"{doc.Display} in namespace {ns}: not covered: {string.Join("; ", decision.Reasons)}"));
                continue;
            }

            var mutated = decision.Patch.Count > 0 ? JsonPatch.Apply(doc.Object, decision.Patch) : doc.Object.DeepClone();
            results.Add(new EvaluationResult(doc, ns, decision, mutated));
        }

        return (results, notes);
    }
}
