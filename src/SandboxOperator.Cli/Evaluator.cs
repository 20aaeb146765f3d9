using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Edge;
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
            results.Add(new EvaluationResult(doc, ns, decision, mutated, EdgeAdviceFor(doc, ns, set)));
        }

        return (results, notes);
    }

    /// <summary>
    /// The edge-isolate advice for an AgentWorkload document, over the Pods and pod templates in the input that it
    /// claims (as the controller judges the pods that belong to it); null for other kinds.
    /// </summary>
    private static EdgeAdvice? EdgeAdviceFor(ManifestDocument doc, string ns, ManifestSet set)
    {
        if ((doc.Group, doc.Kind) != (WellKnown.Group, WellKnown.Kind)
            || set.State.WorkloadsIn(ns).FirstOrDefault(w => w.Name == doc.Name) is not { } workload)
        {
            return null;
        }

        var pods = new List<(string, EdgePodFacts)>();
        foreach (var target in set.Targets)
        {
            if ((target.Namespace ?? ManifestSet.DefaultNamespace) != ns || PodTemplates.PathTo(target.Group, target.Kind) is not { } path)
            {
                continue;
            }

            JsonNode? pod = target.Object;
            foreach (var segment in path)
            {
                pod = pod?[segment];
            }

            var labels = (pod?["metadata"]?["labels"] as JsonObject)?
                .Where(l => l.Value?.GetValueKind() == JsonValueKind.String)
                .ToDictionary(l => l.Key, l => (string)l.Value!, StringComparer.Ordinal) ?? [];
            if (pod is JsonObject && WorkloadClaims.Claims(workload, labels))
            {
                pods.Add(($"{target.Kind} {target.Name}", EdgePodFacts.Read(JsonSerializer.SerializeToElement(pod))));
            }
        }

        return EdgeIsolateAdvisor.Assess(workload.Spec, pods);
    }
}
